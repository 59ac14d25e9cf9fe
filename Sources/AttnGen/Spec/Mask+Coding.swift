// The spellings of masks in spec files, one object per mask with exactly one key:
//   {"causal": "top-left"}   {"window": {"left": 256, "right": 0, "alignment": "bottom-right"}}
//   {"blockSparse": {"blockRows": 64, "blockColumns": 64}}   {"predicate": "q >= k"}
// A window side that is missing or null is unbounded; a predicate is read by MaskExpressionParser and written in
// its canonical text.

extension Mask: Codable {
    /// The key of each kind of mask, in the order messages list them.
    static let specFileKeys = ["causal", "window", "blockSparse", "predicate"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecFileKey.self)
        try c.rejectUnknownKeys(Self.specFileKeys)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: c.codingPath,
                debugDescription: "a mask is an object with exactly one key of \(Self.specFileKeys.joined(separator: ", ")), "
                    + "got \(c.allKeys.count)"))
        }
        switch key.stringValue {
        case "causal":
            self = .causal(try c.decode(DiagonalAlignment.self, forKey: key))
        case "window":
            let window = try c.nestedContainer(keyedBy: SpecFileKey.self, forKey: key)
            try window.rejectUnknownKeys(["left", "right", "alignment"])
            self = .slidingWindow(left: try window.decodeIntegerIfPresent(forKey: SpecFileKey("left")),
                                  right: try window.decodeIntegerIfPresent(forKey: SpecFileKey("right")),
                                  alignment: try window.decodeIfPresent(DiagonalAlignment.self, forKey: SpecFileKey("alignment"))
                                      ?? .topLeft)
        case "blockSparse":
            let block = try c.nestedContainer(keyedBy: SpecFileKey.self, forKey: key)
            try block.rejectUnknownKeys(["blockRows", "blockColumns"])
            self = .blockSparse(blockRows: try block.decodeInteger(forKey: SpecFileKey("blockRows")),
                                blockColumns: try block.decodeInteger(forKey: SpecFileKey("blockColumns")))
        default:
            let text = try c.decode(String.self, forKey: key)
            do {
                self = .predicate(try MaskExpressionParser.parse(text))
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [key], debugDescription: error.message))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecFileKey.self)
        switch self {
        case .causal(let alignment):
            try c.encode(alignment, forKey: SpecFileKey("causal"))
        case .slidingWindow(let left, let right, let alignment):
            var window = c.nestedContainer(keyedBy: SpecFileKey.self, forKey: SpecFileKey("window"))
            // Unbounded sides are written as null so that the file shows them.
            try window.encode(left, forKey: SpecFileKey("left"))
            try window.encode(right, forKey: SpecFileKey("right"))
            try window.encode(alignment, forKey: SpecFileKey("alignment"))
        case .blockSparse(let layout):
            var block = c.nestedContainer(keyedBy: SpecFileKey.self, forKey: SpecFileKey("blockSparse"))
            try block.encode(layout.blockRows, forKey: SpecFileKey("blockRows"))
            try block.encode(layout.blockColumns, forKey: SpecFileKey("blockColumns"))
        case .predicate(let predicate):
            try c.encode(predicate.description, forKey: SpecFileKey("predicate"))
        }
    }
}

extension DiagonalAlignment: Codable {}
