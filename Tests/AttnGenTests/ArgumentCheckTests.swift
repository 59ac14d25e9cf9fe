import Foundation
import Testing
@testable import AttnGen

/// The ABI's layout rule (attngen_layout_is_valid: empty tensors, ATTNGEN_MAX_TENSOR_BYTES, overlapping outputs) in
/// the C and the CUDA runtime headers, against the answers of Fixtures/layout_cases.h; and the CUDA launchers'
/// argument checks, run on the host: every invalid call of Fixtures/argument_cases.h (the list the C drivers run)
/// must return the C backend's status before any CUDA call, so no GPU is needed.
@Suite struct ArgumentCheckTests {
    /// The C runtime's helper, compiled with the harness's strict flags.
    @Test func cLayoutCheckGivesTheDocumentedAnswers() throws {
        let folder = try HarnessFixtures.temporaryFolder("layout-check")
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try CEmitter().sharedFiles() {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        try HarnessFixtures.copy(["layout_cases.h", "layout_check.c"], to: folder)
        try HarnessFixtures.compile(["layout_check.c"], output: "layout_check", in: folder)
        let outcome = try ChildProcess.run(["./layout_check"], in: folder, timeoutSeconds: 60)
        #expect(outcome.status == 0, "\(outcome.output)")
        Self.expectLayouts(DriverLine.parse(outcome.output, kind: "LAYOUT"), label: "C runtime")
    }

    /// Variants whose launchers the host check calls: block-sparse fp16 with run-time heads, and fp32 MQA with fixed
    /// heads (both with the backward pass, so the forward saves the log-sum-exp).
    static let cudaSpecs: [AttentionSpec] = [
        AttentionSpec(name: "args_sparse_fp16", headDim: 32).storage(.fp16).masked(by: .blockSparse(blockSize: 64))
            .withBackward(),
        AttentionSpec(name: "args_mqa_fp32", headDim: 16).storage(.fp32).heads(query: 4, keyValue: 1)
            .masked(by: .causal(.bottomRight)).withBackward(),
    ]

    @Test(arguments: cudaSpecs)
    func cudaLaunchersRefuseBadArgumentsBeforeAnyCUDACall(_ spec: AttentionSpec) throws {
        let nvcc = try CUDACompileTests.nvccPath()
        let folder = try HarnessFixtures.temporaryFolder("cuda-arguments-\(spec.name)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try KernelGenerator(emitter: try CUDAEmitter(target: .cudaSM80)).generate([spec])
        for file in files {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        try HarnessFixtures.copy(["argument_cases.h", "layout_cases.h", "cuda_arguments.cu"], to: folder)
        let fixedQ = spec.heads.queryHeads ?? 0, fixedKV = spec.heads.keyValueHeads ?? 0
        try """
            /* Written by the attngen test harness: the launchers of variant \(spec.name) for cuda_arguments.cu. */
            #include "\(spec.name).cuh"
            #include "\(spec.name)_backward.cuh"

            #define HARNESS_CUDA_FORWARD attngen_\(spec.name)_forward_cuda
            #define HARNESS_CUDA_BACKWARD attngen_\(spec.name)_backward_cuda
            #define HARNESS_CUDA_WORKSPACE attngen_\(spec.name)_backward_workspace_size_cuda

            static const harness_traits harness_cuda_traits = {
                \(spec.headDim), \(spec.valueHeadDim), \(fixedQ), \(fixedKV), \(spec.savesLogSumExp ? 1 : 0),
                \(spec.blockSparseLayout == nil ? 0 : 1), \(spec.storage.byteSize), \(spec.pageSize ?? 0)
            };

            """.write(to: folder.appendingPathComponent("cuda_variant.h"), atomically: true, encoding: .utf8)
        let linkFlags = CUDACompileTests.pipRuntimeLibraries(nvcc: nvcc).map { ["-L", $0] } ?? []
        let build = try ChildProcess.run([nvcc, "-std=c++17", "-arch=sm_80", "-Werror", "all-warnings", "-I.",
                                          "cuda_arguments.cu", "\(spec.name).cu", "\(spec.name)_backward.cu"]
                                         + linkFlags + ["-o", "cuda_arguments"], in: folder, timeoutSeconds: 600)
        try #require(build.status == 0, "nvcc failed (\(build.status)):\n\(build.output)")
        let outcome = try ChildProcess.run(["./cuda_arguments"], in: folder, timeoutSeconds: 60)
        try #require(outcome.status == 0, "cuda_arguments failed (\(outcome.status), crashed: \(outcome.crashed)):\n\(outcome.output)")

        Self.expectLayouts(DriverLine.parse(outcome.output, kind: "LAYOUT"), label: "CUDA runtime")
        let checks = DriverLine.parse(outcome.output, kind: "CHECK")
        let forward = checks.filter { $0.values["pass"] == "forward" }, backward = checks.filter { $0.values["pass"] == "backward" }
        #expect(forward.count >= 45 && backward.count >= 80, "\(spec.name): too few calls:\n\(outcome.output)")
        for check in checks {
            #expect(check.int("got") == check.int("expected"),
                    "\(spec.name) \(check.values["pass"] ?? "?"): \(check.values["name"] ?? "?") returned \(check.values["got"] ?? "?"), expected \(check.values["expected"] ?? "?")")
        }
        let sizes = DriverLine.parse(outcome.output, kind: "WORKSPACE")
        #expect(sizes.count >= 15, "\(spec.name): too few workspace cases:\n\(outcome.output)")
        for line in sizes {
            #expect(line.int("got") == line.int("expected"), "\(spec.name): workspace \(line)")
        }
        let skipped = DriverLine.parse(outcome.output, kind: "SKIP").count
        print("cuda arguments \(spec.name): \(forward.count) forward and \(backward.count) backward calls refused or "
            + "settled on the host, \(sizes.count) workspace sizes; \(skipped) valid calls with work need a GPU")
    }

    /// Each LAYOUT line's answer is the documented one.
    static func expectLayouts(_ lines: [DriverLine], label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(lines.count >= 25, "\(label): \(lines.count) layout cases", sourceLocation: sourceLocation)
        for line in lines {
            #expect(line.int("got") == line.int("expected"),
                    "\(label): attngen_layout_is_valid(\(line.values["name"] ?? "?")) = \(line.values["got"] ?? "?")",
                    sourceLocation: sourceLocation)
        }
    }
}
