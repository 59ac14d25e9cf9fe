/// A token of score expression text, as `ScoreExpressionParser` reads it, with the place it starts.
struct ScoreExpressionToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        /// A decimal number, with the text it was read from (for messages).
        case number(Double, text: String)
        case symbol(String)
        case end
    }

    var kind: Kind
    /// The character (Unicode scalar) the token starts at, counting from 1; one past the text for `.end`.
    var position: Int

    /// How an error message shows the token.
    var described: String {
        switch kind {
        case .identifier(let name): "'\(name)'"
        case .number(_, let text): "'\(text)'"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "end of expression"
        }
    }

    /// Whether the token is the symbol `symbol`.
    func isSymbol(_ symbol: String) -> Bool { kind == .symbol(symbol) }
}

/// Reads the tokens of score expression text one at a time, so that a refusal stops reading: text far past the
/// parser's limits is refused after the first few hundred tokens, however long it is.
///
/// Names are ASCII C identifiers (`[A-Za-z_][A-Za-z0-9_]*`); numbers are decimal, `digits [. digits]
/// [(e|E) [+|-] digits]`, without a sign (a leading `-` is the parser's).
struct ScoreExpressionTokenizer {
    private let text: String
    private let scalars: String.UnicodeScalarView
    private var index: String.UnicodeScalarView.Index
    /// The 1-based character number of `index`.
    private var position = 1
    private static let twoCharacterSymbols: Set<String> = ["&&", "||", "==", "!=", "<=", ">="]
    private static let oneCharacterSymbols = "+-*/<>!(),[]"

    init(_ text: String) {
        self.text = text
        scalars = text.unicodeScalars
        index = scalars.startIndex
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
    private static func startsName(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
    }

    private var current: Unicode.Scalar? { index < scalars.endIndex ? scalars[index] : nil }

    private mutating func step() {
        index = scalars.index(after: index)
        position += 1
    }

    /// Appends the digits from here on to `text`; returns how many there were.
    private mutating func readDigits(into text: inout String) -> Int {
        var count = 0
        while let scalar = current, Self.isDigit(scalar) {
            text.unicodeScalars.append(scalar)
            step()
            count += 1
        }
        return count
    }

    /// The next token; `.end` once the text is read.
    mutating func next() throws(SpecError) -> ScoreExpressionToken {
        while let scalar = current, scalar.properties.isWhitespace { step() }
        let start = position
        guard let character = current else { return ScoreExpressionToken(kind: .end, position: start) }
        if Self.isDigit(character) {
            var number = ""
            _ = readDigits(into: &number)
            if current == "." {
                number += "."
                step()
                guard readDigits(into: &number) > 0 else {
                    throw ScoreExpressionParser.refusal("expected a digit after '\(number)'", at: position, in: text)
                }
            }
            if current == "e" || current == "E" {
                number.unicodeScalars.append(current!)
                step()
                if current == "+" || current == "-" {
                    number.unicodeScalars.append(current!)
                    step()
                }
                guard readDigits(into: &number) > 0 else {
                    throw ScoreExpressionParser.refusal("expected the digits of the exponent of '\(number)'",
                                                        at: position, in: text)
                }
            }
            if let scalar = current, Self.startsName(scalar) {
                throw ScoreExpressionParser.refusal("unexpected '\(scalar)' after the number '\(number)'",
                                                    at: position, in: text)
            }
            guard let value = Double(number), value.isFinite else {
                throw ScoreExpressionParser.refusal("the number '\(number)' is out of range", at: start, in: text)
            }
            return ScoreExpressionToken(kind: .number(value, text: number), position: start)
        }
        if Self.startsName(character) {
            var name = ""
            while let scalar = current, Self.startsName(scalar) || Self.isDigit(scalar) {
                name.unicodeScalars.append(scalar)
                step()
            }
            return ScoreExpressionToken(kind: .identifier(name), position: start)
        }
        let following = scalars.index(after: index)
        if following < scalars.endIndex {
            let pair = String(String.UnicodeScalarView([character, scalars[following]]))
            if Self.twoCharacterSymbols.contains(pair) {
                step()
                step()
                return ScoreExpressionToken(kind: .symbol(pair), position: start)
            }
        }
        guard Self.oneCharacterSymbols.unicodeScalars.contains(character) else {
            throw ScoreExpressionParser.refusal("unexpected character '\(character)'", at: start, in: text)
        }
        step()
        return ScoreExpressionToken(kind: .symbol(String(character)), position: start)
    }
}
