import Foundation

// Decoding and encoding of spec files: strict about keys, and every failure says where it happened.

/// A coding key for any string, to list and check the keys an object actually has.
struct SpecFileKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension KeyedDecodingContainer where Key == SpecFileKey {
    /// Throws when the object holds a key outside `allowed`.
    func rejectUnknownKeys(_ allowed: [String]) throws {
        for key in allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key],
                debugDescription: "unknown key \"\(key.stringValue)\" (allowed: \(allowed.joined(separator: ", ")))"))
        }
    }
}

extension SpecFile {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: SpecFileKey.self)
        try container.rejectUnknownKeys(["variants"])
        var list = try container.nestedUnkeyedContainer(forKey: SpecFileKey("variants"))
        var variants: [Variant] = []
        while !list.isAtEnd {
            let index = list.currentIndex
            let element = try list.superDecoder()
            let name = try? element.container(keyedBy: SpecFileKey.self).decode(String.self, forKey: SpecFileKey("name"))
            do {
                variants.append(try Variant(from: element))
            } catch let error as DecodingError {
                throw SpecFileError(decoding: error, variantIndex: index, variantName: name)
            }
        }
        self.variants = variants
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: SpecFileKey.self)
        try container.encode(variants, forKey: SpecFileKey("variants"))
    }
}

extension SpecFile.Variant {
    static let keys = ["name", "headDim", "valueHeadDim", "heads", "dtype", "scale", "masks", "dropout", "lse", "backward"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecFileKey.self)
        try c.rejectUnknownKeys(Self.keys)
        name = try c.decode(String.self, forKey: SpecFileKey("name"))
        headDim = try c.decodeInteger(forKey: SpecFileKey("headDim"))
        valueHeadDim = try c.decodeIntegerIfPresent(forKey: SpecFileKey("valueHeadDim"))
        heads = try c.decodeIfPresent(SpecFile.Heads.self, forKey: SpecFileKey("heads"))
        dtype = try c.decodeIfPresent(StorageType.self, forKey: SpecFileKey("dtype"))
        scale = try c.decodeIfPresent(Double.self, forKey: SpecFileKey("scale"))
        masks = try c.decodeIfPresent([SpecFile.MaskEntry].self, forKey: SpecFileKey("masks"))
        dropout = try c.decodeIfPresent(Double.self, forKey: SpecFileKey("dropout"))
        lse = try c.decodeIfPresent(Bool.self, forKey: SpecFileKey("lse"))
        backward = try c.decodeIfPresent(Bool.self, forKey: SpecFileKey("backward"))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecFileKey.self)
        try c.encode(name, forKey: SpecFileKey("name"))
        try c.encode(headDim, forKey: SpecFileKey("headDim"))
        try c.encodeIfPresent(valueHeadDim, forKey: SpecFileKey("valueHeadDim"))
        try c.encodeIfPresent(heads, forKey: SpecFileKey("heads"))
        try c.encodeIfPresent(dtype, forKey: SpecFileKey("dtype"))
        try c.encodeIfPresent(scale, forKey: SpecFileKey("scale"))
        try c.encodeIfPresent(masks, forKey: SpecFileKey("masks"))
        try c.encodeIfPresent(dropout, forKey: SpecFileKey("dropout"))
        try c.encodeIfPresent(lse, forKey: SpecFileKey("lse"))
        try c.encodeIfPresent(backward, forKey: SpecFileKey("backward"))
    }
}

extension SpecFile.Heads {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecFileKey.self)
        try c.rejectUnknownKeys(["query", "keyValue"])
        query = try c.decodeInteger(forKey: SpecFileKey("query"))
        keyValue = try c.decodeInteger(forKey: SpecFileKey("keyValue"))
    }
}

extension SpecFile.Window {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecFileKey.self)
        try c.rejectUnknownKeys(["left", "right", "alignment"])
        left = try c.decodeIntegerIfPresent(forKey: SpecFileKey("left"))
        right = try c.decodeIntegerIfPresent(forKey: SpecFileKey("right"))
        alignment = try c.decodeIfPresent(DiagonalAlignment.self, forKey: SpecFileKey("alignment"))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecFileKey.self)
        // Unbounded sides are written as null so that the file shows them.
        try c.encode(left, forKey: SpecFileKey("left"))
        try c.encode(right, forKey: SpecFileKey("right"))
        try c.encodeIfPresent(alignment, forKey: SpecFileKey("alignment"))
    }
}

extension SpecFile.BlockSparse {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecFileKey.self)
        try c.rejectUnknownKeys(["blockRows", "blockColumns"])
        blockRows = try c.decodeInteger(forKey: SpecFileKey("blockRows"))
        blockColumns = try c.decodeInteger(forKey: SpecFileKey("blockColumns"))
    }
}

extension SpecFile.MaskEntry: Codable {
    static let keys = ["causal", "window", "blockSparse", "predicate"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecFileKey.self)
        try c.rejectUnknownKeys(Self.keys)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: c.codingPath,
                debugDescription: "a mask is an object with exactly one key of \(Self.keys.joined(separator: ", ")), "
                    + "got \(c.allKeys.count)"))
        }
        switch key.stringValue {
        case "causal": self = .causal(try c.decode(DiagonalAlignment.self, forKey: key))
        case "window": self = .window(try c.decode(SpecFile.Window.self, forKey: key))
        case "blockSparse": self = .blockSparse(try c.decode(SpecFile.BlockSparse.self, forKey: key))
        default: self = .predicate(try c.decode(String.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecFileKey.self)
        switch self {
        case .causal(let alignment): try c.encode(alignment, forKey: SpecFileKey("causal"))
        case .window(let window): try c.encode(window, forKey: SpecFileKey("window"))
        case .blockSparse(let layout): try c.encode(layout, forKey: SpecFileKey("blockSparse"))
        case .predicate(let text): try c.encode(text, forKey: SpecFileKey("predicate"))
        }
    }
}

extension SpecFile {
    /// Reads a spec file's JSON; every failure is a `SpecFileError`.
    public static func decode(_ data: Data) throws(SpecFileError) -> SpecFile {
        // Syntax, duplicate keys, nesting and numbers first: Foundation's decoder misses or misreports them.
        try SpecFileJSONCheck.check([UInt8](data))
        do {
            return try JSONDecoder().decode(SpecFile.self, from: data)
        } catch let error as SpecFileError {
            throw error
        } catch let error as DecodingError {
            throw SpecFileError(decoding: error, variantIndex: nil, variantName: nil)
        } catch {
            throw SpecFileError(variantIndex: nil, variantName: nil, field: "", message: "\(error)")
        }
    }

    /// The file's JSON, keys sorted, pretty-printed.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
