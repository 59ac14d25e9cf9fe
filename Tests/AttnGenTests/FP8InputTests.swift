import Foundation
import Testing
@testable import AttnGen

/// fp8 e4m3 inputs (README.md, "fp8 inputs"): the spec field and its refusals, the flags and spec files, the families
/// that do not run them yet, and the C runtime's byte conversion against the reference's independent one. The kernels
/// themselves are checked against float64 by ForwardMatrixTests (its `fp8_*` variants).
@Suite struct FP8InputTests {
    static let base = AttentionSpec(name: "f", headDim: 128).storage(.bf16).inputs(.e4m3)

    @Test(arguments: [
        (base.savingLogSumExp().withBackward(), "inputDtype", "forward only"),
        (base.pagedKV(pageSize: 16), "inputDtype", "paged K/V cache"),
    ])
    func validationNamesTheField(spec: AttentionSpec, field: String, message: String) {
        do {
            try spec.validate()
            Issue.record("expected \(field) to be refused")
        } catch {
            #expect(error.field == field)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func theModelDescribesTheInputs() throws {
        let variant = try VariantModel(lowering: Self.base)
        #expect(variant.inputBytes == 1)
        #expect(variant.describingMacros.contains { $0.key == "INPUT_BYTES" && $0.value == "1" })
        #expect(variant.describingMacros.contains { $0.key == "ELEMENT_BYTES" && $0.value == "2" })
        #expect(variant.descriptionLines.contains { $0.contains("Inputs: Q, K and V in e4m3") })
        let plain = try VariantModel(lowering: AttentionSpec(name: "p", headDim: 64).storage(.fp32))
        #expect(plain.inputBytes == 4)
    }

    @Test func specFilesRoundTripAndRefuseOtherTypes() throws {
        let json = #"{"name": "f", "headDim": 128, "dtype": "bf16", "inputDtype": "e4m3", "lse": true}"#
        let spec = try JSONDecoder().decode(AttentionSpec.self, from: Data(json.utf8))
        #expect(spec == Self.base.savingLogSumExp())
        let encoded = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(AttentionSpec.self, from: encoded) == spec)
        let bad = #"{"name": "f", "headDim": 128, "inputDtype": "e5m2"}"#
        #expect(throws: (any Error).self) { try JSONDecoder().decode(AttentionSpec.self, from: Data(bad.utf8)) }
    }

