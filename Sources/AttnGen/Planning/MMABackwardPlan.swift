/// The tiling of the mma.sync backward pass of one spec on one target, and its shared-memory account.
///
/// The backward pass keeps more tiles live than the forward pass, so it is planned here rather than by
/// `TilePlanner`:
/// - the key kernel holds K and V of `keyRows` keys, `queryStages` buffers of Q and dO of `queryRows` queries
///   and two floats per query (LSE, D) — the next query tile loads while one computes — and the dS tile in
///   shared memory, and dK and dV of its keys in registers: each warp owns 16 keys and `1 / parts` of the
///   columns;
/// - the deterministic dQ kernel holds Q and dO of `dqRows` queries and `dqStages` buffers of K and V of
///   `dqColumns` keys, and dQ of its rows in registers (each warp owns 16 rows).
/// Sizes are the largest (of 64, 32, 16) whose fp32 accumulators fit `keyRegisterLimit` / `dqRegisterLimit`
/// registers per thread, with at most `maximumKeyWarps` warps per key-kernel block, and whose shared memory
/// fits the budget (double-buffered first, then single); block-sparse specs also need sizes that divide the
/// block. `parts` (1, 2 or 4 warps per 16 keys) grows before the query tile shrinks below 32: a part
/// recomputes Sᵀ and dPᵀ, so parts = 1 does the least work.
public struct MMABackwardPlan: Sendable, Hashable {
    public var target: Target
    /// The shared-memory budget per thread block, in bytes.
    public var budget: Int
    /// Keys per block of the key kernel (Bc).
    public var keyRows: Int
    /// Query rows per step of the key kernel (Br).
    public var queryRows: Int
    /// Buffers of the key kernel's query tile (2: the next one loads while one computes).
    public var queryStages: Int
    /// Warps sharing each 16 keys (1, 2 or 4), each accumulating 1 / parts of the dK and dV columns.
    public var parts: Int
    /// Query rows per block of the deterministic dQ kernel.
    public var dqRows: Int
    /// Keys per step of the deterministic dQ kernel.
    public var dqColumns: Int
    /// Buffers of the dQ kernel's key tile (2: the next one loads while one computes).
    public var dqStages: Int
    /// Head dims padded with zeros to a multiple of 16 · parts.
    public var headDimPadded: Int
    public var valueHeadDimPadded: Int
    /// Extra elements per shared-memory row against bank conflicts (16 bytes for 16-bit storage, 4 words for fp32).
    public var rowPad: Int
    /// Columns of one dQ piece the key kernel adds atomically in fast mode.
    public var dqPieceColumns: Int
    /// What occupies shared memory in each kernel, item by item.
    public var keyKernelAccounts: [TilePlan.ByteAccount]
    public var dqKernelAccounts: [TilePlan.ByteAccount]

    /// The most fp32 accumulator registers per thread the key kernel may use (of 255): dK and dV of the
    /// warp's keys and columns, plus Sᵀ and dPᵀ (kQueryRows / 2 each), or the fast-mode dQ piece if larger.
    /// Calibrated on ptxas's reports for the test matrix and the catalogue (sm_80 and sm_90a, no spills).
    public static let keyRegisterLimit = 160
    /// The same limit with dropout, whose keep bits keep more values live: ptxas fits 160 on sm_90a but spilled
    /// 12 bytes at 160 on sm_80 (d = 128, causal), so sm_80 keeps 144.
    public static func keyRegisterLimitWithDropout(_ target: Target) -> Int {
        target.device == .sm90 ? 160 : 144
    }
    /// Warps per block of the key kernel: at up to 255 registers per thread, 4 warps let two blocks share an SM,
    /// so that one block's barriers hide behind the other's work (measured on an H200: the d = 128 key kernel
    /// took 15 % less time as two 4-warp blocks of 64 keys than as one 8-warp block of 128 keys).
    public static let maximumKeyWarps = 4
    /// Where two blocks of the 4-warp plan do not fit one SM's shared memory (head dims above 128), the key kernel
    /// takes up to this many warps in its one block instead, so that each scheduler still has two warps: measured
    /// on an H200 (bf16, d = 256, N = 1k-16k, `benchmarks/gpu/ab_backward.py`): one 8-warp block of 64 keys took
    /// 20 % less time than one 4-warp block of 32 keys (and as little as two single-buffered 4-warp blocks),
    /// and its fast mode adds half as many dQ pieces. Only double-buffered: a block alone on its SM has no other
    /// block's work to hide its loads behind.
    public static let maximumKeyWarpsAlone = 8
    /// The same for the dQ kernel: dQ of the warp's 16 rows, plus S and dP (dqColumns / 2 each).
    public static let dqRegisterLimit = 144

