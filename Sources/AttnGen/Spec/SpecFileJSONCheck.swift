/// Checks the JSON text of a spec file before Foundation's decoder reads it, for what that decoder does not
/// report, or reports without a place (swift-corelibs-foundation says only "The given data was not valid JSON"):
/// syntax errors, duplicate keys in any object, numbers no Double holds (`1e400`, `1e-400`), nesting deeper than
/// `maximumNesting` levels, and bytes that are not UTF-8. Every refusal names the path of the value (variant and
/// field) and its line and column.
///
/// It reads the bytes once, in a loop with a stack of the open objects and arrays (no recursion), so any input,
/// however large or deeply nested, is passed or refused in time linear in its length.
struct SpecFileJSONCheck {
    /// The deepest objects and arrays may nest; a spec file needs 5 levels.
    static let maximumNesting = 64

    /// One step of a path: a key of an object or an index of an array.
    enum PathComponent: Equatable {
        case key(String)
        case index(Int)
    }

    private struct Container {
        var isObject: Bool
        var keys: Set<String> = []
        /// Elements of an array read so far.
        var count = 0
        /// The key or index of the member being read, nil between members.
        var member: PathComponent?
    }

    private enum Expectation {
        case value
        /// After `[`: a value or `]`.
        case valueOrEnd
        /// After `{`: a key or `}`.
        case keyOrEnd
        /// After `,` in an object.
        case key
        case colon
        case commaOrEnd
        /// After the top-level value: nothing but white space.
        case endOfFile
    }

    private let bytes: [UInt8]
    private var offset = 0
    private var containers: [Container] = []

    /// Throws the first problem of `bytes` as a `SpecFileError`.
    static func check(_ bytes: [UInt8]) throws(SpecFileError) {
        var check = SpecFileJSONCheck(bytes: bytes)
        try check.run()
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func run() throws(SpecFileError) {
        try checkUTF8()
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
        var expectation = Expectation.value
        while true {
            skipWhiteSpace()
            guard offset < bytes.count else {
                guard expectation == .endOfFile else { throw error("expected \(describe(expectation)) but found end of file") }
                return
            }
            let byte = bytes[offset]
            switch expectation {
            case .value, .valueOrEnd:
                if expectation == .valueOrEnd && byte == UInt8(ascii: "]") {
                    expectation = close()
                    continue
                }
                if containers.last?.isObject == false {
                    containers[containers.count - 1].member = .index(containers[containers.count - 1].count)
                }
                expectation = try readValue()
            case .keyOrEnd, .key:
                if expectation == .keyOrEnd && byte == UInt8(ascii: "}") {
                    expectation = close()
                    continue
                }
                guard byte == UInt8(ascii: "\"") else { throw error("expected \(describe(expectation)) but found \(found())") }
                let start = offset
                let key = try readString()
                if containers[containers.count - 1].keys.contains(key) {
                    offset = start
                    throw error("duplicate key \"\(key)\"")
                }
                containers[containers.count - 1].keys.insert(key)
                containers[containers.count - 1].member = .key(key)
                expectation = .colon
            case .colon:
                guard byte == UInt8(ascii: ":") else { throw error("expected ':' after the key but found \(found())") }
                offset += 1
                expectation = .value
            case .commaOrEnd:
                let isObject = containers[containers.count - 1].isObject
                if byte == UInt8(ascii: ",") {
                    offset += 1
                    expectation = isObject ? .key : .value
                } else if byte == UInt8(ascii: isObject ? "}" : "]") {
                    expectation = close()
                } else {
                    throw error("expected \(describe(expectation)) but found \(found())")
                }
            case .endOfFile:
                throw error("unexpected \(found()) after the end of the JSON value")
            }
        }
    }

    /// Reads a value, or opens an object or array; returns what comes next.
    private mutating func readValue() throws(SpecFileError) -> Expectation {
        switch bytes[offset] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard containers.count < Self.maximumNesting else {
                throw error("objects and arrays nest deeper than \(Self.maximumNesting) levels (the limit is \(Self.maximumNesting))")
            }
            let isObject = bytes[offset] == UInt8(ascii: "{")
            containers.append(Container(isObject: isObject))
            offset += 1
            return isObject ? .keyOrEnd : .valueOrEnd
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try readNumber()
        default:
            guard let literal = ["true", "false", "null"].first(where: { bytes[offset...].starts(with: $0.utf8) }) else {
                throw error("expected a value (an object, array, string, number, true, false or null) but found \(found())")
            }
            offset += literal.utf8.count
        }
        return valueRead()
    }

    /// Ends the member just read; returns what comes next.
    private mutating func valueRead() -> Expectation {
        guard !containers.isEmpty else { return .endOfFile }
        containers[containers.count - 1].member = nil
        containers[containers.count - 1].count += 1
        return .commaOrEnd
    }