    @Test func theFlagReachesTheDSL() throws {
        guard case .plan(let plan) = try CommandLineParser.parse(["plan", "--head-dim", "128", "--dtype", "bf16",
                                                                   "--input-dtype", "e4m3"]),
              case .flags(let flags) = plan.source else {
            Issue.record("expected plan with flags")
            return
        }
        #expect(try flags.spec().inputStorage == .e4m3)
        #expect(throws: CommandLineError.self) {
            try CommandLineParser.parse(["plan", "--head-dim", "128", "--input-dtype", "fp8"])
        }
    }

    /// The mma.sync family refuses fp8 inputs, naming the field; the C backend and the Hopper family plan them.
    @Test(arguments: [Target.cudaSM80, Target.cudaSM90])
    func theMMAFamilyRefusesThem(target: Target) throws {
        let variant = try VariantModel(lowering: Self.base)
        do {
            _ = try FamilyPlanner(target: target).plan(variant)
            Issue.record("\(target) planned e4m3 inputs")
        } catch {
            #expect(error.field == "inputDtype")
            #expect(error.message.contains("hopper family"))
        }
        #expect(try FamilyPlanner(target: .c).plan(variant).cpuDecode?.bytesPerKey == 256)
    }

    /// The Hopper family: 128 x 128 tiles at d = 128 and 128 x 64 at d = 256, the transposed V tiles in its account, no
    /// mma.sync fallback, no decode kernel, no wide kernel; score modifiers and sinks planned at d = 128; other head
    /// dims, dv != d, and at d = 256 dropout and score modifiers (registers) refused, naming the field.
    @Test func theHopperFamilyPlansThem() throws {
        let plan = try FamilyPlanner(target: .hopperSM90).plan(try VariantModel(lowering: Self.base))
        #expect(plan.forward.blockRows == 128 && plan.forward.blockColumns == 128)
        #expect(plan.forward.accounts.contains { $0.item.hasPrefix("transposed V tiles") && $0.bytes == plan.forward.stages * 128 * 128 })
        #expect(plan.forward.accounts.contains { $0.item.hasPrefix("Q tiles") && $0.bytes == plan.forward.queryBuffers * 128 * 128 })
        #expect(plan.fallbackForward == nil && plan.decode == nil && plan.longForward == nil && plan.backward == nil)
        let wide = AttentionSpec(name: "w", headDim: 256).storage(.bf16).inputs(.e4m3).masked(by: .causal)
        let widePlan = try FamilyPlanner(target: .hopperSM90).plan(try VariantModel(lowering: wide))
        #expect(widePlan.forward.blockRows == 128 && widePlan.forward.blockColumns == 64)
        // Score modifiers and sinks at d = 128 (the modifier reads the descaled score); d = 256 has no registers for a
        // modifier's state beside O's.
        for spec in [Self.base.modified(by: .softcap(30)).withSinks(),
                     Self.base.modified(by: .alibi(slopes: .runtime, alignment: .bottomRight)).masked(by: .causal),
                     wide.withSinks()] {
            #expect(try FamilyPlanner(target: .hopperSM90).plan(try VariantModel(lowering: spec)).forward.blockColumns > 0)
        }
        for spec in [AttentionSpec(name: "f", headDim: 64).storage(.bf16).inputs(.e4m3),
                     Self.base.valueHeadDim(256), wide.modified(by: .softcap(30)), wide.dropout(0.1)] {
            do {
                _ = try FamilyPlanner(target: .hopperSM90).plan(try VariantModel(lowering: spec))
                Issue.record("the hopper family planned \(spec)")
            } catch {
                #expect(error.field == "inputDtype", "\(error)")
            }
        }
    }

    /// `attngen plan` names the inputs' type, and the IO estimate counts their bytes: with N = 4096 and d = 128, the
    /// tiled kernel moves Q, K and V at 1 byte an element and O at 2, standard attention the same plus S and P at 2.
    @Test func thePlanReportsTheInputs() throws {
        let variant = try VariantModel(lowering: Self.base)
        let plan = try FamilyPlanner(target: .hopperSM90).plan(variant)
        let estimate = TrafficEstimate(variant: variant, plan: plan.forward, queryLength: 4096, keyLength: 4096)
        let text = PlanReport.text(variant: variant, plan: plan, estimate: estimate)
        #expect(text.hasPrefix("variant f: headDim 128, valueHeadDim 128, e4m3 inputs, bf16 output, heads"), "\(text)")
        let n = 4096, d = 128, tiles = n / 128
        #expect(estimate.tiledBytes == n * d + tiles * n * 2 * d + n * d * 2)
        #expect(estimate.standardBytes == 3 * n * d + 2 * (4 * n * n + n * d))
    }

    /// The PyTorch package holds fp8 variants for the CPU and sm90, not sm80 (the mma family reads no e4m3): the
    /// variant table gives the input type and the reason, and the function takes the three descale factors.
    @Test func theTorchPackageHoldsThemWithoutSM80() throws {
        let variant = try VariantModel(lowering: Self.base)
        let files = try TorchPackage.files(package: "p", variants: [variant], outputs: [], templates: try TemplateLibrary.bundled())
        let table = try #require(files.first { $0.path == "p/_variants.py" }).contents
        #expect(table.contains("input_storage=\"e4m3\","), "\(table)")
        #expect(table.contains("unavailable={\"cuda/sm80\": \"the mma family (sm80) does not read e4m3 inputs"), "\(table)")
        let function = TorchFunctionRendering(variant: variant, sources: [], unavailable: [("cuda/sm80", "no")]).function
        #expect(function.hasPrefix("def f(q, k, v, *, layout=\"bshd\", seqlens_k=None, q_descale=None, k_descale=None, "
                                   + "v_descale=None):"), "\(function)")
        #expect(function.contains("q_descale=q_descale, k_descale=k_descale, v_descale=v_descale)"))
        #expect(function.contains("torch.float8_e4m3fn, CPU or CUDA (sm80 GPUs excepted)"))
        #expect(function.contains("in the same layout, torch.bfloat16"))
        let plain = try VariantModel(lowering: AttentionSpec(name: "g", headDim: 128).storage(.bf16))
        #expect(!TorchFunctionRendering(variant: plain, sources: []).function.contains("descale"))
    }

    /// `emit torch` writes an fp8 variant's C and sm90 kernels and no sm80 folder; `emit all`, which writes every
    /// variant for every target, still refuses it, naming the field and the target.
    @Test func emitTorchLeavesSM80OutAndEmitAllRefuses() throws {
        let folder = try HarnessFixtures.temporaryFolder("fp8-torch")
        defer { try? FileManager.default.removeItem(at: folder) }
        let flags = ["--name", "f", "--head-dim", "128", "--dtype", "bf16", "--input-dtype", "e4m3", "--quiet"]
        let torch = try AttngenTool.run(["emit", "torch"] + flags + ["--out", folder.appendingPathComponent("t").path])
        #expect(torch.status == 0, "\(torch.standardError)")
        let kernels = folder.appendingPathComponent("t/attngen_torch/kernels")
        #expect(FileManager.default.fileExists(atPath: kernels.appendingPathComponent("c/f.c").path))
        #expect(FileManager.default.fileExists(atPath: kernels.appendingPathComponent("cuda/sm90/f.cu").path))
        #expect(!FileManager.default.fileExists(atPath: kernels.appendingPathComponent("cuda/sm80").path))
        let all = try AttngenTool.run(["emit", "all"] + flags + ["--out", folder.appendingPathComponent("a").path])
        #expect(all.status != 0 && all.standardError.contains("inputDtype") && all.standardError.contains("sm80"),
                "\(all.standardError)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("a").path))
    }

    /// attngen_e4m3_to_float (Templates/c/attngen_runtime.h) against the reference's decoding, all 256 bytes: the same
    /// value, NaN for S.1111.111 only; and the largest finite magnitude and smallest subnormal are 448 and 2^-9.
    @Test func theRuntimeReadsEveryByteExactly() throws {
        let folder = try HarnessFixtures.temporaryFolder("e4m3")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HarnessFixtures.copy(["reference.c", "reference.h"], to: folder)
        try HarnessFixtures.writeABIHeader(to: folder)
        let templates = try TemplateLibrary.bundled()
        let runtime = try CEmitter(templates: templates).sharedFiles().first { $0.path == "attngen_runtime.h" }
        try #require(runtime != nil)
        try runtime!.contents.write(to: folder.appendingPathComponent("attngen_runtime.h"), atomically: true, encoding: .utf8)
        let program = """
            #include <math.h>
            #include <stdio.h>
            #include "attngen_runtime.h"
            #include "reference.h"
            int main(void) {
                int mismatches = 0, nans = 0;
                for (int code = 0; code < 256; code++) {
                    const float got = attngen_e4m3_to_float((uint8_t)code);
                    const double want = attngen_reference_e4m3_to_double((uint8_t)code);
                    if (isnan(want)) {
                        nans += isnan(got) ? 1 : 0;
                        mismatches += isnan(got) ? 0 : 1;
                    } else if ((double)got != want || !signbit(got) != !signbit(want)) {
                        mismatches++;
                    }
                }
                printf("mismatches=%d nans=%d max=%g min=%g\\n", mismatches, nans,
                       (double)attngen_e4m3_to_float(0x7e), (double)attngen_e4m3_to_float(0x01));
                return 0;
            }
            """
        try program.write(to: folder.appendingPathComponent("e4m3.c"), atomically: true, encoding: .utf8)
        try HarnessFixtures.compile(["e4m3.c", "reference.c"], output: "e4m3", in: folder)
        let outcome = try ChildProcess.run(["./e4m3"], in: folder)
        #expect(outcome.status == 0)
        #expect(outcome.output.contains("mismatches=0 nans=2 max=448 min=0.00195312"), "\(outcome.output)")
    }

    /// benchmarks/fp8/fp8_driver.cu (the GPU check, accuracy table, timings and profile of issue 19) still compiles
    /// against the headers that benchmarks/fp8/fp8_spec.json emits for sm90: the driver only runs on the GPU
    /// machine, so this is where a change of the ABI or of the spec file would show first.
    @Test func theBenchmarkDriverCompilesAgainstItsSpecFile() async throws {
        let nvcc = try CUDACompileTests.nvccPath()
        let folder = try HarnessFixtures.temporaryFolder("fp8-driver")
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = CUDACompileTests.packageRoot
        let specs = try SpecFile.load(path: root.appendingPathComponent("benchmarks/fp8/fp8_spec.json").path).validatedSpecs()
        let files = try KernelGenerator(choice: TargetChoice(device: .sm90, family: nil)).generate(specs)
        for file in files {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        try HarnessFixtures.copy(["reference.h"], to: folder)
        let outcome = try await CUDACompileSlots.compile(
            nvcc: nvcc, gencode: "arch=compute_90a,code=sm_90a",
            source: root.appendingPathComponent("benchmarks/fp8/fp8_driver.cu").path, object: "driver.o", in: folder,
            extraArguments: ["-I", folder.path, "-x", "cu"])
        #expect(outcome.status == 0, "\(outcome.output)")
    }
}
