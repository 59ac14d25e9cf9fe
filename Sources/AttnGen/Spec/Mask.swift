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

extension Mask {
    /// The block-sparse layout, if this is a block-sparse mask.
    public var blockSparseLayout: BlockSparseLayout? {
        if case .blockSparse(let layout) = self { return layout }
        return nil
    }

    /// Checks the mask's own values; `field` names it in errors (`masks[2]`).
    func validate(field: String) throws(SpecError) {
        switch self {
        case .causal:
            break
        case .slidingWindow(let left, let right, _):
            if let left, left < 0 {
                throw SpecError(field: "\(field).window.left", message: "must be at least 0 (or unbounded), got \(left)")
            }
            if let right, right < 0 {
                throw SpecError(field: "\(field).window.right", message: "must be at least 0 (or unbounded), got \(right)")
            }
        case .blockSparse(let layout):
            for (name, size) in [("blockRows", layout.blockRows), ("blockColumns", layout.blockColumns)] {
                guard (1...4096).contains(size) else {
                    throw SpecError(field: "\(field).blockSparse.\(name)", message: "must be in 1...4096, got \(size)")
                }
            }
        case .predicate(let predicate):
            // First, because every other check (and every later stage) recurses over the tree.
            if let problem = predicate.sizeProblem {
                throw SpecError(field: "\(field).predicate", message: problem)
            }
            for divisor in predicate.divisors {
                guard case .constant(let value) = divisor, value > 0 else {
                    throw SpecError(field: "\(field).predicate",
                                    message: "the divisor of '/' and '%' must be a positive integer constant, got \(divisor)")
                }
            }
        }
    }
}
