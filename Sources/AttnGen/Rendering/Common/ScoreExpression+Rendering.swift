// Score expressions as C or CUDA source: one fp32 expression, fully parenthesised, over the locals of the score
// hook: `s` (float), `b h q k nq nk` and `heads_q` (int64_t) and `score_parameters` (const float *, the
// parameter arrays one after another, `heads_q` values each). The functions are C99's float ones (expf, logf,
// tanhf, fabsf, fminf, fmaxf); CUDA evaluates exp, log and tanh with the runtime's approximations on the
// multi-function unit (attngen_expf, attngen_logf, attngen_tanhf in attngen_runtime_cuda.cuh; README.md, "Score
// modifiers", gives their errors). The ALiBi slope is the runtime's `attngen_alibi_slope(h, heads_q)`. Expressions
// reach here validated: every constant is finite in fp32. `override` may render any subtree itself (the kernels'
// hoisted per-head values, ScoreKernelForm).

extension ScoreExpression {
    /// Source of this expression in fp32; `parameterIndex` gives the place of each parameter array in
    /// `score_parameters` (the order of `ScoreModifierModel.parameters`); `override` renders the subtrees it knows.
    func source(_ dialect: SourceDialect, parameterIndex: (String) -> Int,
                override: (ScoreExpression) -> String? = { _ in nil }) -> String {
        if let text = override(self) { return text }
        func render(_ e: ScoreExpression) -> String { e.source(dialect, parameterIndex: parameterIndex, override: override) }
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
            return "(-\(render(operand)))"
        case .unary(let function, let operand):
            let name = switch (function, dialect) {
            case (.exp, .c): "expf"
            case (.log, .c): "logf"
            case (.tanh, .c), (.tanhApprox, .c): "tanhf"
            case (.exp, .cuda): "attngen_expf"
            case (.log, .cuda): "attngen_logf"
            case (.tanh, .cuda): "attngen_tanhf"
            case (.tanhApprox, .cuda): "attngen_tanh_approx"
            case (.sechSquared, _): "attngen_sech2f"
            case (.abs, _), (.negate, _): "fabsf"
            }
            return "\(name)(\(render(operand)))"
        case .binary(let op, let lhs, let rhs):
            let (l, r) = (render(lhs), render(rhs))
            switch op {
            case .minimum: return "fminf(\(l), \(r))"
            case .maximum: return "fmaxf(\(l), \(r))"
            case .add, .subtract, .multiply, .divide: return "(\(l) \(op.rawValue) \(r))"
            }
        case .select(let condition, let lhs, let rhs):
            return "((\(condition.source(dialect, parameterIndex: parameterIndex, override: override))) ? "
                + "(\(render(lhs))) : (\(render(rhs))))"
        }
    }
}

extension ScoreCondition {
    /// Source evaluating to non-zero (true) or zero (false); comparisons are of fp32 values.
    func source(_ dialect: SourceDialect, parameterIndex: (String) -> Int,
                override: (ScoreExpression) -> String? = { _ in nil }) -> String {
        func render(_ e: ScoreExpression) -> String { e.source(dialect, parameterIndex: parameterIndex, override: override) }
        func render(_ c: ScoreCondition) -> String { c.source(dialect, parameterIndex: parameterIndex, override: override) }
        switch self {
        case .comparison(let op, let lhs, let rhs): return "(\(render(lhs)) \(op.rawValue) \(render(rhs)))"
        case .and(let lhs, let rhs): return "(\(render(lhs)) && \(render(rhs)))"
        case .or(let lhs, let rhs): return "(\(render(lhs)) || \(render(rhs)))"
        case .not(let operand): return "(!\(render(operand)))"
        }
    }
}
