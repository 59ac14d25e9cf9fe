import Foundation
import Testing
@testable import AttnGen

/// The quantize call of variants with fp8 inputs (`attngen_NAME_quantize`, README.md "fp8 inputs"): the planner's
/// rotation block, the C runtime's rounding to e4m3 against the reference's decoding, and the emitted C call against
/// the float64 reference of Fixtures/quantize_check.c (factors, every byte, the forward round trip with and without
/// the rotation, the argument checks). The CUDA call is compiled by HopperCompileTests and checked bit for bit
/// against PyTorch's arithmetic by the package check (torch_package_check.py, `check_quantize`) on CPU and GPU.
@Suite struct QuantizeTests {
    static let fp8 = AttentionSpec(name: "q8", headDim: 128).storage(.bf16).inputs(.e4m3).savingLogSumExp()

    @Test(arguments: [(64, 64), (40, 8), (96, 32), (128, 128), (256, 256), (1, 1), (24, 8)])
    func theRotationBlockIsTheLargestPowerOfTwoDividingTheHeadDim(headDim: Int, block: Int) {
        #expect(QuantizePlan.rotationBlock(headDim: headDim) == block)
    }

    /// Only variants with fp8 inputs get the call, on the C backend and the Hopper family, and `attngen plan` says so.
    @Test func theCAndHopperPlansHoldIt() throws {
        let variant = try VariantModel(lowering: Self.fp8)
        for target in [Target.c, Target.hopperSM90] {
            let plan = try FamilyPlanner(target: target).plan(variant)
            #expect(plan.quantize == QuantizePlan(rotationBlock: 128, headDim: 128))
            let estimate = TrafficEstimate(variant: variant, plan: plan.forward, queryLength: 128, keyLength: 128)
            let text = PlanReport.text(variant: variant, plan: plan, estimate: estimate)
            #expect(text.contains("quantize (Q, K or V to e4m3"), "\(text)")
            #expect(text.contains("Hadamard blocks of 128 of the 128 columns"), "\(text)")
        }
        let plain = try VariantModel(lowering: AttentionSpec(name: "p", headDim: 64).storage(.bf16))
        #expect(try FamilyPlanner(target: .c).plan(plain).quantize == nil)
        #expect(try FamilyPlanner(target: .hopperSM90).plan(plain).quantize == nil)
        #expect(QuantizePlan(rotationBlock: 64, headDim: 64).rotationNorm == 0.125)
        #expect(QuantizePlan(rotationBlock: 128, headDim: 128).rotationNorm == Float(1.0 / 128.0.squareRoot()))
    }

    /// The headers declare the call only for fp8 variants.
    @Test func theHeadersDeclareItForFP8VariantsOnly() throws {
        let plain = AttentionSpec(name: "p", headDim: 64).storage(.bf16)
        let c = try KernelGenerator(emitter: CEmitter()).generate([Self.fp8, plain])
        let hopper = try KernelGenerator(emitter: HopperEmitter()).generate([Self.fp8, plain])
        let text = { (files: [GeneratedFile], path: String) in files.first { $0.path == path }?.contents ?? "" }
        #expect(text(c, "q8.h").contains("attngen_status attngen_q8_quantize(const attngen_quantize_params *params);"))
        #expect(text(c, "q8.h").contains("#define ATTNGEN_Q8_ROTATION_BLOCK 128"))
        #expect(!text(c, "p.h").contains("quantize"))
        #expect(text(hopper, "q8.cuh").contains("attngen_q8_quantize_cuda(const attngen_quantize_params *params, cudaStream_t stream);"))
        #expect(text(hopper, "q8.cu").contains("extern \"C\" attngen_status attngen_q8_quantize_cuda("))
        #expect(!text(hopper, "p.cuh").contains("quantize"))
        #expect(!text(hopper, "p.cu").contains("quantize"))
    }