    public var keyWarps: Int { keyRows / 16 * parts }
    public var dqWarps: Int { dqRows / 16 }
    public var keySharedBytes: Int { keyKernelAccounts.reduce(0) { $0 + $1.bytes } }
    public var dqSharedBytes: Int { dqKernelAccounts.reduce(0) { $0 + $1.bytes } }

    /// Plans the backward pass of `spec` for a CUDA `target` within `budget` bytes of shared memory per block
    /// (the target's default when nil), or throws naming the budget or the sparse block that nothing fits.
    public init(variant: VariantModel, target: Target, budget: Int? = nil) throws(SpecError) {
        guard target.family == .mma else {
            throw SpecError(field: "target", message: "the mma backward pass plans for sm80 or sm90, got \(target.rawValue)")
        }
        let spec = variant.spec
        let budget = budget ?? target.defaultBudget
        let sizes = [64, 32, 16]
        var rowChoices = sizes, columnChoices = sizes
        if let layout = variant.blockSparse {
            let index = spec.masks.firstIndex(of: .blockSparse(layout)) ?? 0
            rowChoices = sizes.filter { layout.blockRows % $0 == 0 }
            columnChoices = sizes.filter { layout.blockColumns % $0 == 0 }
            guard !rowChoices.isEmpty else {
                throw SpecError(field: "masks[\(index)].blockSparse.blockRows",
                                message: "must be a multiple of 16 for the CUDA backward pass, got \(layout.blockRows)")
            }
            guard !columnChoices.isEmpty else {
                throw SpecError(field: "masks[\(index)].blockSparse.blockColumns",
                                message: "must be a multiple of 16 for the CUDA backward pass, got \(layout.blockColumns)")
            }
        }
        let element = spec.storage.byteSize
        let pad = spec.storage == .fp32 ? 4 : 8
        // Key kernel: as few warps per 16 keys as fit with at least 32 query rows; then 16 query rows.
        let registerLimit = spec.dropout == nil ? Self.keyRegisterLimit : Self.keyRegisterLimitWithDropout(target)
        typealias KeyChoice = (keys: Int, queries: Int, parts: Int, stages: Int, piece: Int,
                               accounts: [TilePlan.ByteAccount])
        func keySearch(maximumWarps: Int, stageChoices: [Int]) -> KeyChoice? {
            for (parts, minimumRows) in [(1, 32), (2, 32), (4, 32), (1, 16), (2, 16), (4, 16)] {
                let dp = Self.padded(spec.headDim, parts: parts), dvp = Self.padded(spec.valueHeadDim, parts: parts)
                for keys in columnChoices where keys / 16 * parts <= maximumWarps {
                    for queries in rowChoices where queries >= minimumRows {
                        let piece = Self.pieceColumns(dp, queries: queries, warps: keys / 16 * parts)
                        let registers = (dp + dvp) / (2 * parts) + max(queries, piece / 2)
                        guard registers <= registerLimit else { continue }
                        for stages in stageChoices {
                            let accounts = Self.keyAccounts(keys: keys, queries: queries, stages: stages, dp: dp,
                                                            dvp: dvp, pad: pad, element: element)
                            if accounts.reduce(0, { $0 + $1.bytes }) <= budget {
                                return (keys, queries, parts, stages, piece, accounts)
                            }
                        }
                    }
                }
            }
            return nil
        }
        var found = keySearch(maximumWarps: Self.maximumKeyWarps, stageChoices: [2, 1])
        if let shared = found, Self.residentWarps(shared, device: target.device) < 2 * Self.maximumKeyWarps,
           let alone = keySearch(maximumWarps: Self.maximumKeyWarpsAlone, stageChoices: [2]),
           Self.residentWarps(alone, device: target.device) > Self.residentWarps(shared, device: target.device)
        {
            found = alone
        }
        guard let key = found else {
            let dp = Self.padded(spec.headDim, parts: 4), dvp = Self.padded(spec.valueHeadDim, parts: 4)
            let smallest = Self.keyAccounts(keys: 16, queries: 16, stages: 1, dp: dp, dvp: dvp, pad: pad, element: element)
            throw SpecError(field: "budget",
                            message: "\(budget) bytes of shared memory fit no \(target.rawValue) backward plan for headDim "
                                + "\(spec.headDim), valueHeadDim \(spec.valueHeadDim), \(spec.storage.rawValue); the smallest "
                                + "key-kernel plan (16 keys x 16 queries, \(registerLimit) accumulator registers) needs \(smallest.reduce(0) { $0 + $1.bytes }) bytes")
        }
        let dp = Self.padded(spec.headDim, parts: key.parts), dvp = Self.padded(spec.valueHeadDim, parts: key.parts)

        // Deterministic dQ kernel.
        var dqFound: (rows: Int, columns: Int, stages: Int, accounts: [TilePlan.ByteAccount])?
        dqSearch: for rows in rowChoices {
            for columns in columnChoices where dp / 2 + columns <= Self.dqRegisterLimit {
                for stages in [2, 1] {
                    let accounts = Self.dqAccounts(rows: rows, columns: columns, stages: stages, dp: dp, dvp: dvp, pad: pad,
                                                   element: element)
                    if accounts.reduce(0, { $0 + $1.bytes }) <= budget {
                        dqFound = (rows, columns, stages, accounts)
                        break dqSearch
                    }
                }
            }
        }
        guard let dq = dqFound else {
            let smallest = Self.dqAccounts(rows: 16, columns: 16, stages: 1, dp: dp, dvp: dvp, pad: pad, element: element)
            throw SpecError(field: "budget",
                            message: "\(budget) bytes of shared memory fit no \(target.rawValue) backward dQ plan for headDim "
                                + "\(spec.headDim), valueHeadDim \(spec.valueHeadDim), \(spec.storage.rawValue); the smallest "
                                + "(16 x 16) needs \(smallest.reduce(0) { $0 + $1.bytes }) bytes")
        }
        self.target = target
        self.budget = budget
        keyRows = key.keys
        queryRows = key.queries
        queryStages = key.stages
        parts = key.parts
        dqRows = dq.rows
        dqColumns = dq.columns
        dqStages = dq.stages
        headDimPadded = dp
        valueHeadDimPadded = dvp
        rowPad = pad
        dqPieceColumns = key.piece
        keyKernelAccounts = key.accounts
        dqKernelAccounts = dq.accounts
    }

