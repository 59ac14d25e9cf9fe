import Foundation
import Testing
@testable import AttnGen

/// The spec fuzzer (issue 11): random valid specs, generated as C and checked against the float64 reference forward
/// and backward, compiled warning-free by gcc and clang; and random invalid command lines and spec files, which must
/// be refused with exit status 64 or 1 and a message naming the field, leaving nothing behind.
///
/// Each run draws fresh specs: `ATTNGEN_FUZZ_SEED` replays a run (the seed is printed), `ATTNGEN_FUZZ_SPECS` and
/// `ATTNGEN_FUZZ_INVALID` set how many valid specs and invalid inputs a run draws (defaults below), and
/// `ATTNGEN_FUZZ_INDEX` checks only the valid spec of that index (a failure message names it: "fuzz spec 224").
@Suite struct FuzzTests {
    static let seed: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["ATTNGEN_FUZZ_SEED"], let value = UInt64(text) { return value }
        return UInt64.random(in: 1...(1 << 48))
    }()

    static func count(_ variable: String, default value: Int) -> Int {
        ProcessInfo.processInfo.environment[variable].flatMap { Int($0) } ?? value
    }

    static let validCount = count("ATTNGEN_FUZZ_SPECS", default: 240)
    static let invalidCount = count("ATTNGEN_FUZZ_INVALID", default: 400)
    /// Valid specs are checked in this many groups, run in parallel.
    static let groups = 8
    /// The one valid spec a replay checks, when `ATTNGEN_FUZZ_INDEX` names it.
    static let onlyIndex: Int? = ProcessInfo.processInfo.environment["ATTNGEN_FUZZ_INDEX"].flatMap { Int($0) }

    @Test(arguments: 0..<groups)
    func randomValidSpecsMatchTheReference(group: Int) throws {
        print("FUZZ seed=\(Self.seed) (ATTNGEN_FUZZ_SEED=\(Self.seed) replays this run) group=\(group)")
        let objects = try FuzzObjects.shared()
        var checkedCases = 0, checkedBackward = 0
        for index in stride(from: group, to: Self.validCount, by: Self.groups) where Self.onlyIndex.map({ $0 == index }) ?? true {
            var fuzzer = SpecFuzzer(seed: Self.seed &+ UInt64(index) &* 0x9E37_79B9)
            let spec = fuzzer.validSpec(name: "fz\(index)")
            let context = "fuzz spec \(index) (seed \(Self.seed)): \(SpecFileRendering.json(spec))"
            let build: FuzzBuild
            do {
                build = try FuzzBuild(spec: spec, objects: objects)
            } catch {
                Issue.record("\(context): \(error)")
                continue
            }
            defer { build.remove() }
            let shapes = fuzzer.shapes(for: spec, plan: build.plan, count: 3)
            let outcome = try build.runForward(shapes)
            let lines = DriverLine.parse(outcome.output, kind: "RESULT")
            #expect(outcome.status == 0 && lines.count == shapes.count, "\(context): driver failed:\n\(outcome.output)")
            let base = Tolerance.forStorage(spec.storage)
            for line in lines {
                let keys = shapes.first { $0.argument == line.caseText }?.keyLength ?? 0
                // Score modifiers: the fp32 rounding of the modified logits (ForwardMatrixTests says why).
                let tolerance = spec.scoreModifiers.isEmpty ? base.forKeys(keys)
                    : base.forKeys(keys).withLogits(line.double("logit_max") ?? 0)
                #expect(line.int("status") == 0 && line.int("reference") == 0, "\(context) \(line.caseText): \(line)")
                #expect((line.double("rel_l2") ?? .infinity) <= tolerance.relativeL2, "\(context) \(line.caseText): \(line)")
                #expect((line.double("rel_max") ?? .infinity) <= tolerance.relativeMax, "\(context) \(line.caseText): \(line)")
                #expect((line.double("lse_err") ?? .infinity) <= tolerance.logSumExp, "\(context) \(line.caseText): \(line)")
                for flag in ["nan", "poison", "lse_inf_mismatch", "masked_nonzero"] {
                    #expect(line.int(flag) == 0, "\(context) \(line.caseText): \(flag)\n\(line)")
                }
                checkedCases += 1
            }
            guard spec.includesBackward else { continue }
            for shape in shapes.prefix(2) {
                let report = try build.runBackward(shape)
                let label = "\(context) backward \(shape.argument)"
                #expect(report["status"] == "0,0,0,0", "\(label): \(report)")
                let tolerance = BackwardTests.tolerance(spec.storage)
                for gradient in ["dq", "dk", "dv", "fast"] {
                    let error = Double(report[gradient] ?? "") ?? .infinity
                    #expect(error <= tolerance, "\(label): \(gradient) relative error \(error) > \(tolerance)")
                }
                #expect(report["deterministic"] == "1", "\(label): deterministic mode differs between runs")
                checkedBackward += 1
            }
        }
        print("FUZZ group=\(group) forward_cases=\(checkedCases) backward_cases=\(checkedBackward)")
    }

    @Test func randomInvalidInputsAreRefusedAndLeaveNothing() throws {
        print("FUZZ invalid seed=\(Self.seed) cases=\(Self.invalidCount)")
        var fuzzer = InvalidInputFuzzer(seed: Self.seed)
        let root = try HarnessFixtures.temporaryFolder("fuzz-invalid")
        defer { try? FileManager.default.removeItem(at: root) }
        for index in 0..<Self.invalidCount {
            let fuzzCase = fuzzer.nextCase()
            let folder = root.appendingPathComponent("case\(index)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let out = folder.appendingPathComponent("out").path
            let spec = folder.appendingPathComponent("spec.json").path
            if let contents = fuzzCase.specFile {
                try Data(contents.utf8).write(to: URL(fileURLWithPath: spec))
            }
            let arguments = fuzzCase.arguments.map { $0 == "OUT" ? out : ($0 == "SPEC" ? spec : $0) }
            let errors = TextCollector()
            let status = AttngenCommand.run(arguments, output: CommandOutput(standardOutput: { _ in },
                                                                            standardError: { errors.append($0) }))
            let message = errors.text
            #expect(status == 64 || status == 1, "case \(index) \(fuzzCase): exit \(status)\n\(message)")
            #expect(message.hasPrefix("attngen: error: "), "case \(index) \(fuzzCase): \(message)")
            let lowered = message.lowercased()
            #expect(fuzzCase.expected.contains { lowered.contains($0.lowercased()) },
                    "case \(index) \(fuzzCase): the message names none of \(fuzzCase.expected): \(message)")
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "spec.json" }
            #expect(left.isEmpty, "case \(index) \(fuzzCase): left \(left) behind")
        }
    }

    /// Every fuzz spec plans and emits on every target, or is refused by a family with a message naming a field
    /// (CUDA tiles need sparse blocks in multiples of 16; the Hopper family refuses what its planner lists); no
    /// target crashes.
    @Test func randomValidSpecsEmitOrAreRefusedOnEveryTarget() throws {
        var emitted: [Target: Int] = [:], refused: [Target: Int] = [:]
        for index in 0..<Self.validCount {
            var fuzzer = SpecFuzzer(seed: Self.seed &+ UInt64(index) &* 0x9E37_79B9)
            let spec = fuzzer.validSpec(name: "fz\(index)")
            for target in Target.allCases {
                do {
                    let files = try KernelGenerator(emitter: EmitterFactory.emitter(for: target)).generate([spec])
                    #expect(files.allSatisfy { !$0.contents.contains("{{") })
                    emitted[target, default: 0] += 1
                } catch let error as SpecError {
                    if target.family == .hopper {
                        // The Hopper family refuses exactly what its planner says it cannot run, naming that field.
                        let expected = try HopperForwardPlanner.unsupported(VariantModel(lowering: spec))
                        #expect(expected != nil && error.field == "\(spec.name).\(expected?.field ?? "")",
                                "\(spec.name) on \(target): \(error) for \(SpecFileRendering.json(spec))")
                    } else {
                        #expect(target.isCUDA && error.field.contains("blockSparse"),
                                "\(spec.name) on \(target): \(error) for \(SpecFileRendering.json(spec))")
                    }
                    refused[target, default: 0] += 1
                }
            }
        }
        print("FUZZ targets emitted=\(emitted.map { "\($0.key.rawValue):\($0.value)" }.sorted()) "
              + "refused=\(refused.map { "\($0.key.rawValue):\($0.value)" }.sorted())")
    }
}

/// Standard error of an in-process `attngen` run.
final class TextCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [String] = []
    func append(_ text: String) { lock.withLock { parts.append(text) } }
    var text: String { lock.withLock { parts.joined() } }
}

/// A spec as one line of a spec file, for failure messages (replay it with `attngen emit c --spec`).
enum SpecFileRendering {
    static func json(_ spec: AttentionSpec) -> String {
        guard let data = try? SpecFile(specs: [spec]).encoded() else { return "\(spec)" }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
    }
}
