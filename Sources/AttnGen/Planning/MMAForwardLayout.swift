/// How an mma.sync forward kernel lays out shared memory: the one account of it, from which the planner's byte
/// account and the kernel's constants (`kQTileElements`, ..., `kSharedBytes`) both come.
///
/// Head dimensions are padded with zeros to a multiple of 16 (the k of an m16n8k16 fragment), and every row gets
/// `rowPad` extra elements so that the rows a warp reads at once fall into distinct banks: 8 elements (16 bytes)
/// for 16-bit storage, which ldmatrix reads in 16-byte rows, and 4 words for fp32, which the tf32 path reads a
/// word at a time. Where `TilePlanner.rowSumsInSharedMemory` says so (32-row warps above head dim 64, odd head
/// dims, dropout), 16 bytes per query row hold the lanes' shares of the softmax sums.
public struct MMAForwardLayout: Sendable, Hashable {
    /// Shared memory per query row for the softmax sums (4 lanes of a quad hold a row, one fp32 each).
    static let rowSumBytesPerRow = 16

    public var headDimPadded: Int
    public var valueHeadDimPadded: Int
    public var rowPad: Int
    public var elementBytes: Int
    /// Elements of the Q tile, of one K stage and of one V stage.
    public var queryTileElements: Int
    public var keyTileElements: Int
    public var valueTileElements: Int
    public var stages: Int
    /// Whether the softmax row sums live in shared memory (TilePlanner.rowSumsInSharedMemory) or in registers.
    public var rowSumsInShared: Bool
    public var rowSumBytes: Int

    public init(spec: AttentionSpec, rows: Int, columns: Int, stages: Int) {
        headDimPadded = (spec.headDim + 15) / 16 * 16
        valueHeadDimPadded = (spec.valueHeadDim + 15) / 16 * 16
        rowPad = spec.storage == .fp32 ? 4 : 8
        elementBytes = spec.storage.byteSize
        queryTileElements = rows * (headDimPadded + rowPad)
        keyTileElements = columns * (headDimPadded + rowPad)
        valueTileElements = columns * (valueHeadDimPadded + rowPad)
        self.stages = stages
        rowSumsInShared = TilePlanner.rowSumsInSharedMemory(spec)
        rowSumBytes = rowSumsInShared ? rows * Self.rowSumBytesPerRow : 0
    }

    /// The layout `plan` was made with.
    public init(spec: AttentionSpec, plan: TilePlan) {
        self.init(spec: spec, rows: plan.blockRows, columns: plan.blockColumns, stages: plan.stages)
    }

    /// The byte account, item by item.
    public var accounts: [TilePlan.ByteAccount] {
        let e = elementBytes, dp = headDimPadded + rowPad, dvp = valueHeadDimPadded + rowPad
        var items: [TilePlan.ByteAccount] = [
            .init(item: "Q tile (Br × \(dp) × \(e) B)", bytes: queryTileElements * e),
            .init(item: "K tiles (\(stages) stages × Bc × \(dp) × \(e) B)", bytes: stages * keyTileElements * e),
            .init(item: "V tiles (\(stages) stages × Bc × \(dvp) × \(e) B)", bytes: stages * valueTileElements * e),
        ]
        if rowSumsInShared {
            items.append(.init(item: "row sums (Br × 4 lanes × 4 B)", bytes: rowSumBytes))
        }
        return items
    }

    /// Total shared memory of the kernel.
    public var sharedBytes: Int { accounts.reduce(0) { $0 + $1.bytes } }
}
