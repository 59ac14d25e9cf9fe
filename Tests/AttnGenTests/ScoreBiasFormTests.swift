import Foundation
import Testing
@testable import AttnGen

/// `ScoreBiasForm`: which modifiers the Hopper forward kernel takes as the raw score plus a bias, and that the form
/// and each side's affine form give the modifier's value (the float64 evaluator of the spec's own expression).
@Suite struct ScoreBiasFormTests {
    private static let scale = 0.125

    private static func form(_ modifiers: [ScoreModifier]) throws -> ScoreBiasForm? {
        ScoreBiasForm(model: try ScoreModifierModel(lowering: modifiers), inputScale: scale)
    }

    private static func expression(_ text: String) throws -> ScoreModifier {
        .expression(try ScoreExpressionParser.parse(text))
    }

    @Test func takesModifiersLinearInTheScoreWithOneAbsoluteValueOfKeys() throws {
        let alibi = try #require(try Self.form([.alibi]))
        #expect(alibi.signArgument != nil && alibi.sides.count == 2)
        #expect(abs(alibi.scoreToLog2 - 1.4426950408889634 * Self.scale) < 1e-15)
        let bottomRight = try #require(try Self.form([.alibi(slopes: .runtime, alignment: .bottomRight)]))
        #expect(bottomRight.sides.count == 2)
        let keys = try #require(try Self.form([Self.expression("s + 0.02 * k - 0.01 * q")]))
        #expect(keys.signArgument == nil && keys.sides.count == 1)
        let halved = try #require(try Self.form([Self.expression("0.5 * s - 0.25 * abs(k - q + 3) + 0.01 * q")]))
        #expect(abs(halved.scoreToLog2 - 0.5 * 1.4426950408889634 * Self.scale) < 1e-15)

        // Not linear in s, a factor that is not a positive constant, two different |u| of k, a slope of k that
        // reads q, an |u| not affine in the positions, a `where` of k: no bias form.
        for modifiers: [ScoreModifier] in [
            [.softcap(30)], [.alibi, .softcap(30)],
            [try Self.expression("where(s > 0, s, 2 * s)")], [try Self.expression("s * s")],
            [try Self.expression("-s - abs(q - k)")], [try Self.expression("s * gain[h] - abs(q - k)")],
            [try Self.expression("s - abs(q - k) - abs(q - k - 5)")], [try Self.expression("s - 0.01 * q * k")],
            [try Self.expression("s - abs(k * k)")], [try Self.expression("s + where(k < q, 1, 0)")],
        ] {
            #expect(try Self.form(modifiers) == nil, "\(modifiers)")
        }
    }

    /// scoreToLog2 · (x + bias) is log2 e · m(scale · x), and where u has a sign, that side's keySlope · k + row is the
    /// bias; for the named modifiers and for every random expression that has a form.
    @Test func theFormAndItsSidesGiveTheModifiersValue() throws {
        var named: [[ScoreModifier]] = [
            [.alibi], [.alibi(slopes: .runtime, alignment: .bottomRight)], [.alibi(slopes: .standard, alignment: .bottomRight)],
            [try Self.expression("s + 0.02 * k - 0.01 * q")],
            [try Self.expression("0.5 * s - 0.25 * abs(k - q + 3) + 0.01 * q")],
            [try Self.expression("(s - slope[h] * abs(2 * q - k + nk / 4)) / 3 + b")],
        ]
        var generator = ScoreExpressionGenerator(random: SeededGenerator(seed: 0xB1A5), wideConstants: false)
        var random = SeededGenerator(seed: 0x5EED)
        var generated = 0
        for _ in 0..<4000 {
            let candidate = generator.expression(depth: 4)
            guard candidate.reads(.score), let model = try? ScoreModifierModel(lowering: [.expression(candidate)]),
                  ScoreBiasForm(model: model, inputScale: Self.scale) != nil else { continue }
            named.append([.expression(candidate)])
            generated += 1
        }
        #expect(generated >= 20, "only \(generated) random expressions have a bias form")
        var sidesChecked = [0, 0]
        for modifiers in named {
            let model = try ScoreModifierModel(lowering: modifiers)
            let form = try #require(ScoreBiasForm(model: model, inputScale: Self.scale), "\(modifiers)")
            for _ in 0..<50 {
                let heads = Int64.random(in: 1...16, using: &random)
                let (nq, nk) = (Int64.random(in: 1...3000, using: &random), Int64.random(in: 1...3000, using: &random))
                let (q, k) = (Int64.random(in: 0..<nq, using: &random), Int64.random(in: 0..<nk, using: &random))
                let h = Int64.random(in: 0..<heads, using: &random), b = Int64.random(in: 0...3, using: &random)
                let x = Double.random(in: -40...40, using: &random)
                var parameters: [String: [Double]] = [:]
                for name in model.parameters {
                    parameters[name] = (0..<heads).map { _ in Double.random(in: 0.25...2, using: &random) }
                }
                func value(_ e: ScoreExpression, score: Double = 0) -> Double {
                    e.evaluate(score: score, b: b, h: h, q: q, k: k, nq: nq, nk: nk, headsQ: heads, parameters: parameters)
                }
                let expected = 1.4426950408889634 * model.evaluate(score: Self.scale * x, b: b, h: h, q: q, k: k, nq: nq,
                                                                   nk: nk, headsQ: heads, parameters: parameters)
                let bias = value(form.bias)
                guard expected.isFinite, bias.isFinite else { continue }
                let tolerance = 1e-9 * (1 + abs(expected) + abs(form.scoreToLog2 * bias))
                #expect(abs(form.scoreToLog2 * (x + bias) - expected) <= tolerance, "\(modifiers) at q \(q) k \(k)")
                let u = form.signArgument.map { value($0) } ?? 1
                for (index, side) in form.sides.enumerated() where index == 0 ? u >= 0 : u <= 0 {
                    let affine = value(side.keySlope) * Double(k) + value(side.row)
                    #expect(abs(affine - bias) <= 1e-9 * (1 + abs(bias) + abs(value(side.keySlope) * Double(k))),
                            "\(modifiers) side \(index) at q \(q) k \(k): \(affine) against \(bias)")
                    sidesChecked[index] += 1
                }
            }
        }
        #expect(sidesChecked[0] > 100 && sidesChecked[1] > 100, "\(sidesChecked)")
    }
}
