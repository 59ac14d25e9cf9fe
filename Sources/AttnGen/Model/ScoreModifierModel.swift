/// The score modifiers of a validated spec, lowered once into the forms the backends and the tests use: one
/// expression that replaces the scaled score `s` before the masks and the softmax (the composition of the
/// modifiers in order: each one's expression with `s` replaced by the previous one's), its derivative with respect
/// to `s` for the backward pass, and the run-time parameter arrays the kernels read.
///
/// Lowering: ALiBi is `s - slope * abs(q + shift - k)`, shift = 0 (top-left) or `nk - nq` (bottom-right), the
/// slope `alibi_slope(h)` (standard) or `alibi_slopes[h]` (run-time); a soft cap c is `c * tanh(s / c)`.
public struct ScoreModifierModel: Sendable, Hashable {
    /// The deepest the composition of a spec's modifiers may nest, as `ScoreExpression.maximumDepth` counts.
    /// The derivative nests up to about three times deeper, and every later stage recurses over both.
    public static let maximumDepth = 96
    /// The most operators the composition may hold, a subtree that several modifiers read (through `s`)
    /// counted once per reader.
    public static let maximumOperators = 1024
    /// The deepest the derivative may nest.
    public static let maximumDerivativeDepth = 320
    /// The most operators the derivative may hold.
    public static let maximumDerivativeOperators = 16384

    /// The modifiers this model was lowered from.
    public let source: [ScoreModifier]
    /// The composition: the value that replaces the scaled score; nil when there are no modifiers.
    public let expression: ScoreExpression?
    /// ∂expression/∂s, simplified; nil when there are no modifiers.
    public let derivative: ScoreExpression?
    /// The distinct parameter arrays the modifiers read, in order of first appearance (modifier by modifier, each
    /// in the order of its canonical text). Array i is passed at `score_parameters[i * heads_q + h]`.
    public let parameters: [String]
    /// ∂expression/∂parameters[i][h], simplified, one per array (in `parameters`' order): the backward pass sums
    /// dL/dm times it over a head's scores for the gradient of `score_parameters[i * heads_q + h]`.
    public let parameterDerivatives: [ScoreExpression]
    /// Each modifier in words, in the spec's order: "ALiBi (standard slopes, top-left)",
    /// "soft cap 30: 30 * tanh(s / 30)", "score expression: s - 0.5 * abs(q - k)".
    public let descriptions: [String]

    /// The index variables the modifiers read (ALiBi: q, k and, bottom-right, nq and nk; a soft cap: none).
    public var variables: Set<IndexVariable> {
        var found = Set<IndexVariable>()
        expression?.forEachNode { node in
            if case .expression(.variable(let variable)) = node { found.insert(variable) }
            return true
        }
        return found
    }

    /// Whether the modified score depends on the positions within a call (q, k, nq or nk), which a call over part of
    /// a sequence (a pair of shards of ring attention) does not see as the whole sequence's; b, h and the run-time
    /// arrays are the same in every such call.
    public var readsPositions: Bool {
        !variables.isDisjoint(with: [.query, .key, .queryLength, .keyLength])
    }

    /// The derivative's value when it is a constant (ALiBi, any modifier linear in s), else nil (also when empty).
    public var constantDerivative: Double? { derivative?.constantValue }

    /// Whether the spec has no score modifiers (the score is the plain scaled score).
    public var isEmpty: Bool { source.isEmpty }

