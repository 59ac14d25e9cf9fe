/// A failure of the command-line tool, with the exit status it maps to.
public struct CommandLineError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The command line itself is wrong (unknown flag, missing value, bad number): exit 64 (EX_USAGE).
        case usage
        /// The request is well-formed but failed (invalid spec, planner refusal, IO error): exit 1.
        case failure
    }

    public var kind: Kind
    public var message: String

    public static func usage(_ message: String) -> CommandLineError {
        CommandLineError(kind: .usage, message: message)
    }

    public static func failure(_ message: String) -> CommandLineError {
        CommandLineError(kind: .failure, message: message)
    }

    /// The process exit status.
    public var exitCode: Int32 { kind == .usage ? ExitCode.usage : ExitCode.failure }

    public var description: String { message }
}

/// The exit statuses of `attngen`.
public enum ExitCode {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 64
}
