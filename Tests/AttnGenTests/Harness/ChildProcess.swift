import Foundation

/// Runs a child process to completion, reading its combined stdout and stderr before waiting for it.
struct ChildProcess {
    struct Outcome {
        var status: Int32
        var output: String
        /// Whether the process ended by a signal (a crash) rather than by exiting.
        var crashed: Bool
        /// Whether `timeout` stopped it.
        var timedOut: Bool { status == 124 || status == 137 }
    }

    /// Runs `arguments[0]` with the rest as its arguments (looked up on PATH through /usr/bin/env),
    /// killed after `timeoutSeconds` by coreutils' `timeout`.
    static func run(_ arguments: [String], in directory: URL, timeoutSeconds: Int = 600) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--kill-after=10", "\(timeoutSeconds)"] + arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus,
                       output: String(decoding: data, as: UTF8.self),
                       crashed: process.terminationReason == .uncaughtSignal
                           || (process.terminationStatus > 128 && process.terminationStatus < 160))
    }
}
