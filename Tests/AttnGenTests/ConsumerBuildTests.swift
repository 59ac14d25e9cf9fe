import Foundation
import Testing
@testable import AttnGen

/// Builds a copy of the committed generated/c the way another project would (`make -C`), links a small C
/// program against libattngen.a and runs it: results match a naive reference, and invalid calls return
/// the documented error codes.
@Suite struct ConsumerBuildTests {
    /// Runs a command (through /usr/bin/env), returning its status and combined output.
    static func shell(_ arguments: [String], in folder: URL) throws -> (status: Int32, output: String) {
        let log = folder.appendingPathComponent("log-\(UUID().uuidString).txt")
        try Data().write(to: log)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = try String(contentsOf: log, encoding: .utf8)
        try? FileManager.default.removeItem(at: log)
        return (process.terminationStatus, output)
    }

    static let consumer = #"""
        #include <math.h>
        #include <stdio.h>
        #include <string.h>
        #include "attngen.h"

        enum { B = 1, H = 2, NQ = 5, NK = 7, D = 64 };
        static float q[B * H * NQ * D], k[B * H * NK * D], v[B * H * NK * D], o[B * H * NQ * D], lse[B * H * NQ];

        static attngen_layout bhsd(int64_t heads, int64_t rows, int64_t dim) {
            attngen_layout layout = { heads * rows * dim, rows * dim, dim };
            return layout;
        }

        static attngen_forward_params make_params(void) {
            attngen_forward_params p;
            memset(&p, 0, sizeof p);
            p.struct_size = sizeof p;
            p.batch = B; p.seqlen_q = NQ; p.seqlen_k = NK; p.heads_q = H; p.heads_kv = H;
            p.q = q; p.k = k; p.v = v; p.o = o; p.lse = lse;
            p.q_layout = bhsd(H, NQ, D); p.k_layout = bhsd(H, NK, D); p.v_layout = bhsd(H, NK, D);
            p.o_layout = bhsd(H, NQ, D); p.lse_layout = bhsd(H, NQ, 1);
            return p;
        }

