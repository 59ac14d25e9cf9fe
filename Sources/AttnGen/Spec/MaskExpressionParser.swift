/// Reads a mask predicate written as text, as the CLI and JSON spec files give it:
/// `q >= k && q - k < 256`, `(q / 64) == (k / 64) || k < 16`, `abs(q - k) <= 8`.
///
/// Grammar (C precedence): `||` < `&&` < `!` < comparison < `+ -` < `* / %` < unary `-` < atoms.
/// Atoms are integers, the variables b, h, q, k, nq, nk, `abs(x)`, `min(x, y)`, `max(x, y)`,
/// `true`, `false` and parenthesised expressions.
///
/// The parser reads each token once and keeps the operators waiting for their operands on a stack of its own
/// (operator precedence), so it takes time linear in the text and never recurses. A parenthesised group is
/// parsed as whatever it holds, a predicate or an integer expression; the operator around it then checks that
/// it got the kind it needs. Parentheses, `!`, unary `-` and `abs`/`min`/`max` may nest `maximumNesting`
/// levels, and the tree built must stay within `MaskPredicate.maximumDepth` and `.maximumOperators`, which
/// bounds the recursion of every later stage.
public struct MaskExpressionParser {
    /// The most parentheses, `!`, unary `-` and `abs`/`min`/`max` calls open at once. Twice
    /// `MaskPredicate.maximumDepth`, so that the canonical text of every predicate within the depth limit,
    /// which may open two levels per operator (`!(` and `(-`), reads back.
    public static let maximumNesting = 2 * MaskPredicate.maximumDepth

    /// What a stretch of text parsed to: a predicate or an integer expression, with the depth of its tree
    /// (operators from its root to its deepest leaf, as `MaskPredicate.maximumDepth` counts them).
    private struct Parsed {
        enum Value {
            case predicate(MaskPredicate)
            case integer(IndexExpression)
        }

        var value: Value
        var depth: Int
    }

    /// A binary operator, with its C precedence (higher binds tighter).
    private enum Binary {
        case or
        case and
        case comparison(MaskPredicate.ComparisonOperator)
        case arithmetic(IndexExpression.ArithmeticOperator)

        init?(_ symbol: String) {
            switch symbol {
            case "||": self = .or
            case "&&": self = .and
            default:
                if let op = MaskPredicate.ComparisonOperator(rawValue: symbol) {
                    self = .comparison(op)
                } else if let op = IndexExpression.ArithmeticOperator(rawValue: symbol) {
                    self = .arithmetic(op)
                } else {
                    return nil
                }
            }
        }

        var precedence: Int {
            switch self {
            case .or: 1
            case .and: 2
            case .comparison: 4
            case .arithmetic(.add), .arithmetic(.subtract): 5
            case .arithmetic: 6
            }
        }

        var symbol: String {
            switch self {
            case .or: "||"
            case .and: "&&"
            case .comparison(let op): op.rawValue
            case .arithmetic(let op): op.rawValue
            }
        }
    }

    /// An operator still waiting for an operand, or a parenthesis waiting to be closed.
    private enum Pending {
        case binary(Binary)
        /// `!`, which binds tighter than `&&` and looser than a comparison (precedence 3).
        case not
        /// Unary `-`, which binds tighter than `*` (precedence 7).
        case negate
        case group
        /// `abs(`, `min(` or `max(`, with the arguments complete so far.
        case call(String, arguments: Int)

        /// Nil for a group or a call: those wait for their `)`.
        var precedence: Int? {
            switch self {
            case .binary(let binary): binary.precedence
            case .not: 3
            case .negate: 7
            case .group, .call: nil
            }
        }
    }

    private let text: String
    private var tokenizer: MaskExpressionTokenizer
    /// The current token.
    private var peek = MaskExpressionToken.end
    private var operands: [Parsed] = []
    private var pending: [Pending] = []
    /// Parentheses, `!`, unary `-` and calls open now.
    private var nesting = 0
    /// Operators in the tree built so far.
    private var operators = 0

