/// The Hopper family's key kernel of the backward pass (Templates/hopper/pieces/backward_key_kernel.cu): dK, dV and
/// dQ's shares on wgmma, with TMA loads from a producer warpgroup and dQ added by bulk tensor reductions into the
/// fp32 accumulator (in key-tile order in the deterministic mode). It replaces the mma.sync key kernel of the
/// variant's backward pass where its launcher can address the tensors by TMA, and then the deterministic mode's
/// dQ kernel too; the pre-pass and the finish stay those of `MMABackwardPlan`.
///
/// Shape: one CTA per 128 keys (two consumer warpgroups of 64 keys, the M of every wgmma but dQ's), steps of
/// `queryRows` query rows: 128 at d = 64 and 64 at d = 128, so that each consumer's share of dQ = dS·K is one
/// 64 x 64 block, and Sᵀ, dPᵀ (queryRows / 2 fp32 each) with dK and dV (d / 2 and dv / 2) stay within
/// `accumulatorRegisterLimit` of a consumer thread's 232 registers. At d = dv = 256 and d = 192 / dv = 128
/// (`consumersSplitColumns`) one CTA per 64 keys that both consumers own, splitting the columns of dK, dV and dQ's
/// share (`splitHeadColumns`, `splitValueColumns`: consumer 0's), consumer 0 forming Sᵀ and P, consumer 1 dPᵀ and
/// dS (P and dS crossing in shared memory), steps of 64 query rows; one buffer of Q and dO at 256 (the 64 KB fp32
/// dQ tile leaves no room for a second), two at 192.
public struct HopperBackwardPlan: Sendable, Hashable {
    /// Keys per CTA.
    public var keyRows: Int
    /// Query rows per step (the N of Sᵀ = K·Qᵀ).
    public var queryRows: Int
    /// Buffers of Q, dO, LSE and D.
    public var stages: Int
    /// Both consumers own the tile's keys and split dK's, dV's and dQ's columns (head dims past 128); else each owns
    /// 64 keys and every column.
    public var consumersSplitColumns: Bool = false
    /// With split columns, consumer 0's columns of dK (and of dQ's share) and of dV; consumer 1 takes the rest.
    public var splitHeadColumns: Int = 0
    public var splitValueColumns: Int = 0
    /// The order of the key tiles adding into a query tile's dQ in the deterministic mode, and the walk it follows.
    public enum DqOrder: Sendable, Hashable {
        /// Where the masks bound the keys from above (causal, windows): from the highest key tile down. A key tile's
        /// first work item is the diagonal one, which the tiles above it reach first, so that each waits for nobody
        /// in the steady state; the launch numbers the key tiles the same way, so that a block only waits for blocks
        /// started before it.
        case descending
        /// Otherwise, in the deterministic mode: key tile t walks a head's query tiles from its own start on
        /// (t · max(1, query tiles / key tiles), modulo their count), so that at each step the key tiles reduce into
        /// different query tiles, and a query tile takes them in the order they reach it. Ascending key tiles instead chain each tile's reductions behind the one below (a
        /// lag per key tile, TUNING.md B4 and B12). Key tile t then waits for t + 1, which must be resident: the
        /// launcher staggers only where a (batch, head)'s key tiles take at most 1 / `staggerSMDivisor` of the SMs,
        /// else it keeps the ascending order. Fast mode walks in order.
        case staggered
    }
    public var dqOrder: DqOrder
    /// The staggered walk runs where key tiles · staggerSMDivisor ≤ SMs: 2 where a head has as many query tiles as
    /// key tiles (d = 64's 128 x 128 and d = 256's 64 x 64 steps: +7 % and +9 % over the ascending order at 64 key
    /// tiles), 4 where it has twice as many (d = 128's 64-row steps lost 5–9 % there: the first tiles of a head that
    /// straddles a wave of blocks wait for the rest to start; TUNING.md B12).
    public var staggerSMDivisor: Int { queryRows == keyRows ? 2 : 4 }
    /// What occupies shared memory, item by item (the 1024 bytes of alignment slack included).
    public var accounts: [TilePlan.ByteAccount]

