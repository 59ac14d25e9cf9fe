import Foundation
import Testing
@testable import AttnGen

/// The model layer and the findings of issue 11 it fixes: predicates that could overflow 64-bit arithmetic are
/// refused, window bounds are clamped once, degenerate predicates render warning-free, generated names cannot
/// collide, and every field is bounded by what the targets can run.
@Suite struct ModelTests {
    static func parse(_ text: String) throws -> MaskPredicate { try MaskExpressionParser.parse(text) }

    @Test(arguments: ["q * 9223372036854775807 > k", "q * 1000000000000 > k", "q + 9223372036854775807 > k",
                      "-(k - 9223372036854775807) + 2 < q", "abs(q - 9223372036854775807 - 1) > 0", "nk * nq * nk > 1"])
    func predicatesThatCanOverflowAreRefused(text: String) throws {
        let spec = AttentionSpec(name: "ovf", headDim: 16).storage(.fp32).masked(by: .predicate(try Self.parse(text)))
        do {
            _ = try VariantModel(lowering: spec)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.field == "masks[0].predicate")
            #expect(error.message.contains("overflow"), "\(error)")
        }
        // The command line refuses it too, and emits nothing.
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try AttngenTool.run(["emit", "c", "--name", "ovf", "--head-dim", "16", "--dtype", "fp32",
                                          "--predicate", text, "--out", folder.appendingPathComponent("out").path])
        #expect(result.status == 1 && result.standardError.contains("masks[0].predicate"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out").path))
    }

    @Test func predicatesWithinTheRangesAreAccepted() throws {
        // q < 2^31, so q * 10^9 stays below 2^63.
        for text in ["q * 1000000000 > k", "q - 9223372036854775807 < k", "(q + k) * 2147483647 >= nk"] {
            _ = try VariantModel(lowering: AttentionSpec(name: "ok", headDim: 16).masked(by: .predicate(try Self.parse(text))))
        }
    }

    /// `--window 0:9223372036854775807` planned with an arithmetic-overflow trap and rendered
    /// `q + (0) + 9223372036854775807 + 1` in CUDA; sides past the longest sequence are now unbounded, once, in the model.
    @Test func hugeWindowBoundsAreUnboundedEverywhere() throws {
        let result = try AttngenTool.run(["plan", "--head-dim", "64", "--window", "0:9223372036854775807", "--seq", "128"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("tiles visited"))
        let spec = AttentionSpec(name: "w", headDim: 64).masked(by: .slidingWindow(left: 0, right: Int.max))
        let band = try #require(try VariantModel(lowering: spec).masks.bands.first)
        #expect(band.lower == 0 && band.upper == nil)
        for target in Target.allCases {
            // The banners quote the spec; the code holds no such bound.
            let code = try EmitterFactory.emitter(for: target).emit(spec).flatMap { $0.contents.split(separator: "\n") }
                .filter { !$0.contains("*") && !$0.contains("/*") }
            #expect(!code.contains { $0.contains("9223372036854775807") }, "\(target)")
        }
        let windows = [(Int(RuntimeLimits.maximumSequenceLength) - 1, false), (Int(RuntimeLimits.maximumSequenceLength), true)]
        for (side, unbounded) in windows {
            let band = DiagonalBand.window(left: side, right: side, alignment: .topLeft)
            #expect((band.lower == nil) == unbounded && (band.upper == nil) == unbounded)
        }
    }

    /// Specs validation accepts but whose C failed -Werror before: an unbounded window (`unused variable 'k'`),
    /// self-comparisons and overlapping comparisons (`-Wtautological-compare`, clang's overlap warning).
    @Test(arguments: ["gcc", "clang"])
    func degenerateMasksCompileWarningFree(compiler: String) throws {
        let specs = try [
            AttentionSpec(name: "w1", headDim: 22).masked(by: .slidingWindow(left: nil, right: nil)),
            AttentionSpec(name: "w2", headDim: 22).masked(by: .slidingWindow(left: nil, right: nil)).withBackward(),
            AttentionSpec(name: "p1", headDim: 16).masked(by: .predicate(Self.parse("max(k, k) >= q"))),
            AttentionSpec(name: "p2", headDim: 16).masked(by: .predicate(Self.parse("k <= k"))).withBackward(),
            AttentionSpec(name: "p3", headDim: 16).masked(by: .predicate(Self.parse("(q - k) < (q - k) || q > 3"))),
            AttentionSpec(name: "p4", headDim: 16).masked(by: .predicate(Self.parse("q > 5 || q < 10"))),
            AttentionSpec(name: "p5", headDim: 16).masked(by: .predicate(Self.parse("k == 1 && k == 2 || q == q"))),
            AttentionSpec(name: "p6", headDim: 16).masked(by: .predicate(Self.parse("min(abs(q), abs(q)) != max(k - 1, k - 1)"))),
        ]
        let folder = try HarnessFixtures.temporaryFolder("degenerate-\(compiler)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try KernelGenerator(emitter: CEmitter()).generate(specs) {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        for source in try FileManager.default.contentsOfDirectory(atPath: folder.path) where source.hasSuffix(".c") {
            let outcome = try ChildProcess.run([compiler, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-I.", "-c", source,
                                                "-o", "/dev/null"], in: folder, timeoutSeconds: 120)
            #expect(outcome.status == 0, "\(compiler) \(source):\n\(outcome.output)")
        }
    }

    /// Folding never changes a mask: each folded predicate keeps what the original keeps.
    @Test func foldingKeepsTheMask() throws {
        var random = SeededGenerator(seed: 7)
        var fuzzer = SpecFuzzer(seed: 11)
        for _ in 0..<400 {
            let predicate = fuzzer.predicate(depth: 3)
            guard let folded = try? PredicateLowering.lower(predicate, field: "p") else { continue }
            for _ in 0..<50 {
                let values = (0..<6).map { _ in Int64.random(in: 0...300, using: &random) }
                let value: (IndexVariable) -> Int64 = { values[IndexVariable.allCases.firstIndex(of: $0)!] }
                #expect(predicate.evaluate(value) == folded.evaluate(value), "\(predicate) folded to \(folded)")
            }
        }
    }

    @Test(arguments: [["A", "a"], ["a", "a_value"], ["x", "x_backward"], ["m", "m_variant"]])
    func collidingNamesAreRefused(names: [String]) throws {
        let specs = names.map { AttentionSpec(name: $0, headDim: 16).withBackward() }
        do {
            _ = try KernelGenerator(emitter: CEmitter()).plan(specs)
            Issue.record("\(names) were accepted")
        } catch {
            #expect(error.field == "name" && error.message.contains("\"\(names[0])\"") && error.message.contains("\"\(names[1])\""),
                    "\(error)")
        }
        // Names that only share a prefix are fine (the catalogue is full of them).
        _ = try KernelGenerator(emitter: CEmitter()).plan([AttentionSpec(name: "mha", headDim: 16),
                                                           AttentionSpec(name: "mha_causal", headDim: 16),
                                                           AttentionSpec(name: "mha_sparse", headDim: 16)])
    }

    /// `--heads 2147483648:1` compiled into a C kernel whose every call failed; a CUDA budget above the device's
    /// shared memory planned a kernel that cannot launch.
    @Test func fieldsAreBoundedByWhatTheTargetsRun() throws {
        #expect(throws: SpecError.self) { try AttentionSpec(name: "h", headDim: 8).heads(query: 2_147_483_648, keyValue: 1).validate() }
        #expect(throws: SpecError.self) { try AttentionSpec(name: "h", headDim: 8).heads(query: 1, keyValue: 2_147_483_648).validate() }
        try AttentionSpec(name: "h", headDim: 8).heads(query: 2_147_483_647, keyValue: 1).validate()
        for target in [Target.cudaSM80, .cudaSM90] {
            do {
                _ = try TilePlanner(target: target, budget: 99_999_999_999_999).plan(AttentionSpec(name: "b", headDim: 64))
                Issue.record("\(target) accepted a 99999999999999-byte budget")
            } catch {
                #expect(error.field == "budget" && error.message.contains("\(target.device.maximumBudget)"))
            }
        }
        #expect(throws: SpecError.self) { try AttentionSpec(name: "s", headDim: 8).scale(1e300).validate() }
        #expect(throws: SpecError.self) { try AttentionSpec(name: "s", headDim: 8).scale(1e-300).validate() }
    }
}