    /// Steps over the `}` or `]` of the innermost container.
    private mutating func close() -> Expectation {
        offset += 1
        containers.removeLast()
        return valueRead()
    }

    /// Reads a string (at its opening quote) and returns its value, escapes decoded.
    private mutating func readString() throws(SpecFileError) -> String {
        let start = offset
        offset += 1
        var utf8: [UInt8] = []
        while true {
            guard offset < bytes.count else {
                offset = start
                throw error("the string that starts here is not closed")
            }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return String(decoding: utf8, as: UTF8.self)
            }
            guard byte >= 0x20 else {
                throw error("a control character (line break, tab, ...) inside a string; write it as an escape (\\n, \\t, ...)")
            }
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                offset += 1
                continue
            }
            let escape = offset + 1 < bytes.count ? bytes[offset + 1] : 0
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                guard let unit = hexadecimal(at: offset + 2) else {
                    throw error("\\u must be followed by 4 hexadecimal digits")
                }
                var scalar = Unicode.Scalar(unit)
                if (0xD800..<0xDC00).contains(unit), bytes[(offset + 6)...].starts(with: "\\u".utf8),
                   let low = hexadecimal(at: offset + 8), (0xDC00..<0xE000).contains(low) {
                    scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    offset += 6
                }
                utf8 += Array(String(Character(scalar ?? "\u{FFFD}")).utf8)
                offset += 4
            default:
                throw error("invalid escape in a string (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            }
            offset += 2
        }
    }

    /// The value of the 4 hexadecimal digits at `index`, if there are 4.
    private func hexadecimal(at index: Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        return UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
    }

    /// Reads a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, which a Double must hold.
    private mutating func readNumber() throws(SpecFileError) {
        let start = offset
        func digits(_ check: inout SpecFileJSONCheck) -> Int {
            let first = check.offset
            while check.offset < check.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(check.bytes[check.offset]) {
                check.offset += 1
            }
            return check.offset - first
        }
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let integerStart = offset
        guard digits(&self) > 0 else { throw error("expected a digit after '-' but found \(found())") }
        if bytes[integerStart] == UInt8(ascii: "0") && offset - integerStart > 1 {
            let text = String(decoding: bytes[start..<offset], as: UTF8.self)
            offset = start
            throw error("the number \(text) starts with 0 (JSON numbers have no leading zeros)")
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits(&self) > 0 else { throw error("expected a digit after '.' but found \(found())") }
        }
        let mantissaEnd = offset
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits(&self) > 0 else { throw error("expected a digit in the exponent but found \(found())") }
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        let value = Double(text) ?? .infinity
        let mantissaIsZero = bytes[start..<mantissaEnd].allSatisfy { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
        if !value.isFinite || (value == 0 && !mantissaIsZero) {
            offset = start
            throw error("the number \(text) is out of range (a Double holds magnitudes from about 1e-308 to 1.8e308)")
        }
    }

    private mutating func skipWhiteSpace() {
        while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) {
            offset += 1
        }
    }

    /// Refuses bytes that are not UTF-8, pointing at the first bad one.
    private mutating func checkUTF8() throws(SpecFileError) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var position = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): position += UTF8.width(scalar)
            case .emptyInput: return
            case .error:
                offset = position
                throw error("the file is not UTF-8 text")
            }
        }
    }

    private func describe(_ expectation: Expectation) -> String {
        let end = containers.last?.isObject == true ? "'}'" : "']'"
        switch expectation {
        case .value: return "a value"
        case .valueOrEnd: return "a value or ']'"
        case .keyOrEnd: return "a key (a string in double quotes) or '}'"
        case .key: return "a key (a string in double quotes)"
        case .colon: return "':'"
        case .commaOrEnd: return "',' or \(end)"
        case .endOfFile: return "end of file"
        }
    }

    /// The character at `offset`, for a message.
    private func found() -> String {
        guard offset < bytes.count else { return "end of file" }
        let character = String(decoding: bytes[offset..<min(offset + 4, bytes.count)], as: UTF8.self).first ?? "?"
        return "'\(character)'"
    }

    /// A refusal at `offset`, on the path of the value being read.
    private func error(_ message: String) -> SpecFileError {
        var line = 1
        var column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        var path = containers.compactMap(\.member)
        var variantIndex: Int?
        if path.count >= 2, path[0] == .key("variants"), case .index(let index) = path[1] {
            variantIndex = index
            path.removeFirst(2)
        }
        let field = path.map { component in
            switch component {
            case .key(let key): "." + key
            case .index(let index): "[\(index)]"
            }
        }.joined()
        return SpecFileError(variantIndex: variantIndex, variantName: nil,
                             field: field.hasPrefix(".") ? String(field.dropFirst()) : field,
                             message: "\(message) (line \(line), column \(column))")
    }
}