    public var sharedBytes: Int { accounts.reduce(0) { $0 + $1.bytes } }

    /// Sᵀ and dPᵀ (queryRows / 2 fp32 each) and a consumer's dK, dV columns (headDim / 2, valueHeadDim / 2, halved
    /// when the consumers split them) live at once in a consumer thread: at most this many of its 232 registers, the
    /// rest for addresses, fragments and the masks.
    public static let accumulatorRegisterLimit = 192

    var summary: KernelSummary {
        KernelSummary(kernel: "backward key kernel, Hopper (wgmma, TMA; dQ by bulk reduce-add, in key-tile order when deterministic)",
                      shape: ["tile     \(keyRows) keys per CTA x \(queryRows) query rows per step "
                              + "(\(stages) buffers)",
                              "warps    12 (384 threads): a producer warpgroup, 2 consumer warpgroups "
                              + (consumersSplitColumns ? "sharing the 64 keys (consumer 0: Sᵀ, P and dK columns "
                                     + "0..<\(splitHeadColumns), dV 0..<\(splitValueColumns); consumer 1: dPᵀ, dS and "
                                     + "the rest)"
                                                       : "of 64 keys"),
                              "dQ order " + (dqOrder == .descending ? "descending key tiles (deterministic mode)"
                                  : "staggered walks in the deterministic mode (ascending key tiles past SMs / "
                                    + "\(staggerSMDivisor))")],
                      accounts: accounts)
    }
}

/// Plans the Hopper key kernel of a variant, or says why it does not run it (the variant then keeps the mma.sync key
/// kernel: the reason names the field).
public enum HopperBackwardPlanner {
    /// The tile of head dims (d, dv): keys per CTA, query rows per step, buffers, and whether the consumers split the
    /// columns (and consumer 0's columns of dK and dV). d = 64: 128 query rows, so that each consumer's share of
    /// dQ = dS·K is one 64 x 64 block; d = 128: 64; d = dv = 256 and d = 192 with dv = 128: 64 keys per CTA that
    /// both consumers own (their dK and dV would not fit one's registers), split in whole 64-column blocks of at most
    /// 128 (the N of the wgmma products): 128 + 128 and 128 + 128 at 256, 128 + 64 and 64 + 64 at 192 / 128; one
    /// buffer of Q and dO at 256 (the 64 KB dQ tile leaves no room for a second), two at 192.
    struct Tile {
        var keyRows: Int, queryRows: Int, stages: Int, consumersSplitColumns: Bool
        var splitHeadColumns = 0, splitValueColumns = 0
    }

    /// The tile at head dims (d, dv), nil where the kernel has none.
    static func tile(headDim d: Int, valueHeadDim dv: Int) -> Tile? {
        if [64, 128].contains(d) && [64, 128].contains(dv) {
            return Tile(keyRows: 128, queryRows: d == 64 ? 128 : 64, stages: 2, consumersSplitColumns: false)
        }
        if d == 256 && dv == 256 {
            return Tile(keyRows: 64, queryRows: 64, stages: 1, consumersSplitColumns: true, splitHeadColumns: 128,
                        splitValueColumns: 128)
        }
        if d == 192 && dv == 128 {
            return Tile(keyRows: 64, queryRows: 64, stages: 2, consumersSplitColumns: true, splitHeadColumns: 128,
                        splitValueColumns: 64)
        }
        return nil
    }

