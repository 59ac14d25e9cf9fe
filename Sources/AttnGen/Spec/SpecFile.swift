/// A JSON file describing several variants at once, read by `attngen --spec FILE.json`:
///
/// ```json
/// {"variants": [{"name": "gqa_window", "headDim": 128, "valueHeadDim": 128,
///                "heads": {"query": 32, "keyValue": 8}, "dtype": "bf16", "scale": 0.088,
///                "masks": [{"causal": "bottom-right"},
///                          {"window": {"left": 256, "right": 0, "alignment": "bottom-right"}},
///                          {"blockSparse": {"blockRows": 64, "blockColumns": 64}},
///                          {"predicate": "q >= k"}],
///                "dropout": 0.1, "lse": true, "backward": false}]}
/// ```
///
/// Only `name` and `headDim` are required. A missing `heads` leaves both head counts to run time, a missing
/// `dtype` is fp16, a missing `scale` is 1/sqrt(headDim). A window side that is missing or `null` is unbounded.
/// Unknown keys are refused, and every error names the variant and the field (`SpecFileError`).
public struct SpecFile: Sendable, Hashable, Codable {
    public var variants: [Variant]

    public init(variants: [Variant]) {
        self.variants = variants
    }

    /// One variant as written in the file.
    public struct Variant: Sendable, Hashable, Codable {
        public var name: String
        public var headDim: Int
        public var valueHeadDim: Int?
        public var heads: Heads?
        public var dtype: StorageType?
        public var scale: Double?
        public var masks: [MaskEntry]?
        public var dropout: Double?
        public var lse: Bool?
        /// Also generate the backward kernels (implies `lse`).
        public var backward: Bool?

        public init(name: String, headDim: Int, valueHeadDim: Int? = nil, heads: Heads? = nil,
                    dtype: StorageType? = nil, scale: Double? = nil, masks: [MaskEntry]? = nil,
                    dropout: Double? = nil, lse: Bool? = nil, backward: Bool? = nil) {
            self.name = name
            self.headDim = headDim
            self.valueHeadDim = valueHeadDim
            self.heads = heads
            self.dtype = dtype
            self.scale = scale
            self.masks = masks
            self.dropout = dropout
            self.lse = lse
            self.backward = backward
        }
    }

    /// `{"query": 32, "keyValue": 8}`.
    public struct Heads: Sendable, Hashable, Codable {
        public var query: Int
        public var keyValue: Int

        public init(query: Int, keyValue: Int) {
            self.query = query
            self.keyValue = keyValue
        }
    }

    /// `{"left": 256, "right": 0, "alignment": "bottom-right"}`; a missing side is unbounded.
    public struct Window: Sendable, Hashable, Codable {
        public var left: Int?
        public var right: Int?
        public var alignment: DiagonalAlignment?

        public init(left: Int?, right: Int?, alignment: DiagonalAlignment? = nil) {
            self.left = left
            self.right = right
            self.alignment = alignment
        }
    }

    /// `{"blockRows": 64, "blockColumns": 64}`.
    public struct BlockSparse: Sendable, Hashable, Codable {
        public var blockRows: Int
        public var blockColumns: Int

        public init(blockRows: Int, blockColumns: Int) {
            self.blockRows = blockRows
            self.blockColumns = blockColumns
        }
    }

    /// One mask: an object with exactly one of the keys `causal`, `window`, `blockSparse`, `predicate`.
    public enum MaskEntry: Sendable, Hashable {
        case causal(DiagonalAlignment)
        case window(Window)
        case blockSparse(BlockSparse)
        /// The predicate's text, read with `MaskExpressionParser`.
        case predicate(String)
    }
}

extension DiagonalAlignment: Codable {}
