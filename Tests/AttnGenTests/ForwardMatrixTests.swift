import Foundation
import Testing
@testable import AttnGen

/// The correctness harness of the C backend: every variant of `ForwardMatrix` is generated, compiled with
/// `cc -std=c11 -O2 -Wall -Wextra -Werror` (some with -fopenmp), run on fresh random inputs and compared with
/// the independent float64 reference in Fixtures/reference.c; its argument checks are exercised too.
@Suite struct ForwardMatrixTests {
    @Test(arguments: ForwardMatrix.variants)
    func variantMatchesReference(_ variant: MatrixVariant) throws {
        let spec = variant.spec
        let build = try VariantBuild(spec: spec, openMP: variant.openMP)
        defer { build.remove() }
        let started = Date()
        let outcome = try build.run(["run"] + variant.cases.map(\.argument))
        #expect(outcome.status == 0, "driver exited with \(outcome.status) (crashed: \(outcome.crashed)):\n\(outcome.output)")
        let lines = DriverLine.parse(outcome.output, kind: "RESULT")
        #expect(lines.count == variant.cases.count, "expected \(variant.cases.count) RESULT lines:\n\(outcome.output)")

        let base = Tolerance.forStorage(spec.storage)
        for line in lines {
            let context = "\(spec.name) [Br=\(build.plan.blockRows) Bc=\(build.plan.blockColumns)] \(line.caseText)"
            let huge = line.caseText.contains("huge=1")
            let keyLength = variant.cases.first { $0.argument == line.caseText }?.keyLength ?? 0
            // Huge logits, and score modifiers (whose values, such as ALiBi's slope · |q - k|, the kernels round in
            // fp32 too: the reference counts |m| into logit_max), carry the fp32 rounding of the logits.
            let logits = huge || !spec.scoreModifiers.isEmpty
            let tolerance = logits ? base.forKeys(keyLength).withLogits(line.double("logit_max") ?? 0) : base.forKeys(keyLength)
            guard let status = line.int("status"), let relL2 = line.double("rel_l2"), let relMax = line.double("rel_max"),
                  let lse = line.double("lse_err") else {
                Issue.record("unreadable driver line for \(context): \(line)")
                continue
            }
            #expect(status == 0, "kernel status \(status) for \(context)")
            #expect(line.int("reference") == 0, "reference failed for \(context)")
            #expect(relL2 <= tolerance.relativeL2, "\(context): rel_l2 \(relL2) > \(tolerance.relativeL2)\n\(line)")
            #expect(relMax <= tolerance.relativeMax, "\(context): rel_max \(relMax) > \(tolerance.relativeMax)\n\(line)")
            #expect(lse <= tolerance.logSumExp, "\(context): lse_err \(lse) > \(tolerance.logSumExp)\n\(line)")
            #expect(line.int("nan") == 0, "\(context): NaN/inf outputs\n\(line)")
            #expect(line.int("poison") == 0, "\(context): wrote outside O/LSE\n\(line)")
            #expect(line.int("lse_inf_mismatch") == 0, "\(context): -inf LSE rows differ\n\(line)")
            #expect(line.int("masked_nonzero") == 0, "\(context): fully masked rows not zero\n\(line)")
            #expect(line.int("bad_used") == 0, "\(context): a seqlens_k entry above seqlen_k was not refused\n\(line)")
            #expect(line.int("bad_page") == 0, "\(context): a page index past the pool was not refused\n\(line)")
            #expect(line.int("bad_varlen") == 0, "\(context): prefix sums past the packed rows were not refused\n\(line)")
            ErrorSummary.shared.record(spec.storage, relL2: relL2, relMax: relMax, lse: lse, huge: huge, long: keyLength > 1537)
            print("HARNESS-CASE variant=\(spec.name) storage=\(spec.storage.rawValue) \(line.caseText) "
                + "rel_l2=\(scientific(relL2)) rel_max=\(scientific(relMax)) lse_err=\(scientific(lse)) "
                + "tol_max=\(scientific(tolerance.relativeMax)) logit_max=\(line.values["logit_max"] ?? "?") "
                + "masked_rows=\(line.values["masked_rows"] ?? "?")/\(line.values["rows"] ?? "?") "
                + "kernel_ms=\(line.values["kernel_ms"] ?? "?") reference_ms=\(line.values["reference_ms"] ?? "?")")
        }

        // Invalid arguments: every check returns the documented status and leaves O and LSE alone.
        let errors = try build.run(["errors"])
        #expect(errors.status == 0, "driver errors mode exited with \(errors.status):\n\(errors.output)")
        let checks = DriverLine.parse(errors.output, kind: "CHECK")
        #expect(checks.count >= 20, "expected at least 20 CHECK lines:\n\(errors.output)")
        for check in checks {
            let name = check.values["name"] ?? "?"
            #expect(check.int("got") == check.int("expected"), "\(spec.name): \(name) returned \(check.values["got"] ?? "?"), expected \(check.values["expected"] ?? "?")")
            if check.int("expected") != 0 {
                #expect(check.int("untouched") == 1, "\(spec.name): \(name) wrote to O or LSE before failing")
            }
        }
        // Thread safety: three calls at once give the first call's bits.
        let concurrent = try build.run(["concurrent", variant.concurrentCase.argument])
        let concurrentLines = DriverLine.parse(concurrent.output, kind: "CONCURRENT")
        #expect(concurrent.status == 0 && concurrentLines.count == 1, "concurrent mode failed:\n\(concurrent.output)")
        for line in concurrentLines {
            #expect(line.int("status") == 0 && line.int("failures") == 0, "\(spec.name): \(line)")
            #expect(line.int("differing") == 0, "\(spec.name): concurrent calls differ from a single call\n\(line)")
        }
        print("HARNESS-VARIANT variant=\(spec.name) cases=\(lines.count) checks=\(checks.count) "
            + "seconds=\(String(format: "%.1f", Date().timeIntervalSince(started))) openmp=\(variant.openMP)")
        ErrorSummary.shared.printTotals()
    }

