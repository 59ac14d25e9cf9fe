import Foundation
import Testing
@testable import AttnGen

/// The generated C kernels under AddressSanitizer and UndefinedBehaviorSanitizer (gcc's
/// `-fsanitize=address,undefined -fno-sanitize-recover=all`, leak checks on): a cross-section of variants (every
/// mask kind and a combination, dropout, GQA/MQA with fixed and run-time heads, fp32/fp16/bf16, head dims 1, 3, 33,
/// dv ≠ d), forward and backward, with and without OpenMP, run by the harness's own drivers on valid inputs checked
/// against the float64 reference (N = 1, Nq ≠ Nk both ways, lengths that are no multiple of a tile, empty
/// sequences, fully masked rows) and on every bad argument of Fixtures/argument_cases.h. Any sanitizer report fails.
@Suite struct SanitizerTests {
    /// The sanitizer flags, on top of the harness's warning policy (HarnessFixtures.strictFlags).
    static let flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
    /// Runtime options: stop at the first report, check leaks at exit.
    static let environment = ["ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1",
                              "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"]

    struct Variant: CustomTestStringConvertible, Sendable {
        var spec: AttentionSpec
        var openMP: Bool
        var testDescription: String { spec.name + (openMP ? " (OpenMP)" : "") }
    }

    static func parse(_ text: String) -> MaskPredicate {
        do { return try MaskExpressionParser.parse(text) } catch { fatalError("bad test predicate \(text): \(error)") }
    }

    /// Every variant has the backward pass (so its forward saves the log-sum-exp); half are built with OpenMP.
    static let variants: [Variant] = [
        Variant(spec: AttentionSpec(name: "san_plain_fp32_d1", headDim: 1).storage(.fp32).withBackward(), openMP: false),
        Variant(spec: AttentionSpec(name: "san_causal_br_fp16_d33", headDim: 33).storage(.fp16)
            .masked(by: .causal(.bottomRight)).withBackward(), openMP: true),
        Variant(spec: AttentionSpec(name: "san_window_bf16_d3_dv5", headDim: 3).valueHeadDim(5).storage(.bf16)
            .masked(by: .slidingWindow(left: 6, right: 2, alignment: .topLeft)).withBackward(), openMP: false),
        Variant(spec: AttentionSpec(name: "san_sparse_causal_fp16_d16", headDim: 16).storage(.fp16)
            .masked(by: .blockSparse(blockRows: 16, blockColumns: 32)).masked(by: .causal(.topLeft)).withBackward(),
                openMP: true),
        Variant(spec: AttentionSpec(name: "san_predicate_fp32_d40_dv24", headDim: 40).valueHeadDim(24).storage(.fp32)
            .masked(by: .predicate(parse("(q + k) % 3 != 0 || q == k"))).withBackward(), openMP: false),
        Variant(spec: AttentionSpec(name: "san_dropout_gqa_bf16_d33", headDim: 33).storage(.bf16).heads(query: 4, keyValue: 2)
            .dropout(0.2).masked(by: .slidingWindow(left: 20, right: 20, alignment: .bottomRight)).withBackward(),
                openMP: true),
        Variant(spec: AttentionSpec(name: "san_mqa_dropout_fp32_d3", headDim: 3).storage(.fp32).heads(query: 3, keyValue: 1)
            .dropout(0.5).masked(by: .causal(.topLeft)).withBackward(), openMP: false),
    ]

    /// Forward shapes (the driver's CASE syntax): N = 1, Nq ≠ Nk both ways, lengths that are no multiple of a tile,
    /// empty sequences (PyTorch-like strides come from the layouts with 0 rows), and bottom-right / window masks with
    /// Nq > Nk (fully masked rows); every layout kind.
    static func forwardCases(_ spec: AttentionSpec) -> [String] {
        let heads = spec.heads == .runtime ? ",hq=4,hkv=2" : ""
        return [
            "b=1\(heads),nq=1,nk=1,layout=bshd,seed=1",
            "b=2\(heads),nq=5,nk=77,layout=bhsd,seed=2",
            "b=2\(heads),nq=77,nk=5,layout=padded,seed=3",
            "b=1\(heads),nq=67,nk=131,layout=mixed,seed=4,block=shared",
            "b=2\(heads),nq=0,nk=9,layout=bhsd,seed=5",
            "b=2\(heads),nq=9,nk=0,layout=bshd,seed=6",
            "b=2\(heads),nq=130,nk=33,layout=bshd,seed=7,huge=1",
        ]
    }

    /// Backward shapes (batch, heads_q, heads_kv, Nq, Nk, layout), the empty ones with PyTorch's strides.
    static func backwardShapes(_ spec: AttentionSpec) -> [(Int, Int, Int, Int, Int, String)] {
        let (hq, hkv) = (spec.heads.queryHeads ?? 2, spec.heads.keyValueHeads ?? 1)
        return [(1, hq, hkv, 1, 1, "bshd"), (2, hq, hkv, 5, 77, "bhsd"), (1, hq, hkv, 77, 5, "bshd"),
                (1, hq, hkv, 67, 131, "bhsd"), (2, hq, hkv, 0, 9, "bhsd"), (2, hq, hkv, 9, 0, "bshd")]
    }

