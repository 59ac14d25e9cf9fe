/// The tiling of the CUDA backward pass of one spec on one target, and its shared-memory account.
///
/// The backward pass keeps more tiles live than the forward pass, so it is planned here rather than by
/// `TilePlanner`:
/// - the key kernel holds K and V of `keyRows` keys, Q and dO of `queryRows` queries, the dS tile and two
///   floats per query (LSE, D) in shared memory, and dK and dV of its keys in registers: each warp owns
///   16 keys and `1 / parts` of the columns;
/// - the deterministic dQ kernel holds Q and dO of `dqRows` queries and K and V of `dqColumns` keys, and dQ
///   of its rows in registers (each warp owns 16 rows).
/// Sizes are the largest (of 64, 32, 16) whose fp32 accumulators fit `keyRegisterLimit` / `dqRegisterLimit`
/// registers per thread and whose shared memory fits the budget; block-sparse specs also need sizes that
/// divide the block. `parts` (1, 2 or 4 warps per 16 keys) grows before the query tile shrinks below 32.
public struct CUDABackwardPlan: Sendable, Hashable {
    public var target: Target
    /// The shared-memory budget per thread block, in bytes.
    public var budget: Int
    /// Keys per block of the key kernel (Bc).
    public var keyRows: Int
    /// Query rows per step of the key kernel (Br).
    public var queryRows: Int
    /// Warps sharing each 16 keys (1, 2 or 4), each accumulating 1 / parts of the dK and dV columns.
    public var parts: Int
    /// Query rows per block of the deterministic dQ kernel.
    public var dqRows: Int
    /// Keys per step of the deterministic dQ kernel.
    public var dqColumns: Int
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
    /// warp's keys and columns, plus Sᵀ and dPᵀ (kQueryRows / 2 each). Lower than the forward pass's limit:
    /// recomputing P, dropout and dS keeps many more values live (ptxas spilled at 128 with dropout).
    public static let keyRegisterLimit = 96
    /// The same for the dQ kernel: dQ of the warp's 16 rows, plus S and dP (dqColumns / 2 each).
    public static let dqRegisterLimit = 144

    public var keyWarps: Int { keyRows / 16 * parts }
    public var dqWarps: Int { dqRows / 16 }
    public var keySharedBytes: Int { keyKernelAccounts.reduce(0) { $0 + $1.bytes } }
    public var dqSharedBytes: Int { dqKernelAccounts.reduce(0) { $0 + $1.bytes } }

