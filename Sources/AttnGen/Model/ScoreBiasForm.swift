/// A score modifier that is the score times a positive constant plus a bias of the positions, m = c · s + B(q, k)
/// (ALiBi, `s - 0.5 * abs(q - k)`, `s + 0.01 * k`, ...), in the form the Hopper forward kernel evaluates it without
/// leaving the raw scores' units (`kScoreBias`, Templates/hopper/pieces/forward_kernel.cu):
///
/// - the kernel's raw score x (s = inputScale · x) gets the bias in the same units, x + B / (c · inputScale), and
///   the softmax turns it into base 2 with `scoreToLog2` = log2 e · c · inputScale, as it does the plain score;
/// - on the keys of a row where the bias is affine in k, `bias = keySlope · k + row(q)`, each score costs one
///   multiply-add (`x + keySlope · (k - k_first)`, the column's offset an immediate) and the row's part
///   `row(q) + keySlope · k_first` joins the row's maximum once per row: 3.5 operations fewer per score than the
///   general form for ALiBi (benchmarks/gpu/TUNING.md M5); the backward key kernel forms its exponentials the same
///   way, the query's part once per query (M6);
/// - a bias with |u| of one affine u = α q + β k + δ (ALiBi's |q - k|, or |q + nk - nq - k| bottom-right) is
///   affine in k where u keeps one sign: `sides` holds the form for u ≥ 0 (|u| → u) and for u ≤ 0 (|u| → -u); the
///   forward kernel evaluates u (`signArgument`) at the ends of the keys each row keeps of a tile, the backward at
///   the corners of a thread's keys and the step's queries, and a warp takes the general form `bias` where u
///   changes sign for one of its rows (the tiles that cross ALiBi's diagonal without a mask);
/// - without such an |u| the bias is affine in k everywhere: one side, for every tile.
///
/// Nil (the kernels keep `ScoreKernelForm`) for every other modifier: one not linear in s (a soft cap), a factor c
/// that is not a positive constant, a bias not affine in k on one side (`where`, min, max, products of k), or with
/// two different |u| of k. The keys' slope must not depend on q.
///
/// The rewrites reassociate fp32 arithmetic as `ScoreKernelForm`'s do; where u is within rounding of 0 at a
/// corner, either side's form is within a few units in the last place of the other.
struct ScoreBiasForm: Sendable, Equatable {
    /// The raw score's factor to base 2: log2 e · c · inputScale.
    var scoreToLog2: Double
    /// The bias in raw units, B / (c · inputScale), over q, k and hoisted subexpressions: the general form.
    var bias: ScoreExpression
    /// u of the bias's |u| (over q, k and hoisted subexpressions); nil when the bias has none that reads k.
    var signArgument: ScoreExpression?
    /// The bias where u ≥ 0 (index 0) and where u ≤ 0 (index 1); one entry without a sign argument.
    var sides: [Side]

    /// The bias on keys where it is affine in k: `keySlope · k + row`.
    struct Side: Sendable, Equatable {
        /// Head-invariant (no score, q or k).
        var keySlope: ScoreExpression
        /// Over q and hoisted subexpressions (no score or k).
        var row: ScoreExpression
    }

    /// The form of `model` for kernels whose score x is `inputScale` times the scaled score, or nil (see above).
    init?(model: ScoreModifierModel, inputScale: Double) {
        guard let expression = model.expression?.simplified(),
              let (factor, bias) = expression.affineDecomposition(in: .score),
              let c = factor.simplified().constantValue, c > 0 else { return nil }
        let scoreToLog2 = 1.4426950408889634 * c * inputScale
        guard scoreToLog2.isFinite, Float(scoreToLog2).isNormal, Float(1 / (c * inputScale)).isFinite else { return nil }
        let raw = bias.simplified().kernelRewritten().scaled(by: 1 / (c * inputScale)).simplified()

        let key = ScoreExpression.variable(.key)
        let arguments = raw.absoluteArguments(reading: key)
        var sideForms: [ScoreExpression]
        var signArgument: ScoreExpression?
        switch arguments.count {
        case 0:
            sideForms = [raw]
        case 1:
            let u = arguments[0]
            guard u.isAffineInPositions else { return nil }
            signArgument = u
            sideForms = [raw.replacingAbsolute(of: u, with: u).simplified(),
                         raw.replacingAbsolute(of: u, with: .applying(.negate, u)).simplified()]
        default:
            return nil
        }
        var sides: [Side] = []
        for form in sideForms {
            guard let (slope, row) = form.affineDecomposition(in: key) else { return nil }
            let keySlope = slope.simplified(), rowPart = row.simplified()
            guard keySlope.isHeadInvariant, !rowPart.reads(key), !rowPart.reads(.score) else { return nil }
            sides.append(Side(keySlope: keySlope, row: rowPart))
        }
        self.scoreToLog2 = scoreToLog2
        self.bias = raw
        self.signArgument = signArgument
        self.sides = sides
    }

