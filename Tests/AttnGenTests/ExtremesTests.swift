import Foundation
import Testing
@testable import AttnGen

/// The extremes of every field of a spec plan and emit on every target (or are refused by a family naming the
/// field), and the mask hooks C and CUDA render hold the same bounds, which are those the model evaluates.
@Suite struct ExtremesTests {
    static let maximumHeads = Int(RuntimeLimits.maximumHeads)
    static let longest = Int(RuntimeLimits.maximumSequenceLength)

    /// Each spec sets one field to one end of its range (the rest at defaults).
    static let extremes: [AttentionSpec] = [
        AttentionSpec(name: "d1", headDim: 1),
        AttentionSpec(name: "d256", headDim: 256),
        AttentionSpec(name: "d1_dv256", headDim: 1).valueHeadDim(256),
        AttentionSpec(name: "d256_dv1", headDim: 256).valueHeadDim(1),
        AttentionSpec(name: "heads_1", headDim: 64).heads(query: 1, keyValue: 1),
        AttentionSpec(name: "heads_max_mqa", headDim: 64).heads(query: maximumHeads, keyValue: 1),
        AttentionSpec(name: "heads_max_mha", headDim: 64).heads(query: maximumHeads, keyValue: maximumHeads),
        AttentionSpec(name: "fp32_d256", headDim: 256).storage(.fp32),
        AttentionSpec(name: "bf16_d1", headDim: 1).storage(.bf16),
        AttentionSpec(name: "scale_small", headDim: 64).scale(Double(Float.leastNormalMagnitude)),
        AttentionSpec(name: "scale_large", headDim: 64).scale(2e38),
        AttentionSpec(name: "window_zero", headDim: 64).masked(by: .slidingWindow(left: 0, right: 0)),
        AttentionSpec(name: "window_longest_minus_one", headDim: 64)
            .masked(by: .slidingWindow(left: longest - 1, right: longest - 1, alignment: .bottomRight)),
        AttentionSpec(name: "window_longest", headDim: 64).masked(by: .slidingWindow(left: longest, right: longest)),
        AttentionSpec(name: "window_int_max", headDim: 64).masked(by: .causal(.bottomRight))
            .masked(by: .slidingWindow(left: Int.max, right: Int.max, alignment: .bottomRight)),
        AttentionSpec(name: "window_unbounded", headDim: 64).masked(by: .slidingWindow(left: nil, right: nil)),
        AttentionSpec(name: "four_bands", headDim: 64).masked(by: .causal).masked(by: .causal(.bottomRight))
            .masked(by: .slidingWindow(left: 7, right: nil)).masked(by: .slidingWindow(left: nil, right: 3, alignment: .bottomRight)),
        AttentionSpec(name: "sparse_16", headDim: 64).masked(by: .blockSparse(blockSize: 16)),
        AttentionSpec(name: "sparse_4096", headDim: 64).masked(by: .blockSparse(blockSize: 4096)),
        AttentionSpec(name: "predicate_extreme_constant", headDim: 64)
            .masked(by: .predicate(.comparison(.less, .q - .constant(Int64.max), .k))),
        AttentionSpec(name: "predicate_int64_min", headDim: 64)
            .masked(by: .predicate(.comparison(.less, .constant(Int64.min), .k))),
        AttentionSpec(name: "predicate_false", headDim: 64).masked(by: .predicate(false)),
        AttentionSpec(name: "predicate_tautology", headDim: 64).masked(by: .predicate(.k <= .k)),
        AttentionSpec(name: "dropout_zero", headDim: 64).dropout(0),
        AttentionSpec(name: "dropout_almost_one", headDim: 64).dropout(0.999_999),
        AttentionSpec(name: "everything", headDim: 256).valueHeadDim(1).heads(query: 6, keyValue: 3).storage(.fp32)
            .masked(by: .causal(.bottomRight)).masked(by: .slidingWindow(left: Int.max, right: 0))
            .masked(by: .blockSparse(blockSize: 16)).masked(by: .predicate(.q % 3 != .k % 5))
            .dropout(0.5).withBackward(),
        AttentionSpec(name: "name_\(String(repeating: "x", count: 59))", headDim: 8),
    ]