    /// The plan, or the reason the variant keeps the mma.sync key kernel.
    public static func plan(_ variant: VariantModel, budget: Int) -> Result<HopperBackwardPlan, SpecError> {
        if let reason = unsupportedReason(variant) { return .failure(reason) }
        let d = variant.headDim, dv = variant.valueHeadDim
        guard let tile = tile(headDim: d, valueHeadDim: dv) else {
            return .failure(SpecError(field: "\(variant.name).headDim", message: "the Hopper key kernel has no tile "
                                          + "at d = \(d), dv = \(dv)"))
        }
        let keyRows = tile.keyRows, queryRows = tile.queryRows, stages = tile.stages
        var accounts: [TilePlan.ByteAccount] = [
            .init(item: "K tile (\(keyRows) x \(d), bf16/fp16)", bytes: keyRows * d * 2),
            .init(item: "V tile (\(keyRows) x \(dv))", bytes: keyRows * dv * 2),
            .init(item: "Q tiles (\(stages) x \(queryRows) x \(d))", bytes: stages * queryRows * d * 2),
            .init(item: "dO tiles (\(stages) x \(queryRows) x \(dv))", bytes: stages * queryRows * dv * 2),
            .init(item: "dS tiles (2 x \(keyRows) x \(queryRows))", bytes: 2 * keyRows * queryRows * 2),
            .init(item: "dQ tile (\(queryRows) x \(d) fp32, for the bulk reduce-add)", bytes: queryRows * d * 4),
        ]
        if tile.consumersSplitColumns {
            accounts.append(.init(item: "Pᵀ exchange (\(keyRows) x \(queryRows) fp32, consumer 0 to 1)",
                                  bytes: keyRows * queryRows * 4))
        }
        accounts += [
            .init(item: "LSE and D rows (\(stages) x 2 x \(queryRows) fp32)", bytes: stages * 2 * queryRows * 4),
            .init(item: "mbarriers (\(3 + 2 * stages))", bytes: (3 + 2 * stages) * 8),
            .init(item: "alignment slack (1024-byte swizzle atoms)", bytes: 1024),
        ]
        let dqOrder: HopperBackwardPlan.DqOrder = variant.masks.bands.contains { $0.upper != nil } ? .descending
            : .staggered
        let plan = HopperBackwardPlan(keyRows: keyRows, queryRows: queryRows, stages: stages,
                                      consumersSplitColumns: tile.consumersSplitColumns,
                                      splitHeadColumns: tile.splitHeadColumns,
                                      splitValueColumns: tile.splitValueColumns,
                                      dqOrder: dqOrder, accounts: accounts)
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
        guard let tile = tile(headDim: variant.headDim, valueHeadDim: variant.valueHeadDim) else {
            return SpecError(field: "\(name).headDim", message: "the Hopper key kernel takes head dims of 64 or 128 "
                                 + "(d and dv), d = dv = 256 or d = 192 with dv = 128")
        }
        let queryRows = tile.queryRows, keyRows = tile.keyRows
        let d = variant.headDim, dv = variant.valueHeadDim
        // A consumer's columns of dK and dV (fp32 over a warpgroup: half a register per column and key row pair).
        let shares = tile.consumersSplitColumns
            ? [tile.splitHeadColumns + tile.splitValueColumns, d - tile.splitHeadColumns + dv - tile.splitValueColumns]
            : [d + dv]
        guard queryRows + (shares.max() ?? 0) / 2 <= HopperBackwardPlan.accumulatorRegisterLimit else {
            return SpecError(field: "\(name).valueHeadDim", message: "the Hopper key kernel's accumulators do not fit "
                                 + "at d = \(variant.headDim), dv = \(variant.valueHeadDim)")
        }
        guard variant.scoreModifier.parameters.isEmpty else {
            return SpecError(field: "\(name).scoreModifiers", message: "the Hopper key kernel does not yet sum the "
                                 + "gradient of run-time parameter arrays (\(variant.scoreModifier.parameters.joined(separator: ", ")))")
        }
        // d = 64's 128-query steps hold twice the scores of d = 128's: with a modifier's arithmetic beside them ptxas
        // spilled 16-60 bytes (2026-11-30, sm_90a); at d = 256 a consumer's 64 x 128 dQ share did too (ALiBi: 12-32
        // bytes, 2026-12-01).
        guard variant.scoreModifier.isEmpty || (queryRows == 64 && !tile.consumersSplitColumns) else {
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
