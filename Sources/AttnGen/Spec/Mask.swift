/// Where the diagonal of a causal or sliding-window mask sits when the query and key lengths differ.
public enum DiagonalAlignment: String, Sendable, Hashable, CaseIterable {
    /// Query `i` is aligned with key `i` (PyTorch's `is_causal`).
    case topLeft = "top-left"
    /// The last query is aligned with the last key: query `i` is aligned with key `i + Nk - Nq`
    /// (FlashAttention-2's convention, the one used when decoding with a KV cache).
    case bottomRight = "bottom-right"
}

/// One mask. A spec holds a list of them and a score is kept only where every mask keeps it
/// (the masks compose as a conjunction).
public enum Mask: Sendable, Hashable {
    /// Keep key `k` for query `q` when `k <= q + shift`, `shift` being 0 (top-left) or `Nk - Nq` (bottom-right).
    case causal(DiagonalAlignment)
    /// Keep key `k` for query `q` when `q + shift - left <= k <= q + shift + right`.
    /// `nil` means unbounded on that side.
    case slidingWindow(left: Int?, right: Int?, alignment: DiagonalAlignment)
    /// A block layout given at run time: one byte per (query block, key block), non-zero = computed.
    /// The block size is fixed in the spec; the layout is either one per batch·head or shared by all.
    case blockSparse(BlockSparseLayout)
    /// A predicate over (batch, head, query index, key index) evaluated per element.
    case predicate(MaskPredicate)
}

/// The compile-time part of a block-sparse layout.
public struct BlockSparseLayout: Sendable, Hashable {
    /// Query rows per block.
    public var blockRows: Int
    /// Key columns per block.
    public var blockColumns: Int

    public init(blockRows: Int, blockColumns: Int) {
        self.blockRows = blockRows
        self.blockColumns = blockColumns
    }
}

extension Mask {
    /// Causal masking, top-left aligned unless said otherwise.
    public static var causal: Mask { .causal(.topLeft) }

    /// A sliding window; `left`/`right` count keys before/after the diagonal.
    public static func slidingWindow(left: Int?, right: Int?) -> Mask {
        .slidingWindow(left: left, right: right, alignment: .topLeft)
    }

    /// Block-sparse masking with square blocks.
    public static func blockSparse(blockSize: Int) -> Mask {
        .blockSparse(BlockSparseLayout(blockRows: blockSize, blockColumns: blockSize))
    }

    /// Block-sparse masking with rectangular blocks.
    public static func blockSparse(blockRows: Int, blockColumns: Int) -> Mask {
        .blockSparse(BlockSparseLayout(blockRows: blockRows, blockColumns: blockColumns))
    }

    /// A predicate over the query and key indices: `.predicate { q, k in q >= k && q - k < 256 }`.
    public static func predicate(_ build: (IndexExpression, IndexExpression) -> MaskPredicate) -> Mask {
        .predicate(build(.variable(.query), .variable(.key)))
    }

    /// A predicate over batch, head, query and key: `.predicate { b, h, q, k in h % 2 == 0 || q >= k }`.
    public static func predicate(
        _ build: (IndexExpression, IndexExpression, IndexExpression, IndexExpression) -> MaskPredicate
    ) -> Mask {
        .predicate(build(.variable(.batch), .variable(.head), .variable(.query), .variable(.key)))
    }
}
