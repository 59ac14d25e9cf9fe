// The derivative of a score expression with respect to the score s, which the backward pass multiplies into
// dS (the chain rule through the modifier: dL/ds = dL/dm · dm/ds), and with respect to a run-time parameter array's
// entry name[h], which gives that parameter's gradient (dL/dp = sum of dL/dm · dm/dp over the head's scores).

/// What a score expression is differentiated with respect to.
public enum DifferentiationVariable: Sendable, Hashable {
    /// The score s.
    case score
    /// The entry `name[h]` of a run-time parameter array (the expression reads it only at its own head h).
    case parameter(String)
}

extension ScoreExpression {
    /// ∂/∂s, symbolic and simplified (`simplified()`): s → 1; the index variables, constants, parameters and the
    /// ALiBi slope → 0; sums, differences, the product and quotient rules; d exp(a) = exp(a) · a',
    /// d log(a) = a' / a, d tanh(a) = sech²(a) · a' (`sechSquared`, 1 / cosh²), d tanh_approx(a) =
    /// (1 - tanh_approx(a) · tanh_approx(a)) · a', d sech²(a) = -2 sech²(a) tanh(a) a', d abs(a) = where(a >= 0, a', -a'),
    /// d min(a, b) = where(a <= b, a', b'), d max(a, b) = where(a >= b, a', b'), d where(c, a, b) = where(c, a', b').
    ///
    /// At the kinks of abs, min, max and where the result is one of the one-sided derivatives. The derivative of
    /// ALiBi, `s - slope[h] * abs(q - k)`, is the constant 1; that of a soft cap `30 * tanh(s / 30)` is
    /// `sech2(s / 30)`.
    ///
    /// With respect to a parameter `.parameter(name)`, the same rules with that parameter the variable (→ 1) and s a
    /// constant: ALiBi with run-time slopes, `s - alibi_slopes[h] * abs(q - k)`, gives `-abs(q - k)`.
    public func derivative(withRespectTo variable: DifferentiationVariable = .score) -> ScoreExpression {
        differentiated(variable).simplified()
    }

    /// The derivative built with the simplifying constructors (so that zero terms vanish as they appear).
    private func differentiated(_ variable: DifferentiationVariable) -> ScoreExpression {
        switch self {
        case .score:
            return .constant(variable == .score ? 1 : 0)
        case .parameter(let name):
            return .constant(variable == .parameter(name) ? 1 : 0)
        case .variable, .constant, .standardAlibiSlope:
            return .constant(0)
        case .unary(let function, let a):
            let da = a.differentiated(variable)
            if da.isZero { return .constant(0) }
            switch function {
            case .negate:
                return .applying(.negate, da)
            case .exp:
                return .applying(.multiply, self, da)
            case .log:
                return .applying(.divide, da, a)
            case .tanh:
                // 1 / cosh², not 1 - tanh²: the kernels evaluate it without the cancellation where tanh is near ±1
                // (a soft cap's saturated scores), where 1 - tanh² in fp32 keeps few correct bits.
                return .applying(.multiply, .applying(.sechSquared, a), da)
            case .tanhApprox:
                // The fast tanh's derivative from its own value (its error, 2^-11, is above that cancellation).
                let square = ScoreExpression.applying(.multiply, self, self)
                return .applying(.multiply, .applying(.subtract, .constant(1), square), da)
            case .sechSquared:
                // d sech²(a) = -2 sech²(a) tanh(a) a'.
                let product = ScoreExpression.applying(.multiply, self, .applying(.tanh, a))
                return .applying(.multiply, .applying(.multiply, .constant(-2), product), da)
            case .abs:
                return .choosing(.comparison(.greaterOrEqual, a, .constant(0)), da, .applying(.negate, da))
            }
        case .binary(let op, let a, let b):
            let (da, db) = (a.differentiated(variable), b.differentiated(variable))
            switch op {
            case .add:
                return .applying(.add, da, db)
            case .subtract:
                return .applying(.subtract, da, db)
            case .multiply:
                return .applying(.add, .applying(.multiply, da, b), .applying(.multiply, a, db))
            case .divide:
                if db.isZero { return .applying(.divide, da, b) }
                let numerator = ScoreExpression.applying(.subtract, .applying(.multiply, da, b), .applying(.multiply, a, db))
                return .applying(.divide, numerator, .applying(.multiply, b, b))
            case .minimum:
                return .choosing(.comparison(.lessOrEqual, a, b), da, db)
            case .maximum:
                return .choosing(.comparison(.greaterOrEqual, a, b), da, db)
            }
        case .select(let condition, let a, let b):
            return .choosing(condition, a.differentiated(variable), b.differentiated(variable))
        }
    }
}