    /// The generator's C rendering of predicates (`MaskPredicate.source`, with the runtime's helpers) agrees with
    /// `MaskPredicate.evaluate`, and so does the reference's independent rendering (`ReferencePredicateSource`).
    @Test func renderedPredicatesAgreeWithEvaluate() throws {
        let texts = [
            "q >= k && q - k < 256",
            "(q / 64) == (k / 64) || k < 16",
            "abs(q - k) <= 8",
            "(k - q) / 7 >= -3 && (k - q) % 5 != 2",
            "min(q, k) * 3 - max(q, nk) > -2000",
            "!(h % 2 == 0) || b * nq + q >= nk - k",
            "-(q) % 3 == 1 || -q / 4 == -2",
            "true", "false",
            "(q - k) % 64 < 32 || (nq - q) / 3 == k / 5",
            "q % 7 != 3 && ((k - q) / 64 <= 0 || h % 2 == 1)",
            "abs(q - k) % 5 != 0 || b == 1",
            "k < nk / 2 || q >= nq - 10",
            "max(k, k) >= q || k <= k",
            "min(abs(q), abs(-k)) <= max(nq, nk) && q > 5 || q < 10",
        ]
        let predicates = try texts.map { try MaskExpressionParser.parse($0) }
            + [MaskPredicate.and(.comparison(.less, .q - .k, -5), .not(.comparison(.equal, .k % 3, 0)))]
        let folder = try HarnessFixtures.temporaryFolder("predicates")
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try CEmitter().sharedFiles() {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }

        // Each predicate twice: as the kernels render it (lowered), and as the reference renders it.
        var source = "#include \"attngen_runtime.h\"\n#include <stdio.h>\n#include <stdlib.h>\n\n"
        source += ReferencePredicateSource.helpers
        var functions: [String] = []
        for (index, predicate) in predicates.enumerated() {
            let lowered = try PredicateLowering.lower(predicate, field: "predicate")
            functions.append("""
                static int generated_\(index)(int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk) {
                    (void)b; (void)h; (void)q; (void)k; (void)nq; (void)nk;
                    return \(lowered.source(.c));
                }

                """)
            functions.append(HarnessVariantSource.predicateFunction(predicate, name: "reference_\(index)", isStatic: true))
        }
        source += functions.joined(separator: "\n")
        source += """

            typedef int (*predicate_function)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);
            static const predicate_function table[] = { \((0..<predicates.count).flatMap { ["generated_\($0)", "reference_\($0)"] }.joined(separator: ", ")) };

            int main(int argc, char **argv) {
                FILE *points = argc > 1 ? fopen(argv[1], "r") : NULL;
                if (points == NULL) return 2;
                long long b, h, q, k, nq, nk;
                while (fscanf(points, "%lld %lld %lld %lld %lld %lld", &b, &h, &q, &k, &nq, &nk) == 6) {
                    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) putchar(table[i](b, h, q, k, nq, nk) ? '1' : '0');
                    putchar('\\n');
                }
                fclose(points);
                return 0;
            }

            """
        try source.write(to: folder.appendingPathComponent("predicates.c"), atomically: true, encoding: .utf8)
        try HarnessFixtures.compile(["predicates.c"], output: "predicates", in: folder)

        var generator = SystemRandomNumberGenerator()
        var points: [[Int64]] = []
        for index in 0..<3000 {
            // Mostly in-range indices; a tenth reach negative values, where floor division matters most.
            let span: ClosedRange<Int64> = index % 10 == 0 ? -5000...5000 : 0...4000
            points.append([Int64.random(in: 0...7, using: &generator), Int64.random(in: 0...15, using: &generator),
                           Int64.random(in: span, using: &generator), Int64.random(in: span, using: &generator),
                           Int64.random(in: 1...5000, using: &generator), Int64.random(in: 1...5000, using: &generator)])
        }
        let input = points.map { $0.map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n"
        try input.write(to: folder.appendingPathComponent("points.txt"), atomically: true, encoding: .utf8)
        let outcome = try ChildProcess.run(["./predicates", "points.txt"], in: folder)
        #expect(outcome.status == 0, "\(outcome.output)")
        let rows = outcome.output.split(separator: "\n")
        try #require(rows.count == points.count)
        var disagreements = 0
        for (point, row) in zip(points, rows) {
            let variables: [IndexVariable: Int64] = [.batch: point[0], .head: point[1], .query: point[2], .key: point[3],
                                                     .queryLength: point[4], .keyLength: point[5]]
            for (index, character) in row.enumerated() where index < 2 * predicates.count {
                let expected = predicates[index / 2].evaluate { variables[$0]! }
                if expected != (character == "1") {
                    disagreements += 1
                    if disagreements <= 5 {
                        Issue.record("predicate \(predicates[index / 2]) at \(point): \(index % 2 == 0 ? "generated" : "reference") C says \(character), evaluate says \(expected)")
                    }
                }
            }
            #expect(row.count == 2 * predicates.count)
        }
        #expect(disagreements == 0)
    }

    /// The reference on problems small enough to compute by hand, and its fp16/bf16 rounding against Swift's Float16.
    @Test func referenceMatchesHandComputedCases() throws {
        let folder = try HarnessFixtures.temporaryFolder("selftest")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HarnessFixtures.copy(["reference.c", "reference.h", "reference_selftest.c"], to: folder)
        try HarnessFixtures.writeABIHeader(to: folder)
        try HarnessFixtures.compile(["reference_selftest.c", "reference.c"], output: "selftest", in: folder)

        // Q = 1, K = [0, log 3], V = [4, 8], scale 1: P = [1/4, 3/4], O = 7, LSE = log 4; causal row 0: O = 4, LSE = 0.
        let tiny = try ChildProcess.run(["./selftest", "tiny"], in: folder)
        let lines = DriverLine.parse(tiny.output, kind: "TINY")
        try #require(lines.count == 4, "\(tiny.output)")
        let log3 = Double(Float(Foundation.log(3.0)))
        let expectedO = (4.0 * 1 + 8.0 * 3 * Foundation.exp(log3 - Foundation.log(3.0))) / (1 + 3 * Foundation.exp(log3 - Foundation.log(3.0)))
        let expectedLSE = Foundation.log(1 + Foundation.exp(log3))
        let expected: [(Double, Double)] = [(expectedO, expectedLSE), (expectedO, expectedLSE), (4, 0), (expectedO, expectedLSE)]
        for (line, (o, lse)) in zip(lines, expected) {
            #expect(abs((line.double("o") ?? .nan) - o) < 1e-12, "\(line)")
            #expect(abs((line.double("lse") ?? .nan) - lse) < 1e-12, "\(line)")
        }

        // fp16 encoding is round-to-nearest-even, as Swift's Float16 initializer.
        var values: [Float] = [0, -0.0, 1, 65504, 65519.99, 65520, 1e-8, 5.96e-8, 2.98e-8, 2.99e-8, -0.333333, 6.1e-5, 1e5]
        for _ in 0..<200 {
            values.append(Float.random(in: -1...1) * Float(pow(2.0, Double(Int.random(in: -26...17)))))
        }
        let half = try ChildProcess.run(["./selftest", "half"] + values.map { "\($0)" }, in: folder)
        let halfLines = DriverLine.parse(half.output, kind: "HALF")
        try #require(halfLines.count == values.count)
        for (value, line) in zip(values, halfLines) {
            let bits = line.text.split(separator: " ")[1]
            #expect(UInt16(bits) == Float16(value).bitPattern, "fp16 of \(value): C \(bits), Swift \(Float16(value).bitPattern)")
        }
        // bf16: exact ties go to even; 1 + 2^-8 -> 1, 1 + 3·2^-8 -> 1 + 2^-6; the largest finite stays finite.
        let bfloat = try ChildProcess.run(["./selftest", "bfloat", "1", "1.00390625", "1.01171875", "-2.5", "3.3895e38"], in: folder)
        let bfloatBits = DriverLine.parse(bfloat.output, kind: "BFLOAT").map { $0.text.split(separator: " ")[1] }
        #expect(bfloatBits == ["16256", "16256", "16258", "49184", "32639"], "\(bfloat.output)")
    }
}
