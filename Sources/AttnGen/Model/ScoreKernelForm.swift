/// A score modifier in the form the kernels evaluate it, derived from `ScoreModifierModel` once per variant:
///
/// - the input is the kernel's own score `x` (`s = inputScale · x`: the softmax scale for the raw Q·Kᵀ of the CUDA
///   kernels and the C backward pass, ln 2 for the C forward pass, whose scores are in base 2 already);
/// - the value comes out times `outputScale` (log2 e: base 2, the unit of every softmax), the derivative
///   ∂m/∂s unscaled;
/// - constant factors are pushed through sums, differences, `where`, `min`/`max` and into constant or per-head
///   factors, and division by a constant becomes multiplication by its reciprocal, so that for ALiBi the value is
///   `(scale log2 e) · x - (log2 e · slope) · |q - k|`, one multiply-add per score after the per-head product;
/// - every subexpression that depends on neither the score nor the positions q and k (per-head parameters,
///   slopes, `nk - nq`, and their products) is hoisted into a state computed once per (batch, head): `hoisted`.
///
/// The rewrites reassociate fp32 arithmetic, moving results by a few units in the last place; the float64
/// reference evaluates the spec's own expressions.
struct ScoreKernelForm: Sendable {
    /// The value, over `.score` (x), `.variable(.query)`, `.variable(.key)` and hoisted subexpressions.
    var value: ScoreExpression
    /// ∂m/∂s at s = inputScale · x, over the same leaves.
    var derivative: ScoreExpression
    /// ∂m/∂parameters[i][h] at s = inputScale · x, one per run-time array, over the same leaves.
    var parameterDerivatives: [ScoreExpression]
    /// The subexpressions computed once per (batch, head), in order: state value i is `hoisted[i]`.
    var hoisted: [ScoreExpression]

    init(model: ScoreModifierModel, inputScale: Double, outputScale: Double) {
        let input = ScoreExpression.binary(.multiply, .constant(inputScale), .score)
        let value = (model.expression ?? .score).substituting(score: input).simplified().kernelRewritten()
            .scaled(by: outputScale).simplified()
        let derivative = (model.derivative ?? .constant(1)).substituting(score: input).simplified().kernelRewritten()
            .simplified()
        let parameterDerivatives = model.parameterDerivatives.map {
            $0.substituting(score: input).simplified().kernelRewritten().simplified()
        }
        var hoisted: [ScoreExpression] = []
        value.collectHoisted(into: &hoisted)
        derivative.collectHoisted(into: &hoisted)
        for expression in parameterDerivatives { expression.collectHoisted(into: &hoisted) }
        self.value = value
        self.derivative = derivative
        self.parameterDerivatives = parameterDerivatives
        self.hoisted = hoisted
    }
}

extension ScoreExpression {
    /// Whether the expression reads neither the score nor the positions q and k: the same for every score of a
    /// (batch, head).
    var isHeadInvariant: Bool {
        switch self {
        case .score: false
        case .variable(let variable): variable != .query && variable != .key
        case .constant, .parameter, .standardAlibiSlope: true
        case .unary(_, let operand): operand.isHeadInvariant
        case .binary(_, let lhs, let rhs): lhs.isHeadInvariant && rhs.isHeadInvariant
        case .select(let condition, let lhs, let rhs): condition.isHeadInvariant && lhs.isHeadInvariant && rhs.isHeadInvariant
        }
    }

    /// The maximal head-invariant subexpressions that are not constants, appended once each.
    func collectHoisted(into hoisted: inout [ScoreExpression]) {
        if isHeadInvariant {
            if constantValue == nil && !hoisted.contains(self) { hoisted.append(self) }
            return
        }
        switch self {
        case .score, .variable, .constant, .parameter, .standardAlibiSlope: break
        case .unary(_, let operand): operand.collectHoisted(into: &hoisted)
        case .binary(_, let lhs, let rhs):
            lhs.collectHoisted(into: &hoisted)
            rhs.collectHoisted(into: &hoisted)
        case .select(let condition, let lhs, let rhs):
            condition.collectHoisted(into: &hoisted)
            lhs.collectHoisted(into: &hoisted)
            rhs.collectHoisted(into: &hoisted)
        }
    }