        /* Naive softmax(scale * Q K^T) V for one (head, query) row; causal keeps k <= q. */
        static double check(int causal, int with_lse) {
            double worst = 0;
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < NQ; i++) {
                    double s[NK], m = -INFINITY, sum = 0;
                    for (int j = 0; j < NK; j++) {
                        double dot = 0;
                        for (int c = 0; c < D; c++) dot += (double)q[(h * NQ + i) * D + c] * k[(h * NK + j) * D + c];
                        s[j] = dot * 0.125;
                        if (causal && j > i) s[j] = -INFINITY;
                        if (s[j] > m) m = s[j];
                    }
                    for (int j = 0; j < NK; j++) sum += exp(s[j] - m);
                    for (int c = 0; c < D; c++) {
                        double out = 0;
                        for (int j = 0; j < NK; j++) out += exp(s[j] - m) / sum * v[(h * NK + j) * D + c];
                        float got = o[(h * NQ + i) * D + c];
                        if (!isfinite(got)) return INFINITY;
                        if (fabs(got - out) > worst) worst = fabs(got - out);
                    }
                    if (with_lse) {
                        float got = lse[h * NQ + i];
                        if (!isfinite(got)) return INFINITY;
                        if (fabs(got - (m + log(sum))) > worst) worst = fabs(got - (m + log(sum)));
                    }
                }
            }
            return worst;
        }

        int main(void) {
            unsigned state = 12345u;
            for (int i = 0; i < B * H * NQ * D; i++) { state = state * 1103515245u + 12345u; q[i] = (float)((state >> 8) % 2001) / 1000.0f - 1.0f; }
            for (int i = 0; i < B * H * NK * D; i++) { state = state * 1103515245u + 12345u; k[i] = (float)((state >> 8) % 2001) / 1000.0f - 1.0f; }
            for (int i = 0; i < B * H * NK * D; i++) { state = state * 1103515245u + 12345u; v[i] = (float)((state >> 8) % 2001) / 1000.0f - 1.0f; }

            attngen_forward_params p = make_params();
            attngen_status status = attngen_fp32_d64_forward(&p);
            double error = check(0, 0);
            printf("dense status=%d max_error=%g\n", (int)status, error);
            if (status != ATTNGEN_OK || !(error < 1e-4)) return 1;

            p = make_params();
            status = attngen_fp32_d64_causal_lse_forward(&p);
            error = check(1, 1);
            printf("causal_lse status=%d max_error=%g\n", (int)status, error);
            if (status != ATTNGEN_OK || !(error < 1e-4)) return 1;

            /* Invalid calls return their error codes. */
            p = make_params(); p.struct_size = sizeof p - 8;
            if (attngen_fp32_d64_forward(&p) != ATTNGEN_ERROR_ABI_MISMATCH) { printf("struct_size not refused\n"); return 1; }
            p = make_params(); p.q = NULL;
            if (attngen_fp32_d64_forward(&p) != ATTNGEN_ERROR_NULL_POINTER) { printf("NULL q not refused\n"); return 1; }
            p = make_params(); p.lse = NULL;
            if (attngen_fp32_d64_causal_lse_forward(&p) != ATTNGEN_ERROR_NULL_POINTER) { printf("NULL lse not refused\n"); return 1; }
            p = make_params(); p.seqlen_q = -1;
            if (attngen_fp32_d64_forward(&p) != ATTNGEN_ERROR_INVALID_SIZE) { printf("negative size not refused\n"); return 1; }
            p = make_params(); p.heads_kv = 3;
            if (attngen_fp32_d64_forward(&p) != ATTNGEN_ERROR_INVALID_HEADS) { printf("bad heads not refused\n"); return 1; }
            printf("invalid calls refused\n");
            return 0;
        }
        """#

    @Test func anotherBuildCompilesGeneratedCAndCallsAKernel() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = folder.appendingPathComponent("attngen-c")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
        let committed = attngenPackageRoot.appendingPathComponent("generated/c")
        let tree = try generatedTree(at: committed)
        try #require(tree["Makefile"] != nil, "generated/c has no Makefile")
        for (path, data) in tree {
            let url = library.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }

        let make = try Self.shell(["make", "-j4", "-C", library.path], in: folder)
        try #require(make.status == 0, "make failed:\n\(make.output)")
        #expect(FileManager.default.fileExists(atPath: library.appendingPathComponent("libattngen.a").path))
        #expect(!make.output.contains("warning"), "the generated C has warnings:\n\(make.output)")

        try Data(Self.consumer.utf8).write(to: folder.appendingPathComponent("consumer.c"))
        let compile = try Self.shell(["cc", "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", library.path,
                                      "consumer.c", library.appendingPathComponent("libattngen.a").path, "-lm",
                                      "-o", "consumer"], in: folder)
        try #require(compile.status == 0, "consumer did not compile:\n\(compile.output)")
        let run = try Self.shell(["./consumer"], in: folder)
        #expect(run.status == 0, "consumer failed:\n\(run.output)")
        #expect(run.output.contains("dense status=0"))
        #expect(run.output.contains("causal_lse status=0"))
        #expect(run.output.contains("invalid calls refused"))
    }

    /// nvcc from ATTNGEN_NVCC (set by .ci/test), else PATH, else the pip install under .cuda/venv.
    static func nvcc() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["ATTNGEN_NVCC"], !path.isEmpty { return path }
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(folder)/nvcc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let lib = attngenPackageRoot.appendingPathComponent(".cuda/venv/lib")
        for python in (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? [] {
            let candidate = lib.appendingPathComponent("\(python)/site-packages/nvidia/cu13/bin/nvcc").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CLITestFailure("nvcc not found: run the tests with 'bash .ci/test' (it installs nvcc) or set ATTNGEN_NVCC")
    }

    static let cudaConsumer = #"""
        // Calls a generated CUDA kernel through the C ABI. Exit 0: results match a host reference;
        // exit 2: no CUDA device (compile-and-link check only).
        #include <cmath>
        #include <cstdio>
        #include <cstring>
        #include <vector>
        #include <cuda_runtime.h>
        #include "attngen.h"

        int main() {
            const int H = 2, NQ = 5, NK = 7, D = 64;
            std::vector<float> q(H * NQ * D), k(H * NK * D), v(H * NK * D), o(H * NQ * D, -1.0f);
            unsigned state = 12345u;
            auto fill = [&](std::vector<float> &x) {
                for (float &e : x) { state = state * 1103515245u + 12345u; e = (float)((state >> 8) % 2001) / 1000.0f - 1.0f; }
            };
            fill(q); fill(k); fill(v);

            attngen_forward_params p;
            std::memset(&p, 0, sizeof p);
            p.struct_size = sizeof p - 8;
            if (attngen_fp32_d64_forward_cuda(&p, 0) != ATTNGEN_ERROR_ABI_MISMATCH) { std::printf("struct_size not refused\n"); return 1; }

            int devices = 0;
            if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) { std::printf("no CUDA device\n"); return 2; }
            float *dq, *dk, *dv, *dout;
            cudaMalloc(&dq, q.size() * 4); cudaMalloc(&dk, k.size() * 4); cudaMalloc(&dv, v.size() * 4); cudaMalloc(&dout, o.size() * 4);
            cudaMemcpy(dq, q.data(), q.size() * 4, cudaMemcpyHostToDevice);
            cudaMemcpy(dk, k.data(), k.size() * 4, cudaMemcpyHostToDevice);
            cudaMemcpy(dv, v.data(), v.size() * 4, cudaMemcpyHostToDevice);
            std::memset(&p, 0, sizeof p);
            p.struct_size = sizeof p;
            p.batch = 1; p.seqlen_q = NQ; p.seqlen_k = NK; p.heads_q = H; p.heads_kv = H;
            p.q = dq; p.k = dk; p.v = dv; p.o = dout;
            p.q_layout = {H * NQ * D, NQ * D, D}; p.k_layout = {H * NK * D, NK * D, D};
            p.v_layout = {H * NK * D, NK * D, D}; p.o_layout = {H * NQ * D, NQ * D, D};
            attngen_status status = attngen_fp32_d64_forward_cuda(&p, 0);
            cudaError_t sync = cudaDeviceSynchronize();
            cudaMemcpy(o.data(), dout, o.size() * 4, cudaMemcpyDeviceToHost);
            double worst = 0;
            for (int h = 0; h < H; h++) for (int i = 0; i < NQ; i++) {
                double s[NK], m = -INFINITY, sum = 0;
                for (int j = 0; j < NK; j++) {
                    double dot = 0;
                    for (int c = 0; c < D; c++) dot += (double)q[(h * NQ + i) * D + c] * k[(h * NK + j) * D + c];
                    s[j] = dot * 0.125; if (s[j] > m) m = s[j];
                }
                for (int j = 0; j < NK; j++) sum += std::exp(s[j] - m);
                for (int c = 0; c < D; c++) {
                    double ref = 0;
                    for (int j = 0; j < NK; j++) ref += std::exp(s[j] - m) / sum * v[(h * NK + j) * D + c];
                    double got = o[(h * NQ + i) * D + c];
                    if (!std::isfinite(got)) worst = INFINITY; else if (std::fabs(got - ref) > worst) worst = std::fabs(got - ref);
                }
            }
            std::printf("cuda status=%d sync=%d max_error=%g\n", (int)status, (int)sync, worst);
            return (status == ATTNGEN_OK && sync == cudaSuccess && worst < 1e-2) ? 0 : 1;
        }
        """#

    /// Builds two variants of the committed generated/cuda/sm80 through its Makefile (SOURCES narrowed on the
    /// make command line, to keep the test short), then compiles and links a C++ consumer against the library.
    /// Without a GPU here the consumer is not run; it checks itself when run on a device.
    @Test func anotherBuildCompilesGeneratedCUDAAndLinksAConsumer() throws {
        let nvcc = try Self.nvcc()
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = folder.appendingPathComponent("attngen-cuda")
        for (path, data) in try generatedTree(at: attngenPackageRoot.appendingPathComponent("generated/cuda/sm80")) {
            let url = library.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        let make = try Self.shell(["make", "-j2", "-C", library.path, "NVCC=\(nvcc)",
                                   "SOURCES=fp32_d64.cu mha_d64_fp16_causal.cu"], in: folder)
        try #require(make.status == 0, "make failed:\n\(make.output)")
        #expect(FileManager.default.fileExists(atPath: library.appendingPathComponent("libattngen_cuda.a").path))

        try Data(Self.cudaConsumer.utf8).write(to: folder.appendingPathComponent("consumer.cu"))
        // A pip-installed nvcc keeps cudart_static and cudadevrt in ../lib; a system one knows its own folder.
        let pipLibraries = URL(fileURLWithPath: nvcc).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("lib")
        var linkFlags: [String] = []
        if FileManager.default.fileExists(atPath: pipLibraries.appendingPathComponent("libcudart_static.a").path) {
            linkFlags = ["-L", pipLibraries.path]
        }
        let link = try Self.shell([nvcc, "-std=c++17", "-arch=sm_80", "-Werror", "all-warnings", "-I", library.path,
                                   "consumer.cu", library.appendingPathComponent("libattngen_cuda.a").path]
                                  + linkFlags + ["-o", "consumer"], in: folder)
        #expect(link.status == 0, "the CUDA consumer did not compile or link:\n\(link.output)")
        #expect(FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("consumer").path))
    }
}