    /// Whether a sanitizer spoke in `output`.
    static func sanitizerReport(_ output: String) -> Bool {
        ["AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer"].contains { output.contains($0) }
    }

    /// Runs `arguments` in `folder` with the sanitizer options; fails on a report, a crash or a non-zero exit.
    static func run(_ arguments: [String], in folder: URL, label: String) throws -> String {
        let outcome = try ChildProcess.run(["env"] + environment + arguments, in: folder, timeoutSeconds: 300)
        #expect(!sanitizerReport(outcome.output), "\(label): sanitizer report\n\(outcome.output)")
        #expect(outcome.status == 0, "\(label): exit \(outcome.status) (crashed: \(outcome.crashed))\n\(outcome.output)")
        return outcome.output
    }

    @Test(arguments: variants)
    func kernelsRunCleanUnderSanitizers(_ variant: Variant) throws {
        let spec = variant.spec
        let started = Date()
        try Self.requireSanitizerRuntimes()
        let folder = try HarnessFixtures.temporaryFolder("sanitize-\(spec.name)")
        defer {
            if ProcessInfo.processInfo.environment["ATTNGEN_KEEP_HARNESS"] == nil {
                try? FileManager.default.removeItem(at: folder)
            }
        }
        try BackwardBuild.prepare(spec, in: folder)
        // OpenMP where the harness compiler links it (gcc does; a bare clang may lack libomp), as VariantBuild does.
        let openMP = variant.openMP && HarnessFixtures.supportsOpenMP
        let flags = Self.flags + (openMP ? ["-fopenmp"] : [])
        try HarnessFixtures.compile(["driver.c", "reference.c", HarnessVariantSource.variantFileName,
                                     HarnessVariantSource.predicateFileName, "\(spec.name).c"],
                                    output: VariantBuild.driverName, in: folder, extraFlags: flags)
        try BackwardBuild.compile(spec, in: folder, extraFlags: flags)

        // Forward on valid inputs, against the float64 reference.
        let cases = Self.forwardCases(spec).map { $0 + (openMP ? ",threads=2" : "") }
        let forward = try Self.run(["./\(VariantBuild.driverName)", "run"] + cases, in: folder, label: "\(spec.name) forward")
        let results = DriverLine.parse(forward, kind: "RESULT")
        #expect(results.count == cases.count, "\(spec.name): \(results.count) of \(cases.count) forward cases ran\n\(forward)")
        let base = Tolerance.forStorage(spec.storage)
        for line in results {
            let tolerance = line.caseText.contains("huge=1") ? base.withLogits(line.double("logit_max") ?? 0) : base
            let context = "\(spec.name) \(line.caseText)"
            #expect(line.int("status") == 0 && line.int("reference") == 0, "\(context): \(line)")
            #expect((line.double("rel_l2") ?? .infinity) <= tolerance.relativeL2, "\(context): \(line)")
            #expect((line.double("rel_max") ?? .infinity) <= tolerance.relativeMax, "\(context): \(line)")
            #expect((line.double("lse_err") ?? .infinity) <= tolerance.logSumExp, "\(context): \(line)")
            #expect(line.int("nan") == 0 && line.int("poison") == 0 && line.int("lse_inf_mismatch") == 0
                    && line.int("masked_nonzero") == 0, "\(context): \(line)")
        }
        let maskedRows = results.reduce(0) { $0 + ($1.int("masked_rows") ?? 0) }

        // Forward on every bad argument.
        let forwardErrors = try Self.run(["./\(VariantBuild.driverName)", "errors"], in: folder, label: "\(spec.name) forward errors")
        let forwardChecks = DriverLine.parse(forwardErrors, kind: "CHECK")
        #expect(forwardChecks.count >= 45, "\(spec.name): \(forwardChecks.count) forward argument checks\n\(forwardErrors)")
        for check in forwardChecks {
            #expect(check.int("got") == check.int("expected"), "\(spec.name) forward: \(check)")
            if check.int("expected") != 0 {
                #expect(check.int("untouched") == 1, "\(spec.name) forward: \(check) wrote before failing")
            }
        }

