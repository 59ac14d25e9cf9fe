// Mask expressions as text (the canonical form the parser reads back), evaluation in Swift, and the queries
// validation needs. Their C and CUDA source is rendered in Rendering/Common/ExpressionRendering.swift.

extension IndexExpression: CustomStringConvertible {
    /// Canonical text, fully parenthesised where needed; `MaskExpressionParser` reads it back.
    public var description: String {
        switch self {
        case .variable(let variable): variable.rawValue
        case .constant(let value): value < 0 ? "(\(value))" : "\(value)"
        case .arithmetic(let op, let lhs, let rhs): "(\(lhs) \(op.rawValue) \(rhs))"
        case .negated(let operand): "(-\(operand))"
        case .absolute(let operand): "abs(\(operand))"
        case .minimum(let lhs, let rhs): "min(\(lhs), \(rhs))"
        case .maximum(let lhs, let rhs): "max(\(lhs), \(rhs))"
        }
    }

    /// Evaluates the expression (floor semantics for `/` and `%`), for planners and tests.
    public func evaluate(_ value: (IndexVariable) -> Int64) -> Int64 {
        switch self {
        case .variable(let variable): return value(variable)
        case .constant(let constant): return constant
        case .arithmetic(let op, let lhs, let rhs):
            let (l, r) = (lhs.evaluate(value), rhs.evaluate(value))
            switch op {
            case .add: return l &+ r
            case .subtract: return l &- r
            case .multiply: return l &* r
            case .floorDivide:
                let quotient = l / r
                return (l % r != 0 && ((l < 0) != (r < 0))) ? quotient - 1 : quotient
            case .floorModulo:
                let remainder = l % r
                return (remainder != 0 && ((remainder < 0) != (r < 0))) ? remainder + r : remainder
            }
        case .negated(let operand): return 0 &- operand.evaluate(value)
        case .absolute(let operand): let v = operand.evaluate(value); return v < 0 ? 0 &- v : v
        case .minimum(let lhs, let rhs): return Swift.min(lhs.evaluate(value), rhs.evaluate(value))
        case .maximum(let lhs, let rhs): return Swift.max(lhs.evaluate(value), rhs.evaluate(value))
        }
    }

    /// Every variable the expression reads.
    public var variables: Set<IndexVariable> {
        switch self {
        case .variable(let variable): [variable]
        case .constant: []
        case .arithmetic(_, let lhs, let rhs), .minimum(let lhs, let rhs), .maximum(let lhs, let rhs):
            lhs.variables.union(rhs.variables)
        case .negated(let operand), .absolute(let operand): operand.variables
        }
    }

    /// Every divisor of `/` and `%` in the expression, for validation.
    var divisors: [IndexExpression] {
        switch self {
        case .variable, .constant: []
        case .arithmetic(let op, let lhs, let rhs):
            lhs.divisors + rhs.divisors + ((op == .floorDivide || op == .floorModulo) ? [rhs] : [])
        case .minimum(let lhs, let rhs), .maximum(let lhs, let rhs): lhs.divisors + rhs.divisors
        case .negated(let operand), .absolute(let operand): operand.divisors
        }
    }
}

extension MaskPredicate: CustomStringConvertible {
    public var description: String {
        switch self {
        case .comparison(let op, let lhs, let rhs): "\(lhs) \(op.rawValue) \(rhs)"
        case .and(let lhs, let rhs): "(\(lhs) && \(rhs))"
        case .or(let lhs, let rhs): "(\(lhs) || \(rhs))"
        case .not(let operand): "!(\(operand))"
        case .constant(let value): value ? "true" : "false"
        }
    }

    public func evaluate(_ value: (IndexVariable) -> Int64) -> Bool {
        switch self {
        case .comparison(let op, let lhs, let rhs):
            let (l, r) = (lhs.evaluate(value), rhs.evaluate(value))
            switch op {
            case .equal: return l == r
            case .notEqual: return l != r
            case .less: return l < r
            case .lessOrEqual: return l <= r
            case .greater: return l > r
            case .greaterOrEqual: return l >= r
            }
        case .and(let lhs, let rhs): return lhs.evaluate(value) && rhs.evaluate(value)
        case .or(let lhs, let rhs): return lhs.evaluate(value) || rhs.evaluate(value)
        case .not(let operand): return !operand.evaluate(value)
        case .constant(let constant): return constant
        }
    }

    public var variables: Set<IndexVariable> {
        switch self {
        case .comparison(_, let lhs, let rhs): lhs.variables.union(rhs.variables)
        case .and(let lhs, let rhs), .or(let lhs, let rhs): lhs.variables.union(rhs.variables)
        case .not(let operand): operand.variables
        case .constant: []
        }
    }

    var divisors: [IndexExpression] {
        switch self {
        case .comparison(_, let lhs, let rhs): lhs.divisors + rhs.divisors
        case .and(let lhs, let rhs), .or(let lhs, let rhs): lhs.divisors + rhs.divisors
        case .not(let operand): operand.divisors
        case .constant: []
        }
    }
}