    /// Plans the backward pass of `spec` for a CUDA `target` within `budget` bytes of shared memory per block
    /// (the target's default when nil), or throws naming the budget or the sparse block that nothing fits.
    public init(spec: AttentionSpec, target: Target, budget: Int? = nil) throws(SpecError) {
        guard target.isCUDA else {
            throw SpecError(field: "target", message: "the CUDA backward pass plans for sm80 or sm90, got \(target.rawValue)")
        }
        try spec.validate()
        let budget = budget ?? target.defaultBudget
        let sizes = [64, 32, 16]
        var rowChoices = sizes, columnChoices = sizes
        if let layout = spec.blockSparseLayout {
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
        var found: (keys: Int, queries: Int, parts: Int, accounts: [TilePlan.ByteAccount])?
        search: for (parts, minimumRows) in [(1, 32), (2, 32), (4, 32), (1, 16), (2, 16), (4, 16)] {
            let dp = Self.padded(spec.headDim, parts: parts), dvp = Self.padded(spec.valueHeadDim, parts: parts)
            for keys in columnChoices {
                for queries in rowChoices where queries >= minimumRows {
                    let registers = (dp + dvp) / (2 * parts) + max(queries, Self.pieceColumns(dp) / 2)
                    guard registers <= Self.keyRegisterLimit, keys / 16 * parts <= 8 else { continue }
                    let accounts = Self.keyAccounts(keys: keys, queries: queries, dp: dp, dvp: dvp, pad: pad, element: element)
                    if accounts.reduce(0, { $0 + $1.bytes }) <= budget {
                        found = (keys, queries, parts, accounts)
                        break search
                    }
                }
            }
        }
        guard let key = found else {
            let dp = Self.padded(spec.headDim, parts: 4), dvp = Self.padded(spec.valueHeadDim, parts: 4)
            let smallest = Self.keyAccounts(keys: 16, queries: 16, dp: dp, dvp: dvp, pad: pad, element: element)
            throw SpecError(field: "budget",
                            message: "\(budget) bytes of shared memory fit no \(target.rawValue) backward plan for headDim "
                                + "\(spec.headDim), valueHeadDim \(spec.valueHeadDim), \(spec.storage.rawValue); the smallest "
                                + "key-kernel plan (16 keys x 16 queries, \(Self.keyRegisterLimit) accumulator registers) needs \(smallest.reduce(0) { $0 + $1.bytes }) bytes")
        }
        let dp = Self.padded(spec.headDim, parts: key.parts), dvp = Self.padded(spec.valueHeadDim, parts: key.parts)

        // Deterministic dQ kernel.
        var dqFound: (rows: Int, columns: Int, accounts: [TilePlan.ByteAccount])?
        dqSearch: for rows in rowChoices {
            for columns in columnChoices where dp / 2 + columns <= Self.dqRegisterLimit {
                let accounts = Self.dqAccounts(rows: rows, columns: columns, dp: dp, dvp: dvp, pad: pad, element: element)
                if accounts.reduce(0, { $0 + $1.bytes }) <= budget {
                    dqFound = (rows, columns, accounts)
                    break dqSearch
                }
            }
        }
        guard let dq = dqFound else {
            let smallest = Self.dqAccounts(rows: 16, columns: 16, dp: dp, dvp: dvp, pad: pad, element: element)
            throw SpecError(field: "budget",
                            message: "\(budget) bytes of shared memory fit no \(target.rawValue) backward dQ plan for headDim "
                                + "\(spec.headDim), valueHeadDim \(spec.valueHeadDim), \(spec.storage.rawValue); the smallest "
                                + "(16 x 16) needs \(smallest.reduce(0) { $0 + $1.bytes }) bytes")
        }
        self.target = target
        self.budget = budget
        keyRows = key.keys
        queryRows = key.queries
        parts = key.parts
        dqRows = dq.rows
        dqColumns = dq.columns
        headDimPadded = dp
        valueHeadDimPadded = dvp
        rowPad = pad
        dqPieceColumns = Self.pieceColumns(dp)
        keyKernelAccounts = key.accounts
        dqKernelAccounts = dq.accounts
    }

    /// `dimension` rounded up to a multiple of 16 · parts (each part a whole number of 16-column fragments).
    static func padded(_ dimension: Int, parts: Int) -> Int {
        let step = 16 * parts
        return (dimension + step - 1) / step * step
    }

    /// The widest of 64, 48, 32, 16 that divides the padded head dim.
    static func pieceColumns(_ dp: Int) -> Int {
        [64, 48, 32, 16].first { dp % $0 == 0 } ?? 16
    }

    static func keyAccounts(keys: Int, queries: Int, dp: Int, dvp: Int, pad: Int, element: Int) -> [TilePlan.ByteAccount] {
        [
            .init(item: "K tile (\(keys) x \(dp + pad) x \(element) B)", bytes: keys * (dp + pad) * element),
            .init(item: "V tile (\(keys) x \(dvp + pad) x \(element) B)", bytes: keys * (dvp + pad) * element),
            .init(item: "Q tile (\(queries) x \(dp + pad) x \(element) B)", bytes: queries * (dp + pad) * element),
            .init(item: "dO tile (\(queries) x \(dvp + pad) x \(element) B)", bytes: queries * (dvp + pad) * element),
            .init(item: "dS tile (\(queries) x \(keys + pad) x \(element) B)", bytes: queries * (keys + pad) * element),
            .init(item: "LSE and D (\(queries) x 2 x 4 B)", bytes: queries * 8),
        ]
    }

    static func dqAccounts(rows: Int, columns: Int, dp: Int, dvp: Int, pad: Int, element: Int) -> [TilePlan.ByteAccount] {
        [
            .init(item: "Q tile (\(rows) x \(dp + pad) x \(element) B)", bytes: rows * (dp + pad) * element),
            .init(item: "dO tile (\(rows) x \(dvp + pad) x \(element) B)", bytes: rows * (dvp + pad) * element),
            .init(item: "K tile (\(columns) x \(dp + pad) x \(element) B)", bytes: columns * (dp + pad) * element),
            .init(item: "V tile (\(columns) x \(dvp + pad) x \(element) B)", bytes: columns * (dvp + pad) * element),
        ]
    }
}
