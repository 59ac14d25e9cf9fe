/// Reads a mask predicate written as text, as the CLI and JSON spec files give it:
/// `q >= k && q - k < 256`, `(q / 64) == (k / 64) || k < 16`, `abs(q - k) <= 8`.
///
/// Grammar (C precedence): `||` < `&&` < `!` < comparison < `+ -` < `* / %` < unary `-` < atoms.
/// Atoms are integers, the variables b, h, q, k, nq, nk, `abs(x)`, `min(x, y)`, `max(x, y)`,
/// `true`, `false` and parenthesised expressions.
public struct MaskExpressionParser {
    private enum Token: Equatable {
        case identifier(String)
        case integer(Int64)
        case symbol(String)
        case end
    }

    private var tokens: [Token] = []
    private var position = 0
    private let text: String

    /// Parses `text`, throwing a `SpecError` on the field `mask.predicate` that says where it went wrong.
    public static func parse(_ text: String) throws(SpecError) -> MaskPredicate {
        var parser = MaskExpressionParser(text: text)
        try parser.tokenize()
        let predicate = try parser.parseOr()
        guard parser.peek == .end else { throw parser.error("unexpected \(parser.describe(parser.peek))") }
        return predicate
    }

    private init(text: String) {
        self.text = text
    }

    private func error(_ message: String) -> SpecError {
        SpecError(field: "mask.predicate", message: "\(message) in \"\(text)\"")
    }

    private mutating func tokenize() throws(SpecError) {
        let characters = Array(text.unicodeScalars)
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
    }

    private var peek: Token { tokens[position] }

    private func describe(_ token: Token) -> String {
        switch token {
        case .identifier(let name): "'\(name)'"
        case .integer(let value): "'\(value)'"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "end of expression"
        }
    }

    private mutating func accept(_ symbol: String) -> Bool {
        if peek == .symbol(symbol) {
            position += 1
            return true
        }
        return false
    }

    private mutating func expect(_ symbol: String) throws(SpecError) {
        guard accept(symbol) else { throw error("expected '\(symbol)' but found \(describe(peek))") }
    }

    private mutating func parseOr() throws(SpecError) -> MaskPredicate {
        var result = try parseAnd()
        while accept("||") { result = .or(result, try parseAnd()) }
        return result
    }

    private mutating func parseAnd() throws(SpecError) -> MaskPredicate {
        var result = try parseNot()
        while accept("&&") { result = .and(result, try parseNot()) }
        return result
    }

    private mutating func parseNot() throws(SpecError) -> MaskPredicate {
        if accept("!") { return .not(try parseNot()) }
        if peek == .identifier("true") { position += 1; return .constant(true) }
        if peek == .identifier("false") { position += 1; return .constant(false) }
        // A parenthesis may open a predicate or an integer expression: try the predicate first.
        if peek == .symbol("(") {
            let saved = position
            position += 1
            if let inner = try? parseOr(), accept(")") {
                if case .symbol(let next) = peek, ["==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"].contains(next) {
                    position = saved
                } else {
                    return inner
                }
            } else {
                position = saved
            }
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(SpecError) -> MaskPredicate {
        let lhs = try parseSum()
        for op in MaskPredicate.ComparisonOperator.allCases where accept(op.rawValue) {
            return .comparison(op, lhs, try parseSum())
        }
        throw error("expected a comparison (==, !=, <, <=, >, >=) but found \(describe(peek))")
    }

    private mutating func parseSum() throws(SpecError) -> IndexExpression {
        var result = try parseProduct()
        while true {
            if accept("+") { result = result + (try parseProduct()) }
            else if accept("-") { result = result - (try parseProduct()) }
            else { return result }
        }
    }

    private mutating func parseProduct() throws(SpecError) -> IndexExpression {
        var result = try parseUnary()
        while true {
            if accept("*") { result = result * (try parseUnary()) }
            else if accept("/") { result = result / (try parseUnary()) }
            else if accept("%") { result = result % (try parseUnary()) }
            else { return result }
        }
    }

    private mutating func parseUnary() throws(SpecError) -> IndexExpression {
        if accept("-") {
            let operand = try parseUnary()
            if case .constant(let value) = operand { return .constant(-value) }
            return .negated(operand)
        }
        return try parseAtom()
    }

    private mutating func parseAtom() throws(SpecError) -> IndexExpression {
        switch peek {
        case .integer(let value):
            position += 1
            return .constant(value)
        case .identifier(let name):
            position += 1
            switch name {
            case "abs", "min", "max":
                try expect("(")
                let first = try parseSum()
                if name == "abs" {
                    try expect(")")
                    return .absolute(first)
                }
                try expect(",")
                let second = try parseSum()
                try expect(")")
                return name == "min" ? .minimum(first, second) : .maximum(first, second)
            default:
                guard let variable = IndexVariable(rawValue: name) else {
                    let allowed = IndexVariable.allCases.map(\.rawValue).joined(separator: ", ")
                    throw error("unknown variable '\(name)' (allowed: \(allowed))")
                }
                return .variable(variable)
            }
        case .symbol("("):
            position += 1
            let inner = try parseSum()
            try expect(")")
            return inner
        default:
            throw error("expected a number, a variable or '(' but found \(describe(peek))")
        }
    }
}
