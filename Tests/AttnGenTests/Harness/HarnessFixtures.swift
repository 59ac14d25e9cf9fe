import Foundation
@testable import AttnGen

/// The C sources under Tests/AttnGenTests/Fixtures and a temporary folder per test.
enum HarnessFixtures {
    /// The fixture sources every driver build needs.
    static let driverSources = ["driver.c", "driver.h", "reference.c", "reference.h", "argument_cases.h"]

    static func folder() throws -> URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw HarnessError("the Fixtures resource is missing from the test bundle")
        }
        return url
    }

    /// A fresh temporary folder, unique to the caller.
    static func temporaryFolder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("attngen-harness-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Copies fixture files into `folder`.
    static func copy(_ names: [String], to folder: URL) throws {
        let source = try self.folder()
        for name in names {
            let destination = folder.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: destination)
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: destination)
        }
    }

    /// Writes the generated ABI header (for builds that have no generated kernel).
    static func writeABIHeader(to folder: URL) throws {
        // The ABI header and the argument checks the runtime headers include.
        let templates = try TemplateLibrary.bundled()
        for file in [try ABIHeader.file(templates: templates), try ABIChecksHeader.file(templates: templates)] {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
    }

    /// The C compiler the harness uses (`cc` unless `ATTNGEN_TEST_CC` says otherwise).
    static var compiler: String {
        ProcessInfo.processInfo.environment["ATTNGEN_TEST_CC"] ?? "cc"
    }

    /// The flags every harness build uses: the project's warning policy.
    static let strictFlags = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"]

    /// Compiles `sources` (in `folder`) into `output`, throwing with the compiler's messages on failure.
    static func compile(_ sources: [String], output: String, in folder: URL, extraFlags: [String] = []) throws {
        let outcome = try ChildProcess.run([compiler] + strictFlags + extraFlags + ["-I."] + sources + ["-lm", "-o", output],
                                           in: folder, timeoutSeconds: 300)
        guard outcome.status == 0 else {
            throw HarnessError("compiling \(sources.joined(separator: " ")) failed (\(outcome.status)):\n\(outcome.output)")
        }
    }
}

/// A failure of the harness machinery itself (not of a checked value).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