    /// The key kernel's warps resident on one SM: its blocks that fit the SM's shared memory, at most two (at up
    /// to 255 registers per thread, 8 warps of them fill the register file), times its warps.
    static func residentWarps(_ choice: (keys: Int, queries: Int, parts: Int, stages: Int, piece: Int,
                                         accounts: [TilePlan.ByteAccount]), device: Device) -> Int {
        let warps = choice.keys / 16 * choice.parts
        let blocks = device.blocksPerMultiprocessor(sharedBytes: choice.accounts.reduce(0) { $0 + $1.bytes })
        return min(blocks, 8 / warps) * warps
    }

    /// `dimension` rounded up to a multiple of 16 · parts (each part a whole number of 16-column fragments).
    static func padded(_ dimension: Int, parts: Int) -> Int {
        let step = 16 * parts
        return (dimension + step - 1) / step * step
    }

    /// The columns of one fast-mode dQ piece (16 query rows each): the widest of 64, 48, 32, 16 that divides the
    /// padded head dim and still gives every warp a piece, else 16.
    static func pieceColumns(_ dp: Int, queries: Int, warps: Int) -> Int {
        [64, 48, 32, 16].first { dp % $0 == 0 && (queries / 16) * (dp / $0) >= warps } ?? 16
    }

    static func keyAccounts(keys: Int, queries: Int, stages: Int, dp: Int, dvp: Int, pad: Int, element: Int)
        -> [TilePlan.ByteAccount]
    {
        let buffers = stages == 1 ? "" : "\(stages) x "
        return [
            .init(item: "K tile (\(keys) x \(dp + pad) x \(element) B)", bytes: keys * (dp + pad) * element),
            .init(item: "V tile (\(keys) x \(dvp + pad) x \(element) B)", bytes: keys * (dvp + pad) * element),
            .init(item: "Q tiles (\(buffers)\(queries) x \(dp + pad) x \(element) B)", bytes: stages * queries * (dp + pad) * element),
            .init(item: "dO tiles (\(buffers)\(queries) x \(dvp + pad) x \(element) B)", bytes: stages * queries * (dvp + pad) * element),
            .init(item: "dS tile (\(queries) x \(keys + pad) x \(element) B)", bytes: queries * (keys + pad) * element),
            .init(item: "LSE and D (\(buffers)\(queries) x 2 x 4 B)", bytes: stages * queries * 8),
            .init(item: "dQ staging, fast mode (\(queries) x \(dp + 4) x 4 B)", bytes: queries * (dp + 4) * 4),
        ]
    }