    /// Every expression the kernel evaluates, for hoisting: the bias, the sign argument and the sides.
    var expressions: [ScoreExpression] {
        [bias] + (signArgument.map { [$0] } ?? []) + sides.flatMap { [$0.keySlope, $0.row] }
    }
}

extension ScoreExpression {
    /// `coefficient · leaf + rest` with neither part reading `leaf`, built with the simplifying constructors, or nil
    /// when the expression is not affine in `leaf` by sums, differences, negation and products or quotients with
    /// factors that do not read it.
    func affineDecomposition(in leaf: ScoreExpression) -> (coefficient: ScoreExpression, rest: ScoreExpression)? {
        if self == leaf { return (.constant(1), .constant(0)) }
        if !reads(leaf) { return (.constant(0), self) }
        switch self {
        case .unary(.negate, let operand):
            guard let (c, r) = operand.affineDecomposition(in: leaf) else { return nil }
            return (.applying(.negate, c), .applying(.negate, r))
        case .binary(let op, let lhs, let rhs) where op == .add || op == .subtract:
            guard let (c1, r1) = lhs.affineDecomposition(in: leaf),
                  let (c2, r2) = rhs.affineDecomposition(in: leaf) else { return nil }
            return (.applying(op, c1, c2), .applying(op, r1, r2))
        case .binary(.multiply, let lhs, let rhs):
            if !lhs.reads(leaf), let (c, r) = rhs.affineDecomposition(in: leaf) {
                return (.applying(.multiply, lhs, c), .applying(.multiply, lhs, r))
            }
            if !rhs.reads(leaf), let (c, r) = lhs.affineDecomposition(in: leaf) {
                return (.applying(.multiply, c, rhs), .applying(.multiply, r, rhs))
            }
            return nil
        case .binary(.divide, let lhs, let rhs) where !rhs.reads(leaf):
            guard let (c, r) = lhs.affineDecomposition(in: leaf) else { return nil }
            return (.applying(.divide, c, rhs), .applying(.divide, r, rhs))
        default:
            return nil
        }
    }

    /// Whether `leaf` occurs in the expression (its conditions included).
    func reads(_ leaf: ScoreExpression) -> Bool {
        var found = false
        forEachNode { node in
            if case .expression(let expression) = node, expression == leaf { found = true }
            return !found
        }
        return found
    }

    /// The distinct arguments u of the |u| in the expression that read `leaf`, in order of appearance.
    func absoluteArguments(reading leaf: ScoreExpression) -> [ScoreExpression] {
        var arguments: [ScoreExpression] = []
        forEachNode { node in
            if case .expression(.unary(.abs, let u)) = node, u.reads(leaf), !arguments.contains(u) { arguments.append(u) }
            return true
        }
        return arguments
    }

    /// Whether the expression is α · q + β · k + δ with α, β and δ head-invariant (no score): its extremes over a
    /// rectangle of positions are at the corners.
    var isAffineInPositions: Bool {
        guard !reads(.score), let (keySlope, rest) = affineDecomposition(in: .variable(.key)),
              let (querySlope, offset) = rest.simplified().affineDecomposition(in: .variable(.query)) else { return false }
        return [keySlope, querySlope, offset].allSatisfy { $0.simplified().isHeadInvariant }
    }

    /// The expression with every |u| replaced by `replacement`.
    func replacingAbsolute(of u: ScoreExpression, with replacement: ScoreExpression) -> ScoreExpression {
        switch self {
        case .unary(.abs, let operand) where operand == u: replacement
        case .score, .variable, .constant, .parameter, .standardAlibiSlope: self
        case .unary(let function, let operand): .unary(function, operand.replacingAbsolute(of: u, with: replacement))
        case .binary(let op, let lhs, let rhs):
            .binary(op, lhs.replacingAbsolute(of: u, with: replacement), rhs.replacingAbsolute(of: u, with: replacement))
        case .select(let condition, let lhs, let rhs):
            .select(condition, lhs.replacingAbsolute(of: u, with: replacement),
                    rhs.replacingAbsolute(of: u, with: replacement))
        }
    }
}