    @Test(arguments: Target.allCases)
    func extremesPlanAndEmit(target: Target) throws {
        let withBackward = Self.extremes.enumerated().map { $0.element.named("bw\($0.offset)").withBackward() }
        let folder = try HarnessFixtures.temporaryFolder("extremes-\(target.rawValue)")
        defer { try? FileManager.default.removeItem(at: folder) }
        // The Hopper family runs only part of these (fp16/bf16, head dims multiples of 64): on sm90 the extremes go
        // through `--family auto`, each to the first family that runs it; HopperCompileTests checks its refusals.
        let generator = target.family == .hopper ? try KernelGenerator(choice: TargetChoice(device: .sm90, family: nil))
            : KernelGenerator(emitter: try EmitterFactory.emitter(for: target))
        let files = try generator.generate(Self.extremes + withBackward)
        if target.family == .hopper {
            #expect(files.contains { $0.path.hasSuffix("_mma.cu") }, "no extreme ran on the Hopper family")
        }
        #expect(files.allSatisfy { !$0.contents.contains("{{") })
        if target == .c {
            // The C output compiles under the warning policy (CUDA is compiled by CUDACompileTests).
            for file in files {
                try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
            }
            for source in files.map(\.path) where source.hasSuffix(".c") {
                let outcome = try ChildProcess.run([HarnessFixtures.compiler] + HarnessFixtures.strictFlags
                                                   + ["-I.", "-c", source, "-o", source + ".o"], in: folder, timeoutSeconds: 300)
                #expect(outcome.status == 0, "\(source):\n\(outcome.output)")
            }
        }
        for budget in [target.device.maximumBudget, Self.smallestBudget(target)] {
            _ = try KernelGenerator(emitter: EmitterFactory.emitter(for: target), budget: budget)
                .generate([AttentionSpec(name: "budget", headDim: 64).withBackward()])
        }
        for budget in [0, target.device.maximumBudget + 1] {
            #expect(throws: SpecError.self) {
                _ = try FamilyPlanner(target: target, budget: budget).plan(VariantModel(lowering: AttentionSpec(name: "b", headDim: 64)))
            }
        }
    }

    /// The smallest budget the forward and backward plans of a d = 64 fp16 variant fit (found by bisection).
    static func smallestBudget(_ target: Target) -> Int {
        var low = 1, high = target.device.maximumBudget
        let variant = try! VariantModel(lowering: AttentionSpec(name: "budget", headDim: 64).withBackward())
        while low < high {
            let middle = (low + high) / 2
            if (try? FamilyPlanner(target: target, budget: middle).plan(variant)) != nil { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// The bands C and CUDA render are the same statements (up to each dialect's spelling).
    @Test func cAndCUDARenderTheSameBounds() throws {
        for spec in Self.extremes {
            let masks = try VariantModel(lowering: spec).masks
            let c = MaskHooksRendering(masks: masks, dialect: .c).values
            let cuda = MaskHooksRendering(masks: masks, dialect: .cuda).values
            for (key, text) in c {
                let spelled = text.replacingOccurrences(of: "attngen_min_i64", with: "attngen_min64")
                    .replacingOccurrences(of: "attngen_max_i64", with: "attngen_max64")
                    .replacingOccurrences(of: "attngen_abs_i64", with: "attngen_abs64")
                    .replacingOccurrences(of: "return 1;", with: "return true;").replacingOccurrences(of: "return 0;", with: "return false;")
                    .replacingOccurrences(of: "layout->", with: "layout.")
                #expect(spelled == cuda[key], "\(spec.name) \(key):\nC:\n\(text)\nCUDA:\n\(cuda[key] ?? "")")
            }
        }
    }

    /// The C hooks, compiled, keep exactly the keys the model's bands keep, at the ends of the sequence range too.
    @Test func renderedBandsKeepWhatTheModelKeeps() throws {
        let specs = Self.extremes.filter { spec in spec.masks.contains { if case .predicate = $0 { false } else { true } } }
        let folder = try HarnessFixtures.temporaryFolder("bands")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try KernelGenerator(emitter: CEmitter()).generate(specs)
        for file in files {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        // One translation unit per variant (each hooks header defines the same function names).
        let points: [(Int64, Int64, Int64, Int64)] = [(0, 0, 1, 1), (5, 3, 10, 10), (3, 9, 4, 20), (19, 0, 20, 4),
            (Int64(Self.longest) - 1, 0, Int64(Self.longest), Int64(Self.longest)), (0, Int64(Self.longest) - 1, Int64(Self.longest), Int64(Self.longest)),
            (Int64(Self.longest) - 1, Int64(Self.longest) - 1, Int64(Self.longest), 1), (0, Int64(Self.longest) - 2, 1, Int64(Self.longest))]
        var sources: [String] = []
        for spec in specs {
            let function = "probe_\(spec.name)"
            sources.append("\(function).c")
            let body = points.map { p in
                "    { int64_t lo, hi, qlo, qhi, b0, b1; row_key_bounds(\(p.0), \(p.2), \(p.3), &lo, &hi); "
                + "key_query_bounds(\(p.1), \(p.2), \(p.3), &qlo, &qhi); visible_key_range(\(p.0), \(p.0 + 1), \(p.2), \(p.3), &b0, &b1); "
                + "printf(\"%d %d %d\\n\", \(p.1) >= lo && \(p.1) < hi, \(p.0) >= qlo && \(p.0) < qhi, \(p.1) >= b0 && \(p.1) < b1); }"
            }.joined(separator: "\n")
            try """
                #include <stdio.h>
                #include "\(spec.name)_variant.h"
                void \(function)(void);
                void \(function)(void) {
                \(body)
                }

                """.write(to: folder.appendingPathComponent("\(function).c"), atomically: true, encoding: .utf8)
        }
        let main = specs.map { "void probe_\($0.name)(void);" }.joined(separator: "\n")
            + "\nint main(void) {\n" + specs.map { "    probe_\($0.name)();" }.joined(separator: "\n") + "\n    return 0;\n}\n"
        try main.write(to: folder.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        try HarnessFixtures.compile(sources + ["main.c"], output: "probe", in: folder)
        let outcome = try ChildProcess.run(["./probe"], in: folder)
        let lines = outcome.output.split(separator: "\n").map(String.init)
        try #require(lines.count == specs.count * points.count, "\(outcome.output)")
        for (specIndex, spec) in specs.enumerated() {
            let masks = try VariantModel(lowering: spec).masks
            for (pointIndex, p) in points.enumerated() {
                // key_query_bounds answers for the bands alone (the kernels ask it for keys below nk only).
                let bandsKeep = masks.bands.allSatisfy { $0.keeps(query: p.0, key: p.1, queryLength: p.2, keyLength: p.3) }
                let keeps = bandsKeep && p.1 < p.3
                let expected = "\(keeps ? 1 : 0) \(bandsKeep ? 1 : 0) \(keeps ? 1 : 0)"
                #expect(lines[specIndex * points.count + pointIndex] == expected,
                        "\(spec.name) at q=\(p.0) k=\(p.1) nq=\(p.2) nk=\(p.3): C says \(lines[specIndex * points.count + pointIndex])")
            }
        }
    }
}