    /// Parses `text`, throwing a `SpecError` on the field `mask.predicate` that says where it went wrong.
    public static func parse(_ text: String) throws(SpecError) -> MaskPredicate {
        var parser = MaskExpressionParser(text: text)
        try parser.advance()
        return try parser.parsePredicate()
    }

    private init(text: String) {
        self.text = text
        tokenizer = MaskExpressionTokenizer(text)
    }

    /// A refusal of `text`, which the message quotes (shortened).
    static func refusal(_ message: String, in text: String) -> SpecError {
        let shown = text.prefix(81).count <= 80 ? text : text.prefix(77) + "..."
        return SpecError(field: "mask.predicate", message: "\(message) in \"\(shown)\"")
    }

    private func error(_ message: String) -> SpecError {
        Self.refusal(message, in: text)
    }

    /// Steps to the next token.
    private mutating func advance() throws(SpecError) {
        peek = try tokenizer.next()
    }

    private mutating func parsePredicate() throws(SpecError) -> MaskPredicate {
        var expectingOperand = true
        while true {
            let token = peek
            if expectingOperand {
                expectingOperand = try readOperand(token)
                continue
            }
            switch token {
            case .symbol(let symbol) where Binary(symbol) != nil:
                let binary = Binary(symbol)!
                try reduce(downTo: binary.precedence)
                // The left operand is complete: check its kind now, while the message can point at the operator.
                switch binary {
                case .or, .and: _ = try predicate(operands[operands.count - 1])
                case .comparison, .arithmetic: _ = try integer(operands[operands.count - 1], for: "'\(symbol)'")
                }
                pending.append(.binary(binary))
                try advance()
                expectingOperand = true
            case .symbol(")"):
                try reduce(downTo: 0)
                try close()
                try advance()
            case .symbol(","):
                try reduce(downTo: 0)
                guard case .call(let name, 0)? = pending.last, name != "abs" else {
                    throw error(pending.isEmpty ? "unexpected ','" : "expected ')' but found ','")
                }
                _ = try integer(operands[operands.count - 1], for: "\(name)()")
                pending[pending.count - 1] = .call(name, arguments: 1)
                try advance()
                expectingOperand = true
            case .end:
                try reduce(downTo: 0)
                guard pending.isEmpty else { throw error("expected ')' but found end of expression") }
                return try predicate(operands[0])
            default:
                throw error("unexpected \(token.described)")
            }
        }
    }

    /// Reads what may start an operand: a prefix operator or an opening parenthesis (after which an operand is
    /// still expected), or an atom. Returns whether an operand is still expected.
    private mutating func readOperand(_ token: MaskExpressionToken) throws(SpecError) -> Bool {
        switch token {
        case .symbol("!"):
            try open(.not)
        case .symbol("-"):
            try open(.negate)
        case .symbol("("):
            try open(.group)
        case .integer(let value):
            try advance()
            operands.append(Parsed(value: .integer(.constant(value)), depth: 0))
            return false
        case .identifier(let name):
            switch name {
            case "true", "false":
                try advance()
                operands.append(Parsed(value: .predicate(.constant(name == "true")), depth: 0))
                return false
            case "abs", "min", "max":
                try advance()
                guard peek == .symbol("(") else { throw error("expected '(' but found \(peek.described)") }
                try open(.call(name, arguments: 0))
            default:
                guard let variable = IndexVariable(rawValue: name) else {
                    let allowed = IndexVariable.allCases.map(\.rawValue).joined(separator: ", ")
                    throw error("unknown variable '\(name)' (allowed: \(allowed))")
                }
                try advance()
                operands.append(Parsed(value: .integer(.variable(variable)), depth: 0))
                return false
            }
        default:
            throw error("expected a number, a variable or '(' but found \(token.described)")
        }
        return true
    }

    /// Pushes a prefix operator, a group or a call, and steps over its token.
    private mutating func open(_ operator: Pending) throws(SpecError) {
        nesting += 1
        guard nesting <= Self.maximumNesting else {
            throw error("nests more than \(Self.maximumNesting) levels of parentheses, '!', unary '-' and "
                        + "abs/min/max (the limit is \(Self.maximumNesting))")
        }
        pending.append(`operator`)
        try advance()
    }

