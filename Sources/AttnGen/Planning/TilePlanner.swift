/// Chooses Br × Bc (and, for CUDA, warps and pipeline stages) for a spec, a target and an on-chip budget.
///
/// The starting point is FlashAttention's Algorithm 1: with M elements of on-chip memory,
/// Bc = ⌈M / 4d⌉ and Br = min(Bc, d). The planner rounds those down to the target's granularity and
/// maximum tile, then shrinks them (Bc first, as it costs more bytes per step) until the explicit byte
/// account fits the budget and, on CUDA, the accumulators fit the register file. Block-sparse specs
/// additionally need tiles that divide the sparse block, so that a tile never straddles two blocks.
public struct TilePlanner: Sendable {
    public var target: Target
    public var budget: Int

    /// A planner for `target` with `budget` bytes of on-chip memory (the target's default when nil).
    public init(target: Target, budget: Int? = nil) {
        self.target = target
        self.budget = budget ?? target.defaultBudget
    }

    /// The most fp32 accumulator registers per thread a CUDA plan may use (of 255): what 32-row warps
    /// reach (`wideAccumulatorLimit`), leaving about 60 registers for addresses, fragments of Q/K/V and
    /// softmax state.
    public static let accumulatorRegisterLimit = wideAccumulatorLimit

    /// The accumulator limit for warps of 16 rows.
    public static let narrowAccumulatorRegisterLimit = 160

    /// Query rows of a tile made of 32-row warps.
    static let wideTileRows = 128

    /// Whether CUDA tiles of 128 rows use 32-row warps (two m16 fragments per warp that share every K and
    /// V fragment read from shared memory, halving ldmatrix traffic per mma): fp16/bf16 with head dims up
    /// to 128. Larger head dims (and tf32's wider operand registers) leave too few registers beside the
    /// accumulators (ptxas spills).
    /// A score modifier beside dropout (a per-element expression and the Philox words) spilled with 32-row warps
    /// at every key tile (sm_90a, d = 64: 24 bytes at Bc = 64); 16-row warps hold half the accumulators.
    static func usesWideWarps(_ spec: AttentionSpec) -> Bool {
        spec.storage != .fp32 && spec.headDim <= 128 && spec.valueHeadDim <= 128
            && (spec.scoreModifiers.isEmpty || spec.dropout == nil)
    }

    /// Accumulators per thread for 32-row warps: O (dv) plus S (Bc) = 192, so Bc = 128 at d = 64 and
    /// Bc = 64 at d = 128 (FlashAttention-2's tiles). Measured on an H200 (bf16, N = 4096, benchmarks/gpu/TUNING.md):
    /// d = 64 128 x 128 ran 1.18x the 128 x 64 tile; d = 128 128 x 64 with 4 warps ran 1.25x the 128 x 128
    /// tile of 8 16-row warps.
    static let wideAccumulatorLimit = 192

    /// Accumulators a 32-row warp may hold for `spec`: mask code that stays live through the key loop takes
    /// registers from them. A block-sparse lookup on top of a causal or window mask spills at 192 (ptxas,
    /// sm_80 and sm_90a) and keeps 16 fewer; a per-element predicate (an arbitrary expression of b, h, q, k
    /// per element) spilled at 176 on sm_80 and keeps 32 fewer, and so does a score modifier. The costs add up. (Dropout fits at 192 on
    /// both targets, see CUDAEmitter.dropoutSource.)
    static func wideAccumulatorLimit(for variant: VariantModel) -> Int {
        let predicate = variant.masks.hasPredicates, sparse = variant.blockSparse != nil
        let diagonal = !variant.masks.ranges.isEmpty
        var cost = 0
        if predicate { cost += 32 }
        if !variant.scoreModifier.isEmpty {
            // An expression of s, b, h, q, k per element, like a predicate.
            cost += 32
        }
        if sparse && diagonal { cost += 16 }
        return wideAccumulatorLimit - cost
    }

