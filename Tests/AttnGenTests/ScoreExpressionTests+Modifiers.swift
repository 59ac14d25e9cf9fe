import Foundation
import Testing
@testable import AttnGen

/// Score modifiers: lowering and composition (`ScoreModifierModel`), validation, spec files, flags and C source.
extension ScoreExpressionTests {
    func spec(_ modifiers: ScoreModifier...) -> AttentionSpec {
        modifiers.reduce(AttentionSpec(name: "scored", headDim: 64)) { $0.modified(by: $1) }
    }

    @Test func modifiersLowerToTheirExpressions() throws {
        #expect(ScoreModifier.alibi.lowered == (try parse("s - alibi_slope(h) * abs(q - k)")))
        #expect(ScoreModifier.alibi(slopes: .runtime, alignment: .bottomRight).lowered
                == (try parse("s - alibi_slopes[h] * abs(q + (nk - nq) - k)")))
        #expect(ScoreModifier.softcap(30).lowered == (try parse("30 * tanh(s / 30)")))
        let expression = try parse("s - 0.5 * abs(q - k)")
        #expect(ScoreModifier.expression(expression).lowered == expression)
    }

    @Test func modelComposesInOrder() throws {
        let empty = try ScoreModifierModel(lowering: [])
        #expect(empty.isEmpty && empty.expression == nil && empty.derivative == nil && empty.parameters.isEmpty)
        #expect(empty.evaluate(score: 1.5, b: 0, h: 0, q: 0, k: 0, nq: 1, nk: 1, headsQ: 1, parameters: [:]) == 1.5)

        let model = try ScoreModifierModel(lowering: [.alibi, .softcap(30)])
        #expect(!model.isEmpty)
        #expect(model.expression == (try parse("30 * tanh((s - alibi_slope(h) * abs(q - k)) / 30)")))
        #expect(model.derivative == .unary(.sechSquared, try parse("(s - alibi_slope(h) * abs(q - k)) / 30")))
        #expect(model.descriptions == ["ALiBi (standard slopes, top-left)", "soft cap 30: 30 * tanh(s / 30)"])
        #expect(model.summary == "ALiBi (standard slopes, top-left); soft cap 30: 30 * tanh(s / 30)")
        // Head 1 of 8 has the slope 1/4: 30 tanh((2 - 3/4) / 30).
        let value = model.evaluate(score: 2, b: 0, h: 1, q: 5, k: 2, nq: 8, nk: 8, headsQ: 8, parameters: [:])
        #expect(abs(value - 30 * tanh(1.25 / 30)) < 1e-12)

        let reversed = try ScoreModifierModel(lowering: [.softcap(30), .alibi(slopes: .runtime, alignment: .bottomRight)])
        #expect(reversed.expression == (try parse("30 * tanh(s / 30) - alibi_slopes[h] * abs(q + (nk - nq) - k)")))
        #expect(reversed.parameters == ["alibi_slopes"])
        #expect(reversed.descriptions[1] == "ALiBi (run-time slopes alibi_slopes[h], bottom-right)")
        // Bottom-right: query 1 of 2 sits at key 1 + 4 - 2 = 3.
        let shifted = reversed.evaluate(score: 0, b: 0, h: 2, q: 1, k: 0, nq: 2, nk: 4, headsQ: 3,
                                        parameters: ["alibi_slopes": [0, 0, 0.5]])
        #expect(shifted == -1.5)
    }

    /// What ring attention needs to know (context_parallel.py): whether the modified score reads positions.
    @Test func variablesAndWhetherPositionsAreRead() throws {
        #expect(try ScoreModifierModel(lowering: []).variables.isEmpty)
        let softcap = try ScoreModifierModel(lowering: [.softcap(30)])
        #expect(softcap.variables.isEmpty && !softcap.readsPositions)
        let alibi = try ScoreModifierModel(lowering: [.alibi(slopes: .runtime, alignment: .bottomRight)])
        #expect(alibi.variables == [.query, .key, .queryLength, .keyLength] && alibi.readsPositions)
        let perHead = try ScoreModifierModel(lowering: [.expression(try parse("where(s > 0, s * gain[h], tanh(s)) + b"))])
        #expect(perHead.variables == [.batch] && !perHead.readsPositions)
        let length = try ScoreModifierModel(lowering: [.softcap(3), .expression(try parse("s / nk"))])
        #expect(length.variables == [.keyLength] && length.readsPositions)
    }

    @Test func parametersAreListedInOrderOfFirstAppearance() throws {
        let model = try ScoreModifierModel(lowering: [
            .expression(try parse("s + a[h] * w[h] - a[h]")),
            .alibi(slopes: .runtime, alignment: .topLeft),
            .expression(try parse("s * w[h] + where(c[h] < 0, alibi_slopes[h], 0)")),
        ])
        #expect(model.parameters == ["a", "w", "alibi_slopes", "c"])
        #expect(model.descriptions[2] == "score expression: s * w[h] + where(c[h] < 0, alibi_slopes[h], 0)")
    }

    @Test func renderedSourceIsFullyParenthesisedFP32() throws {
        let model = try ScoreModifierModel(lowering: [.alibi(slopes: .runtime, alignment: .bottomRight), .softcap(30),
                                                      .expression(try parse("where(!(q < k) && w[h] != -1, s, -2.5e-3)"))])
        let index: (String) -> Int = { model.parameters.firstIndex(of: $0)! }
        let source = try #require(model.expression).source(.c, parameterIndex: index)
        #expect(source == "((((!(((float)q) < ((float)k))) && (score_parameters[1 * heads_q + h] != (-1.0f)))) ? "
                + "((30.0f * tanhf(((s - (score_parameters[0 * heads_q + h] * fabsf(((((float)q) + (((float)nk) - "
                + "((float)nq))) - ((float)k))))) / 30.0f)))) : ((-0.0025f)))")
        #expect(ScoreExpression.standardAlibiSlope.source(.cuda, parameterIndex: index) == "attngen_alibi_slope(h, heads_q)")
    }

    /// Compiles the C rendering of fixed and random expressions and their derivatives with -Wall -Wextra -Werror,
    /// and compares the fixed ones with `evaluate` at a few points.
    @Test func renderedCCompilesWithoutWarningsAndAgrees() throws {
        let fixed = [try parse("s - 0.5 * abs(q - k)"), ScoreModifier.softcap(30).lowered,
                     try parse("where(q >= k && !(b == 1) || h != 0, s, s - bias[h] * log(1 + abs(q - k)))"),
                     try parse("min(exp(s / nk), max(-s, 2e-3)) - alibi_slope(h) * (q + 1) / (k + 1)")]
        var generator = ScoreExpressionGenerator(random: SeededGenerator(seed: 7), wideConstants: false)
        let random = (0..<40).map { _ in generator.expression(depth: 4) }
        let expressions = fixed + fixed.map { $0.derivative() } + random + random.map { $0.derivative() }
        let parameters = ["bias", "slope", "bias_2", "_w"]
        let index: (String) -> Int = { parameters.firstIndex(of: $0)! }
        var c = """
            #include <math.h>
            #include <stdint.h>
            #include <stdio.h>
            static float attngen_alibi_slope(int64_t h, int64_t heads_q) { return exp2f(-8.0f * (float)(h + 1) / (float)heads_q); }
            static float attngen_sech2f(float x) { const float c = coshf(x); return 1.0f / (c * c); }

            """
        for (i, expression) in expressions.enumerated() {
            c += "static float f\(i)(float s, int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk, "
                + "int64_t heads_q, const float *score_parameters) {\n"
                + "    (void)s; (void)b; (void)h; (void)q; (void)k; (void)nq; (void)nk; (void)heads_q; (void)score_parameters;\n"
                + "    return \(expression.source(.c, parameterIndex: index));\n}\n"
        }
        let points: [(s: Double, b: Int64, h: Int64, q: Int64, k: Int64)] = [(0.75, 0, 0, 3, 1), (-1.5, 1, 1, 2, 5), (2, 2, 0, 4, 4)]
        let values: [Double] = [0.5, -1.25, 2, 3, 0.25, 0.5, 1, 2]
        c += "typedef float (*score_function)(float, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, const float *);\n"
        c += "static const score_function functions[] = {" + expressions.indices.map { "f\($0)" }.joined(separator: ", ") + "};\n"
        c += "int main(void) {\n    static const float p[8] = {" + values.map { Literals.float($0) }.joined(separator: ", ") + "};\n"
        c += "    for (unsigned i = 0; i < sizeof functions / sizeof functions[0]; i++) {\n"
        for point in points {
            c += "        printf(\"%.9g\\n\", (double)functions[i](\(Literals.float(point.s)), \(point.b), \(point.h), \(point.q), "
                + "\(point.k), 6, 8, 2, p));\n"
        }
        c += "    }\n    return 0;\n}\n"
        let folder = try CTestFolder()
        try c.write(to: folder.url.appendingPathComponent("score.c"), atomically: true, encoding: .utf8)
        let build = try CTestFolder.run("cc", ["-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "score.c", "-lm", "-o", "score"],
                                        in: folder.url)
        try #require(build.status == 0, "\(build.output)")
        let run = try CTestFolder.run("./score", [], in: folder.url)
        try #require(run.status == 0)
        let printed = run.output.split(separator: "\n").map { Double($0) ?? .nan }
        let arrays = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { i, name in
            (name, Array(values[(2 * i)..<(2 * i + 2)]))
        })
        var line = 0
        for expression in fixed + fixed.map({ $0.derivative() }) {
            for point in points {
                let expected = expression.evaluate(score: point.s, b: point.b, h: point.h, q: point.q, k: point.k, nq: 6, nk: 8,
                                                   headsQ: 2, parameters: arrays)
                #expect(abs(printed[line] - expected) <= 1e-5 * max(1, abs(expected)), "\(expression) at \(point)")
                line += 1
            }
        }
    }
}