    /// Two models are equal when they were lowered from equal modifiers (everything else follows from those).
    public static func == (lhs: ScoreModifierModel, rhs: ScoreModifierModel) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    /// Lowers and composes `modifiers`; throws when an expression, the composition or the derivative is larger
    /// than the limits (field `scoreModifiers[i].expression` or `scoreModifiers`).
    public init(lowering modifiers: [ScoreModifier]) throws(SpecError) {
        source = modifiers
        descriptions = modifiers.map(\.description)
        var parameters: [String] = []
        var composed: ScoreExpression?
        for (index, modifier) in modifiers.enumerated() {
            if case .expression(let expression) = modifier, let problem = expression.sizeProblem() {
                throw SpecError(field: "scoreModifiers[\(index)].expression", message: problem)
            }
            for name in modifier.parameters where !parameters.contains(name) { parameters.append(name) }
            let lowered = modifier.lowered
            composed = composed.map { lowered.substituting(score: $0) } ?? lowered
            if let problem = composed?.sizeProblem(depthLimit: Self.maximumDepth, operatorLimit: Self.maximumOperators) {
                throw SpecError(field: "scoreModifiers", message: "the composition of score modifiers 0...\(index) \(problem)")
            }
        }
        self.parameters = parameters
        expression = composed
        derivative = composed?.derivative()
        if let problem = derivative?.sizeProblem(depthLimit: Self.maximumDerivativeDepth,
                                                 operatorLimit: Self.maximumDerivativeOperators) {
            throw SpecError(field: "scoreModifiers", message: "the derivative of the score modifiers' composition \(problem)")
        }
        var parameterDerivatives: [ScoreExpression] = []
        for name in parameters {
            let derivative = composed?.derivative(withRespectTo: .parameter(name)) ?? .constant(0)
            if let problem = derivative.sizeProblem(depthLimit: Self.maximumDerivativeDepth,
                                                    operatorLimit: Self.maximumDerivativeOperators) {
                throw SpecError(field: "scoreModifiers",
                                message: "the derivative of the score modifiers' composition in \(name)[h] \(problem)")
            }
            parameterDerivatives.append(derivative)
        }
        self.parameterDerivatives = parameterDerivatives
    }

    /// The modified score in float64 (the plain `score` when there are no modifiers); see
    /// `ScoreExpression.evaluate`.
    public func evaluate(score: Double, b: Int64, h: Int64, q: Int64, k: Int64, nq: Int64, nk: Int64, headsQ: Int64,
                         parameters: [String: [Double]]) -> Double {
        expression?.evaluate(score: score, b: b, h: h, q: q, k: k, nq: nq, nk: nk, headsQ: headsQ,
                             parameters: parameters) ?? score
    }

    /// "ALiBi (standard slopes, top-left); soft cap 30: ..." or "none".
    public var summary: String {
        descriptions.isEmpty ? "none" : descriptions.joined(separator: "; ")
    }
}

extension ScoreModifier {
    /// The parameter array of ALiBi with run-time slopes.
    public static let alibiParameter = "alibi_slopes"

    /// The modifier as a score expression over `s`.
    public var lowered: ScoreExpression {
        switch self {
        case .alibi(let slopes, let alignment):
            let slope: ScoreExpression = slopes == .standard ? .standardAlibiSlope : .parameter(Self.alibiParameter)
            let query = ScoreExpression.variable(.query)
            let shifted: ScoreExpression = switch alignment {
            case .topLeft: query
            case .bottomRight: .binary(.add, query, .binary(.subtract, .variable(.keyLength), .variable(.queryLength)))
            }
            let distance = ScoreExpression.unary(.abs, .binary(.subtract, shifted, .variable(.key)))
            return .binary(.subtract, .score, .binary(.multiply, slope, distance))
        case .softcap(let cap):
            return .binary(.multiply, .constant(cap), .unary(.tanh, .binary(.divide, .score, .constant(cap))))
        case .expression(let expression):
            return expression
        }
    }
}

extension ScoreExpression {
    /// The expression with every `s` replaced by `replacement` (which is shared, not copied or walked).
    public func substituting(score replacement: ScoreExpression) -> ScoreExpression {
        switch self {
        case .score: replacement
        case .variable, .constant, .parameter, .standardAlibiSlope: self
        case .unary(let function, let operand): .unary(function, operand.substituting(score: replacement))
        case .binary(let op, let lhs, let rhs):
            .binary(op, lhs.substituting(score: replacement), rhs.substituting(score: replacement))
        case .select(let condition, let lhs, let rhs):
            .select(condition.substituting(score: replacement), lhs.substituting(score: replacement),
                    rhs.substituting(score: replacement))
        }
    }
}

extension ScoreCondition {
    /// The condition with every `s` replaced by `replacement`.
    public func substituting(score replacement: ScoreExpression) -> ScoreCondition {
        switch self {
        case .comparison(let op, let lhs, let rhs):
            .comparison(op, lhs.substituting(score: replacement), rhs.substituting(score: replacement))
        case .and(let lhs, let rhs): .and(lhs.substituting(score: replacement), rhs.substituting(score: replacement))
        case .or(let lhs, let rhs): .or(lhs.substituting(score: replacement), rhs.substituting(score: replacement))
        case .not(let operand): .not(operand.substituting(score: replacement))
        }
    }
}