    /// Validates and lowers the spec, then chooses a plan, or throws with the field and the limit.
    public func plan(_ spec: AttentionSpec) throws(SpecError) -> TilePlan {
        try plan(VariantModel(lowering: spec))
    }

    /// Chooses the forward plan of a lowered variant, or throws with the field and the limit.
    public func plan(_ variant: VariantModel) throws(SpecError) -> TilePlan {
        if target.family == .hopper {
            return try HopperForwardPlanner(budget: budget).plan(variant)
        }
        let spec = variant.spec
        let maximum = target.device.maximumBudget
        guard budget > 0, budget <= maximum else {
            throw SpecError(field: "budget", message: "must be in 1...\(maximum) bytes for \(target.rawValue)"
                                + (target.isCUDA ? " (the shared memory of one thread block)" : "") + ", got \(budget)")
        }
        let (rowStep, columnStep) = target.tileGranularity
        var rowChoices = candidateSizes(step: rowStep, limit: target.maximumTile.rows)
        var columnChoices = candidateSizes(step: columnStep, limit: target.maximumTile.columns)
        if let layout = variant.blockSparse {
            let index = spec.masks.firstIndex(of: .blockSparse(layout)) ?? 0
            rowChoices = try dividing(layout.blockRows, choices: rowChoices, step: rowStep,
                                      field: "masks[\(index)].blockSparse.blockRows")
            columnChoices = try dividing(layout.blockColumns, choices: columnChoices, step: columnStep,
                                         field: "masks[\(index)].blockSparse.blockColumns")
        }

        // FlashAttention's rule, in elements of the working type.
        let elements = budget / workingElementBytes(spec)
        let ruleColumns = (elements + 4 * spec.headDim - 1) / (4 * spec.headDim)
        var ruleRows = target.isCUDA ? min(ruleColumns, spec.headDim) : Self.cRows(rule: min(ruleColumns, spec.headDim))
        if target.isCUDA && spec.storage != .fp32 {
            // FlashAttention-2's 128-row tiles beat the rule's Br on the GPU: 32-row warps for small head dims
            // (H200, d = 64 bf16: 128 x 64 ran 1.2x faster than 64 x 128), eight 16-row warps above 128 (H200,
            // d = 256 bf16: 128 x 64 ran 1.33-1.43x the rule's 80 x 64 of five warps, TUNING.md #8).
            ruleRows = max(ruleRows, Self.wideTileRows)
        }

        // Largest candidates not above the rule, then shrink until the account fits.
        var rowIndex = rowChoices.lastIndex(where: { $0 <= ruleRows }) ?? 0
        let columnLimit = target.isCUDA ? ruleColumns : min(ruleColumns, Self.cColumns(rows: rowChoices[rowIndex]))
        var columnIndex = columnChoices.lastIndex(where: { $0 <= columnLimit }) ?? 0
        if target.isCUDA && Self.usesWideWarps(spec) && rowChoices[rowIndex] >= Self.wideTileRows {
            // 32-row warps hold 32 · (dv + Bc) / 32 accumulators per thread: start from the widest Bc that fits.
            let paddedValueDim = (spec.valueHeadDim + 15) / 16 * 16
            while columnIndex > 0 && paddedValueDim + columnChoices[columnIndex] > Self.wideAccumulatorLimit(for: variant) {
                columnIndex -= 1
            }
        }
        while true {
            let rows = rowChoices[rowIndex], columns = columnChoices[columnIndex]
            if let plan = fittingPlan(variant, rows: rows, columns: columns) {
                return plan
            }
            // Accumulators per thread depend on Bc (and the warp's rows), not on Br: when they are what does
            // not fit, fewer rows would only cost warps (d = 256 went to 80 x 64, 5 warps, where 112 x 64 fits).
            let registersFit = !target.isCUDA || accumulatorsFit(variant, rows: rows, columns: columns)
            if columnIndex > 0 && (columns >= rows || rowIndex == 0 || !registersFit) {
                columnIndex -= 1
            } else if rowIndex > 0 {
                rowIndex -= 1
            } else {
                let smallest = account(spec, rows: rows, columns: columns, warps: minimumWarps(rows: rows), stages: 1)
                let needed = smallest.reduce(0) { $0 + $1.bytes }
                throw SpecError(
                    field: "budget",
                    message: "\(budget) bytes fit no \(target.rawValue) tile plan for headDim \(spec.headDim), "
                        + "valueHeadDim \(spec.valueHeadDim), \(spec.storage.rawValue); the smallest plan "
                        + "(Br=\(rows), Bc=\(columns)) needs \(needed) bytes")
            }
        }
    }

