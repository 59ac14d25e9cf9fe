import Foundation
import Testing
@testable import AttnGen

extension CLITests {
    // `--predicate=TEXT`, since a separate value may not start with "--" (the unary minus kind does).
    // One argv string holds at most 128 KiB on Linux: the 50,000-deep texts of the last two kinds do not fit
    // there, so they go through spec files only.
    static let deepPredicateFlags: [(DeepPredicate, Int)] =
        [DeepPredicate.parentheses, .negations, .unaryMinus, .sumChain].flatMap { kind in [1_000, 10_000, 50_000].map { (kind, $0) } }
        + [DeepPredicate.functionCalls, .conjunctionChain].flatMap { kind in [1_000, 10_000].map { (kind, $0) } }

    @Test(arguments: deepPredicateFlags)
    func deepPredicateFlagsAreUsageErrors(kind: DeepPredicate, depth: Int) throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try AttngenTool.run(["emit", "c", "--head-dim", "64", "--predicate=" + kind.text(depth), "--out", "out"],
                                         in: folder)
        #expect(result.status == 64, "\(kind) \(depth): \(result.status) \(result.standardError.prefix(300))")
        #expect(result.standardError.hasPrefix("attngen: error: --predicate: "))
        #expect(result.standardError.contains("the limit is"))
        #expect(result.standardError.count < 500)
        #expect(relativeFilePaths(under: folder).isEmpty)
    }

    @Test(arguments: DeepPredicate.allCases, [1_000, 10_000, 50_000])
    func deepPredicatesInSpecFilesAreRefused(kind: DeepPredicate, depth: Int) throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The texts hold no character JSON would escape.
        let json = #"{"variants": [{"name": "deep", "headDim": 64, "masks": [{"predicate": ""# + kind.text(depth) + #""}]}]}"#
        try Data(json.utf8).write(to: folder.appendingPathComponent("deep.json"))
        let result = try AttngenTool.run(["emit", "c", "--spec", "deep.json", "--out", "out"], in: folder)
        #expect(result.status == 1, "\(kind) \(depth): \(result.status) \(result.standardError.prefix(300))")
        #expect(result.standardError.contains("variants[0] \"deep\", field masks[0].predicate: "))
        #expect(result.standardError.contains("the limit is"))
        #expect(relativeFilePaths(under: folder) == ["deep.json"])
    }
}
