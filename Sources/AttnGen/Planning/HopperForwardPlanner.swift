/// Plans the Hopper family's forward kernel (Templates/hopper/forward.cu) and states what it cannot run, naming the
/// field: 16-bit storage only, head dims (Q/K and V each) in whole 64-column swizzle atoms up to 256, and sparse
/// blocks the tile divides. The kernel: a persistent grid (one CTA per SM looping over query tiles),
/// a producer warpgroup (TMA loads of the Q tiles and of a ring of K/V tiles, completing on mbarriers) and two
/// consumer warpgroups of 64 query rows each (S = QKᵀ and O += PV on wgmma).
///
/// The tile: Br = 128 query rows, and the widest key tile Bc (a multiple of 16, at most 128) whose accumulators fit
/// a consumer thread's registers and whose K/V ring (two stages at least) fits shared memory beside a Q tile; for
/// block-sparse variants Bc must also divide the sparse block's columns. So d = 64 and 128 run 128 × 128, d = 256
/// 128 × 80 (its O alone is 128 registers a thread; 128 × 48 with a sliding window or a predicate), d = dv = 192
/// 128 × 112 (shared memory).
public struct HopperForwardPlanner: Sendable {
    public var budget: Int

    /// Query rows per CTA of two consumer warpgroups of 64 (the M of wgmma); three-consumer plans take 192.
    public static let tileRows = 128
    public static let rowsPerConsumer = 64
    /// The widest key tile, and the step between the candidates (the k16 steps of O += P·V).
    public static let maximumTileColumns = 128
    public static let tileColumnStep = 16
    /// Head dims (Q/K and V) are whole swizzle atoms of 64 16-bit columns (one TMA box each), up to 256.
    public static let headDimAtom = 64
    public static let maximumHeadDim = 256
    /// Registers of a consumer thread (setmaxnreg) and those it keeps besides the accumulators: the loop, the softmax
    /// state, addresses, the mask bounds of its rows. What is left holds S (Bc / 2 fp32), P (Bc / 4 packed 16-bit
    /// pairs) and O (dv / 2 fp32) of its 64 rows at once. Measured with ptxas (nvcc 13.0, no spills allowed), d = 256:
    /// Bc = 80 (188 accumulators) compiles clean without masks and with causal masks; with a sliding window (a row's
    /// lower bound besides its upper one) it spills 88 bytes, with a causal mask and a window 24 bytes at Bc = 64
    /// (176), and a predicate over b and h with GQA and a causal mask 4 bytes at Bc = 64; both compile clean at
    /// Bc = 48 (164). So windows, predicates and dropout (its Philox calls) keep 20 registers more.
    public static let consumerRegisters = 240
    public static let reservedRegisters = 52
    public static let maskRegisters = 20

    /// setmaxnreg of the producer warpgroup and of each consumer thread with `consumerWarpgroups` consumers (the
    /// 64K registers of an SM, one CTA): two consumers 24 and 240 (fp8: 40 for the transposing warps, 232); three
    /// 24 and 160 (128 · (24 + 3 · 160) = 64,512).
    public static func registerSplit(consumerWarpgroups: Int, fp8: Bool) -> (producer: Int, consumer: Int) {
        if consumerWarpgroups == 3 { return (threeConsumerProducerRegisters, threeConsumerRegisters) }
        return fp8 ? (40, fp8ConsumerRegisters) : (24, consumerRegisters)
    }

    /// Three consumer warpgroups (192 query rows, FlashAttention-3's tile at d = 64): a softmax-bound head dim gets a
    /// third warpgroup to issue while two wait (the issue rate of the two-consumer kernel is ~0.35 per scheduler and
    /// cycle, TUNING.md H13), in 160 registers a thread. Taken for 16-bit variants whose head dims are at most
    /// `threeConsumerMaximumHeadDim` and whose accumulators fit with key tiles of at least
    /// `threeConsumerMinimumTileColumns`: for every call when the items are uniform and no mask registers are kept,
    /// else from `longMinimumKeys` keys on (TUNING.md H22).
    public static let threeConsumerProducerRegisters = 24
    public static let threeConsumerRegisters = 160
    public static let threeConsumerReservedRegisters = 32
    public static let threeConsumerMaximumHeadDim = 64
    public static let threeConsumerMinimumTileColumns = 96