    /// Whether the fp32 accumulators of a CUDA `rows` × `columns` tile fit the register limit of its warps.
    private func accumulatorsFit(_ variant: VariantModel, rows: Int, columns: Int) -> Bool {
        let spec = variant.spec
        let paddedValueDim = (spec.valueHeadDim + 15) / 16 * 16
        let wide = rows >= Self.wideTileRows && Self.usesWideWarps(spec)
        let rowsPerWarp = wide ? 32 : 16
        let limit = wide ? Self.wideAccumulatorLimit(for: variant) : Self.narrowAccumulatorRegisterLimit
        return rowsPerWarp * (paddedValueDim + columns) / 32 <= limit
    }

    /// The plan for exactly `rows` × `columns`, with the most stages that fit, or nil if none fits.
    private func fittingPlan(_ variant: VariantModel, rows: Int, columns: Int) -> TilePlan? {
        let spec = variant.spec
        guard target.isCUDA else {
            let items = account(spec, rows: rows, columns: columns, warps: 1, stages: 1)
            guard items.reduce(0, { $0 + $1.bytes }) <= budget else { return nil }
            return TilePlan(target: target, budget: budget, blockRows: rows, blockColumns: columns,
                            warps: 1, stages: 1, accounts: items, accumulatorRegistersPerThread: 0)
        }
        // Warps own 16 query rows, or 32 (two m16 fragments that share every K/V fragment read from shared
        // memory: half the ldmatrix traffic per mma) in 128-row tiles of the specs `usesWideWarps` admits.
        let paddedValueDim = (spec.valueHeadDim + 15) / 16 * 16
        let wide = rows >= Self.wideTileRows && Self.usesWideWarps(spec)
        let rowsPerWarp = wide ? 32 : 16
        let warps = max(1, min(rows / rowsPerWarp, 8))
        let registers = rowsPerWarp * (paddedValueDim + columns) / 32
        let limit = wide ? Self.wideAccumulatorLimit(for: variant) : Self.narrowAccumulatorRegisterLimit
        guard rows % rowsPerWarp == 0, registers <= limit else { return nil }
        for stages in [2, 1] {
            let items = account(spec, rows: rows, columns: columns, warps: warps, stages: stages)
            if items.reduce(0, { $0 + $1.bytes }) <= budget {
                return TilePlan(target: target, budget: budget, blockRows: rows, blockColumns: columns,
                                warps: warps, stages: stages, accounts: items,
                                accumulatorRegistersPerThread: registers)
            }
        }
        return nil
    }

    /// The C kernel keeps the rows of a tile in vector lanes, padded to a multiple of 16, and register-tiles its
    /// products over at most four vectors of rows at a time (64 rows with AVX-512, 32 with AVX2): 64-row tiles
    /// let AVX-512 run 4 x 4 blocks of accumulators (8 loads per 16 FMAs) instead of 32-row tiles' 2 x 8 (10 loads),
    /// measured 1.14-1.19x on an Intel Xeon (fp32, d = 128; benchmarks/cpu/NOTES.md), while AVX2 runs its 32-row
    /// blocks twice per tile. So the C rule caps Br at 64 and rounds it down to a multiple of 16 when it is at
    /// least 16 (tiny budgets keep the plain rule).
    static let cMaximumRows = 64

    static func cRows(rule: Int) -> Int {
        let capped = min(rule, cMaximumRows)
        return capped >= 16 ? capped / 16 * 16 : capped
    }

