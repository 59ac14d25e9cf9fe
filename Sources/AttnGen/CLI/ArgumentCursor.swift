/// Walks through command-line arguments: flags with a value (`--flag VALUE` or `--flag=VALUE`),
/// flags with an optional value from a fixed set, and positionals. It also remembers what each flag set, to
/// refuse a setting given twice (`once`).
struct ArgumentCursor {
    private var arguments: [String]
    private var index = 0
    private var settings = SettingsGiven()
    /// The value of the current `--flag=value` argument, if it had one.
    private var inlineValue: String?

    init(_ arguments: [String]) {
        self.arguments = arguments
    }

    var isAtEnd: Bool { index >= arguments.count }

    /// The next argument, split at `=` when it is a `--flag=value`. Returns the flag (or positional).
    mutating func next() -> String? {
        guard index < arguments.count else { return nil }
        let argument = arguments[index]
        index += 1
        inlineValue = nil
        if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
            inlineValue = String(argument[argument.index(after: equals)...])
            return String(argument[..<equals])
        }
        return argument
    }

    /// Refuses `flag` when it, or another flag, already set what it sets (`SettingsGiven`).
    mutating func once(_ flag: String, sets settings: [String]? = nil) throws(CommandLineError) {
        try self.settings.record(flag, sets: settings)
    }

    /// The value a flag requires.
    mutating func value(for flag: String) throws(CommandLineError) -> String {
        if let inlineValue {
            self.inlineValue = nil
            return inlineValue
        }
        guard index < arguments.count else {
            throw .usage("\(flag) needs a value")
        }
        let value = arguments[index]
        // A value may start with '-' (a negative number), but not with '--' (the next flag).
        guard !value.hasPrefix("--") else {
            throw .usage("\(flag) needs a value, got the flag \(value.count <= 40 ? value : value.prefix(37) + "...")"
                         + (flag == "--predicate" || flag == "--score-mod"
                            ? " (write \(flag)='...' for a value that starts with --)" : ""))
        }
        index += 1
        return value
    }

    /// An optional value, taken only when it is one of `choices`.
    mutating func optionalValue(for flag: String, choices: [String]) throws(CommandLineError) -> String? {
        if let inlineValue {
            self.inlineValue = nil
            guard choices.contains(inlineValue) else {
                throw .usage("\(flag) takes \(choices.joined(separator: " or ")), got \"\(inlineValue)\"")
            }
            return inlineValue
        }
        if index < arguments.count, choices.contains(arguments[index]) {
            index += 1
            return arguments[index - 1]
        }
        return nil
    }

    /// Refuses `--flag=value` on a flag that takes no value.
    mutating func noValue(for flag: String) throws(CommandLineError) {
        if let inlineValue {
            self.inlineValue = nil
            throw .usage("\(flag) takes no value, got \"\(inlineValue)\"")
        }
    }
}

/// Number parsing with usage errors that name the flag.
enum ArgumentValue {
    static func integer(_ text: String, flag: String) throws(CommandLineError) -> Int {
        guard let value = Int(text) else {
            throw .usage("\(flag) needs an integer, got \"\(text)\"")
        }
        return value
    }

    static func number(_ text: String, flag: String) throws(CommandLineError) -> Double {
        guard let value = Double(text), value.isFinite else {
            throw .usage("\(flag) needs a finite number, got \"\(text)\"")
        }
        return value
    }
}