    /// The accumulator registers `variant`'s consumer threads may hold with `consumerWarpgroups` consumers.
    public static func accumulatorRegisterLimit(_ variant: VariantModel, consumerWarpgroups: Int = 2) -> Int {
        let extra = keepsMaskRegisters(variant)
        let registers = registerSplit(consumerWarpgroups: consumerWarpgroups, fp8: variant.inputStorage == .e4m3).consumer
        let reserved = consumerWarpgroups == 3 ? threeConsumerReservedRegisters : reservedRegisters
        return registers - reserved - (extra ? maskRegisters : 0)
    }

    /// Whether `variant`'s consumers keep `maskRegisters` for a window's lower bounds, predicates, dropout's Philox
    /// calls or score modifiers.
    static func keepsMaskRegisters(_ variant: VariantModel) -> Bool {
        variant.masks.bands.contains { $0.lower != nil } || variant.masks.hasPredicates || variant.dropout != nil
            || !variant.scoreModifier.isEmpty
    }

    /// Whether `variant` may run with three consumer warpgroups (before its key tile is chosen): 16-bit inputs, head
    /// dims up to `threeConsumerMaximumHeadDim`, sparse blocks (if any) whose rows are whole 192-row tiles, no
    /// window's lower bound (with it, a 96-key tile spilled 36 bytes) and no dropout (measured 12–16 % slower at
    /// N ≤ 1k and no faster at 4k–16k on three consumers with 96-key tiles); and unless `longKeys`, none of the mask
    /// registers: predicates and score modifiers take three consumers only from `longMinimumKeys` keys on (a
    /// predicate +19–25 % there, a soft cap +2–8 %; at N ≤ 1k 6–13 % slower; TUNING.md H22).
    static func takesThreeConsumers(_ variant: VariantModel, longKeys: Bool = false) -> Bool {
        variant.inputStorage == nil && variant.headDim <= threeConsumerMaximumHeadDim
            && variant.valueHeadDim <= threeConsumerMaximumHeadDim
            && !variant.masks.bands.contains { $0.lower != nil } && variant.dropout == nil
            && (longKeys || !keepsMaskRegisters(variant))
            && (variant.blockSparse.map { $0.blockRows % (3 * rowsPerConsumer) == 0 } ?? true)
    }

    /// The shared-memory arrangements, in order of preference: K/V tiles in the TMA ring (the pipelined consumer loop
    /// needs two) and Q tiles (two let the producer load the next work item's Q while the consumers still read the
    /// current one; with one, the producer cannot start the next item before the current item's last S = QKᵀ has
    /// completed). For each Bc from the widest, the first that fits the budget is taken: at d = 64 three K/V stages
    /// and two Q tiles, at d = 128 (where 3 + 2 needs 256 KB) two and two, which measured 0.5–2 % under three and one
    /// at N = 1k and 4k and 7.6 % over it at N = 16k (TUNING.md, H4); at d = 256 two and one.
    public static let stageChoices: [(kv: Int, query: Int)] = [(3, 2), (2, 2), (3, 1), (2, 1)]
    /// Warps of a two-consumer CTA: a producer warpgroup and two consumers (three consumers: 16).
    public static let warps = 12
    /// Shared memory the kernel rounds its base up by (128-byte swizzled tiles need 1024-byte alignment).
    public static let alignmentSlack = 1024

    public init(budget: Int) {
        self.budget = budget
    }

    /// Whether the family takes `headDim` (for Q/K, or for V).
    public static func runs(headDim: Int) -> Bool {
        headDim > 0 && headDim % headDimAtom == 0 && headDim <= maximumHeadDim
    }

    /// fp32 accumulator registers (S, P and O) a consumer thread holds with key tiles of `tileColumns` (P in e4m3
    /// with fp8 inputs: 4 to a register).
    public static func accumulatorRegisters(tileColumns: Int, valueHeadDim: Int, fp8: Bool = false) -> Int {
        tileColumns / 2 + tileColumns / (fp8 ? 8 : 4) + valueHeadDim / 2
    }

