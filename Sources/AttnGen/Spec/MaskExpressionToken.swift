/// A token of mask predicate text, as `MaskExpressionParser` reads it.
enum MaskExpressionToken: Equatable {
    case identifier(String)
    case integer(Int64)
    case symbol(String)
    case end

    /// How an error message shows the token.
    var described: String {
        switch self {
        case .identifier(let name): "'\(name)'"
        case .integer(let value): "'\(value)'"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "end of expression"
        }
    }
}

/// Reads the tokens of mask predicate text one at a time, so that a refusal stops reading: text far past the
/// parser's limits is refused after the first few hundred tokens, however long it is.
struct MaskExpressionTokenizer {
    private let text: String
    private let scalars: String.UnicodeScalarView
    private var index: String.UnicodeScalarView.Index
    private static let twoCharacterSymbols: Set<String> = ["&&", "||", "==", "!=", "<=", ">="]

    init(_ text: String) {
        self.text = text
        scalars = text.unicodeScalars
        index = scalars.startIndex
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
    private static func startsName(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isAlphabetic || scalar == "_" }

    /// The next token; `.end` once the text is read.
    mutating func next() throws(SpecError) -> MaskExpressionToken {
        while index < scalars.endIndex, scalars[index].properties.isWhitespace {
            index = scalars.index(after: index)
        }
        guard index < scalars.endIndex else { return .end }
        let character = scalars[index]
        if Self.isDigit(character) {
            var value: Int64 = 0
            while index < scalars.endIndex, Self.isDigit(scalars[index]) {
                let digit = Int64(scalars[index].value - 48)
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(digit)
                guard !overflow1, !overflow2 else { throw MaskExpressionParser.refusal("integer too large", in: text) }
                value = sum
                index = scalars.index(after: index)
            }
            return .integer(value)
        }
        if Self.startsName(character) {
            var name = ""
            while index < scalars.endIndex, Self.startsName(scalars[index]) || Self.isDigit(scalars[index]) {
                name.unicodeScalars.append(scalars[index])
                index = scalars.index(after: index)
            }
            return .identifier(name)
        }
        let following = scalars.index(after: index)
        if following < scalars.endIndex {
            let pair = String(String.UnicodeScalarView([character, scalars[following]]))
            if Self.twoCharacterSymbols.contains(pair) {
                index = scalars.index(after: following)
                return .symbol(pair)
            }
        }
        guard "+-*/%<>!(),".unicodeScalars.contains(character) else {
            throw MaskExpressionParser.refusal("unexpected character '\(character)'", in: text)
        }
        index = following
        return .symbol(String(character))
    }
}
