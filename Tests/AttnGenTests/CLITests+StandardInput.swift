import Foundation
import Testing
@testable import AttnGen

extension CLITests {
    static let twoVariants = #"{"variants": [{"name": "first", "headDim": 64}, {"name": "second", "headDim": 128, "dtype": "bf16"}]}"#

    @Test(arguments: ["-", "/dev/stdin"])
    func planReadsTheSpecFromStandardInput(path: String) throws {
        let result = try AttngenTool.run(["plan", "--spec", path], standardInput: Data(Self.twoVariants.utf8))
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("variant first: headDim 64"))
        #expect(result.standardOutput.contains("variant second: headDim 128, valueHeadDim 128, bf16"))
    }

    @Test func emitReadsTheSpecFromStandardInput() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try AttngenTool.run(["emit", "c", "--spec", "-", "--out", "out", "--quiet"], in: folder,
                                         standardInput: Data(Self.twoVariants.utf8))
        #expect(result.status == 0, "\(result.standardError)")
        let files = relativeFilePaths(under: folder.appendingPathComponent("out"))
        #expect(files.contains("first.c") && files.contains("second.c"), "\(files)")
    }

    /// More than a pipe holds at once (64 KiB on Linux), so the reader must loop until the end of the file.
    @Test func aLongSpecIsReadToTheEndFromAPipe() throws {
        let json = Self.twoVariants.dropLast(2) + String(repeating: " ", count: 1 << 20) + "]}"
        let result = try AttngenTool.run(["plan", "--spec", "/dev/stdin"], standardInput: Data(json.utf8))
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("variant second"))
    }

    @Test(arguments: [
        (["plan", "--spec", "-"], "{\"variants\": [\n  {\"name\": \"v\", \"headDim\": 64,}]}",
         "attngen: error: standard input: variants[0]: expected a key (a string in double quotes) but found '}' (line 2, column 31)\n"),
        (["plan", "--spec", "-"], "", "attngen: error: standard input: expected a value but found end of file (line 1, column 1)\n"),
        (["plan", "--spec", "/dev/stdin"], String(repeating: "[", count: 100_000),
         "attngen: error: /dev/stdin: field \(String(repeating: "[0]", count: 64)): objects and arrays nest deeper than 64 levels (the limit is 64) (line 1, column 65)\n"),
    ])
    func badSpecsOnStandardInputAreNamedAsSuch(arguments: [String], input: String, message: String) throws {
        let result = try AttngenTool.run(arguments, standardInput: Data(input.utf8))
        #expect(result.status == 1)
        #expect(result.standardError == message)
    }

    @Test func specFilesThatAreNotFilesAreRefused() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // /dev/zero never ends: reading stops at the size limit.
        let endless = try AttngenTool.run(["emit", "c", "--spec", "/dev/zero", "--out", "out"], in: folder)
        #expect(endless.status == 1)
        #expect(endless.standardError == "attngen: error: /dev/zero: holds more than 16 MiB, more than a spec file may\n")
        let directory = try AttngenTool.run(["emit", "c", "--spec", folder.path, "--out", "out"], in: folder)
        #expect(directory.status == 1)
        #expect(directory.standardError == "attngen: error: \(folder.path): is a folder, not a spec file\n")
        #expect(relativeFilePaths(under: folder).isEmpty)
    }
}