    /// fp8 inputs (README.md, "fp8 inputs"): key tiles of 128 or 64 (a row of the transposed V tile, 128- or
    /// 64-byte swizzled), head dims of whole 128-byte swizzle atoms with dv = d, and the consumers' registers after
    /// the producer warpgroup's transposing warps take theirs (setmaxnreg 232 and 40): d = 128 runs 128 × 128,
    /// d = 256 128 × 64 (its O is 128 registers a thread) without windows, predicates or dropout.
    public static let fp8TileColumns = [128, 64]
    public static let fp8HeadDims = [128, 256]
    public static let fp8ConsumerRegisters = 232

    /// The first thing about `variant` this family cannot run under the default budget, as a SpecError naming the
    /// field; nil when it can.
    public static func unsupported(_ variant: VariantModel) -> SpecError? {
        do {
            _ = try HopperForwardPlanner(budget: Device.sm90.maximumBudget).plan(variant)
            return nil
        } catch {
            return error
        }
    }

    /// What the family cannot run whatever the budget.
    static func unsupportedFields(_ variant: VariantModel) -> SpecError? {
        let family = "the hopper family (sm90)"
        if variant.storage == .fp32 {
            return SpecError(field: "dtype", message: "\(family) stores fp16 or bf16, got fp32; use --family mma, or "
                                + "--family auto to fall back to it per variant")
        }
        for (field, dim) in [("headDim", variant.headDim), ("valueHeadDim", variant.valueHeadDim)] where !runs(headDim: dim) {
            return SpecError(field: field, message: "\(family) runs head dims that are multiples of \(headDimAtom) up to "
                                + "\(maximumHeadDim), got \(dim); use --family mma or --family auto")
        }
        if variant.pageSize != nil {
            return SpecError(field: "pagedKV", message: "\(family) reads contiguous K and V by TMA; use --family mma or "
                                + "--family auto (the decode kernel reads paged caches)")
        }
        if variant.inputStorage == .e4m3 {
            let dims = fp8HeadDims.map(String.init).joined(separator: ", ")
            if !fp8HeadDims.contains(variant.headDim) || variant.valueHeadDim != variant.headDim {
                return SpecError(field: "inputDtype", message: "\(family) runs e4m3 inputs at headDim = valueHeadDim in "
                                    + "{\(dims)} so far, got \(variant.headDim) and \(variant.valueHeadDim); the C "
                                    + "backend runs every head dim")
            }
            let smallest = fp8TileColumns.min() ?? 0
            if accumulatorRegisters(tileColumns: smallest, valueHeadDim: variant.valueHeadDim, fp8: true)
                > accumulatorRegisterLimit(variant) {
                return SpecError(field: "inputDtype", message: "\(family) runs e4m3 inputs at headDim \(variant.headDim) "
                                    + "without windows, predicates, dropout or score modifiers so far (their registers "
                                    + "do not fit beside O's); the C backend runs them")
            }
        }
        if let sparse = variant.blockSparse, sparse.blockRows % tileRows != 0 {
            return SpecError(field: "\(sparseField(variant)).blockRows",
                             message: "must be a multiple of \(tileRows) for \(family) (its tiles may not straddle "
                                + "sparse blocks), got \(sparse.blockRows); use --family mma or --family auto")
        }
        return nil
    }

    private static func sparseField(_ variant: VariantModel) -> String {
        guard let sparse = variant.blockSparse else { return "masks" }
        return "masks[\(variant.spec.masks.firstIndex(of: .blockSparse(sparse)) ?? 0)].blockSparse"
    }

    /// The key-tile widths to try, widest first: multiples of 16 up to `maximum` whose accumulators fit the registers
    /// and, for block-sparse variants, that divide the sparse block's columns.
    static func tileColumnCandidates(_ variant: VariantModel, upTo maximum: Int = maximumTileColumns,
                                     consumerWarpgroups: Int = 2) -> [Int] {
        let fp8 = variant.inputStorage == .e4m3
        return stride(from: maximum, through: tileColumnStep, by: -tileColumnStep).filter { columns in
            (!fp8 || fp8TileColumns.contains(columns))
                && accumulatorRegisters(tileColumns: columns, valueHeadDim: variant.valueHeadDim, fp8: fp8)
                <= accumulatorRegisterLimit(variant, consumerWarpgroups: consumerWarpgroups)
                && (variant.blockSparse.map { $0.blockColumns % columns == 0 } ?? true)
        }
    }

