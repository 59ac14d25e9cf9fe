import Foundation
import Testing
@testable import AttnGen

/// Random score expressions for round trips and derivative checks (a small generator over every node kind).
struct ScoreExpressionGenerator {
    var random: SeededGenerator
    /// Whether to draw constants of every magnitude (for text round trips) or moderate ones (for numerics).
    var wideConstants: Bool

    mutating func constant() -> Double {
        if wideConstants {
            switch Int.random(in: 0..<6, using: &random) {
            case 0: return Double(Int.random(in: -100...100, using: &random))
            case 1: return Double.random(in: -1...1, using: &random)
            case 2: return Double.random(in: 0...1, using: &random) * 1e30
            case 3: return Double.random(in: 0...1, using: &random) * 1e-30
            case 4: return random.pick([0.5, 1e-3, 0.1, 1.0 / 3, -0.0, 3e38, 1e16, 0x1p53 + 2])
            default: return -Double.random(in: 0...1000, using: &random)
            }
        }
        return (Double.random(in: 0.25...3, using: &random) * 4).rounded() / 4 * (random.chance(0.3) ? -1 : 1)
    }

    mutating func leaf() -> ScoreExpression {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<4: return .score
        case 4..<6: return .variable(random.pick(IndexVariable.allCases))
        case 6..<8: return .constant(constant())
        case 8: return .parameter(random.pick(["slope", "bias_2", "_w"]))
        default: return .standardAlibiSlope
        }
    }

    mutating func expression(depth: Int) -> ScoreExpression {
        if depth == 0 || random.chance(0.25) { return leaf() }
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<4:
            let op = random.pick([ScoreExpression.ScoreOperator.add, .subtract, .multiply, .divide, .minimum, .maximum])
            return .binary(op, expression(depth: depth - 1), expression(depth: depth - 1))
        case 4..<7:
            // sech2 is written by differentiation only: the language (and so its text) has no name for it.
            let functions = ScoreExpression.ScoreFunction.allCases.filter { $0 != .sechSquared }
            return .unary(random.pick(functions), expression(depth: depth - 1))
        case 7:
            return .unary(.negate, .constant(abs(constant())))
        default:
            return .select(condition(depth: depth - 1), expression(depth: depth - 1), expression(depth: depth - 1))
        }
    }

    mutating func condition(depth: Int) -> ScoreCondition {
        if depth == 0 || random.chance(0.5) {
            return .comparison(random.pick(MaskPredicate.ComparisonOperator.allCases), expression(depth: depth),
                               expression(depth: depth))
        }
        switch Int.random(in: 0..<3, using: &random) {
        case 0: return .and(condition(depth: depth - 1), condition(depth: depth - 1))
        case 1: return .or(condition(depth: depth - 1), condition(depth: depth - 1))
        default: return .not(condition(depth: depth - 1))
        }
    }
}

@Suite struct ScoreExpressionTests {
    func parse(_ text: String) throws -> ScoreExpression { try ScoreExpressionParser.parse(text) }