    /// The C kernel's S/P tile (Br × Bc fp32, written by the score products, read twice by the softmax and once by
    /// O += P·V) stays within `cScoreTileBytes`, three quarters of the 32 KB L1 data cache of the smallest x86 cores
    /// it runs on (AMD Zen 2 to 4; Intel's recent cores have 48 KB), so those passes hit L1. On an AMD EPYC (Zen 3,
    /// AVX2, 2 cores; fp32, 64-row tiles, benchmarks/cpu/NOTES.md 15) key tiles of 96 ran 1.18x the rule's 256 at
    /// d = 64 and 1.04-1.10x its 128 at d = 128 (causal 1.16x and 1.10x); on an Intel Xeon (48 KB L1) d = 128's
    /// 128 was within 3 % of 96 (NOTES.md 12). So Bc is at most 96 at Br = 64.
    static let cScoreTileBytes = 24 * 1024

    static func cColumns(rows: Int) -> Int {
        max(cScoreTileBytes / (4 * max(rows, 1)), 4)
    }

    private func minimumWarps(rows: Int) -> Int { target.isCUDA ? max(rows / 16, 1) : 1 }

    /// Bytes per element of the working set the FlashAttention rule counts:
    /// fp32 on the CPU (tiles are converted on load), the storage type in CUDA shared memory.
    private func workingElementBytes(_ spec: AttentionSpec) -> Int {
        target.isCUDA ? spec.storage.byteSize : 4
    }

    /// Whether a CUDA kernel keeps the lanes' shares of the softmax row sums in shared memory rather than in
    /// registers: with 32-row warps (`usesWideWarps`) above a value head dim of 64, whose 192 accumulators leave
    /// no room; with head dims that are not multiples of 16 (their padded copies need registers: ptxas spilled
    /// at d = 33 and 40); and with dropout (whose Philox words need them: ptxas spilled at d = 64). Elsewhere
    /// the registers have room (16-row warps hold at most 160 accumulators and two row sums), and the
    /// shared-memory round trip on the softmax's dependency chain cost 7-8 % at d = 64 and ~10 % at d = 256
    /// (benchmarks/gpu/TUNING.md, #7 and #11).
    public static func rowSumsInSharedMemory(_ spec: AttentionSpec) -> Bool {
        (usesWideWarps(spec) && spec.valueHeadDim > 64) || spec.headDim % 16 != 0 || spec.valueHeadDim % 16 != 0
            || spec.dropout != nil
    }

    /// The explicit on-chip byte account of a tile choice.
    public func account(_ spec: AttentionSpec, rows: Int, columns: Int, warps: Int, stages: Int) -> [TilePlan.ByteAccount] {
        let d = spec.headDim, dv = spec.valueHeadDim
        if target.isCUDA {
            return MMAForwardLayout(spec: spec, rows: rows, columns: columns, stages: stages).accounts
        }
        return [
            .init(item: "Q tile (Br × d × 4 B)", bytes: rows * d * 4),
            .init(item: "K tile (Bc × d × 4 B)", bytes: columns * d * 4),
            .init(item: "V tile (Bc × dv × 4 B)", bytes: columns * dv * 4),
            .init(item: "S/P tile (Br × Bc × 4 B)", bytes: rows * columns * 4),
            .init(item: "O accumulator (Br × dv × 4 B)", bytes: rows * dv * 4),
            .init(item: "row max and sum (Br × 2 × 4 B)", bytes: rows * 8),
        ]
    }

    private func candidateSizes(step: Int, limit: Int) -> [Int] {
        Array(stride(from: step, through: limit, by: step))
    }

    private func dividing(_ blockSize: Int, choices: [Int], step: Int, field: String) throws(SpecError) -> [Int] {
        let dividing = choices.filter { blockSize % $0 == 0 }
        guard blockSize % step == 0, !dividing.isEmpty else {
            throw SpecError(field: field,
                            message: "must be a multiple of \(step) for target \(target.rawValue) "
                                + "(tiles must not straddle sparse blocks), got \(blockSize)")
        }
        return dividing
    }
}
