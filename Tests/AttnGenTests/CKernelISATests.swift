import Foundation
import Testing
@testable import AttnGen

/// The generated C kernels choose their vector code when they are compiled (attngen_runtime.h, "vectors of fp32
/// lanes"): AVX-512F with 16 lanes (and with AVX512_BF16 but not AVX512_FP16, or with -DATTNGEN_PREFER_BF16_DOT, bf16
/// dot products for the scores of bf16 variants, and for both products of their decode path), AVX2 +
/// FMA with 8, SSE2 with 4 (any x86-64 build), or portable C11 with 4-lane structs (-DATTNGEN_PORTABLE). ForwardMatrixTests and BackwardTests build with the plain warning policy (no -m
/// flags), so on x86-64 they run the SSE2 path; this suite
/// builds a cross-section of the same variants for each vector path, checks that the path taken is the one asked
/// for, and, where this CPU can run it, compares the results with the same float64 references.
@Suite struct CKernelISATests {
    /// One vector path: the compiler flags that select it and the CPU feature it needs at run time.
    struct VectorPath: Sendable, CustomTestStringConvertible {
        var name: String
        /// The ATTNGEN_ISA the flags select.
        var isa: String
        var flags: [String]
        var cpuFeature: String?
        var testDescription: String { name }

        init(name: String, isa: String? = nil, flags: [String], cpuFeature: String?) {
            self.name = name
            self.isa = isa ?? name
            self.flags = flags
            self.cpuFeature = cpuFeature
        }
    }

    static let paths: [VectorPath] = [
        // AVX-512 with AVX512_BF16 and without AVX512_FP16 (AMD Zen 4 and 5): bf16 variants with an even head dim
        // compute S = Q·Kᵀ on vdpbf16ps by default.
        VectorPath(name: "avx512+bf16", flags: ["-mavx512f", "-mavx512bf16", "-mavx2", "-mfma", "-mf16c"],
                   cpuFeature: "avx512bf16"),
        // The same CPU declining them: plain AVX-512.
        VectorPath(name: "avx512-bf16-declined", isa: "avx512",
                   flags: ["-mavx512f", "-mavx512bf16", "-mavx2", "-mfma", "-mf16c", "-DATTNGEN_NO_BF16_DOT"],
                   cpuFeature: "avx512bf16"),
        // AVX512_BF16 with AVX512_FP16 (the Intel cores that have both, where vdpbf16ps issues at a quarter of the
        // FMA's rate): plain AVX-512 unless asked for.
        VectorPath(name: "avx512-bf16-fp16-unasked", isa: "avx512",
                   flags: ["-mavx512f", "-mavx512bf16", "-mavx512fp16", "-mavx2", "-mfma", "-mf16c"],
                   cpuFeature: "avx512fp16"),
        VectorPath(name: "avx512+bf16-fp16-asked", isa: "avx512+bf16",
                   flags: ["-mavx512f", "-mavx512bf16", "-mavx512fp16", "-mavx2", "-mfma", "-mf16c",
                           "-DATTNGEN_PREFER_BF16_DOT"], cpuFeature: "avx512fp16"),
        VectorPath(name: "avx512", flags: ["-mavx512f", "-mavx2", "-mfma", "-mf16c"], cpuFeature: "avx512f"),
        VectorPath(name: "avx2", flags: ["-mavx2", "-mfma", "-mf16c"], cpuFeature: "avx2"),
        // AVX2 with the fp32 forward's copy of K and V rows into the workspace at every size (by default only when a
        // head's K and V exceed 1 MiB, which the test shapes do not reach).
        VectorPath(name: "avx2-copied-rows", isa: "avx2",
                   flags: ["-mavx2", "-mfma", "-mf16c", "-DATTNGEN_FLOAT_ROWS_COPY_BYTES=0"], cpuFeature: "avx2"),
        VectorPath(name: "sse2", flags: [], cpuFeature: "sse2"),
        VectorPath(name: "portable", flags: ["-DATTNGEN_PORTABLE"], cpuFeature: nil),
    ]

