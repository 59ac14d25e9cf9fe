/// A floating-point expression over the score and the indices: the body of a score modifier
/// (README.md, "Score modifiers"), e.g. `s - 0.5 * abs(q - k)` or `30 * tanh(s / 30)`.
///
/// `s` is the scaled score `scale · Σ Q·K` in natural-log units; the kernels replace it by the expression's value
/// before the masks and the softmax. The index variables (b, h, q, k, nq, nk) are converted to fp32 where they
/// are read (exact below 2^24); every operation is fp32 arithmetic in the kernels and float64 in the reference.
public indirect enum ScoreExpression: Sendable, Hashable {
    /// The scaled score `s`.
    case score
    /// An index variable, converted to floating point.
    case variable(IndexVariable)
    /// A constant (rounded once to fp32 in the kernels).
    case constant(Double)
    /// A run-time parameter array read at the query head, `name[h]`: `heads_q` fp32 values per name, passed in the
    /// call's `score_parameters` (README.md, "Score modifiers").
    case parameter(String)
    /// The ALiBi paper's geometric slope of query head `h` of `heads_q` (`attngen_alibi_slope` in each runtime).
    case standardAlibiSlope
    /// A function of one operand.
    case unary(ScoreFunction, ScoreExpression)
    /// An operator or function of two operands.
    case binary(ScoreOperator, ScoreExpression, ScoreExpression)
    /// `where(condition, then, else)`.
    case select(ScoreCondition, ScoreExpression, ScoreExpression)

    /// The one-operand functions.
    public enum ScoreFunction: String, Sendable, Hashable, CaseIterable {
        case negate = "-"
        case exp
        case log
        case tanh
        /// tanh on the GPU's special-function unit (`tanh.approx.f32`: one instruction instead of two, relative
        /// error up to 2^-10.99); C and the reference evaluate it as tanh. The fast choice for a soft cap.
        case tanhApprox = "tanh_approx"
        case abs
        /// 1 / cosh², the derivative of `tanh`, which only differentiation writes (the score language has no
        /// name for it: the parser never produces it). The kernels evaluate it without the cancellation of
        /// 1 - tanh² where tanh is near ±1 (`attngen_sech2f`; README.md, "Score modifiers").
        case sechSquared = "sech2"
    }

    /// The two-operand operators and functions.
    public enum ScoreOperator: String, Sendable, Hashable, CaseIterable {
        case add = "+"
        case subtract = "-"
        case multiply = "*"
        case divide = "/"
        case minimum = "min"
        case maximum = "max"
    }

    public static let s = ScoreExpression.score
}

/// The condition of a `where`: comparisons of score expressions, combined with `&&`, `||` and `!`.
public indirect enum ScoreCondition: Sendable, Hashable {
    case comparison(MaskPredicate.ComparisonOperator, ScoreExpression, ScoreExpression)
    case and(ScoreCondition, ScoreCondition)
    case or(ScoreCondition, ScoreCondition)
    case not(ScoreCondition)
}

/// One score modifier of a spec. A spec's modifiers apply in order, each to the score the previous one produced;
/// they are lowered to one `ScoreExpression` (`ScoreModifierModel`).
public enum ScoreModifier: Sendable, Hashable {
    /// ALiBi: `s - slope[h] · |q + shift - k|`, shift = 0 (top-left) or Nk - Nq (bottom-right), with the standard
    /// geometric slopes of the query heads or a run-time array (`alibi_slopes[h]`).
    case alibi(slopes: AlibiSlopes, alignment: DiagonalAlignment)
    /// A tanh soft cap: `cap · tanh(s / cap)`, cap > 0.
    case softcap(Double)
    /// A general expression (`ScoreExpression`).
    case expression(ScoreExpression)

    /// Where the ALiBi slopes come from.
    public enum AlibiSlopes: String, Sendable, Hashable, CaseIterable {
        /// 2^(-8 (h + 1) / n) for n = heads_q a power of two, and the paper's interleaving otherwise.
        case standard
        /// The run-time parameter array `alibi_slopes` (one fp32 per query head).
        case runtime
    }

    /// ALiBi with the standard slopes, top-left aligned.
    public static var alibi: ScoreModifier { .alibi(slopes: .standard, alignment: .topLeft) }
}
