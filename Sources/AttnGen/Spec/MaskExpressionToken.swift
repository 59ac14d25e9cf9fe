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

    /// The tokens of `text`, ending with `.end`; `error` words the refusal of a bad character or number.
    static func tokens(of text: String, error: (String) -> SpecError) throws(SpecError) -> [MaskExpressionToken] {
        let characters = Array(text.unicodeScalars)
        var tokens: [MaskExpressionToken] = []
        var index = 0
        let twoCharacterSymbols: Set<String> = ["&&", "||", "==", "!=", "<=", ">="]
        while index < characters.count {
            let character = characters[index]
            if character.properties.isWhitespace {
                index += 1
            } else if ("0"..."9").contains(character) {
                var value: Int64 = 0
                while index < characters.count, ("0"..."9").contains(characters[index]) {
                    let digit = Int64(characters[index].value - 48)
                    let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times.addingReportingOverflow(digit)
                    guard !overflow1, !overflow2 else { throw error("integer too large") }
                    value = sum
                    index += 1
                }
                tokens.append(.integer(value))
            } else if character.properties.isAlphabetic || character == "_" {
                var name = ""
                while index < characters.count,
                      characters[index].properties.isAlphabetic || characters[index] == "_"
                      || ("0"..."9").contains(characters[index]) {
                    name.unicodeScalars.append(characters[index])
                    index += 1
                }
                tokens.append(.identifier(name))
            } else {
                if index + 1 < characters.count {
                    let pair = String(String.UnicodeScalarView([character, characters[index + 1]]))
                    if twoCharacterSymbols.contains(pair) {
                        tokens.append(.symbol(pair))
                        index += 2
                        continue
                    }
                }
                guard "+-*/%<>!(),".unicodeScalars.contains(character) else {
                    throw error("unexpected character '\(character)'")
                }
                tokens.append(.symbol(String(character)))
                index += 1
            }
        }
        tokens.append(.end)
        return tokens
    }
}
