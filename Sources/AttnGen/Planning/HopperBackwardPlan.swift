/// The Hopper family's key kernel of the backward pass (Templates/hopper/pieces/backward_key_kernel.cu): dK, dV and
/// dQ's shares on wgmma, with TMA loads from a producer warpgroup and dQ added by bulk tensor reductions into the
/// fp32 accumulator (in key-tile order in the deterministic mode). It replaces the mma.sync key kernel of the
/// variant's backward pass where its launcher can address the tensors by TMA, and then the deterministic mode's
/// dQ kernel too; the pre-pass and the finish stay those of `MMABackwardPlan`.
///
/// Shape: one CTA per 128 keys (two consumer warpgroups of 64 keys, the M of every wgmma but dQ's), steps of
/// `queryRows` query rows: 128 at d = 64 and 64 at d = 128, so that each consumer's share of dQ = dS·K is one
/// 64 x 64 block, and Sᵀ, dPᵀ (queryRows / 2 fp32 each) with dK and dV (d / 2 and dv / 2) stay within
/// `accumulatorRegisterLimit` of a consumer thread's 232 registers.
public struct HopperBackwardPlan: Sendable, Hashable {
    /// Keys per CTA.
    public var keyRows: Int
    /// Query rows per step (the N of Sᵀ = K·Qᵀ).
    public var queryRows: Int
    /// Buffers of Q, dO, LSE and D.
    public var stages: Int
    /// The deterministic mode's order of the key tiles adding into a query tile's dQ: descending where the masks
    /// bound the keys from above (causal, windows: a key tile's first work item is the diagonal one, which the
    /// tiles above it reach first, so that each waits for nobody in the steady state), ascending otherwise.
    /// The launch then numbers the key tiles the same way, so that a block only waits for blocks started before it.
    public var descendingDqOrder: Bool
    /// What occupies shared memory, item by item (the 1024 bytes of alignment slack included).
    public var accounts: [TilePlan.ByteAccount]

    public var sharedBytes: Int { accounts.reduce(0) { $0 + $1.bytes } }

    /// Sᵀ and dPᵀ (queryRows / 2 fp32 each) and dK, dV (headDim / 2, valueHeadDim / 2) live at once in a consumer
    /// thread: at most this many of its 232 registers, the rest for addresses, fragments and the masks.
    public static let accumulatorRegisterLimit = 192

    var summary: KernelSummary {
        KernelSummary(kernel: "backward key kernel, Hopper (wgmma, TMA; dQ by bulk reduce-add, in key-tile order when deterministic)",
                      shape: ["tile     \(keyRows) keys per CTA x \(queryRows) query rows per step "
                              + "(\(stages) buffers)",
                              "warps    12 (384 threads): a producer warpgroup, 2 consumer warpgroups of 64 keys",
                              "dQ order \(descendingDqOrder ? "descending" : "ascending") key tiles (deterministic mode)"],
                      accounts: accounts)
    }
}

/// Plans the Hopper key kernel of a variant, or says why it does not run it (the variant then keeps the mma.sync key
/// kernel: the reason names the field).
public enum HopperBackwardPlanner {
    public static let keyRows = 128
    public static let stages = 2

    /// Query rows per step at head dim `headDim`: 128 at d = 64, 64 at d = 128, so that each consumer's share of
    /// dQ = dS·K is one 64 x 64 block.
    static func queryRows(headDim: Int) -> Int { headDim == 64 ? 128 : 64 }

