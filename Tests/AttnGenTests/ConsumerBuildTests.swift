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

    /// The generated C Makefile compiles for the building machine by default (`-O3 -march=native`: vectors as wide as
    /// its CPU has) and with `-O3` alone under `make PORTABLE=1` (the compiler's baseline instruction set).
    @Test func generatedMakefileOptimisesForThisMachineUnlessPortable() throws {
        let library = attngenPackageRoot.appendingPathComponent("generated/c")
        for (arguments, expected, unexpected) in [([String](), "-O3 -march=native", nil as String?), (["PORTABLE=1"], "-O3", "-march")] {
            // -n -B prints the commands without running them; CFLAGS from the environment would replace the defaults.
            let make = try Self.shell(["-u", "CFLAGS", "make", "-n", "-B", "-C", library.path, "fp32_d64.o"] + arguments,
                                      in: library)
            try #require(make.status == 0, "make -n failed:\n\(make.output)")
            let compile = make.output.split(separator: "\n").first { $0.contains("fp32_d64.c") } ?? ""
            #expect(compile.contains(expected), "make \(arguments): \(compile)")
            if let unexpected {
                #expect(!compile.contains(unexpected), "make \(arguments): \(compile)")
            }
        }
    }

    /// cmake from ATTNGEN_CMAKE (set by .ci/test), else PATH, else the pip install under .cmake/venv.
    static func cmake() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["ATTNGEN_CMAKE"], !path.isEmpty { return path }
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(folder)/cmake"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let venv = attngenPackageRoot.appendingPathComponent(".cmake/venv/bin/cmake").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        throw CLITestFailure("cmake not found: run the tests with 'bash .ci/test' (it installs cmake from PyPI into "
                             + ".cmake/venv) or set ATTNGEN_CMAKE")
    }

    /// Runs cmake with `arguments` (through coreutils' timeout). cmake learns that its children ended through SIGCHLD,
    /// which the test runner's threads block and a spawned process inherits blocked (cmake would then wait forever):
    /// a python3 trampoline empties the signal mask first.
    static func runCMake(_ cmake: String, _ arguments: [String], in folder: URL) throws -> ChildProcess.Outcome {
        let unblock = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])"
        return try ChildProcess.run(["python3", "-c", unblock, cmake] + arguments, in: folder, timeoutSeconds: 600)
    }

    /// The ```cmake block of README.md's "Catalogue" section, as written.
    static func readmeCMakeSnippet() throws -> String {
        let readme = try String(contentsOf: attngenPackageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.range(of: "## Catalogue"),
              let open = readme.range(of: "```cmake\n", range: section.upperBound..<readme.endIndex),
              let close = readme.range(of: "\n```", range: open.upperBound..<readme.endIndex) else {
            throw CLITestFailure("README.md has no ```cmake block in its Catalogue section")
        }
        return String(readme[open.upperBound..<close.lowerBound]) + "\n"
    }

    /// The CMake snippet of README "Catalogue", pasted as written into a tiny project whose `my_app` is the consumer
    /// above: it configures with no build type, builds optimised kernels (-O3 from the default Release build type,
    /// -march=native from ATTNGEN_NATIVE) that the app calls correctly; ATTNGEN_NATIVE=OFF drops -march=native; and
    /// ATTNGEN_CUDA=ON configures with nvcc given only as CMAKE_CUDA_COMPILER (a pip-installed one under .ci/test).
    @Test func readmeCMakeSnippetBuildsOptimisedKernels() throws {
        let cmake = try Self.cmake()
        let nvcc = try Self.nvcc()
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let project = """
            cmake_minimum_required(VERSION 3.18)
            project(attngen_consumer C)
            add_executable(my_app consumer.c)

            """ + (try Self.readmeCMakeSnippet())
        try Data(project.utf8).write(to: folder.appendingPathComponent("CMakeLists.txt"))
        try Data(Self.consumer.utf8).write(to: folder.appendingPathComponent("consumer.c"))
        let generated = "-DATTNGEN_DIR=\(attngenPackageRoot.appendingPathComponent("generated").path)"

        let configure = try Self.runCMake(cmake, ["-S", ".", "-B", "build", generated, "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"], in: folder)
        try #require(configure.status == 0, "cmake could not configure the README snippet:\n\(configure.output)\n\(project)")
        let commands = try Self.compileCommands(folder.appendingPathComponent("build"))
        let kernels = commands.filter { $0.file.hasSuffix(".c") && $0.file.contains("/generated/c/") }
        #expect(kernels.count >= 30, "compile_commands.json lists \(kernels.count) generated C files")
        for kernel in kernels {
            #expect(kernel.command.contains("-O3") && kernel.command.contains("-march=native"),
                    "the snippet compiles \(kernel.file) without -O3 -march=native: \(kernel.command)")
        }
        let build = try Self.runCMake(cmake, ["--build", "build", "--parallel", "2"], in: folder)
        try #require(build.status == 0, "cmake --build failed:\n\(build.output)")
        #expect(!build.output.contains("warning"), "the generated C has warnings:\n\(build.output)")
        let run = try ChildProcess.run(["./build/my_app"], in: folder, timeoutSeconds: 60)
        #expect(run.status == 0, "my_app failed:\n\(run.output)")
        #expect(run.output.contains("dense status=0") && run.output.contains("causal_lse status=0"), "\(run.output)")

        let portable = try Self.runCMake(cmake, ["-S", ".", "-B", "build-portable", generated, "-DATTNGEN_NATIVE=OFF",
                                                "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"], in: folder)
        try #require(portable.status == 0, "ATTNGEN_NATIVE=OFF did not configure:\n\(portable.output)")
        for kernel in try Self.compileCommands(folder.appendingPathComponent("build-portable")) where kernel.file.contains("/generated/c/") {
            #expect(kernel.command.contains("-O3") && !kernel.command.contains("-march"), "ATTNGEN_NATIVE=OFF: \(kernel.command)")
        }

        let cuda = try Self.runCMake(cmake, ["-S", ".", "-B", "build-cuda", generated, "-DATTNGEN_CUDA=ON",
                                            "-DCMAKE_CUDA_COMPILER=\(nvcc)", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"], in: folder)
        try #require(cuda.status == 0, "ATTNGEN_CUDA=ON with CMAKE_CUDA_COMPILER=\(nvcc) did not configure:\n\(cuda.output)")
        let cudaKernels = try Self.compileCommands(folder.appendingPathComponent("build-cuda")).filter { $0.file.hasSuffix(".cu") }
        #expect(cudaKernels.count >= 30, "compile_commands.json lists \(cudaKernels.count) CUDA files")
        #expect(cudaKernels.allSatisfy { $0.command.contains("90a") }, "\(cudaKernels.first?.command ?? "")")
    }

    /// (file, command) of each entry of a build folder's compile_commands.json.
    static func compileCommands(_ build: URL) throws -> [(file: String, command: String)] {
        let data = try Data(contentsOf: build.appendingPathComponent("compile_commands.json"))
        guard let entries = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw CLITestFailure("compile_commands.json is not a list of objects")
        }
        return entries.map { entry in
            let command = entry["command"] as? String ?? (entry["arguments"] as? [String])?.joined(separator: " ") ?? ""
            return (entry["file"] as? String ?? "", command)
        }
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
        let linkFlags = CUDACompileTests.pipRuntimeLibraries(nvcc: nvcc).map { ["-L", $0] } ?? []
        let link = try Self.shell([nvcc, "-std=c++17", "-arch=sm_80", "-Werror", "all-warnings", "-I", library.path,
                                   "consumer.cu", library.appendingPathComponent("libattngen_cuda.a").path]
                                  + linkFlags + ["-o", "consumer"], in: folder)
        #expect(link.status == 0, "the CUDA consumer did not compile or link:\n\(link.output)")
        #expect(FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("consumer").path))
    }
}
