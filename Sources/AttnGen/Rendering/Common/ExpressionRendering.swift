// Mask predicates and index expressions as C or CUDA source. Floor division, floor modulo, minimum, maximum and
// absolute value call the runtime's helpers (attngen_floor_div, attngen_floor_mod and the dialect's 64-bit
// min/max/abs): each operand is written once, so nesting never multiplies the text, and no operand is compared
// with itself in the source. Predicates reach here lowered (`PredicateLowering`): free of overflow and of the
// tautologies compilers warn about.

extension IndexExpression {
    /// Source of this expression; `names` gives the source of each variable.
    func source(_ dialect: SourceDialect, names: (IndexVariable) -> String = { $0.rawValue }) -> String {
        switch self {
        case .variable(let variable):
            return names(variable)
        case .constant(let value):
            if value == Int64.min { return "INT64_MIN" }
            return value < 0 ? "(-(int64_t)\(value.magnitude))" : "(int64_t)\(value)"
        case .arithmetic(.floorDivide, let lhs, let rhs):
            return "attngen_floor_div(\(lhs.source(dialect, names: names)), \(rhs.source(dialect, names: names)))"
        case .arithmetic(.floorModulo, let lhs, let rhs):
            return "attngen_floor_mod(\(lhs.source(dialect, names: names)), \(rhs.source(dialect, names: names)))"
        case .arithmetic(let op, let lhs, let rhs):
            return "(\(lhs.source(dialect, names: names)) \(op.rawValue) \(rhs.source(dialect, names: names)))"
        case .negated(let operand):
            return "(-\(operand.source(dialect, names: names)))"
        case .absolute(let operand):
            return "\(dialect.absolute)(\(operand.source(dialect, names: names)))"
        case .minimum(let lhs, let rhs):
            return "\(dialect.minimum)(\(lhs.source(dialect, names: names)), \(rhs.source(dialect, names: names)))"
        case .maximum(let lhs, let rhs):
            return "\(dialect.maximum)(\(lhs.source(dialect, names: names)), \(rhs.source(dialect, names: names)))"
        }
    }
}

extension MaskPredicate {
    /// Source evaluating to non-zero (keep) or zero (mask).
    func source(_ dialect: SourceDialect, names: (IndexVariable) -> String = { $0.rawValue }) -> String {
        switch self {
        case .comparison(let op, let lhs, let rhs):
            "(\(lhs.source(dialect, names: names)) \(op.rawValue) \(rhs.source(dialect, names: names)))"
        case .and(let lhs, let rhs): "(\(lhs.source(dialect, names: names)) && \(rhs.source(dialect, names: names)))"
        case .or(let lhs, let rhs): "(\(lhs.source(dialect, names: names)) || \(rhs.source(dialect, names: names)))"
        case .not(let operand): "(!\(operand.source(dialect, names: names)))"
        case .constant(let value): value ? "1" : "0"
        }
    }
}
