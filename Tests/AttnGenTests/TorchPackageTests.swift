import Foundation
import Testing
@testable import AttnGen

/// `attngen emit torch`: the rendered pieces (signatures offer exactly a variant's run-time arguments), the command
/// line, and the whole package: emitted, `pip install`ed into a fresh virtual environment that sees CPU PyTorch,
/// and checked by Fixtures/torch_package_check.py (forward and backward against float64, dropout, determinism,
/// torch.library.opcheck, torch.compile(fullgraph=True), fp8 inputs with their descale factors, and the errors for wrong
/// dtypes, devices, shapes and strides).
@Suite struct TorchPackageTests {
    static func variant(_ spec: AttentionSpec) throws -> VariantModel { try VariantModel(lowering: spec) }

    // MARK: the rendered pieces

    @Test func functionOffersOnlyTheVariantsRuntimeArguments() throws {
        let plain = TorchFunctionRendering(variant: try Self.variant(AttentionSpec(name: "plain", headDim: 64)), sources: [])
        #expect(plain.function.hasPrefix("def plain(q, k, v, *, layout=\"bshd\", seqlens_k=None):"))
        #expect(plain.function.contains("block_mask=None, dropout_seed=None, dropout_offset=0,"))
        #expect(plain.function.contains("Forward only"))

        let training = try Self.variant(AttentionSpec(name: "train", headDim: 128).storage(.bf16)
            .masked(by: .blockSparse(blockRows: 64, blockColumns: 32)).dropout(0.1).withBackward())
        let function = TorchFunctionRendering(variant: training, sources: []).function
        #expect(function.hasPrefix("def train(q, k, v, *, layout=\"bshd\", block_mask=None, dropout_seed=None, "
                                   + "dropout_offset=0, return_lse=False, deterministic=True, seqlens_k=None):"))
        #expect(function.contains("layout=layout, block_mask=block_mask, dropout_seed=dropout_seed, dropout_offset=dropout_offset,"))
        #expect(function.contains("return_lse=return_lse, deterministic=deterministic, seqlens_k=seqlens_k,"))
        #expect(function.contains("page_table=None, score_parameters=None, sinks=None)"))
        #expect(function.contains("ceil(Nq/64), ceil(Nk/32)"))
        #expect(function.contains("torch.bfloat16"))

        let paged = TorchFunctionRendering(variant: try Self.variant(AttentionSpec(name: "cache", headDim: 64).storage(.bf16)
            .savingLogSumExp().pagedKV(pageSize: 16)), sources: [])
        #expect(paged.function.hasPrefix("def cache(q, k, v, *, layout=\"bshd\", return_lse=False, seqlens_k=None, "
                                         + "page_table=None):"), "\(paged.function)")
        #expect(paged.function.contains("seqlens_k=seqlens_k,"))
        #expect(paged.function.contains("page_table=page_table, score_parameters=None, sinks=None)"))

        let modified = TorchFunctionRendering(variant: try Self.variant(AttentionSpec(name: "alibi", headDim: 64)
            .modified(by: .alibi(slopes: .runtime, alignment: .topLeft)).modified(by: .softcap(30))), sources: [])
        #expect(modified.function.hasPrefix("def alibi(q, k, v, *, layout=\"bshd\", seqlens_k=None, score_parameters=None):"),
                "\(modified.function)")
        #expect(modified.function.contains("page_table=None, score_parameters=score_parameters, sinks=None)"))
        #expect(modified.function.contains("score_parameters (required): float32 [1, Hq]"))
        #expect(modified.function.contains("Forward only"))
        #expect(modified.tableEntry.contains("score_parameters=(\"alibi_slopes\",),"))
        #expect(modified.tableEntry.contains("score_modifiers=(\"ALiBi"))
        #expect(paged.function.contains("k [pages, 16, Hkv, 64]"))
        #expect(paged.tableEntry.contains("page_size=16,"))
        #expect(paged.example.contains { $0.contains("page_table=page_table") })

        let sinks = TorchFunctionRendering(variant: try Self.variant(AttentionSpec(name: "sinks", headDim: 64).withSinks()
            .withBackward()), sources: [])
        #expect(sinks.function.hasPrefix("def sinks(q, k, v, *, layout=\"bshd\", return_lse=False, deterministic=True, "
                                         + "seqlens_k=None, sinks=None):"), "\(sinks.function)")
        #expect(sinks.function.contains("score_parameters=None, sinks=sinks)"))
        #expect(sinks.function.contains("sinks (required): float32 [Hq]"))
        #expect(sinks.function.contains("Differentiable in q, k, v and sinks"))
        #expect(sinks.tableEntry.contains("sinks=True,"))
        #expect(modified.tableEntry.contains("sinks=False,"))
        #expect(sinks.example.contains { $0.contains("sinks=sinks") })
    }

    @Test func variantTableCarriesTheSpecAndTheSourcesPerFolder() throws {
        let model = try Self.variant(AttentionSpec(name: "gqa", headDim: 96).valueHeadDim(64).heads(query: 8, keyValue: 2)
            .storage(.fp16).savingLogSumExp())
        let entry = TorchFunctionRendering(variant: model, sources: [("c", ["gqa.c"]), ("cuda/sm90", ["gqa.cu", "gqa_mma.cu"])])
            .tableEntry
        for line in ["head_dim=96,", "value_head_dim=64,", "storage=\"fp16\",", "heads_q=8,", "heads_kv=2,",
                     "saves_lse=True,", "has_backward=False,", "dropout_p=0.0,", "block_rows=0,",
                     "\"c\": (\"gqa.c\",),", "\"cuda/sm90\": (\"gqa.cu\", \"gqa_mma.cu\"),"] {
            #expect(entry.contains(line), "missing \(line) in\n\(entry)")
        }
    }

    @Test func pythonStringLiteralsEscape() {
        #expect(PythonLiterals.string("a\"b\\c\nd") == #""a\"b\\c\nd""#)
        #expect(PythonLiterals.float(0.125) == "0.125")
        #expect(PythonLiterals.float(1) == "1.0")
    }

    @Test func packageNamesAreCheckedAsPythonIdentifiers() {
        #expect(TorchPackage.problem(with: "attngen_torch") == nil)
        #expect(TorchPackage.problem(with: "my2") == nil)
        for bad in ["", "2fast", "My", "a-b", "import", "torch", "aten", String(repeating: "a", count: 65), "é"] {
            #expect(TorchPackage.problem(with: bad) != nil, "\(bad) accepted")
        }
    }

    // MARK: the command line

    @Test func emitTorchWritesThePackageAndRegeneratesIdentically() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("pkg")
        let arguments = ["emit", "torch", "--name", "causal", "--head-dim", "64", "--dtype", "bf16", "--causal",
                         "--backward", "--package", "my_attention", "--out", out.path]
        let first = try AttngenTool.run(arguments)
        #expect(first.status == 0, "\(first.standardError)")
        let paths = relativeFilePaths(under: out)
        for path in ["pyproject.toml", "README.md", "attngen-manifest.txt", "my_attention/__init__.py",
                     "my_attention/_runtime.py", "my_attention/_variants.py", "my_attention/_abi.py",
                     "my_attention/__main__.py", "my_attention/kernels/c/causal.c", "my_attention/kernels/c/causal_backward.c",
                     "my_attention/kernels/cuda/sm80/causal.cu", "my_attention/kernels/cuda/sm90/causal.cu",
                     "my_attention/kernels/cuda/sm90/causal_mma.cu", "my_attention/kernels/cuda/sm90/causal_backward.cu"] {
            #expect(paths.contains(path), "missing \(path)")
        }
        let runtime = try String(contentsOf: out.appendingPathComponent("my_attention/_runtime.py"), encoding: .utf8)
        #expect(runtime.hasPrefix("# Generated by attngen"))
        #expect(runtime.contains("PACKAGE = \"my_attention\""))
        let before = try paths.map { try Data(contentsOf: out.appendingPathComponent($0)) }
        let second = try AttngenTool.run(arguments)
        #expect(second.status == 0, "\(second.standardError)")
        #expect(relativeFilePaths(under: out) == paths)
        #expect(try paths.map { try Data(contentsOf: out.appendingPathComponent($0)) } == before)
        // Another package name is another request: refused without --force.
        var renamed = arguments
        renamed[renamed.firstIndex(of: "my_attention")!] = "other"
        let refused = try AttngenTool.run(renamed)
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("another request"), "\(refused.standardError)")
    }

    @Test func emitAllWithTorchAddsThePackageFolder() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("all")
        let result = try AttngenTool.run(["emit", "all", "--head-dim", "64", "--name", "plain", "--torch", "--quiet",
                                          "--out", out.path])
        #expect(result.status == 0, "\(result.standardError)")
        let paths = relativeFilePaths(under: out)
        #expect(paths.contains("c/plain.c"))
        #expect(paths.contains("torch/attngen_torch/__init__.py"))
        #expect(paths.contains("torch/attngen_torch/kernels/cuda/sm80/plain.cu"))
        let manifest = try String(contentsOf: out.appendingPathComponent("attngen-manifest.txt"), encoding: .utf8)
        #expect(manifest.contains("torch package attngen_torch"))
    }

    @Test func torchFlagsAreRefusedWhereTheyDoNotApply() throws {
        let cases: [([String], String)] = [
            (["emit", "c", "--head-dim", "64", "--torch", "--out", "x"], "--torch applies to 'attngen emit all' only"),
            (["emit", "cuda", "--head-dim", "64", "--package", "p", "--out", "x"], "--package applies to"),
            (["emit", "all", "--head-dim", "64", "--package", "p", "--out", "x"], "give --torch too"),
            (["emit", "torch", "--head-dim", "64", "--package", "Bad-Name", "--out", "x"], "lower-case letters"),
            (["emit", "torch", "--head-dim", "64", "--package", "import", "--out", "x"], "reserved"),
            (["emit", "torch", "--head-dim", "64", "--arch", "sm90", "--out", "x"], "--arch applies to"),
            (["emit", "torch", "--head-dim", "64", "--package", "a", "--package", "b", "--out", "x"], "--package"),
        ]
        for (arguments, message) in cases {
            let result = try AttngenTool.run(arguments)
            #expect(result.status == 64, "\(arguments): status \(result.status)")
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        }
        let help = try AttngenTool.run(["emit", "torch", "--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("--package NAME"))
        #expect(help.standardOutput.contains("torch.library custom op"))
    }

    // MARK: the package, installed and run with CPU PyTorch

    /// A Python with torch: ATTNGEN_TORCH_PYTHON (set by .ci/test, which installs CPU PyTorch into .torch/venv), else
    /// the .torch/venv of the package root.
    static func torchPython() throws -> String {
        if let path = ProcessInfo.processInfo.environment["ATTNGEN_TORCH_PYTHON"], !path.isEmpty { return path }
        let local = attngenPackageRoot.appendingPathComponent(".torch/venv/bin/python").path
        if FileManager.default.isExecutableFile(atPath: local) { return local }
        throw CLITestFailure("no Python with PyTorch: run bash .ci/test (it installs CPU PyTorch into .torch/venv and sets "
                             + "ATTNGEN_TORCH_PYTHON), or set ATTNGEN_TORCH_PYTHON")
    }

    /// A fresh virtual environment (`folder/venv`) that sees the installed CPU torch through a .pth file (no 200 MB
    /// download per test), for `pip install` of an emitted package.
    static func makeTorchVirtualEnvironment(in folder: URL) throws -> URL {
        let python = try torchPython()
        let site = try ChildProcess.run([python, "-c", "import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))"],
                                        in: folder)
        guard site.status == 0 else { throw CLITestFailure("\(python) cannot import torch:\n\(site.output)") }
        let venv = folder.appendingPathComponent("venv")
        let created = try ChildProcess.run(["python3", "-m", "venv", venv.path], in: folder)
        guard created.status == 0 else { throw CLITestFailure("python3 -m venv failed:\n\(created.output)") }
        let sitePackages = try ChildProcess.run([venv.appendingPathComponent("bin/python").path, "-c",
                                                 "import sysconfig; print(sysconfig.get_paths()['purelib'])"], in: folder)
        try (site.output.trimmingCharacters(in: .whitespacesAndNewlines) + "\n")
            .write(toFile: sitePackages.output.trimmingCharacters(in: .whitespacesAndNewlines) + "/torch-from-ci.pth",
                   atomically: true, encoding: .utf8)
        return venv
    }

    @Test(.timeLimit(.minutes(20))) func installedPackageRunsOnCPUPyTorch() throws {
        let folder = try HarnessFixtures.temporaryFolder("torch")
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = try HarnessFixtures.folder().appendingPathComponent("torch_variants.json").path
        let package = folder.appendingPathComponent("package")
        let emit = try AttngenTool.run(["emit", "torch", "--spec", spec, "--quiet", "--out", package.path])
        try #require(emit.status == 0, "\(emit.standardError)")

        let venv = try Self.makeTorchVirtualEnvironment(in: folder)
        let install = try ChildProcess.run([venv.appendingPathComponent("bin/pip").path, "install", "--quiet", "--no-deps",
                                            "--disable-pip-version-check", package.path], in: folder)
        try #require(install.status == 0, "pip install of the emitted package failed:\n\(install.output)")

        // Run from a folder without the package, so that the installed copy is the one imported.
        let run = folder.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let check = try HarnessFixtures.folder().appendingPathComponent("torch_package_check.py").path
        let outcome = try ChildProcess.run(["env", "ATTNGEN_TORCH_CACHE=\(folder.appendingPathComponent("cache").path)",
                                            "OMP_NUM_THREADS=2", venv.appendingPathComponent("bin/python").path, check,
                                            "--package", "attngen_torch", "--device", "cpu"], in: run, timeoutSeconds: 1100)
        let failing = outcome.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
        #expect(outcome.status == 0 && outcome.output.contains("\n0 failing checks"),
                "status \(outcome.status); failing:\n\(failing.joined(separator: "\n"))\n\(outcome.output.suffix(3000))")
        let passing = outcome.output.split(separator: "\n").filter { $0.hasPrefix("pass") }.count
        #expect(passing >= 120, "only \(passing) checks ran")
        #expect(outcome.output.contains("pass  torch.compile t_window_fp32 cpu: no graph break"))
        #expect(outcome.output.contains("pass  opcheck t_causal_gqa_bf16_backward cpu"))
        #expect(outcome.output.contains("pass  opcheck t_fp8_causal_gqa_forward cpu"))
        #expect(outcome.output.contains("pass  fp8 forward varlen t_fp8_causal_gqa cpu sequence 3"))
        #expect(outcome.output.contains("pass  fp8 generated quantize t_fp8_causal_gqa q H=4/2 bshd seed=77 cpu"))
    }
}