    /// Division by a constant as multiplication by its reciprocal, and constant factors pushed inward.
    func kernelRewritten() -> ScoreExpression {
        switch self {
        case .score, .variable, .constant, .parameter, .standardAlibiSlope:
            return self
        case .unary(let function, let operand):
            return .applying(function, operand.kernelRewritten())
        case .binary(.divide, let lhs, let rhs):
            if let c = rhs.constantValue, c != 0, Float(1 / c).isFinite, Float(1 / c) != 0 {
                return lhs.kernelRewritten().scaled(by: 1 / c)
            }
            return .applying(.divide, lhs.kernelRewritten(), rhs.kernelRewritten())
        case .binary(.multiply, let lhs, let rhs):
            if let c = lhs.constantValue { return rhs.kernelRewritten().scaled(by: c) }
            if let c = rhs.constantValue { return lhs.kernelRewritten().scaled(by: c) }
            return .applying(.multiply, lhs.kernelRewritten(), rhs.kernelRewritten())
        case .binary(let op, let lhs, let rhs):
            return .applying(op, lhs.kernelRewritten(), rhs.kernelRewritten())
        case .select(let condition, let lhs, let rhs):
            return .choosing(condition.kernelRewritten(), lhs.kernelRewritten(), rhs.kernelRewritten())
        }
    }

    /// `c · self`, the factor pushed through linear operations into constants and per-head factors.
    func scaled(by c: Double) -> ScoreExpression {
        if c == 1 { return self }
        switch self {
        case .constant(let value):
            if let folded = Self.folded(value * c) { return folded }
        case .binary(.add, let lhs, let rhs):
            return .applying(.add, lhs.scaled(by: c), rhs.scaled(by: c))
        case .binary(.subtract, let lhs, let rhs):
            return .applying(.subtract, lhs.scaled(by: c), rhs.scaled(by: c))
        case .unary(.negate, let operand):
            return .applying(.negate, operand.scaled(by: c))
        case .select(let condition, let lhs, let rhs):
            return .choosing(condition, lhs.scaled(by: c), rhs.scaled(by: c))
        case .binary(let op, let lhs, let rhs) where (op == .minimum || op == .maximum) && c > 0:
            return .applying(op, lhs.scaled(by: c), rhs.scaled(by: c))
        case .binary(.multiply, let lhs, let rhs):
            if lhs.constantValue != nil || lhs.isHeadInvariant { return .applying(.multiply, lhs.scaled(by: c), rhs) }
            if rhs.constantValue != nil || rhs.isHeadInvariant { return .applying(.multiply, lhs, rhs.scaled(by: c)) }
        case .binary(.divide, let lhs, let rhs):
            return .applying(.divide, lhs.scaled(by: c), rhs)
        default:
            break
        }
        guard let factor = Self.folded(c) else { return .binary(.multiply, .constant(c), self) }
        return .applying(.multiply, factor, self)
    }
}

extension ScoreCondition {
    var isHeadInvariant: Bool {
        switch self {
        case .comparison(_, let lhs, let rhs): lhs.isHeadInvariant && rhs.isHeadInvariant
        case .and(let lhs, let rhs), .or(let lhs, let rhs): lhs.isHeadInvariant && rhs.isHeadInvariant
        case .not(let operand): operand.isHeadInvariant
        }
    }

    func collectHoisted(into hoisted: inout [ScoreExpression]) {
        switch self {
        case .comparison(_, let lhs, let rhs):
            lhs.collectHoisted(into: &hoisted)
            rhs.collectHoisted(into: &hoisted)
        case .and(let lhs, let rhs), .or(let lhs, let rhs):
            lhs.collectHoisted(into: &hoisted)
            rhs.collectHoisted(into: &hoisted)
        case .not(let operand):
            operand.collectHoisted(into: &hoisted)
        }
    }

    func kernelRewritten() -> ScoreCondition {
        switch self {
        case .comparison(let op, let lhs, let rhs): .comparison(op, lhs.kernelRewritten(), rhs.kernelRewritten())
        case .and(let lhs, let rhs): .and(lhs.kernelRewritten(), rhs.kernelRewritten())
        case .or(let lhs, let rhs): .or(lhs.kernelRewritten(), rhs.kernelRewritten())
        case .not(let operand): .not(operand.kernelRewritten())
        }
    }
}
