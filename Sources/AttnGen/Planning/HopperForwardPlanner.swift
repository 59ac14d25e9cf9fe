/// Plans the Hopper family's forward kernel (Templates/hopper/forward.cu) and states what it cannot run, naming the
/// field: 16-bit storage only, head dims of 64 or 128 (the same for Q/K and V), no dropout yet, and sparse blocks
/// the 128 × 128 tile divides. The kernel: a persistent grid (one CTA per SM looping over query tiles), a producer
/// warpgroup (TMA loads of the Q tiles and of a ring of K/V tiles, completing on mbarriers) and two consumer
/// warpgroups of 64 query rows each (S = QKᵀ and O += PV on wgmma).
public struct HopperForwardPlanner: Sendable {
    public var budget: Int

    /// Query rows per CTA (two consumer warpgroups of 64) and keys per K/V tile.
    public static let tileRows = 128
    public static let tileColumns = 128
    /// The shared-memory arrangements, in order of preference: K/V tiles in the TMA ring (the pipelined consumer loop
    /// needs two) and Q tiles (two let the producer load the next work item's Q while the consumers still read the
    /// current one; with one, the producer cannot start the next item before the current item's last S = QKᵀ has
    /// completed). The first that fits the budget is taken: at d = 64 three K/V stages and two Q tiles, at d = 128
    /// (where 3 + 2 needs 256 KB) two and two, which measured 0.5–2 % under three and one at N = 1k and 4k and 7.6 %
    /// over it at N = 16k (TUNING.md, H4).
    public static let stageChoices: [(kv: Int, query: Int)] = [(3, 2), (2, 2), (3, 1), (2, 1)]
    /// Three warpgroups: a producer and two consumers.
    public static let warps = 12
    /// Shared memory the kernel rounds its base up by (128-byte swizzled tiles need 1024-byte alignment).
    public static let alignmentSlack = 1024
    /// The head dims the kernel runs (whole 64-column swizzle atoms, at most two).
    public static let headDims = [64, 128]

    public init(budget: Int) {
        self.budget = budget
    }

    /// The first thing about `variant` this family cannot run, as a SpecError naming the field; nil when it can.
    public static func unsupported(_ variant: VariantModel) -> SpecError? {
        let family = "the hopper family (sm90)"
        if variant.storage == .fp32 {
            return SpecError(field: "dtype", message: "\(family) stores fp16 or bf16, got fp32; use --family mma, or "
                                + "--family auto to fall back to it per variant")
        }
        if !headDims.contains(variant.headDim) {
            return SpecError(field: "headDim", message: "\(family) runs head dims \(headDims), got \(variant.headDim); "
                                + "use --family mma or --family auto")
        }
        if variant.valueHeadDim != variant.headDim {
            return SpecError(field: "valueHeadDim", message: "\(family) needs valueHeadDim = headDim, got "
                                + "\(variant.valueHeadDim); use --family mma or --family auto")
        }
        if variant.dropout != nil {
            return SpecError(field: "dropout", message: "\(family) has no dropout yet; use --family mma or --family auto")
        }
        if variant.pageSize != nil {
            return SpecError(field: "pagedKV", message: "\(family) reads contiguous K and V by TMA; use --family mma or "
                                + "--family auto (the decode kernel reads paged caches)")
        }
        if let sparse = variant.blockSparse {
            let index = variant.spec.masks.firstIndex(of: .blockSparse(sparse)) ?? 0
            for (name, size, tile) in [("blockRows", sparse.blockRows, tileRows), ("blockColumns", sparse.blockColumns, tileColumns)]
            where size % tile != 0 {
                return SpecError(field: "masks[\(index)].blockSparse.\(name)",
                                 message: "must be a multiple of \(tile) for \(family) (its tiles may not straddle "
                                    + "sparse blocks), got \(size); use --family mma or --family auto")
            }
        }
        return nil
    }

    /// The forward plan, or a SpecError naming what the family cannot run or the budget it does not fit.
    public func plan(_ variant: VariantModel) throws(SpecError) -> TilePlan {
        if let problem = Self.unsupported(variant) { throw problem }
        let maximum = Device.sm90.maximumBudget
        guard budget > 0, budget <= maximum else {
            throw SpecError(field: "budget", message: "must be in 1...\(maximum) bytes for sm90 (the shared memory of one "
                                + "thread block), got \(budget)")
        }
        let candidates = Self.stageChoices.map {
            (choice: $0, accounts: Self.account(headDim: variant.headDim, valueHeadDim: variant.valueHeadDim,
                                                stages: $0.kv, queryBuffers: $0.query))
        }
        guard let chosen = candidates.first(where: { $0.accounts.reduce(0) { $0 + $1.bytes } <= budget }) else {
            let least = candidates.map { $0.accounts.reduce(0) { $0 + $1.bytes } }.min()!
            throw SpecError(field: "budget", message: "\(budget) bytes fit no hopper plan for headDim \(variant.headDim); "
                                + "its tiles need \(least) bytes with 2 K/V stages and one Q tile")
        }
        // Each consumer thread holds 64 rows x (Bc + dv) / 128 threads of fp32 accumulators (S and O).
        return TilePlan(target: .hopperSM90, budget: budget, blockRows: Self.tileRows, blockColumns: Self.tileColumns,
                        warps: Self.warps, stages: chosen.choice.kv, accounts: chosen.accounts,
                        accumulatorRegistersPerThread: 64 * (Self.tileColumns + variant.valueHeadDim) / 128,
                        queryBuffers: chosen.choice.query)
    }

    /// The kernel's shared memory: the Q tiles, the K/V ring, their mbarriers, and the alignment slack.
    static func account(headDim d: Int, valueHeadDim dv: Int, stages: Int, queryBuffers: Int) -> [TilePlan.ByteAccount] {
        let barriers = 2 * queryBuffers + 4 * stages
        return [
            .init(item: "Q tiles (\(queryBuffers) × 128 × \(d) × 2 B, 128-byte swizzle)", bytes: queryBuffers * tileRows * d * 2),
            .init(item: "K tiles (\(stages) stages × 128 × \(d) × 2 B)", bytes: stages * tileColumns * d * 2),
            .init(item: "V tiles (\(stages) stages × 128 × \(dv) × 2 B)", bytes: stages * tileColumns * dv * 2),
            .init(item: "mbarriers (full/empty of each Q tile and of K and V per stage: \(barriers) × 8 B)", bytes: barriers * 8),
            .init(item: "alignment slack (1024-byte swizzle atoms)", bytes: alignmentSlack),
        ]
    }
}
