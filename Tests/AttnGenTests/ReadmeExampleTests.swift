import Foundation
import Testing
@testable import AttnGen

/// The three examples of README.md's "Quick start", run as written: the shell block of each (with `swift run attngen`
/// running the built tool, `nvcc` the test nvcc and `pip` a fresh virtual environment that sees CPU PyTorch), then
/// the program. The CUDA program is compiled and linked but not run (no GPU here). Also: the catalogue table of
/// README.md names exactly the variants of `DefaultCatalogue`, and says how many there are.
@Suite struct ReadmeExampleTests {
    static func readme() throws -> String {
        try String(contentsOf: attngenPackageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// The fenced code blocks between the heading `heading` and the next heading, as (language, text).
    static func blocks(under heading: String) throws -> [(language: String, text: String)] {
        let text = try readme()
        guard let start = text.range(of: "\n\(heading)\n") else { throw CLITestFailure("README.md has no \(heading)") }
        var blocks: [(String, String)] = []
        var language: String?
        var lines: [Substring] = []
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if language == nil && line.hasPrefix("#") { break }  // the next heading
            if line.hasPrefix("```") {
                if let open = language {
                    blocks.append((open, lines.joined(separator: "\n") + "\n"))
                    language = nil
                } else {
                    language = String(line.dropFirst(3))
                    lines = []
                }
            } else if language != nil {
                lines.append(line)
            }
        }
        return blocks
    }

    /// Runs a README shell block with bash -e in `folder`: `swift run attngen` is the built attngen, `nvcc` the
    /// test's nvcc, `pip` the given virtual environment's (without dependencies: torch is there already).
    static func runShell(_ script: String, in folder: URL, venv: URL? = nil, extraEnvironment: [String] = []) throws
        -> ChildProcess.Outcome {
        var prelude = "set -e\n"
        prelude += "swift() { [ \"$1 $2\" = \"run attngen\" ] || exit 90; shift 2; \"\(try AttngenTool.executable().path)\" \"$@\"; }\n"
        prelude += "nvcc() { \"$ATTNGEN_TEST_NVCC\" \"$@\"; }\n"
        if let venv {
            prelude += "pip() { \"\(venv.path)/bin/pip\" \"$@\" --quiet --no-deps --disable-pip-version-check; }\n"
        }
        let path = folder.appendingPathComponent("readme-block.sh")
        try (prelude + script).write(to: path, atomically: true, encoding: .utf8)
        return try ChildProcess.run(["env"] + extraEnvironment + ["bash", path.path], in: folder, timeoutSeconds: 900)
    }

    @Test func cExampleRunsAsWritten() throws {
        let blocks = try Self.blocks(under: "### C, on any CPU")
        try #require(blocks.map(\.language) == ["sh", "c"], "\(blocks.map(\.language))")
        let folder = try HarnessFixtures.temporaryFolder("readme-c")
        defer { try? FileManager.default.removeItem(at: folder) }
        try blocks[1].text.write(to: folder.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let outcome = try Self.runShell(blocks[0].text, in: folder)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains("status 0, max error of row 123"), "\(outcome.output)")
    }

    @Test func cudaExampleCompilesAndLinksAsWritten() throws {
        let blocks = try Self.blocks(under: "### CUDA, on an H100 or H200")
        try #require(blocks.map(\.language) == ["sh", "cpp"], "\(blocks.map(\.language))")
        let folder = try HarnessFixtures.temporaryFolder("readme-cuda")
        defer { try? FileManager.default.removeItem(at: folder) }
        try blocks[1].text.write(to: folder.appendingPathComponent("main.cu"), atomically: true, encoding: .utf8)
        // Everything but running the program (no GPU here).
        var script = blocks[0].text.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(script.hasSuffix(" && ./main_cuda"), "the CUDA example should end by running ./main_cuda")
        script = String(script.dropLast(" && ./main_cuda".count)) + "\n"
        let nvcc = try ConsumerBuildTests.nvcc()
        let libraries = CUDACompileTests.pipRuntimeLibraries(nvcc: nvcc).map { ["LIBRARY_PATH=\($0)"] } ?? []
        let outcome = try Self.runShell(script, in: folder,
                                        extraEnvironment: ["ATTNGEN_TEST_NVCC=\(nvcc)", "NVCC=\(nvcc)"] + libraries)
        #expect(outcome.status == 0, "\(outcome.output.suffix(4000))")
        #expect(FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("main_cuda").path))
        #expect(!outcome.output.contains("warning:"), "\(outcome.output.suffix(4000))")
    }

    @Test(.timeLimit(.minutes(15))) func pytorchExampleRunsAsWritten() throws {
        let blocks = try Self.blocks(under: "### PyTorch, on CPU or GPU, with autograd and torch.compile")
        try #require(blocks.map(\.language) == ["sh", "python"], "\(blocks.map(\.language))")
        let folder = try HarnessFixtures.temporaryFolder("readme-torch")
        defer { try? FileManager.default.removeItem(at: folder) }
        let venv = try TorchPackageTests.makeTorchVirtualEnvironment(in: folder)
        let install = try Self.runShell(blocks[0].text, in: folder, venv: venv)
        try #require(install.status == 0, "\(install.output)")
        try blocks[1].text.write(to: folder.appendingPathComponent("example.py"), atomically: true, encoding: .utf8)
        // Run from a folder without out/, so that the installed package is the one imported.
        let run = folder.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let outcome = try ChildProcess.run(["env", "ATTNGEN_TORCH_CACHE=\(folder.appendingPathComponent("cache").path)",
                                            "\(venv.path)/bin/python", "../example.py"], in: run, timeoutSeconds: 800)
        #expect(outcome.status == 0, "\(outcome.output.suffix(4000))")
        #expect(outcome.output.contains("torch.Size([2, 512, 8, 64]) torch.Size([2, 512, 8, 64])"), "\(outcome.output)")
    }

    /// `mha_d64_{fp16,bf16}[_causal]` -> the four names it stands for.
    static func expand(_ pattern: String) -> [String] {
        if let open = pattern.firstIndex(of: "{"), let close = pattern[open...].firstIndex(of: "}") {
            let head = pattern[..<open], tail = pattern[pattern.index(after: close)...]
            return pattern[pattern.index(after: open)..<close].split(separator: ",")
                .flatMap { expand(String(head) + $0 + tail) }
        }
        if let open = pattern.firstIndex(of: "["), let close = pattern[open...].firstIndex(of: "]") {
            let head = pattern[..<open], tail = pattern[pattern.index(after: close)...]
            return expand(String(head + tail)) + expand(String(head) + pattern[pattern.index(after: open)..<close] + tail)
        }
        return [pattern]
    }

    @Test func catalogueTableNamesEveryVariantOnce() throws {
        let text = try Self.readme()
        guard let start = text.range(of: "## Catalogue\n"), let end = text.range(of: "`attngen plan --catalogue", range: start.upperBound..<text.endIndex)
        else { throw CLITestFailure("README.md has no Catalogue table") }
        let section = text[start.upperBound..<end.lowerBound]
        var named: [String] = []
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let firstCell = line.split(separator: "|")[0]
            named += firstCell.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.flatMap { Self.expand(String($0.element)) }
        }
        let catalogue = DefaultCatalogue.variants.map(\.name)
        #expect(named.sorted() == catalogue.sorted(), "README table: \(Set(named).symmetricDifference(catalogue).sorted())")
        #expect(section.contains("lists \(catalogue.count) variants"), "README says another count than \(catalogue.count)")
    }
}