    /// The long-range kernel, which the launcher runs for calls with at least `longMinimumKeys` keys. Variants
    /// without masks or dropout: key tiles up to 192. Measured on the H200 (TUNING.md H8, one call against the
    /// 128-key tile): d = 64 with 192 keys and d = 128 with 160 gained 6–8 % at N = 16k, 0–2 % at 2k–4k, and lost
    /// 2–5 % at N = 1k (the last tile's padding: 1024 keys are 5.3 tiles of 192) and under causal masks; so one
    /// kernel of each width, chosen by the launcher from the key count. Causal d = 64: three consumers, which gained
    /// 5–13 % from 4k keys on and lost 8–28 % at N = 512–2k (TUNING.md H22).
    public static let maximumWideTileColumns = 192
    public static let longMinimumKeys = 4096

    /// Whether every work item of `variant` visits the same key tiles: no causal, window or block-sparse mask
    /// limits them (the persistent kernel otherwise orders its items longest first).
    public static func hasUniformItems(_ variant: VariantModel) -> Bool {
        variant.masks.ranges.isEmpty && variant.masks.blockSparse == nil
    }

    /// The long-range kernel's plan for `variant`, whose plan for every call is `short`: nil when `short` has three
    /// consumers (192 x 128 measured 13–15 % over two consumers' 128 x 192 at d = 64 from 4k keys on, TUNING.md H22);
    /// three consumers when `variant` takes them from long key ranges on (causal d = 64, predicates and score
    /// modifiers at d = 64); else, for variants without masks or dropout, the widest key tile above `short`'s (a
    /// multiple of 16 up to 192) whose accumulators fit the registers and whose ring fits the budget; nil otherwise
    /// (masks or dropout, d = 256, d = 192).
    public func longPlan(_ variant: VariantModel, narrow short: TilePlan) -> TilePlan? {
        if short.consumerWarpgroups == 3 { return nil }
        if let three = threeConsumerPlan(variant, longKeys: true) { return three }
        guard Self.hasUniformItems(variant), !variant.masks.hasPredicates, variant.dropout == nil,
              variant.scoreModifier.isEmpty, variant.inputStorage == nil else { return nil }
        for columns in Self.tileColumnCandidates(variant, upTo: Self.maximumWideTileColumns)
        where columns > short.blockColumns {
            if let plan = fitting(variant, columns: columns) { return plan }
        }
        return nil
    }

    /// The three-consumer plan of `variant` (the widest key tile of at least `threeConsumerMinimumTileColumns` that
    /// fits), or nil when it does not take three consumers (on long key ranges with `longKeys`) or none fits the
    /// budget.
    func threeConsumerPlan(_ variant: VariantModel, longKeys: Bool = false) -> TilePlan? {
        guard Self.takesThreeConsumers(variant, longKeys: longKeys) else { return nil }
        for columns in Self.tileColumnCandidates(variant, consumerWarpgroups: 3)
        where columns >= Self.threeConsumerMinimumTileColumns {
            if let plan = fitting(variant, columns: columns, consumerWarpgroups: 3) { return plan }
        }
        return nil
    }

    /// The plan with key tiles of `columns` in the first stage arrangement that fits the budget, or nil.
    func fitting(_ variant: VariantModel, columns: Int, consumerWarpgroups: Int = 2) -> TilePlan? {
        let rows = consumerWarpgroups * Self.rowsPerConsumer
        for choice in Self.stageChoices {
            let accounts = Self.account(headDim: variant.headDim, valueHeadDim: variant.valueHeadDim,
                                        tileColumns: columns, stages: choice.kv, queryBuffers: choice.query,
                                        inputBytes: variant.inputBytes, tileRows: rows)
            guard accounts.reduce(0, { $0 + $1.bytes }) <= budget else { continue }
            return TilePlan(target: .hopperSM90, budget: budget, blockRows: rows, blockColumns: columns,
                            warps: 4 * (1 + consumerWarpgroups), stages: choice.kv, accounts: accounts,
                            accumulatorRegistersPerThread: Self.accumulatorRegisters(
                                tileColumns: columns, valueHeadDim: variant.valueHeadDim,
                                fp8: variant.inputStorage == .e4m3),
                            queryBuffers: choice.query)
        }
        return nil
    }

