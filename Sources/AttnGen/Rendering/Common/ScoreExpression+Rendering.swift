// Score expressions as C or CUDA source: one fp32 expression, fully parenthesised, over the locals of the score
// hook: `s` (float), `b h q k nq nk` and `heads_q` (int64_t) and `score_parameters` (const float *, the
// parameter arrays one after another, `heads_q` values each). The functions are C99's float ones (expf, logf,
// tanhf, fabsf, fminf, fmaxf), which CUDA device code has under the same names; the ALiBi slope is the runtime's
// `attngen_alibi_slope(h, heads_q)`. Expressions reach here validated: every constant is finite in fp32.

extension ScoreExpression {
    /// Source of this expression in fp32; `parameterIndex` gives the place of each parameter array in
    /// `score_parameters` (the order of `ScoreModifierModel.parameters`).
    func source(_ dialect: SourceDialect, parameterIndex: (String) -> Int) -> String {
        switch self {
        case .score:
            return "s"
        case .variable(let variable):
            return "((float)\(variable.rawValue))"
        case .constant(let value):
            let literal = Literals.float(value)
            return literal.hasPrefix("-") ? "(\(literal))" : literal
        case .parameter(let name):
            return "score_parameters[\(parameterIndex(name)) * heads_q + h]"
        case .standardAlibiSlope:
            return "attngen_alibi_slope(h, heads_q)"
        case .unary(.negate, let operand):
            return "(-\(operand.source(dialect, parameterIndex: parameterIndex)))"
        case .unary(let function, let operand):
            let name = switch function {
            case .exp: "expf"
            case .log: "logf"
            case .tanh: "tanhf"
            case .abs, .negate: "fabsf"
            }
            return "\(name)(\(operand.source(dialect, parameterIndex: parameterIndex)))"
        case .binary(let op, let lhs, let rhs):
            let (l, r) = (lhs.source(dialect, parameterIndex: parameterIndex), rhs.source(dialect, parameterIndex: parameterIndex))
            switch op {
            case .minimum: return "fminf(\(l), \(r))"
            case .maximum: return "fmaxf(\(l), \(r))"
            case .add, .subtract, .multiply, .divide: return "(\(l) \(op.rawValue) \(r))"
            }
        case .select(let condition, let lhs, let rhs):
            return "((\(condition.source(dialect, parameterIndex: parameterIndex))) ? "
                + "(\(lhs.source(dialect, parameterIndex: parameterIndex))) : "
                + "(\(rhs.source(dialect, parameterIndex: parameterIndex))))"
        }
    }
}

extension ScoreCondition {
    /// Source evaluating to non-zero (true) or zero (false); comparisons are of fp32 values.
    func source(_ dialect: SourceDialect, parameterIndex: (String) -> Int) -> String {
        switch self {
        case .comparison(let op, let lhs, let rhs):
            "(\(lhs.source(dialect, parameterIndex: parameterIndex)) \(op.rawValue) \(rhs.source(dialect, parameterIndex: parameterIndex)))"
        case .and(let lhs, let rhs):
            "(\(lhs.source(dialect, parameterIndex: parameterIndex)) && \(rhs.source(dialect, parameterIndex: parameterIndex)))"
        case .or(let lhs, let rhs):
            "(\(lhs.source(dialect, parameterIndex: parameterIndex)) || \(rhs.source(dialect, parameterIndex: parameterIndex)))"
        case .not(let operand):
            "(!\(operand.source(dialect, parameterIndex: parameterIndex)))"
        }
    }
}
