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
        var variants: [AttentionSpec] = []
        while !list.isAtEnd {
            let index = list.currentIndex
            let element = try list.superDecoder()
            let name = try? element.container(keyedBy: SpecFileKey.self).decode(String.self, forKey: SpecFileKey("name"))
            do {
                variants.append(try AttentionSpec(from: element))
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
