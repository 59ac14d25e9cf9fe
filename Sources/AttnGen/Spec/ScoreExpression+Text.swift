// Score expressions as canonical text: parentheses only where the grammar needs them (`s - 0.5 * abs(q - k)`,
// `30 * tanh(s / 30)`), and `ScoreExpressionParser` reads the text back to an equal tree.

extension ScoreExpression: CustomStringConvertible {
    /// Canonical text, which `ScoreExpressionParser` reads back to an equal expression. Constants are written so
    /// that they read back exactly (Swift's shortest representation, integers without a fraction); negative
    /// constants are parenthesised (`(-2)`), and the negation of a constant is written `-(2)`.
    public var description: String { text(above: 0) }

    /// The grammar's precedence of the node's text: 5 for `+ -`, 6 for `* /`, 7 for unary `-`, 8 for atoms.
    private var precedence: Int {
        switch self {
        case .binary(.add, _, _), .binary(.subtract, _, _): 5
        case .binary(.multiply, _, _), .binary(.divide, _, _): 6
        case .unary(.negate, _): 7
        default: 8
        }
    }

    /// The text, parenthesised when the node binds more loosely than `minimum`.
    func text(above minimum: Int) -> String {
        let body: String
        switch self {
        case .score: body = "s"
        case .variable(let variable): body = variable.rawValue
        case .constant(let value):
            body = value.sign == .minus ? "(-\(Self.numberText(-value)))" : Self.numberText(value)
        case .parameter(let name): body = "\(name)[h]"
        case .standardAlibiSlope: body = "alibi_slope(h)"
        case .unary(.negate, let operand):
            if case .constant(let value) = operand, value.sign == .plus {
                body = "-(\(Self.numberText(value)))"
            } else {
                body = "-" + operand.text(above: 8)
            }
        case .unary(let function, let operand): body = "\(function.rawValue)(\(operand))"
        case .binary(let op, let lhs, let rhs) where op == .minimum || op == .maximum:
            body = "\(op.rawValue)(\(lhs), \(rhs))"
        case .binary(let op, let lhs, let rhs):
            // Left-associative: a right operand of the same precedence keeps its parentheses, so the tree reads back.
            body = "\(lhs.text(above: precedence)) \(op.rawValue) \(rhs.text(above: precedence + 1))"
        case .select(let condition, let lhs, let rhs): body = "where(\(condition), \(lhs), \(rhs))"
        }
        return precedence < minimum ? "(\(body))" : body
    }

    /// A non-negative number as the parser reads it back exactly: integers below 2^53 without a fraction (`30`),
    /// everything else in Swift's shortest form (`0.5`, `1e-05`, `1e+30`).
    static func numberText(_ value: Double) -> String {
        if value == value.rounded(), value.magnitude < 0x1p53 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension ScoreCondition: CustomStringConvertible {
    /// Canonical text: comparisons, `&&` and `||` with parentheses where the grammar needs them, `!(...)`.
    public var description: String { text(above: 0) }

    /// The grammar's precedence of the node's text: 1 for `||`, 2 for `&&`, 3 for `!`, 4 for comparisons.
    private var precedence: Int {
        switch self {
        case .or: 1
        case .and: 2
        case .not: 3
        case .comparison: 4
        }
    }

    func text(above minimum: Int) -> String {
        let body: String
        switch self {
        case .comparison(let op, let lhs, let rhs): body = "\(lhs) \(op.rawValue) \(rhs)"
        case .and(let lhs, let rhs): body = "\(lhs.text(above: 2)) && \(rhs.text(above: 3))"
        case .or(let lhs, let rhs): body = "\(lhs.text(above: 1)) || \(rhs.text(above: 2))"
        case .not(let operand): body = "!(\(operand))"
        }
        return precedence < minimum ? "(\(body))" : body
    }
}

extension ScoreModifier: CustomStringConvertible {
    /// The modifier in words, one line: `ALiBi (standard slopes, top-left)`, `soft cap 30: 30 * tanh(s / 30)`,
    /// `score expression: s - 0.5 * abs(q - k)`.
    public var description: String {
        switch self {
        case .alibi(let slopes, let alignment):
            let source = slopes == .standard ? "standard slopes" : "run-time slopes \(ScoreModifier.alibiParameter)[h]"
            return "ALiBi (\(source), \(alignment.rawValue))"
        case .softcap(let cap):
            return "soft cap \(ScoreExpression.constant(cap)): \(lowered)"
        case .expression(let expression):
            return "score expression: \(expression)"
        }
    }
}
