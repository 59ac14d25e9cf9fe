@testable import AttnGen

/// A seeded random number generator (SplitMix64): a fuzz run reproduces from its printed seed.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    mutating func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &self)] }
}

/// Draws random specs that validation accepts: every feature and combination (masks of every kind, huge and
/// unbounded windows, predicates with degenerate comparisons, score modifiers, sinks, dropout, fixed and run-time
/// heads, head dims 1…256, dv ≠ d), and random shapes for them (Nq ≠ Nk, N = 1, empty sequences, lengths around the tiles).
struct SpecFuzzer {
    var random: SeededGenerator

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    /// A random head dimension, mostly small (the reference is O(N² d)).
    mutating func headDim() -> Int {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<5: Int.random(in: 1...32, using: &random)
        case 5..<8: Int.random(in: 33...128, using: &random)
        default: Int.random(in: 129...256, using: &random)
        }
    }

    /// A window side: unbounded, small, or at or past the longest sequence (which the model treats as unbounded).
    mutating func windowSide() -> Int? {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<2: nil
        case 2..<8: Int.random(in: 0...300, using: &random)
        case 8: Int(RuntimeLimits.maximumSequenceLength) + Int.random(in: -2...5, using: &random)
        default: random.pick([Int.max, Int.max - 1, 1 << 62])
        }
    }

    mutating func expression(depth: Int) -> IndexExpression {
        if depth == 0 || random.chance(0.35) {
            return random.chance(0.65) ? .variable(random.pick(IndexVariable.allCases))
                                       : .constant(Int64.random(in: -300...300, using: &random))
        }
        switch Int.random(in: 0..<9, using: &random) {
        case 0: return expression(depth: depth - 1) + expression(depth: depth - 1)
        case 1: return expression(depth: depth - 1) - expression(depth: depth - 1)
        case 2: return expression(depth: depth - 1) * .constant(Int64.random(in: -5...5, using: &random))
        case 3: return expression(depth: depth - 1) / .constant(Int64.random(in: 1...64, using: &random))
        case 4: return expression(depth: depth - 1) % .constant(Int64.random(in: 1...64, using: &random))
        case 5: return .negated(expression(depth: depth - 1))
        case 6: return .absolute(expression(depth: depth - 1))
        case 7:
            let operand = expression(depth: depth - 1)
            return random.chance(0.3) ? .minimum(operand, operand) : .minimum(operand, expression(depth: depth - 1))
        default:
            let operand = expression(depth: depth - 1)
            return random.chance(0.3) ? .maximum(operand, operand) : .maximum(operand, expression(depth: depth - 1))
        }
    }

    mutating func predicate(depth: Int) -> MaskPredicate {
        if depth == 0 || random.chance(0.4) {
            let lhs = expression(depth: 2)
            let op = random.pick(MaskPredicate.ComparisonOperator.allCases)
            switch Int.random(in: 0..<10, using: &random) {
            case 0: return .comparison(op, lhs, lhs)  // self-comparison: folded to a constant
            case 1: return random.chance(0.5) ? .constant(true) : .constant(false)
            default: return .comparison(op, lhs, expression(depth: 2))
            }
        }
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            // Two comparisons of one expression with constants: what clang calls overlapping comparisons.
            let e = expression(depth: 1)
            let c1 = IndexExpression.constant(Int64.random(in: -20...20, using: &random))
            let c2 = IndexExpression.constant(Int64.random(in: -20...20, using: &random))
            let first = MaskPredicate.comparison(random.pick(MaskPredicate.ComparisonOperator.allCases), e, c1)
            let second = MaskPredicate.comparison(random.pick(MaskPredicate.ComparisonOperator.allCases), e, c2)
            return random.chance(0.5) ? .and(first, second) : .or(first, second)
        case 1: return .and(predicate(depth: depth - 1), predicate(depth: depth - 1))
        case 2: return .or(predicate(depth: depth - 1), predicate(depth: depth - 1))
        default: return .not(predicate(depth: depth - 1))
        }
    }

    /// A predicate the model accepts (no overflow over the run-time ranges).
    mutating func acceptedPredicate() -> MaskPredicate {
        while true {
            let candidate = predicate(depth: 3)
            if (try? PredicateLowering.lower(candidate, field: "predicate")) != nil { return candidate }
        }
    }

    /// A score expression that stays finite at every score and position: each level wraps the one below (`s` at the
    /// bottom) in a form that is defined everywhere (no log or division of something that may reach 0, no exp of
    /// something that may grow).
    mutating func scoreExpression(depth: Int) -> ScoreExpression {
        let inner: ScoreExpression = depth == 0 ? .score : scoreExpression(depth: depth - 1)
        let c = ScoreExpression.constant((Double.random(in: 0.2...3, using: &random) * 100).rounded() / 100)
        let distance = ScoreExpression.unary(.abs, .binary(.subtract, .variable(.query), .variable(.key)))
        switch Int.random(in: 0..<8, using: &random) {
        case 0: return .binary(.multiply, inner, c)
        case 1: return .binary(.subtract, inner, .binary(.divide, .binary(.multiply, c, distance), .constant(64)))
        case 2: return .binary(.multiply, c, .unary(.tanh, .binary(.divide, inner, c)))
        case 3: return .select(.comparison(random.pick(MaskPredicate.ComparisonOperator.allCases), .variable(.query),
                                           .variable(.key)), inner, .binary(.subtract, inner, c))
        case 4: return random.chance(0.5) ? .binary(.maximum, inner, .unary(.negate, c)) : .binary(.minimum, inner, c)
        case 5: return .binary(.subtract, inner,
                               .binary(.multiply, c, .unary(.log, .binary(.add, .constant(1), distance))))
        case 6: return .binary(.add, inner, .unary(.exp, .unary(.negate, .binary(.divide, .unary(.abs, inner), c))))
        default: return .binary(.multiply, inner, .parameter(random.pick(["gain", "scale2"])))
        }
    }

    mutating func scoreModifier() -> ScoreModifier {
        switch Int.random(in: 0..<3, using: &random) {
        case 0: return .alibi(slopes: random.pick(ScoreModifier.AlibiSlopes.allCases),
                              alignment: random.pick(DiagonalAlignment.allCases))
        case 1: return .softcap((Double.random(in: 0.5...50, using: &random) * 10).rounded() / 10)
        default: return .expression(scoreExpression(depth: Int.random(in: 0...2, using: &random)))
        }
    }

    /// A spec validation and the C planner accept.
    mutating func validSpec(name: String) -> AttentionSpec {
        var spec = AttentionSpec(name: name, headDim: headDim())
        if random.chance(0.3) { spec = spec.valueHeadDim(headDim()) }
        if random.chance(0.5) {
            let keyValue = Int.random(in: 1...3, using: &random)
            spec = spec.heads(query: keyValue * Int.random(in: 1...3, using: &random), keyValue: keyValue)
        }
        spec = spec.storage(random.pick(StorageType.allCases))
        // Scales from 0.01/√d to 2/√d. Larger ones make the softmax nearly one-hot, where the backward's
        // cancellation in dS = P (dP - D) loses the relative accuracy its tolerance assumes, in any FlashAttention
        // backward (seen: scale 1.92 at d = 183 gave 14 % in fp16 and 4e-4 in fp32 against float64 gradients).
        if random.chance(0.2) {
            spec = spec.scale(Double.random(in: 0.01...2, using: &random) / Double(spec.headDim).squareRoot())
        }
        var bands = 0, sparse = false
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            switch Int.random(in: 0..<4, using: &random) {
            case 0 where bands < 4:
                spec = spec.masked(by: .causal(random.pick(DiagonalAlignment.allCases)))
                bands += 1
            case 1 where bands < 4:
                spec = spec.masked(by: .slidingWindow(left: windowSide(), right: windowSide(),
                                                      alignment: random.pick(DiagonalAlignment.allCases)))
                bands += 1
            case 2 where !sparse:
                spec = spec.masked(by: .blockSparse(blockRows: Int.random(in: 1...96, using: &random),
                                                    blockColumns: 4 * Int.random(in: 1...24, using: &random)))
                sparse = true
            default:
                spec = spec.masked(by: .predicate(acceptedPredicate()))
            }
        }
        if random.chance(0.25) {
            for _ in 0..<Int.random(in: 1...2, using: &random) { spec = spec.modified(by: scoreModifier()) }
        }
        if random.chance(0.2) { spec = spec.withSinks() }
        if random.chance(0.3) { spec = spec.dropout(random.pick([0.0, Double.random(in: 0...0.9, using: &random)])) }
        if random.chance(0.5) { spec = spec.savingLogSumExp() }
        if random.chance(0.3) { spec = spec.withBackward() }
        return spec
    }

    /// Random calls of `spec`: lengths around the tile, N = 1, empty sequences, Nq ≠ Nk, every layout.
    mutating func shapes(for spec: AttentionSpec, plan: TilePlan, count: Int) -> [ShapeCase] {
        (0..<count).map { index in
            func length() -> Int {
                switch Int.random(in: 0..<8, using: &random) {
                case 0: 1
                case 1: plan.blockColumns + Int.random(in: -1...1, using: &random)
                case 2: plan.blockRows + Int.random(in: -1...1, using: &random)
                case 3: Int.random(in: 150...300, using: &random)
                default: Int.random(in: 2...80, using: &random)
                }
            }
            var shape = ShapeCase(queryLength: max(0, length()), keyLength: max(0, length()))
            if index == 0 && random.chance(0.3) {
                if random.chance(0.5) { shape.queryLength = 0 } else { shape.keyLength = 0 }
            }
            shape.batch = Int.random(in: 1...2, using: &random)
            if spec.heads == .runtime {
                let keyValue = Int.random(in: 1...2, using: &random)
                shape.heads = (keyValue * Int.random(in: 1...3, using: &random), keyValue)
            }
            shape.layout = random.pick(ShapeCase.Layout.allCases)
            shape.seed = UInt64.random(in: 1...(1 << 40), using: &random)
            shape.sharedBlockMask = random.chance(0.5)
            return shape
        }
    }
}