    static func dqAccounts(rows: Int, columns: Int, stages: Int, dp: Int, dvp: Int, pad: Int, element: Int)
        -> [TilePlan.ByteAccount]
    {
        let buffers = stages == 1 ? "" : "\(stages) x "
        return [
            .init(item: "Q tile (\(rows) x \(dp + pad) x \(element) B)", bytes: rows * (dp + pad) * element),
            .init(item: "dO tile (\(rows) x \(dvp + pad) x \(element) B)", bytes: rows * (dvp + pad) * element),
            .init(item: "K tiles (\(buffers)\(columns) x \(dp + pad) x \(element) B)", bytes: stages * columns * (dp + pad) * element),
            .init(item: "V tiles (\(buffers)\(columns) x \(dvp + pad) x \(element) B)", bytes: stages * columns * (dvp + pad) * element),
        ]
    }
}

extension MMABackwardPlan {
    /// The key kernel and the deterministic dQ kernel, for `attngen plan`.
    var summaries: [KernelSummary] {
        [KernelSummary(kernel: "backward key kernel (dK, dV; dQ atomically in fast mode)",
                       shape: ["tile     \(keyRows) keys per block x \(queryRows) query rows per step "
                               + "(\(queryStages == 1 ? "1 buffer" : "\(queryStages) buffers"))",
                               "warps    \(keyWarps) (\(keyWarps * 32) threads), \(parts) per 16 keys"],
                       accounts: keyKernelAccounts),
         KernelSummary(kernel: "backward dQ kernel (deterministic mode)",
                       shape: ["tile     \(dqRows) query rows per block x \(dqColumns) keys per step "
                               + "(\(dqStages == 1 ? "1 buffer" : "\(dqStages) buffers"))",
                               "warps    \(dqWarps) (\(dqWarps * 32) threads)"],
                       accounts: dqKernelAccounts)]
    }
}

extension MMABackwardPlan {
    /// Validates and lowers `spec`, then plans its backward pass.
    public init(spec: AttentionSpec, target: Target, budget: Int? = nil) throws(SpecError) {
        try self.init(variant: VariantModel(lowering: spec), target: target, budget: budget)
    }
}