    /// Forward variants: every storage type, odd head dims (tails of the register tiles), dv ≠ d, every mask
    /// kind, dropout, GQA, and tiles that are not a multiple of 16 rows; and bf16 at head dims of whole 32-element
    /// vectors, whose decode path runs on vdpbf16ps under avx512+bf16 (sinks and split keys, a paged cache of one
    /// key per page, a causal window at d = 128).
    static let forwardNames = [
        "plain_bf16_d72", "causal_br_mha_fp32_d128", "block_odd_fp16_d16", "predicate_window_fp32_d256",
        "dropout_causal_fp16_d128", "dv_wide_bf16_d40_dv72", "sinks_causal_bf16_d64", "paged1_bf16_d64_causal",
        "causal_window_br_bf16_d128",
    ]

    /// Backward variants (BackwardTests.cases).
    static let backwardNames = ["bwd_causal_br_f16", "bwd_window_bf16", "bwd_dropout_f32", "bwd_gqa_f16", "bwd_sparse_f32"]

    static var isX86: Bool {
        #if arch(x86_64)
        true
        #else
        false
        #endif
    }

    /// Whether this CPU runs `path` (a probe compiled with __builtin_cpu_supports), and the ATTNGEN_ISA the
    /// runtime header selects under the path's flags.
    static func probe(_ path: VectorPath, runtimeHeader: URL) throws -> (runs: Bool, isa: String) {
        let folder = try HarnessFixtures.temporaryFolder("isa-probe-\(path.name)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HarnessFixtures.writeABIHeader(to: folder)
        try FileManager.default.copyItem(at: runtimeHeader, to: folder.appendingPathComponent(CEmitter.runtimeHeaderName))
        let feature = path.cpuFeature.map { "__builtin_cpu_supports(\"\($0)\")" } ?? "1"
        try """
            #include "attngen_runtime.h"
            #include <stdio.h>
            int main(void) {
                __builtin_cpu_init();
                printf("isa=%s runs=%d\\n", ATTNGEN_ISA, \(feature) ? 1 : 0);
                return 0;
            }
            """.write(to: folder.appendingPathComponent("probe.c"), atomically: true, encoding: .utf8)
        try HarnessFixtures.compile(["probe.c"], output: "probe", in: folder, extraFlags: path.flags)
        let outcome = try ChildProcess.run(["./probe"], in: folder, timeoutSeconds: 60)
        let fields = outcome.output.split(whereSeparator: { $0 == " " || $0 == "\n" })
        let isa = fields.first { $0.hasPrefix("isa=") }.map { String($0.dropFirst(4)) } ?? "?"
        return (fields.contains("runs=1"), isa)
    }

    @Test(arguments: paths)
    func forwardMatchesReference(_ path: VectorPath) throws {
        guard Self.isX86 || path.cpuFeature == nil else { return } // the other paths are x86 ones
        let variants = ForwardMatrix.variants.filter { Self.forwardNames.contains($0.spec.name) }
        #expect(variants.count == Self.forwardNames.count, "forward variants renamed in ForwardMatrix")
        for variant in variants {
            let spec = variant.spec
            let folder = try HarnessFixtures.temporaryFolder("isa-\(path.name)-\(spec.name)")
            defer { try? FileManager.default.removeItem(at: folder) }
            for file in try KernelGenerator(emitter: CEmitter()).generate([spec]) {
                try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
            }
            let (runs, isa) = try Self.probe(path, runtimeHeader: folder.appendingPathComponent(CEmitter.runtimeHeaderName))
            #expect(isa == path.isa, "\(path.name) flags selected the \(isa) path")
            try HarnessFixtures.copy(HarnessFixtures.driverSources, to: folder)
            try HarnessVariantSource.variantSource(spec)
                .write(to: folder.appendingPathComponent(HarnessVariantSource.variantFileName), atomically: true, encoding: .utf8)
            try HarnessVariantSource.predicateSource(spec)
                .write(to: folder.appendingPathComponent(HarnessVariantSource.predicateFileName), atomically: true, encoding: .utf8)
            // Compiling (warning-free) is checked for every path; running only where the CPU has the instructions.
            try HarnessFixtures.compile(["driver.c", "reference.c", HarnessVariantSource.variantFileName,
                                         HarnessVariantSource.predicateFileName, "\(spec.name).c"],
                                        output: "driver", in: folder, extraFlags: path.flags)
            guard runs else {
                print("ISA \(path.name) \(spec.name): compiled; this CPU lacks \(path.cpuFeature ?? "?"), not run")
                continue
            }
            let outcome = try ChildProcess.run(["./driver", "run"] + variant.cases.map(\.argument), in: folder,
                                               timeoutSeconds: 600)
            #expect(outcome.status == 0, "\(path.name) \(spec.name): driver exited with \(outcome.status):\n\(outcome.output)")
            let lines = DriverLine.parse(outcome.output, kind: "RESULT")
            #expect(lines.count == variant.cases.count, "\(path.name) \(spec.name): \(lines.count) RESULT lines")
            let base = Tolerance.forStorage(spec.storage)
            for line in lines {
                let context = "\(path.name) \(spec.name) \(line.caseText)"
                let keyLength = variant.cases.first { $0.argument == line.caseText }?.keyLength ?? 0
                let tolerance = line.caseText.contains("huge=1")
                    ? base.forKeys(keyLength).withLogits(line.double("logit_max") ?? 0) : base.forKeys(keyLength)
                #expect(line.int("status") == 0, "\(context): status \(line.values["status"] ?? "?")")
                #expect((line.double("rel_l2") ?? .infinity) <= tolerance.relativeL2, "\(context): \(line)")
                #expect((line.double("rel_max") ?? .infinity) <= tolerance.relativeMax, "\(context): \(line)")
                #expect((line.double("lse_err") ?? .infinity) <= tolerance.logSumExp, "\(context): \(line)")
                #expect(line.int("nan") == 0 && line.int("poison") == 0, "\(context): \(line)")
                #expect(line.int("lse_inf_mismatch") == 0 && line.int("masked_nonzero") == 0, "\(context): \(line)")
            }
            print("ISA \(path.name) \(spec.name): \(lines.count) cases checked")
        }
    }

    @Test(arguments: paths)
    func backwardMatchesReference(_ path: VectorPath) throws {
        guard Self.isX86 || path.cpuFeature == nil else { return }
        let cases = BackwardTests.cases.filter { Self.backwardNames.contains($0.spec.name) }
        #expect(cases.count == Self.backwardNames.count, "backward cases renamed in BackwardTests")
        for testCase in cases {
            let spec = testCase.spec
            let folder = try HarnessFixtures.temporaryFolder("isa-bwd-\(path.name)-\(spec.name)")
            defer { try? FileManager.default.removeItem(at: folder) }
            try BackwardBuild.prepare(spec, in: folder)
            let (runs, isa) = try Self.probe(path, runtimeHeader: folder.appendingPathComponent(CEmitter.runtimeHeaderName))
            #expect(isa == path.isa, "\(path.name) flags selected the \(isa) path")
            try BackwardBuild.compile(spec, in: folder,
                                      extraFlags: path.flags + (HarnessFixtures.supportsOpenMP ? ["-fopenmp"] : []))
            guard runs else {
                print("ISA \(path.name) \(spec.name): compiled; this CPU lacks \(path.cpuFeature ?? "?"), not run")
                continue
            }
            let tolerance = BackwardTests.tolerance(spec.storage)
            for (index, shape) in testCase.shapes.enumerated() {
                let (batch, hq, hkv, nq, nk, layout, _) = shape
                let outcome = try ChildProcess.run(
                    ["./\(BackwardBuild.driverName)", "\(batch)", "\(hq)", "\(hkv)", "\(nq)", "\(nk)", "\(index + 1)", layout, "0"],
                    in: folder, timeoutSeconds: 300)
                let label = "\(path.name) \(spec.name) B=\(batch) Hq=\(hq) Hkv=\(hkv) Nq=\(nq) Nk=\(nk) \(layout)"
                try #require(outcome.status == 0, "\(label): driver failed: \(outcome.output)")
                let report = BackwardTests.parse(outcome.output)
                #expect(report["status"] == "0,0,0,0", "\(label): status codes \(report["status"] ?? "?")")
                for gradient in ["dq", "dk", "dv", "fast"] {
                    let error = Double(report[gradient] ?? "") ?? .infinity
                    #expect(error <= tolerance, "\(label): \(gradient) relative error \(error) > \(tolerance)")
                }
                #expect(report["deterministic"] == "1", "\(label): deterministic mode differs between runs")
            }
            print("ISA \(path.name) \(spec.name): \(testCase.shapes.count) backward shapes checked")
        }
    }
}