    /// The forward plan, or a SpecError naming what the family cannot run or the budget it does not fit.
    public func plan(_ variant: VariantModel) throws(SpecError) -> TilePlan {
        if let problem = Self.unsupportedFields(variant) { throw problem }
        let maximum = Device.sm90.maximumBudget
        guard budget > 0, budget <= maximum else {
            throw SpecError(field: "budget", message: "must be in 1...\(maximum) bytes for sm90 (the shared memory of one "
                                + "thread block), got \(budget)")
        }
        let widths = Self.tileColumnCandidates(variant)
        if widths.isEmpty, let sparse = variant.blockSparse {
            throw SpecError(field: "\(Self.sparseField(variant)).blockColumns",
                            message: "must be a multiple of 16 for the hopper family (sm90) (its key tiles may not "
                                + "straddle sparse blocks), got \(sparse.blockColumns); use --family mma or --family auto")
        }
        // Three consumers for every call where the items are uniform (d = 64 without masks: +5–12 % at N = 512–2k,
        // TUNING.md H22); causal d = 64 takes them only from longMinimumKeys keys on (longPlan).
        if Self.hasUniformItems(variant), let three = threeConsumerPlan(variant) { return three }
        for columns in widths {
            if let plan = fitting(variant, columns: columns) { return plan }
        }
        // Bytes grow with the width, the stages and the Q tiles: the narrowest width's smallest arrangement.
        let least = widths.last.map { columns in
            Self.stageChoices.map { choice in
                Self.account(headDim: variant.headDim, valueHeadDim: variant.valueHeadDim, tileColumns: columns,
                             stages: choice.kv, queryBuffers: choice.query,
                             inputBytes: variant.inputBytes).reduce(0) { $0 + $1.bytes }
            }.min() ?? 0
        } ?? 0
        throw SpecError(field: "budget", message: "\(budget) bytes fit no hopper plan for headDim \(variant.headDim)"
                            + (variant.valueHeadDim == variant.headDim ? "" : ", valueHeadDim \(variant.valueHeadDim)")
                            + "; its tiles need at least \(least) bytes (2 K/V stages of \(widths.last ?? 0) keys and "
                            + "one Q tile)")
    }

    /// The kernel's shared memory: the Q tiles, the K/V ring (and with fp8 inputs the transposed V tiles), their
    /// mbarriers, and the alignment slack.
    static func account(headDim d: Int, valueHeadDim dv: Int, tileColumns bc: Int, stages: Int,
                        queryBuffers: Int, inputBytes e: Int = 2, tileRows: Int = tileRows) -> [TilePlan.ByteAccount] {
        let fp8 = e == 1
        let barriers = 2 * queryBuffers + (fp8 ? 6 : 4) * stages
        var accounts: [TilePlan.ByteAccount] = [
            .init(item: "Q tiles (\(queryBuffers) × \(tileRows) × \(d) × \(e) B, 128-byte swizzle)",
                  bytes: queryBuffers * tileRows * d * e),
            .init(item: "K tiles (\(stages) stages × \(bc) × \(d) × \(e) B)", bytes: stages * bc * d * e),
            .init(item: "V tiles (\(stages) stages × \(bc) × \(dv) × \(e) B)", bytes: stages * bc * dv * e),
        ]
        if fp8 {
            accounts.append(.init(item: "transposed V tiles (\(stages) stages × \(dv) × \(bc) × 1 B, fp8)",
                                  bytes: stages * bc * dv))
        }
        let barrierText = fp8 ? "and of K, V and transposed V per stage" : "and of K and V per stage"
        return accounts + [
            .init(item: "mbarriers (full/empty of each Q tile \(barrierText): \(barriers) × 8 B)", bytes: barriers * 8),
            .init(item: "alignment slack (1024-byte swizzle atoms)", bytes: alignmentSlack),
        ]
    }
}