    /// Applies the waiting operators that bind at least as tightly as `precedence`, innermost first.
    private mutating func reduce(downTo precedence: Int) throws(SpecError) {
        while let top = pending.last, let topPrecedence = top.precedence, topPrecedence >= precedence {
            pending.removeLast()
            let operand = operands.removeLast()
            switch top {
            case .not:
                nesting -= 1
                operands.append(try node(.predicate(.not(try predicate(operand))), operand))
            case .negate:
                nesting -= 1
                let value = try integer(operand, for: "unary '-'")
                if case .constant(let constant) = value {
                    operands.append(Parsed(value: .integer(.constant(-constant)), depth: 0))
                } else {
                    operands.append(try node(.integer(.negated(value)), operand))
                }
            case .binary(let binary):
                let lhs = operands.removeLast()
                let value: Parsed.Value
                switch binary {
                case .or: value = .predicate(.or(try predicate(lhs), try predicate(operand)))
                case .and: value = .predicate(.and(try predicate(lhs), try predicate(operand)))
                case .comparison(let op):
                    value = .predicate(.comparison(op, try integer(lhs, for: "'\(op.rawValue)'"),
                                                   try integer(operand, for: "'\(op.rawValue)'")))
                case .arithmetic(let op):
                    value = .integer(.arithmetic(op, try integer(lhs, for: "'\(op.rawValue)'"),
                                                 try integer(operand, for: "'\(op.rawValue)'")))
                }
                operands.append(try node(value, lhs, operand))
            case .group, .call:
                preconditionFailure("groups and calls wait for their ')'")
            }
        }
    }

    /// Closes the innermost group (whose operand stays as it is) or call.
    private mutating func close() throws(SpecError) {
        guard let top = pending.popLast() else { throw error("unexpected ')'") }
        nesting -= 1
        guard case .call(let name, let arguments) = top else { return }
        if name != "abs" && arguments == 0 { throw error("expected ',' but found ')'") }
        let last = operands.removeLast()
        let lastValue = try integer(last, for: "\(name)()")
        if name == "abs" {
            operands.append(try node(.integer(.absolute(lastValue)), last))
        } else {
            let first = operands.removeLast()
            let firstValue = try integer(first, for: "\(name)()")
            let value: IndexExpression = name == "min" ? .minimum(firstValue, lastValue) : .maximum(firstValue, lastValue)
            operands.append(try node(.integer(value), first, last))
        }
    }

    /// The predicate `parsed` holds; an integer expression there lacks its comparison.
    private func predicate(_ parsed: Parsed) throws(SpecError) -> MaskPredicate {
        switch parsed.value {
        case .predicate(let predicate): return predicate
        case .integer: throw error("expected a comparison (==, !=, <, <=, >, >=) but found \(peek.described)")
        }
    }

    /// The integer expression `parsed` holds, as an operand of `use`.
    private func integer(_ parsed: Parsed, for use: String) throws(SpecError) -> IndexExpression {
        switch parsed.value {
        case .integer(let expression): return expression
        case .predicate: throw error("\(use) needs an integer expression, not a predicate")
        }
    }

    /// A new operator node over `first` (and `second`), refused past the tree's limits.
    private mutating func node(_ value: Parsed.Value, _ first: Parsed, _ second: Parsed? = nil) throws(SpecError) -> Parsed {
        let depth = 1 + max(first.depth, second?.depth ?? 0)
        operators += 1
        guard depth <= MaskPredicate.maximumDepth else {
            throw error("nests more than \(MaskPredicate.maximumDepth) operators deep (each operator of a chain like "
                        + "'a + b + c' adds a level; the limit is \(MaskPredicate.maximumDepth))")
        }
        guard operators <= MaskPredicate.maximumOperators else {
            throw error("has more than \(MaskPredicate.maximumOperators) operators (the limit is \(MaskPredicate.maximumOperators))")
        }
        return Parsed(value: value, depth: depth)
    }
}