    @Test func parsesTheGrammar() throws {
        let s = ScoreExpression.score, q = ScoreExpression.variable(.query), k = ScoreExpression.variable(.key)
        #expect(try parse("s - 0.5 * abs(q - k)")
                == .binary(.subtract, s, .binary(.multiply, .constant(0.5), .unary(.abs, .binary(.subtract, q, k)))))
        #expect(try parse("30 * tanh(s / 30)")
                == .binary(.multiply, .constant(30), .unary(.tanh, .binary(.divide, s, .constant(30)))))
        // A minus right before a number is a negative constant; before anything else a negation.
        #expect(try parse("-2 * s") == .binary(.multiply, .constant(-2), s))
        #expect(try parse("- -2") == .unary(.negate, .constant(-2)))
        #expect(try parse("-(2)") == .unary(.negate, .constant(2)))
        #expect(try parse("-s * 2") == .binary(.multiply, .unary(.negate, s), .constant(2)))
        #expect(try parse("s - 1 - 2") == .binary(.subtract, .binary(.subtract, s, .constant(1)), .constant(2)))
        #expect(try parse("1e-3 + 2.5E+2 + 7.0e1") == .binary(.add, .binary(.add, .constant(1e-3), .constant(250)), .constant(70)))
        #expect(try parse("alibi_slope( h ) * bias_1[ h ]") == .binary(.multiply, .standardAlibiSlope, .parameter("bias_1")))
        #expect(try parse("min(s, max(q, k)) / nk") == .binary(.divide, .binary(.minimum, s, .binary(.maximum, q, k)),
                                                               .variable(.keyLength)))
        #expect(try parse("where(q >= k && !(b == 1) || h != 0, s, exp(log(s)))")
                == .select(.or(.and(.comparison(.greaterOrEqual, q, k),
                                    .not(.comparison(.equal, .variable(.batch), .constant(1)))),
                               .comparison(.notEqual, .variable(.head), .constant(0))),
                           s, .unary(.exp, .unary(.log, s))))
        // `!` binds looser than a comparison, as in mask predicates.
        #expect(try parse("where(!q < k, s, 0)") == .select(.not(.comparison(.less, q, k)), s, .constant(0)))
    }

    static let refusals: [(text: String, message: String)] = [
        ("", "at character 1: expected a number, a name or '(' but found end of expression"),
        ("   ", "at character 4: expected a number, a name or '(' but found end of expression"),
        ("s + x", "at character 5: unknown name 'x'"),
        ("s s", "at character 3: expected an operator, ')' or the end but found 's'"),
        ("s)", "at character 2: unexpected ')'"),
        ("(s", "at character 3: expected ')' but found end of expression"),
        ("s @ 2", "at character 3: unexpected character '@'"),
        ("slope[q]", "at character 7: a parameter array is indexed by the query head only, written slope[h], but found 'q'"),
        ("slope[h + 1]", "at character 9: expected ']' but found '+'"),
        ("q[h]", "at character 1: 'q' is reserved and cannot name a parameter array"),
        ("exp[h]", "at character 1: 'exp' is reserved"),
        ("alibi_slope[h]", "at character 1: 'alibi_slope' is reserved"),
        ("alibi_slope(q)", "at character 13: alibi_slope is written alibi_slope(h): expected 'h' but found 'q'"),
        ("min(s)", "at character 6: min() takes 2 arguments, got 1"),
        ("exp(s, 1)", "at character 6: exp() takes 1 argument"),
        ("where(q < k, s)", "at character 15: where() takes 3 arguments, got 2"),
        ("where(s, 1, 2)", "at character 8: where() needs a condition"),
        ("s + (q < k)", "at character 12: '+' needs an expression, not a condition; reading stopped at end of expression"),
        ("s > 0", "at character 6: the text is a condition, not a score expression"),
        ("q < k < s", "at character 7: '<' needs an expression, not a condition"),
        ("true", "at character 1: 'true' is reserved"),
        ("exp s", "at character 5: expected '(' after 'exp' but found 's'"),
        ("1e400", "at character 1: the number '1e400' is out of range"),
        ("1.", "at character 3: expected a digit after '1.'"),
        ("2e+", "at character 4: expected the digits of the exponent of '2e+'"),
        ("2x", "at character 2: unexpected 'x' after the number '2'"),
        ("s % 2", "at character 3: unexpected character '%'"),
        ("é", "at character 1: unexpected character 'é'"),
        ("s ,", "at character 3: unexpected ','"),
    ]

    @Test(arguments: refusals)
    func refusalsNameThePlace(text: String, message: String) {
        do {
            let parsed = try ScoreExpressionParser.parse(text)
            Issue.record("\"\(text)\" parsed to \(parsed)")
        } catch {
            #expect(error.field == "scoreModifiers.expression")
            #expect(error.message.hasPrefix(message), "\"\(text)\": \(error.message)")
            #expect(error.message.hasSuffix(" in \"\(text)\""), "\(error.message)")
        }
    }

    /// A balanced sum of `2^depth` terms: `2^depth - 1` operators, `depth` deep.
    static func balancedSum(depth: Int) -> String {
        depth == 0 ? "s" : "(\(balancedSum(depth: depth - 1)) + \(balancedSum(depth: depth - 1)))"
    }

    static let largeTexts: [(text: String, message: String)] = [
        (String(repeating: "(", count: 100_000) + "s" + String(repeating: ")", count: 100_000), "the limit is 130"),
        (String(repeating: "-", count: 100_000) + "s", "the limit is 130"),
        (String(repeating: "exp(", count: 100_000) + "s" + String(repeating: ")", count: 100_000), "the limit is 130"),
        (Array(repeating: "s", count: 100_000).joined(separator: " + "), "the limit is 64"),
        (balancedSum(depth: 12), "more than 256 operators"),
    ]

    @Test(arguments: 0..<largeTexts.count)
    func deepAndLargeTextIsRefusedQuickly(index: Int) {
        let (text, message) = Self.largeTexts[index]
        let start = ContinuousClock.now
        #expect(throws: SpecError.self) { try ScoreExpressionParser.parse(text) }
        do { _ = try ScoreExpressionParser.parse(text) } catch {
            #expect(error.message.contains(message), "\(error.message.prefix(200))")
            #expect(error.message.count < 400)
        }
        #expect(ContinuousClock.now - start < .milliseconds(500))
    }

    @Test func expressionsJustWithinTheLimitsParseAndReadBack() throws {
        #expect(try parse(Self.balancedSum(depth: 8)).measuredSize() == (8, 255))
        let depth = ScoreExpression.maximumDepth
        let chain = Array(repeating: "s", count: depth + 1).joined(separator: " + ")
        let parsed = try parse(chain)
        #expect(parsed.measuredSize() == (depth, depth))
        #expect(try parse(parsed.description) == parsed)
        #expect(throws: SpecError.self) { try parse(chain + " + s") }
        // Negations of negations of a constant: the canonical text opens two levels per operator.
        let negations = String(repeating: "-(", count: depth) + "2" + String(repeating: ")", count: depth)
        let negated = try parse(negations)
        #expect(try parse(negated.description) == negated)
        try AttentionSpec(name: "deep", headDim: 64).modified(by: .expression(negated)).validate()
    }

    @Test func canonicalTextReadsBack() throws {
        var generator = ScoreExpressionGenerator(random: SeededGenerator(seed: 18), wideConstants: true)
        for _ in 0..<200 {
            let expression = generator.expression(depth: 5)
            let text = expression.description
            #expect(try parse(text) == expression, "\(text)")
        }
        #expect(try parse("s - 0.5 * abs(q - k)").description == "s - 0.5 * abs(q - k)")
        #expect(try parse("((30) * (tanh((s) / 30)))").description == "30 * tanh(s / 30)")
        #expect(try parse("s - (q - k)").description == "s - (q - k)")
        #expect(try parse("-2 * -s").description == "(-2) * -s")
        #expect(try parse("-(2) - -(-s)").description == "-(2) - -(-s)")
        #expect(try parse("where(!(q < k) || (b == 0 && h == 1), 1e-05, 1e30)").description
                == "where(!(q < k) || b == 0 && h == 1, 1e-05, 1e+30)")
        #expect(ScoreExpression.constant(0.1 + 0.2).description == "0.30000000000000004")
    }

    @Test func standardAlibiSlopesFollowThePaper() {
        let eight = (0..<8).map { ScoreExpression.standardAlibiSlope(head: Int64($0), heads: 8) }
        #expect(eight == (1...8).map { pow(2.0, -Double($0)) })
        // 12 heads: the 8 of a power of two, then every other slope of 16 heads.
        let twelve = (0..<12).map { ScoreExpression.standardAlibiSlope(head: Int64($0), heads: 12) }
        #expect(Array(twelve.prefix(8)) == eight)
        #expect(Array(twelve.suffix(4)) == [-0.5, -1.5, -2.5, -3.5].map { pow(2.0, $0) })
        #expect(ScoreExpression.standardAlibiSlope(head: 0, heads: 1) == pow(2.0, -8))
        #expect(ScoreExpression.standardAlibiSlope(head: 1, heads: 2) == pow(2.0, -8))
        #expect(ScoreExpression.standardAlibiSlope(head: 2, heads: 3) == pow(2.0, -2))
    }

    @Test func simplifierFoldsTheTrivialCases() throws {
        #expect(try parse("0 + s * 1 - 0").simplified() == .score)
        #expect(try parse("(q - k) * 0 + 2 * 3").simplified() == .constant(6))
        #expect(try parse("-(-s) / 1").simplified() == .score)
        #expect(try parse("where(q < k, s + 0, 1 * s)").simplified() == .score)
        #expect(try parse("where(1 < 2, s, q)").simplified() == .score)
        #expect(try parse("2 * (s * 3)").simplified() == .binary(.multiply, .constant(6), .score))
        #expect(try parse("0 - s").simplified() == .unary(.negate, .score))
        // Not folded: division by 0, log outside its domain, a result beyond fp32.
        #expect(try parse("1 / 0").simplified() == .binary(.divide, .constant(1), .constant(0)))
        #expect(try parse("log(-1)").simplified() == .unary(.log, .constant(-1)))
        #expect(try parse("1e30 * 1e30").simplified() == .binary(.multiply, .constant(1e30), .constant(1e30)))
    }

    @Test func derivativesOfAlibiAndSoftcapSimplify() throws {
        for slopes in ScoreModifier.AlibiSlopes.allCases {
            for alignment in DiagonalAlignment.allCases {
                #expect(ScoreModifier.alibi(slopes: slopes, alignment: alignment).lowered.derivative() == .constant(1))
            }
        }
        let softcap = ScoreModifier.softcap(30).lowered.derivative()
        // sech2 (1 / cosh², written by differentiation only) rather than 1 - tanh², which cancels where tanh is near ±1.
        #expect(softcap == .unary(.sechSquared, try parse("s / 30")), "\(softcap)")
        #expect(try parse("tanh(2 * s)").derivative() == .binary(.multiply, .constant(2), .unary(.sechSquared, try parse("2 * s"))))
        #expect(try parse("s - 0.5 * abs(q - k)").derivative() == .constant(1))
        #expect(try parse("exp(2 * s)").derivative() == (try parse("2 * exp(2 * s)")))
        #expect(try parse("log(s)").derivative() == (try parse("1 / s")))
        #expect(try parse("abs(s)").derivative() == (try parse("where(s >= 0, 1, -1)")))
        #expect(try parse("max(s, q)").derivative() == (try parse("where(s >= q, 1, 0)")))
        #expect(try parse("q / s").derivative() == (try parse("-q / (s * s)")))
    }

    /// The point's branch decisions (abs, min, max, where): the derivative is checked only between points that
    /// take the same branches, away from the kinks.
    static func branches(_ expression: ScoreExpression, _ environment: ScoreEnvironment, into decisions: inout [Bool]) {
        switch expression {
        case .score, .variable, .constant, .parameter, .standardAlibiSlope: break
        case .unary(let function, let operand):
            branches(operand, environment, into: &decisions)
            if function == .abs { decisions.append(operand.evaluate(environment) >= 0) }
        case .binary(let op, let lhs, let rhs):
            branches(lhs, environment, into: &decisions)
            branches(rhs, environment, into: &decisions)
            if op == .minimum || op == .maximum { decisions.append(lhs.evaluate(environment) <= rhs.evaluate(environment)) }
        case .select(let condition, let lhs, let rhs):
            for case .expression(let operand) in ScoreNode.condition(condition).children {
                branches(operand, environment, into: &decisions)
            }
            decisions.append(condition.evaluate(environment))
            branches(lhs, environment, into: &decisions)
            branches(rhs, environment, into: &decisions)
        }
    }

    @Test func derivativeMatchesCentralDifferences() {
        var generator = ScoreExpressionGenerator(random: SeededGenerator(seed: 0x5C0E), wideConstants: false)
        let parameters = ["slope": [0.25, 0.5, 1.5], "bias_2": [-1, 0, 2], "_w": [3, -0.5, 0.125]]
        var checked = 0
        for _ in 0..<400 {
            let expression = generator.expression(depth: 4)
            let derivative = expression.derivative()
            for _ in 0..<8 {
                let s = Double.random(in: -4...4, using: &generator.random)
                var environment = ScoreEnvironment(score: s, b: Int64.random(in: 0...2, using: &generator.random),
                                                   h: Int64.random(in: 0...2, using: &generator.random),
                                                   q: Int64.random(in: 0...9, using: &generator.random),
                                                   k: Int64.random(in: 0...9, using: &generator.random),
                                                   nq: 10, nk: 12, headsQ: 3, parameters: parameters)
                func value(_ point: Double) -> Double {
                    environment.score = point
                    return expression.evaluate(environment)
                }
                func decisions(_ point: Double) -> [Bool] {
                    environment.score = point
                    var result: [Bool] = []
                    Self.branches(expression, environment, into: &result)
                    return result
                }
                // Every intermediate value finite (the derivative follows fminf/fmaxf only for finite operands).
                func finite(_ point: Double) -> Bool {
                    environment.score = point
                    var finite = true
                    expression.forEachNode { node in
                        if case .expression(let part) = node, !part.evaluate(environment).isFinite { finite = false }
                        return finite
                    }
                    return finite
                }
                let h = 1e-4
                guard finite(s - 2 * h), finite(s), finite(s + 2 * h) else { continue }
                let pieces = [decisions(s - 2 * h), decisions(s), decisions(s + 2 * h)]
                guard pieces[0] == pieces[1], pieces[1] == pieces[2] else { continue }
                let values = [value(s - 2 * h), value(s - h), value(s), value(s + h), value(s + 2 * h)]
                guard values.allSatisfy({ $0.isFinite && abs($0) < 1e6 }) else { continue }
                let wide = (values[4] - values[0]) / (4 * h)
                let narrow = (values[3] - values[1]) / (2 * h)
                // Ill-conditioned where the two step sizes disagree (a pole or a steep curve nearby).
                guard abs(wide - narrow) <= 1e-5 * max(1, abs(narrow)) else { continue }
                environment.score = s
                let exact = derivative.evaluate(environment)
                #expect(abs(exact - narrow) <= 1e-5 * max(1, abs(narrow)),
                        "d/ds \(expression) at s = \(s): \(exact) (\(derivative)) vs \(narrow)")
                checked += 1
            }
        }
        #expect(checked > 1000, "only \(checked) points checked")
    }

    /// The derivative in a run-time array's entry name[h] (the arrays' gradient) against central differences in
    /// that entry, on the same random expressions; and ALiBi's slope gives -abs(q + shift - k).
    @Test func parameterDerivativeMatchesCentralDifferences() throws {
        let alibi = ScoreModifier.alibi(slopes: .runtime, alignment: .topLeft).lowered
        #expect(alibi.derivative(withRespectTo: .parameter(ScoreModifier.alibiParameter)) == (try parse("-abs(q - k)")))
        #expect(alibi.derivative(withRespectTo: .parameter("other")) == .constant(0))
        #expect(try parse("s * gain[h] + tanh(s) * bias[h]").derivative(withRespectTo: .parameter("bias"))
                == (try parse("tanh(s)")))
        var generator = ScoreExpressionGenerator(random: SeededGenerator(seed: 0x9A7A), wideConstants: false)
        let parameters = ["slope": [0.25, 0.5, 1.5], "bias_2": [-1, 0, 2], "_w": [3, -0.5, 0.125]]
        var checked = 0
        for _ in 0..<400 {
            let expression = generator.expression(depth: 4)
            for name in parameters.keys.sorted() {
                let derivative = expression.derivative(withRespectTo: .parameter(name))
                let s = Double.random(in: -4...4, using: &generator.random)
                let head = Int64.random(in: 0...2, using: &generator.random)
                var environment = ScoreEnvironment(score: s, b: 1, h: head, q: Int64.random(in: 0...9, using: &generator.random),
                                                   k: Int64.random(in: 0...9, using: &generator.random),
                                                   nq: 10, nk: 12, headsQ: 3, parameters: parameters)
                let entry = parameters[name]![Int(head)]
                func at(_ value: Double) -> ScoreEnvironment {
                    var moved = environment
                    moved.parameters[name]![Int(head)] = value
                    return moved
                }
                func decisions(_ value: Double) -> [Bool] {
                    var result: [Bool] = []
                    Self.branches(expression, at(value), into: &result)
                    return result
                }
                func finite(_ value: Double) -> Bool {
                    var finite = true
                    expression.forEachNode { node in
                        if case .expression(let part) = node, !part.evaluate(at(value)).isFinite { finite = false }
                        return finite
                    }
                    return finite
                }
                let h = 1e-4
                guard finite(entry - 2 * h), finite(entry), finite(entry + 2 * h) else { continue }
                guard decisions(entry - 2 * h) == decisions(entry), decisions(entry) == decisions(entry + 2 * h) else { continue }
                let values = [-2.0, -1, 1, 2].map { expression.evaluate(at(entry + $0 * h)) }
                guard values.allSatisfy({ $0.isFinite && abs($0) < 1e6 }) else { continue }
                let wide = (values[3] - values[0]) / (4 * h)
                let narrow = (values[2] - values[1]) / (2 * h)
                guard abs(wide - narrow) <= 1e-5 * max(1, abs(narrow)) else { continue }
                environment = at(entry)
                let exact = derivative.evaluate(environment)
                #expect(abs(exact - narrow) <= 1e-5 * max(1, abs(narrow)),
                        "d/d \(name)[h] \(expression): \(exact) (\(derivative)) vs \(narrow)")
                checked += 1
            }
        }
        #expect(checked > 600, "only \(checked) points checked")
    }

    /// tanh_approx: the fast tanh of CUDA (tanh.approx.f32), tanh everywhere else, with tanh's derivative.
    @Test func tanhApproxIsTanhOutsideCUDA() throws {
        let cap = try parse("30 * tanh_approx(s / 30)")
        #expect(cap.description == "30 * tanh_approx(s / 30)")
        #expect(cap.derivative() == (try parse("1 - tanh_approx(s / 30) * tanh_approx(s / 30)")))
        let environment = ScoreEnvironment(score: 12.5, b: 0, h: 0, q: 0, k: 0, nq: 1, nk: 1, headsQ: 1, parameters: [:])
        #expect(cap.evaluate(environment) == (try parse("30 * tanh(s / 30)")).evaluate(environment))
        #expect(cap.source(.cuda, parameterIndex: { _ in 0 }).contains("attngen_tanh_approx("))
        #expect(cap.source(.c, parameterIndex: { _ in 0 }).contains("tanhf("))
        #expect(!cap.source(.c, parameterIndex: { _ in 0 }).contains("approx"))
        #expect(throws: SpecError.self) { try ScoreExpressionParser.parse("s * tanh_approx[h]") }
    }
}
