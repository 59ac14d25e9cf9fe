import Foundation
import Testing
@testable import AttnGen

/// Runs the built `attngen` executable as a child process.
enum AttngenTool {
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The executable next to the test products: `ATTNGEN_EXECUTABLE` if set, else `attngen` in the folder that
    /// holds this test target's resource bundle (the build products folder of any `--scratch-path`), else
    /// next to the test runner.
    static func executable() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["ATTNGEN_EXECUTABLE"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        var folders = [Bundle.module.bundleURL.deletingLastPathComponent(),
                       Bundle.main.bundleURL,
                       Bundle.main.bundleURL.deletingLastPathComponent()]
        if let runner = CommandLine.arguments.first {
            folders.append(URL(fileURLWithPath: runner).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for folder in folders {
            let candidate = folder.appendingPathComponent("attngen")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        throw CLITestFailure("attngen executable not found near \(folders.map(\.path)); set ATTNGEN_EXECUTABLE")
    }

    /// Runs attngen with `arguments`. Output goes to files (read after the child exits, so no pipe can fill up).
    /// `standardInput` is written into a pipe (not a regular file) that the child reads; without it the child's
    /// standard input is empty.
    static func run(_ arguments: [String], in folder: URL? = nil, standardInput: Data? = nil) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("attngen-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = standardInput == nil ? FileHandle.nullDevice : input
        // A child that exits before reading all of its input must not kill the test runner with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        try process.run()
        let writer = DispatchGroup()
        if let standardInput {
            DispatchQueue.global().async(group: writer) {
                try? input.fileHandleForWriting.write(contentsOf: standardInput)
                try? input.fileHandleForWriting.close()
            }
        }
        process.waitUntilExit()
        writer.wait()
        try out.close()
        try err.close()
        return Result(status: process.terminationStatus,
                      standardOutput: try String(contentsOf: outURL, encoding: .utf8),
                      standardError: try String(contentsOf: errURL, encoding: .utf8))
    }
}

struct CLITestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh temporary folder per test.
func makeCLITestFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("attngen-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Every regular file under `root`, as relative paths.
func relativeFilePaths(under root: URL) -> [String] {
    guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
        return []
    }
    let base = root.resolvingSymlinksInPath().path
    var paths: [String] = []
    for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
        let path = url.resolvingSymlinksInPath().path
        paths.append(String(path.dropFirst(base.count + 1)))
    }
    return paths.sorted()
}

@Suite struct CLITests {
    @Test func versionAndExitZero() throws {
        let result = try AttngenTool.run(["--version"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "attngen \(GeneratedBanner.toolVersion)\n")
        #expect(result.standardError.isEmpty)
    }

    @Test func generalHelpListsTheCommandsAndExitCodes() throws {
        let result = try AttngenTool.run(["--help"])
        #expect(result.status == 0)
        for text in ["attngen emit c", "attngen emit cuda", "attngen emit all", "attngen plan", "--spec FILE.json",
                     "--catalogue", "64 usage error", "1 any other error"] {
            #expect(result.standardOutput.contains(text), "missing \(text)")
        }
    }

    static let variantFlags = ["--name", "--head-dim", "--value-head-dim", "--heads", "--query-heads", "--kv-heads",
                               "--dtype", "--scale", "--causal", "--window", "--window-align", "--block-sparse",
                               "--predicate", "--dropout", "--lse", "--backward", "--spec", "--catalogue"]

    @Test(arguments: [["emit", "c", "--help"], ["emit", "cuda", "--help"], ["emit", "all", "--help"], ["emit", "--help"]])
    func emitHelpListsEveryFlag(arguments: [String]) throws {
        let result = try AttngenTool.run(arguments)
        #expect(result.status == 0)
        for flag in Self.variantFlags + ["--out", "--force", "--quiet", "--budget"] {
            #expect(result.standardOutput.contains(flag), "\(arguments) help lacks \(flag)")
        }
        if arguments[1] == "cuda" {
            #expect(result.standardOutput.contains("--arch sm80|sm90"))
        }
    }

    @Test func planHelpListsItsFlags() throws {
        let result = try AttngenTool.run(["plan", "--help"])
        #expect(result.status == 0)
        for flag in Self.variantFlags + ["--target", "--budget", "--seq", "--seq-q", "--seq-k", "--block-density"] {
            #expect(result.standardOutput.contains(flag), "plan help lacks \(flag)")
        }
    }

    @Test(arguments: [
        ([String](), "no command given"),
        (["frobnicate"], "unknown command \"frobnicate\""),
        (["--frob"], "unknown option --frob"),
        (["emit"], "emit needs a backend"),
        (["emit", "fortran", "--head-dim", "64", "--out", "x"], "unknown backend \"fortran\""),
        (["emit", "c", "--head-dim", "64", "--bogus", "--out", "x"], "unknown option --bogus for 'emit c'"),
        (["emit", "c", "--head-dim"], "--head-dim needs a value"),
        (["emit", "c", "--head-dim", "sixty-four", "--out", "x"], "--head-dim needs an integer, got \"sixty-four\""),
        (["emit", "c", "--head-dim", "64"], "emit needs --out DIR"),
        (["emit", "c", "--head-dim", "64", "--dtype", "fp8", "--out", "x"], "--dtype takes fp32, fp16, bf16"),
        (["emit", "c", "--head-dim", "64", "--window", "12", "--out", "x"], "--window takes LEFT:RIGHT"),
        (["emit", "c", "--head-dim", "64", "--block-sparse", "64by64", "--out", "x"], "--block-sparse"),
        (["emit", "c", "--head-dim", "64", "--scale", "abc", "--out", "x"], "--scale needs a finite number"),
        (["emit", "c", "--head-dim", "64", "--predicate", "q >= ", "--out", "x"], "--predicate:"),
        (["emit", "c", "--head-dim", "64", "--lse=yes", "--out", "x"], "--lse takes no value"),
        (["emit", "c", "--arch", "sm90", "--head-dim", "64", "--out", "x"], "--arch applies to 'attngen emit cuda' only"),
        (["emit", "cuda", "--arch", "sm70", "--head-dim", "64", "--out", "x"], "--arch takes sm80 or sm90"),
        (["emit", "c", "--catalogue", "--head-dim", "64", "--out", "x"], "give the variants one way only"),
        (["emit", "c", "--out", "x"], "--head-dim is required"),
        (["plan", "--head-dim", "64", "--seq-q", "10"], "needs both lengths"),
        (["plan", "--head-dim", "64", "--seq", "-3"], "--seq must be at least 0"),
        (["plan", "--target", "sm75", "--head-dim", "64"], "--target takes c, sm80, sm90"),
    ])
    func usageErrorsExit64(arguments: [String], message: String) throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try AttngenTool.run(arguments, in: folder)
        #expect(result.status == 64, "\(arguments): \(result.standardError)")
        #expect(result.standardError.hasPrefix("attngen: error: "))
        #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        #expect(relativeFilePaths(under: folder).isEmpty, "a usage error wrote files")
    }

    @Test(arguments: [
        (["plan", "--head-dim", "1000"], "invalid spec: headDim: must be in 1...256, got 1000"),
        (["plan", "--head-dim", "64", "--heads", "6:4"], "invalid spec: heads.query: must be a multiple of heads.keyValue"),
        (["plan", "--head-dim", "64", "--dropout", "1"], "invalid spec: dropout.probability"),
        (["plan", "--head-dim", "64", "--name", "9lives"], "invalid spec: name: must be a C identifier"),
        (["plan", "--target", "sm80", "--head-dim", "128", "--budget", "1000"], "invalid spec: budget: 1000 bytes fit no sm80"),
        (["plan", "--head-dim", "64", "--spec", "missing.json"], "give the variants one way only"),
        (["plan", "--spec", "does-not-exist.json"], "does-not-exist.json: cannot read"),
        (["emit", "c", "--head-dim", "64", "--window", "-1:0", "--out", "out"], "masks[0].window.left"),
    ])
    func failuresExit1(arguments: [String], message: String) throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try AttngenTool.run(arguments, in: folder)
        let expectedStatus: Int32 = message.hasPrefix("give the variants") ? 64 : 1
        #expect(result.status == expectedStatus, "\(arguments): \(result.standardError)")
        #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        #expect(relativeFilePaths(under: folder).isEmpty)
    }

    @Test func everyFlagReachesTheDSL() throws {
        let request = try CommandLineParser.parse([
            "emit", "c", "--name", "full", "--head-dim", "128", "--value-head-dim", "64", "--heads", "32:8",
            "--dtype", "bf16", "--scale", "0.125", "--causal", "bottom-right", "--window", "256:",
            "--window-align", "bottom-right", "--block-sparse", "64x32", "--predicate", "q >= k && q - k < 256",
            "--dropout", "0.1", "--lse", "--budget", "65536", "--out", "dir", "--quiet", "--force",
        ])
        guard case .emit(let emit) = request, case .flags(let flags) = emit.source else {
            Issue.record("expected emit with flags, got \(request)")
            return
        }
        #expect(emit.backend == .single(TargetChoice(device: .cpu, family: .cpu)))
        #expect(emit.output == "dir")
        #expect(emit.quiet && emit.force)
        #expect(emit.budget == 65536)
        let expected = AttentionSpec(name: "full", headDim: 128)
            .valueHeadDim(64)
            .heads(query: 32, keyValue: 8)
            .storage(.bf16)
            .scale(0.125)
            .masked(by: .causal(.bottomRight))
            .masked(by: .slidingWindow(left: 256, right: nil, alignment: .bottomRight))
            .masked(by: .blockSparse(blockRows: 64, blockColumns: 32))
            .masked(by: .predicate { q, k in q >= k && q - k < 256 })
            .dropout(0.1)
            .savingLogSumExp()
        #expect(try flags.spec() == expected)
    }

    @Test func headFlagsAndDefaults() throws {
        func spec(_ arguments: [String]) throws -> AttentionSpec {
            guard case .plan(let plan) = try CommandLineParser.parse(["plan", "--head-dim", "64"] + arguments),
                  case .flags(let flags) = plan.source else { throw CLITestFailure("not a plan") }
            return try flags.spec()
        }
        #expect(try spec([]).heads == .runtime)
        #expect(try spec([]).name == "attention")
        #expect(try spec(["--heads", "8"]).heads == .fixed(query: 8, keyValue: 8))
        #expect(try spec(["--query-heads", "16", "--kv-heads", "2"]).heads == .fixed(query: 16, keyValue: 2))
        #expect(try spec(["--causal"]).masks == [.causal(.topLeft)])
        #expect(try spec(["--causal", "--lse"]).masks == [.causal(.topLeft)])
        #expect(try spec(["--window", ":0"]).masks == [.slidingWindow(left: nil, right: 0, alignment: .topLeft)])
        #expect(try spec(["--block-sparse", "128"]).masks == [.blockSparse(blockSize: 128)])
        #expect(try spec(["--backward"]).includesBackward)
        guard case .plan(let inline) = try CommandLineParser.parse(["plan", "--head-dim=32"]),
              case .flags(let inlineFlags) = inline.source else { throw CLITestFailure("not a plan") }
        #expect(try inlineFlags.spec().headDim == 32)
        // A second --head-dim no longer wins silently.
        #expect(throws: CommandLineError.usage("--head-dim is given twice; it may be given once")) {
            try spec(["--head-dim=32"])
        }
        #expect(throws: CommandLineError.usage("--kv-heads needs --query-heads (or use --heads Q:KV)")) {
            try spec(["--kv-heads", "2"])
        }
    }

    @Test func planPrintsTheTilePlanAndTheIOReport() throws {
        let result = try AttngenTool.run(["plan", "--target", "sm90", "--head-dim", "128", "--dtype", "bf16",
                                          "--causal", "--seq", "4096"])
        #expect(result.status == 0, "\(result.standardError)")
        let spec = AttentionSpec(name: "attention", headDim: 128).storage(.bf16).masked(by: .causal)
        // sm90 plans the Hopper family: its kernel, then the mma.sync fallback for layouts TMA cannot address.
        let plan = try TilePlanner(target: .hopperSM90).plan(spec)
        let fallback = try TilePlanner(target: .cudaSM90).plan(spec)
        let estimate = try TrafficEstimate(spec: spec, plan: plan, queryLength: 4096, keyLength: 4096)
        let text = result.standardOutput
        #expect(text.contains("target   sm90 (hopper"))
        #expect(text.contains("Br = \(plan.blockRows) query rows, Bc = \(plan.blockColumns) key columns"))
        #expect(text.contains("warps    \(plan.warps) (\(plan.threadsPerBlock) threads: a producer warpgroup, 2 consumer "
                              + "warpgroups), \(plan.stages) K/V TMA stages, \(plan.queryBuffers) Q buffer"))
        #expect(text.contains("kernel   forward fallback (mma.sync"))
        #expect(text.contains("warps    \(fallback.warps) (\(fallback.threadsPerBlock) threads), \(fallback.stages) K/V pipeline"))
        for account in plan.accounts {
            #expect(text.contains(account.item) && text.contains(PlanReport.grouped(account.bytes)))
        }
        #expect(text.contains("total") && text.contains("\(PlanReport.grouped(plan.onChipBytes)) B of \(PlanReport.grouped(plan.budget)) B budget"))
        #expect(text.contains("standard attention") && text.contains(PlanReport.grouped(estimate.standardBytes)))
        #expect(text.contains("tiled kernel") && text.contains(PlanReport.grouped(estimate.tiledBytes)))
        #expect(text.contains("tiles visited       \(estimate.visitedTiles) of \(estimate.totalTiles)"))
        #expect(estimate.visitedTiles < estimate.totalTiles)
    }

    @Test func planWithoutLengthsHasNoIOReportAndHonoursTheBudget() throws {
        let result = try AttngenTool.run(["plan", "--head-dim", "64", "--budget", "65536"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("65,536 B budget"))
        #expect(!result.standardOutput.contains("IO estimate"))
        let plan = try TilePlanner(target: .c, budget: 65536).plan(AttentionSpec(name: "attention", headDim: 64))
        #expect(result.standardOutput.contains("Br = \(plan.blockRows) query rows, Bc = \(plan.blockColumns)"))
    }

    @Test func planCoversEveryVariantOfASpecFile() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("two.json")
        try Data(#"{"variants": [{"name": "first", "headDim": 64}, {"name": "second", "headDim": 128, "dtype": "bf16"}]}"#.utf8)
            .write(to: file)
        let result = try AttngenTool.run(["plan", "--target", "sm80", "--spec", file.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("variant first: headDim 64"))
        #expect(result.standardOutput.contains("variant second: headDim 128, valueHeadDim 128, bf16"))
    }

    // MARK: emit and atomic output

    @Test func emitWritesABuildableFolderWithProgress() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = folder.appendingPathComponent("pair.json")
        try Data(#"{"variants": [{"name": "alpha", "headDim": 64}, {"name": "beta", "headDim": 32, "masks": [{"causal": "top-left"}]}]}"#.utf8)
            .write(to: spec)
        let out = folder.appendingPathComponent("nested/out")
        let result = try AttngenTool.run(["emit", "c", "--spec", spec.path, "--out", out.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("[1/2] c alpha"))
        #expect(result.standardError.contains("[2/2] c beta"))
        let files = relativeFilePaths(under: out)
        for expected in ["Makefile", "attngen.h", "attngen_abi.h"] {
            #expect(files.contains(expected), "\(files)")
        }
        #expect(files.contains { $0.contains("alpha") } && files.contains { $0.contains("beta") })
        let umbrella = try String(contentsOf: out.appendingPathComponent("attngen.h"), encoding: .utf8)
        #expect(umbrella.contains("#include \"attngen_abi.h\""))
        for header in files where header.hasPrefix("alpha") || header.hasPrefix("beta") {
            // Public headers are in the umbrella; the variants' internal hooks headers are not.
            let isHooksHeader = header.hasSuffix("_variant.h")
            #expect(!header.hasSuffix(".h") || umbrella.contains("#include \"\(header)\"") != isHooksHeader,
                    "attngen.h and \(header)")
        }
        #expect(umbrella.contains("#include \"alpha.h\"") && umbrella.contains("#include \"beta.h\""))
        // Backend-internal headers (static helpers) stay out of the consumer's namespace.
        #expect(!umbrella.contains("runtime"))
        #expect(relativeFilePaths(under: folder).allSatisfy { $0 == "pair.json" || $0.hasPrefix("nested/out/") })

        let quiet = try AttngenTool.run(["emit", "c", "--spec", spec.path, "--out", out.path, "--quiet"])
        #expect(quiet.status == 0)
        #expect(quiet.standardError.isEmpty)
    }

    @Test func aFailingSpecLeavesNothingBehind() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = folder.appendingPathComponent("bad.json")
        // The first variant is fine; the second only fails in the planner (its block does not suit sm80 tiles).
        try Data(#"{"variants": [{"name": "fine", "headDim": 64}, {"name": "bad", "headDim": 64, "masks": [{"blockSparse": {"blockRows": 40, "blockColumns": 40}}]}]}"#.utf8)
            .write(to: spec)
        let result = try AttngenTool.run(["emit", "c", "--spec", spec.path, "--budget", "64", "--out", "out"], in: folder)
        #expect(result.status == 1)
        #expect(result.standardError.contains("invalid spec: "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["bad.json"])
    }

    @Test func emitRefusesAForeignFolderUnlessForced() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("my notes\n".utf8).write(to: out.appendingPathComponent("notes.txt"))
        let refused = try AttngenTool.run(["emit", "c", "--head-dim", "64", "--out", out.path])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("--force"))
        #expect(relativeFilePaths(under: out) == ["notes.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["mine"])

        let forced = try AttngenTool.run(["emit", "c", "--head-dim", "64", "--out", out.path, "--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(!relativeFilePaths(under: out).contains("notes.txt"))
        #expect(relativeFilePaths(under: out).contains("Makefile"))
    }

    @Test func emitReplacesItsOwnEarlierOutput() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let first = try AttngenTool.run(["emit", "c", "--name", "first_variant", "--head-dim", "64", "--out", out.path])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(relativeFilePaths(under: out).contains { $0.contains("first_variant") })
        let firstSource = try Data(contentsOf: out.appendingPathComponent("first_variant.c"))
        // Build products beside the sources do not make the folder foreign.
        try Data([0x7f]).write(to: out.appendingPathComponent("first_variant.o"))
        // The same variant, changed: the same request (same backend, budget and variant names) regenerates it.
        let second = try AttngenTool.run(["emit", "c", "--name", "first_variant", "--head-dim", "128", "--out", out.path])
        #expect(second.status == 0, "\(second.standardError)")
        let files = relativeFilePaths(under: out)
        #expect(!files.contains("first_variant.o"))
        #expect(try Data(contentsOf: out.appendingPathComponent("first_variant.c")) != firstSource)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out"])
        // Other variants are another request: only with --force.
        let third = try AttngenTool.run(["emit", "c", "--name", "second_variant", "--head-dim", "64", "--out", out.path])
        #expect(third.status == 1)
        #expect(relativeFilePaths(under: out) == files)
        let forced = try AttngenTool.run(["emit", "c", "--name", "second_variant", "--head-dim", "64", "--out", out.path, "--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(relativeFilePaths(under: out).contains("second_variant.c"))
        #expect(!relativeFilePaths(under: out).contains("first_variant.c"))
    }

    @Test func cudaBackendIsSelectedByArch() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for arch in ["sm80", "sm90"] {
            let out = folder.appendingPathComponent(arch)
            let result = try AttngenTool.run(["emit", "cuda", "--arch", arch, "--head-dim", "64", "--causal",
                                              "--out", out.path])
            #expect(result.status == 0, "\(result.standardError)")
            let makefile = try String(contentsOf: out.appendingPathComponent("Makefile"), encoding: .utf8)
            #expect(makefile.contains(arch == "sm80" ? "-arch=sm_80" : "-arch=sm_90a"))
            #expect(makefile.contains("libattngen_cuda.a"))
            #expect(relativeFilePaths(under: out).contains { $0.hasSuffix(".cu") })
        }
    }

    // MARK: the writer itself

    @Test func writerRefusesPathsOutsideTheFolderAndLeavesNothing() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        for path in ["../escape.h", "/abs.h", "a//b.h", "./x.h"] {
            #expect(throws: OutputError.self) {
                try AtomicOutputWriter(destination: out).write([GeneratedFile(path: "ok.h", contents: "x"),
                                                                GeneratedFile(path: path, contents: "y")])
            }
        }
        #expect(throws: OutputError.self) {
            try AtomicOutputWriter(destination: out).write([GeneratedFile(path: "same.h", contents: "x"),
                                                            GeneratedFile(path: "same.h", contents: "y")])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func writerFailingMidwayLeavesNoFolderAndNoStaging() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        // "a" is written as a file, so the folder "a/" for the second file cannot be created.
        #expect(throws: OutputError.self) {
            try AtomicOutputWriter(destination: out).write([GeneratedFile(path: "a", contents: "x"),
                                                            GeneratedFile(path: "a/b.h", contents: "y")])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)

        // The same failure while replacing earlier output leaves that output as it was.
        let banner = GeneratedBanner.cComment(["earlier"])
        try AtomicOutputWriter(destination: out).write([GeneratedFile(path: "keep.h", contents: banner)])
        #expect(throws: OutputError.self) {
            try AtomicOutputWriter(destination: out).write([GeneratedFile(path: "a", contents: "x"),
                                                            GeneratedFile(path: "a/b.h", contents: "y")])
        }
        #expect(relativeFilePaths(under: out) == ["keep.h"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out"])
    }

    @Test func writerReplacesAttngenOutputAndKeepsForeignFolders() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let banner = GeneratedBanner.cComment(["test"])
        try AtomicOutputWriter(destination: out).write([
            GeneratedFile(path: "a.h", contents: banner + "\nint a;\n"),
            GeneratedFile(path: "sub/b.c", contents: banner + "\nint b;\n"),
            GeneratedFile(path: "Makefile", contents: GeneratedBanner.hashComment(["m"]) + "\nall:\n"),
        ])
        #expect(relativeFilePaths(under: out) == ["Makefile", "a.h", "sub/b.c"])
        #expect(AttngenOutputFolder.isReplaceable(out))
        try AtomicOutputWriter(destination: out).write([GeneratedFile(path: "c.h", contents: banner + "\n")])
        #expect(relativeFilePaths(under: out) == ["c.h"])
        #expect(try String(contentsOf: out.appendingPathComponent("c.h"), encoding: .utf8) == banner + "\n")

        try Data("hand-written\n".utf8).write(to: out.appendingPathComponent("mine.c"))
        #expect(!AttngenOutputFolder.isReplaceable(out))
        #expect(throws: OutputError.self) {
            try AtomicOutputWriter(destination: out).write([GeneratedFile(path: "d.h", contents: banner)])
        }
        #expect(relativeFilePaths(under: out) == ["c.h", "mine.c"])
        try AtomicOutputWriter(destination: out, force: true).write([GeneratedFile(path: "d.h", contents: banner)])
        #expect(relativeFilePaths(under: out) == ["d.h"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out"])
    }

    @Test func writerRefusesAFileInPlaceOfTheFolder() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        try Data("x".utf8).write(to: out)
        #expect(throws: OutputError.self) {
            try AtomicOutputWriter(destination: out, force: true).write([GeneratedFile(path: "a.h", contents: "a")])
        }
        #expect(try String(contentsOf: out, encoding: .utf8) == "x")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out"])
    }
}