    /// The plan, or the reason the variant keeps the mma.sync key kernel.
    public static func plan(_ variant: VariantModel, budget: Int) -> Result<HopperBackwardPlan, SpecError> {
        if let reason = unsupportedReason(variant) { return .failure(reason) }
        let queryRows = Self.queryRows(headDim: variant.headDim)
        let d = variant.headDim, dv = variant.valueHeadDim
        let accounts: [TilePlan.ByteAccount] = [
            .init(item: "K tile (\(keyRows) x \(d), bf16/fp16)", bytes: keyRows * d * 2),
            .init(item: "V tile (\(keyRows) x \(dv))", bytes: keyRows * dv * 2),
            .init(item: "Q tiles (\(stages) x \(queryRows) x \(d))", bytes: stages * queryRows * d * 2),
            .init(item: "dO tiles (\(stages) x \(queryRows) x \(dv))", bytes: stages * queryRows * dv * 2),
            .init(item: "dS tiles (2 x \(keyRows) x \(queryRows))", bytes: 2 * keyRows * queryRows * 2),
            .init(item: "dQ tile (\(queryRows) x \(d) fp32, for the bulk reduce-add)", bytes: queryRows * d * 4),
            .init(item: "LSE and D rows (\(stages) x 2 x \(queryRows) fp32)", bytes: stages * 2 * queryRows * 4),
            .init(item: "mbarriers (\(3 + 2 * stages))", bytes: (3 + 2 * stages) * 8),
            .init(item: "alignment slack (1024-byte swizzle atoms)", bytes: 1024),
        ]
        let descending = variant.masks.bands.contains { $0.upper != nil }
        let plan = HopperBackwardPlan(keyRows: keyRows, queryRows: queryRows, stages: stages,
                                      descendingDqOrder: descending, accounts: accounts)
        guard plan.sharedBytes <= budget else {
            return .failure(SpecError(field: "budget", message: "the Hopper key kernel needs \(plan.sharedBytes) bytes "
                                          + "of shared memory, more than the budget of \(budget)"))
        }
        return .success(plan)
    }

    /// Why `variant` keeps the mma.sync key kernel, naming the field; nil when the Hopper one runs it.
    static func unsupportedReason(_ variant: VariantModel) -> SpecError? {
        let name = variant.name
        guard variant.storage != .fp32 else {
            return SpecError(field: "\(name).dtype", message: "the Hopper key kernel takes fp16 or bf16 (wgmma)")
        }
        guard [64, 128].contains(variant.headDim), [64, 128].contains(variant.valueHeadDim) else {
            return SpecError(field: "\(name).headDim", message: "the Hopper key kernel takes head dims of 64 or 128")
        }
        let queryRows = Self.queryRows(headDim: variant.headDim)
        guard queryRows + variant.headDim / 2 + variant.valueHeadDim / 2 <= HopperBackwardPlan.accumulatorRegisterLimit else {
            return SpecError(field: "\(name).valueHeadDim", message: "the Hopper key kernel's accumulators do not fit "
                                 + "at d = \(variant.headDim), dv = \(variant.valueHeadDim)")
        }
        guard variant.scoreModifier.parameters.isEmpty else {
            return SpecError(field: "\(name).scoreModifiers", message: "the Hopper key kernel does not yet sum the "
                                 + "gradient of run-time parameter arrays (\(variant.scoreModifier.parameters.joined(separator: ", ")))")
        }
        // d = 64's 128-query steps hold twice the scores of d = 128's: with a modifier's arithmetic beside them ptxas
        // spilled 16-60 bytes (2026-11-30, sm_90a).
        guard variant.scoreModifier.isEmpty || queryRows == 64 else {
            return SpecError(field: "\(name).scoreModifiers", message: "the Hopper key kernel takes score modifiers at "
                                 + "d = 128 only (registers)")
        }
        guard variant.pageSize == nil else {
            return SpecError(field: "\(name).pagedKV", message: "the backward pass reads no paged cache")
        }
        if let sparse = variant.blockSparse, sparse.blockRows % queryRows != 0 || sparse.blockColumns % keyRows != 0 {
            return SpecError(field: "\(name).masks", message: "the Hopper key kernel's \(keyRows) x \(queryRows) tile "
                                 + "must divide the sparse block (\(sparse.blockRows) x \(sparse.blockColumns))")
        }
        return nil
    }
}
