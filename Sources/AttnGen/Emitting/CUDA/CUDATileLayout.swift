/// How a CUDA kernel lays its tiles out in shared memory, derived from the spec and its plan.
///
/// Head dimensions are padded with zeros to a multiple of 16 (the k of an m16n8k16 fragment), and every
/// row gets `rowPad` extra elements so that the rows a warp reads at once fall into distinct banks:
/// 8 elements (16 bytes) for 16-bit storage, which ldmatrix reads in 16-byte rows, and 4 words for fp32,
/// which the tf32 path reads a word at a time; and, where `TilePlanner.rowSumsInSharedMemory` says so (32-row warps
/// above head dim 64, odd head dims, dropout), 16 bytes per query row for the lanes'
/// shares of the softmax sums. `TilePlanner` counts the same bytes.
struct CUDATileLayout: Sendable, Hashable {
    /// Shared memory per query row for the softmax sums (4 lanes of a quad hold a row, one fp32 each).
    static let rowSumBytesPerRow = 16

    var headDimPadded: Int
    var valueHeadDimPadded: Int
    var rowPad: Int
    var elementBytes: Int
    var sharedBytes: Int
    /// Whether the softmax row sums live in shared memory (TilePlanner.rowSumsInSharedMemory) or in registers.
    var rowSumsInShared: Bool

    init(spec: AttentionSpec, plan: TilePlan) {
        headDimPadded = (spec.headDim + 15) / 16 * 16
        valueHeadDimPadded = (spec.valueHeadDim + 15) / 16 * 16
        rowPad = spec.storage == .fp32 ? 4 : 8
        elementBytes = spec.storage.byteSize
        let q = plan.blockRows * (headDimPadded + rowPad)
        let k = plan.blockColumns * (headDimPadded + rowPad)
        let v = plan.blockColumns * (valueHeadDimPadded + rowPad)
        // plus, where TilePlanner.rowSumsInSharedMemory says so, each lane's share of its rows' softmax sums: one float
        // per lane and row, 4 lanes a row.
        rowSumsInShared = TilePlanner.rowSumsInSharedMemory(spec)
        sharedBytes = (q + plan.stages * (k + v)) * elementBytes
            + (rowSumsInShared ? plan.blockRows * Self.rowSumBytesPerRow : 0)
    }
}