        // Backward on valid inputs, against float64 gradients, and on every bad argument.
        let shapes = Self.backwardShapes(spec)
        for (index, shape) in shapes.enumerated() {
            let (batch, hq, hkv, nq, nk, layout) = shape
            let label = "\(spec.name) backward B=\(batch) Hq=\(hq) Hkv=\(hkv) Nq=\(nq) Nk=\(nk) \(layout)"
            let output = try Self.run(["./\(BackwardBuild.driverName)", "\(batch)", "\(hq)", "\(hkv)", "\(nq)", "\(nk)",
                                       "\(index + 11)", layout, "0"], in: folder, label: label)
            let report = BackwardTests.parse(output)
            #expect(report["status"] == "0,0,0,0", "\(label): \(output)")
            for gradient in ["dq", "dk", "dv", "fast"] {
                let error = Double(report[gradient] ?? "") ?? .infinity
                #expect(error <= BackwardTests.tolerance(spec.storage), "\(label): \(gradient) \(error)")
            }
            #expect(report["deterministic"] == "1", "\(label): deterministic runs differ")
        }
        let backwardErrors = try Self.run(["./\(BackwardBuild.driverName)", "errors"], in: folder, label: "\(spec.name) backward errors")
        let backwardChecks = DriverLine.parse(backwardErrors, kind: "CHECK")
        let workspaceChecks = DriverLine.parse(backwardErrors, kind: "WORKSPACE")
        #expect(backwardChecks.count >= 80 && workspaceChecks.count >= 15, "\(spec.name): backward errors\n\(backwardErrors)")
        BackwardTests.expectChecks(backwardChecks, label: "\(spec.name) backward")
        for line in workspaceChecks {
            #expect(line.int("got") == line.int("expected"), "\(spec.name): workspace \(line)")
        }

        print("SANITIZER variant=\(spec.name) storage=\(spec.storage.rawValue) d=\(spec.headDim) dv=\(spec.valueHeadDim) "
            + "openmp=\(openMP) forward_cases=\(results.count) masked_rows=\(maskedRows) "
            + "forward_argument_checks=\(forwardChecks.count) backward_cases=\(shapes.count) "
            + "backward_argument_checks=\(backwardChecks.count) workspace_checks=\(workspaceChecks.count) "
            + "seconds=\(String(format: "%.1f", Date().timeIntervalSince(started)))")
        SanitizerCoverage.shared.add(forward: results.count, backward: shapes.count,
                                     arguments: forwardChecks.count + backwardChecks.count + workspaceChecks.count)
    }

    /// The C runtime's layout check under the sanitizers too (its edge cases overflow if computed naively).
    @Test func layoutCheckRunsCleanUnderSanitizers() throws {
        try Self.requireSanitizerRuntimes()
        let folder = try HarnessFixtures.temporaryFolder("sanitize-layout")
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try CEmitter().sharedFiles() {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        try HarnessFixtures.copy(["layout_cases.h", "layout_check.c"], to: folder)
        try HarnessFixtures.compile(["layout_check.c"], output: "layout_check", in: folder, extraFlags: Self.flags)
        let output = try Self.run(["./layout_check"], in: folder, label: "layout_check")
        ArgumentCheckTests.expectLayouts(DriverLine.parse(output, kind: "LAYOUT"), label: "C runtime under sanitizers")
        print("SANITIZER layout_cases=\(DriverLine.parse(output, kind: "LAYOUT").count)")
    }

    /// The harness compiler links and runs a sanitized program, or the suite fails saying what to install
    /// (.ci/test installs libasan and libubsan when they are missing).
    static func requireSanitizerRuntimes() throws {
        guard sanitizersWork else {
            throw HarnessError("\(HarnessFixtures.compiler) cannot build and run -fsanitize=address,undefined programs: install "
                               + "the sanitizer runtimes (Debian: apt-get install libasan8 libubsan1), as .ci/test does")
        }
    }

    static let sanitizersWork: Bool = {
        guard let folder = try? HarnessFixtures.temporaryFolder("sanitize-probe") else { return false }
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = "#include <stdlib.h>\nint main(void) { char *p = malloc(4); p[0] = 1; int r = p[0] - 1; free(p); return r; }\n"
        guard (try? source.write(to: folder.appendingPathComponent("probe.c"), atomically: true, encoding: .utf8)) != nil,
              let build = try? ChildProcess.run([HarnessFixtures.compiler] + flags + ["probe.c", "-o", "probe"], in: folder,
                                                timeoutSeconds: 120),
              build.status == 0,
              let run = try? ChildProcess.run(["env"] + environment + ["./probe"], in: folder, timeoutSeconds: 60)
        else { return false }
        return run.status == 0
    }()
}

/// What the sanitized runs covered so far, printed after every variant (the last SANITIZER-TOTAL line of a run holds
/// the totals: variants × valid cases, and the argument checks).
final class SanitizerCoverage: @unchecked Sendable {
    static let shared = SanitizerCoverage()

    private let lock = NSLock()
    private var variants = 0, forward = 0, backward = 0, arguments = 0

    func add(forward: Int, backward: Int, arguments: Int) {
        lock.lock()
        defer { lock.unlock() }
        variants += 1
        self.forward += forward
        self.backward += backward
        self.arguments += arguments
        print("SANITIZER-TOTAL variants=\(variants) forward_cases=\(self.forward) backward_cases=\(self.backward) "
            + "argument_checks=\(self.arguments) (each variant: forward and backward, valid shapes and every bad argument)")
    }
}