    /// attngen_float_to_e4m3 (Templates/c/attngen_runtime.h): every multiple of 2^-12 from 0 to 460 and the midpoints
    /// between neighbouring e4m3 values (both signs) go to a nearest value by the reference's decoding, ties to the even
    /// code; magnitudes from 448 up saturate to 448; NaN stays NaN.
    @Test func theRuntimeRoundsToTheNearestE4M3Value() throws {
        let folder = try HarnessFixtures.temporaryFolder("e4m3-round")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HarnessFixtures.copy(["reference.c", "reference.h"], to: folder)
        try HarnessFixtures.writeABIHeader(to: folder)
        let runtime = try CEmitter(templates: try TemplateLibrary.bundled()).sharedFiles().first { $0.path == "attngen_runtime.h" }
        try #require(runtime != nil)
        try runtime!.contents.write(to: folder.appendingPathComponent("attngen_runtime.h"), atomically: true, encoding: .utf8)
        let program = """
            #include <math.h>
            #include <stdio.h>
            #include "attngen_runtime.h"
            #include "reference.h"
            static int wrong = 0, checked = 0;
            static void check(float value) {
                const uint8_t got = attngen_float_to_e4m3(value);
                const double decoded = attngen_reference_e4m3_to_double(got);
                double best = INFINITY;
                int best_code = -1;
                for (int code = 0; code < 256; code++) {
                    const double e = attngen_reference_e4m3_to_double((uint8_t)code);
                    if (isnan(e) || (code & 0x80) != (signbit(value) ? 0x80 : 0)) continue;
                    const double distance = fabs(e - (double)value);
                    if (distance < best || (distance == best && (code & 1) == 0)) { best = distance; best_code = code; }
                }
                const int saturated = fabsf(value) >= 448.0f;
                const int ok = saturated ? got == (signbit(value) ? 0xfe : 0x7e)
                                         : (got == best_code && fabs(decoded - (double)value) == best);
                checked++;
                if (!ok && wrong++ < 5) printf("value %.9g -> 0x%02x, want 0x%02x\\n", (double)value, got, best_code);
            }
            int main(void) {
                for (int k = 0; k <= 460 * 4096; k++) { check(ldexpf((float)k, -12)); check(-ldexpf((float)k, -12)); }
                for (int code = 0; code < 0x7e; code++) {
                    const double mid = (attngen_reference_e4m3_to_double((uint8_t)code)
                                        + attngen_reference_e4m3_to_double((uint8_t)(code + 1))) / 2;
                    check((float)mid);
                    check(-(float)mid);
                    check(nextafterf((float)mid, 0.0f));
                    check(nextafterf((float)mid, 1000.0f));
                }
                check(1e30f);
                check(-INFINITY);
                const int nan = (attngen_float_to_e4m3(NAN) & 0x7f) == 0x7f;
                printf("checked=%d wrong=%d nan=%d\\n", checked, wrong, nan);
                return 0;
            }
            """
        try program.write(to: folder.appendingPathComponent("round.c"), atomically: true, encoding: .utf8)
        try HarnessFixtures.compile(["round.c", "reference.c"], output: "round", in: folder)
        let outcome = try ChildProcess.run(["./round"], in: folder)
        #expect(outcome.status == 0)
        #expect(outcome.output.contains("wrong=0 nan=1"), "\(outcome.output)")
    }

    /// The emitted C call against Fixtures/quantize_check.c's float64 reference, fresh random inputs each run: d = 64
    /// (one rotation block of 64, bf16) and d = 40 with dv = 24 (blocks of 8, fp16), with OpenMP where the compiler
    /// has it, and with clang's warnings too.
    @Test(arguments: [(64, 64, StorageType.bf16), (40, 24, StorageType.fp16)])
    func theCCallMatchesTheReference(headDim: Int, valueHeadDim: Int, storage: StorageType) throws {
        let spec = AttentionSpec(name: "q8_d\(headDim)", headDim: headDim).valueHeadDim(valueHeadDim).storage(storage)
            .inputs(.e4m3).savingLogSumExp()
        let folder = try HarnessFixtures.temporaryFolder("quantize")
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try KernelGenerator(emitter: CEmitter()).generate([spec]) {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        try HarnessFixtures.copy(["quantize_check.c", "reference.c", "reference.h"], to: folder)
        let name = spec.name
        let defines = ["-DVARIANT_HEADER=\"\(name).h\"", "-DQUANTIZE=attngen_\(name)_quantize",
                       "-DFORWARD=attngen_\(name)_forward", "-DHEAD_DIM_=\(headDim)", "-DVALUE_HEAD_DIM_=\(valueHeadDim)",
                       "-DSTORAGE_=ATTNGEN_REFERENCE_\(storage.rawValue.uppercased())",
                       "-DROTATION_BLOCK_=\(QuantizePlan.rotationBlock(headDim: headDim))"]
        if let clang = HarnessFixtures.secondCompiler {
            let outcome = try ChildProcess.run([clang] + HarnessFixtures.strictFlags + ["-I.", "-c", "\(name).c", "-o", "clang.o"],
                                               in: folder, timeoutSeconds: 300)
            #expect(outcome.status == 0, "\(outcome.output)")
        }
        try HarnessFixtures.compile(["quantize_check.c", "reference.c", "\(name).c"], output: "quantize_check", in: folder,
                                    extraFlags: defines + (HarnessFixtures.supportsOpenMP ? ["-fopenmp"] : []))
        let seed = UInt64.random(in: 1...UInt64(UInt32.max))
        let outcome = try ChildProcess.run(["./quantize_check", "\(seed)"], in: folder, timeoutSeconds: 300)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains("quantize_check: 0 failures"), "\(outcome.output)")
        #expect(outcome.output.contains("argument checks: 17 cases, 0 wrong, x8 untouched"), "\(outcome.output)")
    }
}
