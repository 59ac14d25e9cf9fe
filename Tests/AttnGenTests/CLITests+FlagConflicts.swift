import Foundation
import Testing
@testable import AttnGen

extension CLITests {
    /// A flag given twice, as `emit c` or `plan` arguments (with what the flag needs to be accepted once).
    static let singleUseFlags: [(command: [String], flag: [String])] = [
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--name", "a"]),
        (["emit", "c", "--out", "x"], ["--head-dim", "64"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--value-head-dim", "32"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--heads", "8:2"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--query-heads", "8"]),
        (["emit", "c", "--head-dim", "64", "--query-heads", "8", "--out", "x"], ["--kv-heads", "2"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--dtype", "bf16"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--scale", "0.5"]),
        (["emit", "c", "--head-dim", "64", "--window", "8:0", "--out", "x"], ["--window-align", "bottom-right"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--dropout", "0.1"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--lse"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--backward"]),
        (["emit", "c", "--out", "x"], ["--spec", "dense.json"]),
        (["emit", "c", "--out", "x"], ["--catalogue"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--budget", "65536"]),
        (["emit", "c", "--head-dim", "64"], ["--out", "x"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--force"]),
        (["emit", "c", "--head-dim", "64", "--out", "x"], ["--quiet"]),
        (["emit", "cuda", "--head-dim", "64", "--out", "x"], ["--arch", "sm90"]),
        (["plan", "--head-dim", "64"], ["--target", "sm80"]),
        (["plan", "--head-dim", "64"], ["--seq", "128"]),
        (["plan", "--head-dim", "64", "--seq-k", "128"], ["--seq-q", "64"]),
        (["plan", "--head-dim", "64", "--seq-q", "128"], ["--seq-k", "64"]),
        (["plan", "--head-dim", "64", "--block-sparse", "64", "--seq", "128"], ["--block-density", "0.5"]),
    ]

    @Test(arguments: singleUseFlags)
    func aFlagGivenTwiceIsRefused(command: [String], flag: [String]) throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.denseSpec.utf8).write(to: folder.appendingPathComponent("dense.json"))
        let once = try AttngenTool.run(command + flag + ["--quiet"].filter { _ in command[0] == "emit" && flag[0] != "--quiet" },
                                       in: folder)
        #expect(once.status == 0, "\(command + flag): \(once.standardError)")
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("x"))
        let twice = try AttngenTool.run(command + flag + flag, in: folder)
        #expect(twice.status == 64)
        #expect(twice.standardError == "attngen: error: \(flag[0]) is given twice; it may be given once\n")
        #expect(relativeFilePaths(under: folder) == ["dense.json"])
    }

    static let denseSpec = #"{"variants": [{"name": "dense", "headDim": 64}]}"#

    @Test(arguments: [
        (["emit", "c", "--head-dim", "64", "--window-align", "bottom-right", "--out", "x"],
         "--window-align sets the alignment of --window masks, and no --window is given"),
        (["plan", "--head-dim", "64", "--causal", "--window-align", "top-left"],
         "--window-align sets the alignment of --window masks, and no --window is given"),
        (["plan", "--head-dim", "64", "--seq", "128", "--block-density", "0.5"],
         "--block-density applies to block-sparse variants, and no --block-sparse mask is given"),
        (["plan", "--head-dim", "64", "--block-sparse", "64", "--block-density", "0.5"],
         "--block-density only changes the IO estimate: give --seq N (or --seq-q N --seq-k N) too"),
        (["plan", "--spec", "dense.json", "--seq", "128", "--block-density", "0.5"],
         "--block-density applies to block-sparse variants, and none of the variants is block-sparse"),
        (["plan", "--head-dim", "64", "--seq", "128", "--seq-q", "64"], "--seq-q and --seq both set the query length; give one of them"),
        (["plan", "--head-dim", "64", "--seq-k", "64", "--seq", "128"], "--seq and --seq-k both set the key length; give one of them"),
        (["plan", "--head-dim", "64", "--target", "sm80", "--arch", "sm90"], "--arch and --target both set --target; give one of them"),
        (["emit", "c", "--head-dim", "64", "--out", "x", "-o", "y"], "-o and --out both set --out; give one of them"),
        (["emit", "c", "--head-dim", "64", "--out", "x", "-q", "--quiet"], "--quiet and -q both set --quiet; give one of them"),
        (["emit", "c", "--catalogue", "--catalog", "--out", "x"], "--catalog and --catalogue both set --catalogue; give one of them"),
        (["emit", "c", "--head-dim", "64", "--heads", "8", "--query-heads", "4", "--out", "x"],
         "--query-heads and --heads both set the query head count; give one of them"),
        (["emit", "c", "--head-dim", "64", "--kv-heads", "2", "--heads", "8:2", "--out", "x"],
         "--heads and --kv-heads both set the key/value head count; give one of them"),
    ])
    func conflictingOrIneffectiveFlagsAreUsageErrors(arguments: [String], message: String) throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.denseSpec.utf8).write(to: folder.appendingPathComponent("dense.json"))
        let result = try AttngenTool.run(arguments, in: folder)
        #expect(result.status == 64)
        #expect(result.standardError == "attngen: error: \(message)\n")
        #expect(result.standardOutput.isEmpty)
        #expect(relativeFilePaths(under: folder) == ["dense.json"])
    }

    @Test func masksRepeatAndTheAlignmentAppliesToEveryWindow() throws {
        let request = try CommandLineParser.parse(["plan", "--head-dim", "64", "--window", "8:0", "--causal",
                                                   "--window-align", "bottom-right", "--window", ":4", "--causal",
                                                   "--predicate", "q >= 0", "--predicate", "k >= 0"])
        guard case .plan(let plan) = request, case .flags(let flags) = plan.source else {
            Issue.record("expected plan with flags, got \(request)")
            return
        }
        #expect(try flags.spec().masks == [
            .slidingWindow(left: 8, right: 0, alignment: .bottomRight), .causal(.topLeft),
            .slidingWindow(left: nil, right: 4, alignment: .bottomRight), .causal(.topLeft),
            .predicate(.comparison(.greaterOrEqual, .q, 0)), .predicate(.comparison(.greaterOrEqual, .k, 0)),
        ])
    }

    @Test func blockDensityAppliesToTheBlockSparseVariantsOfASpecFile() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = #"{"variants": [{"name": "dense", "headDim": 64}, {"name": "sparse", "headDim": 64, "masks": [{"blockSparse": {"blockRows": 64, "blockColumns": 64}}]}]}"#
        try Data(json.utf8).write(to: folder.appendingPathComponent("mixed.json"))
        let result = try AttngenTool.run(["plan", "--spec", "mixed.json", "--seq", "1024", "--block-density", "0.25"], in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        let reports = result.standardOutput.components(separatedBy: "variant sparse")
        #expect(reports.count == 2)
        #expect(reports[0].contains("IO estimate of the forward pass for Nq = 1024, Nk = 1024 (one batch·head):"))
        #expect(reports[1].contains("IO estimate of the forward pass for Nq = 1024, Nk = 1024 (one batch·head, block density 0.25):"))
    }
}
