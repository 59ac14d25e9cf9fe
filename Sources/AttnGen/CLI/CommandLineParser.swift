/// Parses `attngen`'s arguments (without the program name) into a `CommandRequest`.
///
/// ```
/// attngen emit c    [variant flags | --spec FILE.json | --catalogue] --out DIR [--force] [--quiet] [--budget BYTES]
/// attngen emit cuda [--arch sm80|sm90] ...the same...
/// attngen emit all  [--spec FILE.json | --catalogue | variant flags] --out DIR [--torch [--package NAME]] ...
/// attngen emit torch [--package NAME] ...the same...
/// attngen plan      [--target c|sm80|sm90] [variant flags | --spec FILE.json | --catalogue] [--budget BYTES]
///                   [--seq N | --seq-q N --seq-k N] [--block-density D]
/// attngen --help | <command> --help | --version
/// ```
public enum CommandLineParser {
    public static func parse(_ arguments: [String]) throws(CommandLineError) -> CommandRequest {
        guard let first = arguments.first else {
            throw .usage("no command given; try 'attngen --help'")
        }
        let wantsHelp = arguments.contains("--help") || arguments.contains("-h")
        switch first {
        case "--help", "-h", "help":
            return .help(.general)
        case "--version", "version":
            return .version
        case "emit":
            let backend = arguments.dropFirst().first
            if wantsHelp {
                switch backend {
                case "c": return .help(.emitC)
                case "cuda": return .help(.emitCUDA)
                case "all": return .help(.emitAll)
                case "torch": return .help(.emitTorch)
                default: return .help(.emit)
                }
            }
            return .emit(try parseEmit(Array(arguments.dropFirst())))
        case "plan":
            if wantsHelp { return .help(.plan) }
            return .plan(try parsePlan(Array(arguments.dropFirst())))
        default:
            if first.hasPrefix("-") {
                throw .usage("unknown option \(first); try 'attngen --help'")
            }
            throw .usage("unknown command \"\(first)\" (commands: emit, plan); try 'attngen --help'")
        }
    }

    private static func parseEmit(_ arguments: [String]) throws(CommandLineError) -> EmitRequest {
        guard let backendName = arguments.first, !backendName.hasPrefix("-") else {
            throw .usage("emit needs a backend: attngen emit c|cuda|all|torch ...; try 'attngen emit --help'")
        }
        var device: Device?
        switch backendName {
        case "c": device = .cpu
        case "cuda": device = .sm80
        case "all", "torch": device = nil
        default: throw .usage("unknown backend \"\(backendName)\" (backends: c, cuda, all, torch)")
        }
        var withTorch = backendName == "torch"
        var package: String?
        var family: FamilyFlag?
        var cursor = ArgumentCursor(Array(arguments.dropFirst()))
        var common = SourceFlags()
        var output: String?
        var force = false
        var quiet = false
        while let flag = cursor.next() {
            if try common.consume(flag, from: &cursor) { continue }
            switch flag {
            case "--out", "-o":
                try cursor.once(flag, sets: ["--out"])
                output = try cursor.value(for: flag)
            case "--force":
                try cursor.once(flag)
                try cursor.noValue(for: flag)
                force = true
            case "--quiet", "-q":
                try cursor.once(flag, sets: ["--quiet"])
                try cursor.noValue(for: flag)
                quiet = true
            case "--arch":
                guard device?.isCUDA == true else {
                    throw .usage("--arch applies to 'attngen emit cuda' only")
                }
                try cursor.once(flag)
                let text = try cursor.value(for: flag)
                guard let arch = Device(rawValue: text), arch.isCUDA else {
                    throw .usage("--arch takes sm80 or sm90, got \"\(text)\"")
                }
                device = arch
            case "--family":
                guard device?.isCUDA == true else {
                    throw .usage("--family applies to 'attngen emit cuda' and 'attngen plan' only")
                }
                try cursor.once(flag)
                family = try FamilyFlag.parse(try cursor.value(for: flag), flag: flag)
            case "--torch":
                guard backendName == "all" else {
                    throw .usage("--torch applies to 'attngen emit all' only (use 'attngen emit torch' for the package alone)")
                }
                try cursor.once(flag)
                try cursor.noValue(for: flag)
                withTorch = true
            case "--package":
                guard backendName == "all" || backendName == "torch" else {
                    throw .usage("--package applies to 'attngen emit torch' and 'attngen emit all --torch' only")
                }
                try cursor.once(flag)
                let name = try cursor.value(for: flag)
                if let problem = TorchPackage.problem(with: name) {
                    throw .usage("--package \"\(name)\" \(problem)")
                }
                package = name
            default:
                throw unknown(flag, command: "emit \(backendName)")
            }
        }
        guard let output, !output.isEmpty else {
            throw .usage("emit needs --out DIR")
        }
        if package != nil && !withTorch {
            throw .usage("--package names the PyTorch package: give --torch too")
        }
        let backend: EmitBackend
        if let device {
            backend = .single(try FamilyFlag.choice(device: device, family: family))
        } else {
            backend = backendName == "torch" ? .torch : .all
        }
        return EmitRequest(backend: backend, source: try common.source(), output: output, force: force,
                           quiet: quiet, budget: common.budget,
                           torchPackage: withTorch ? (package ?? TorchPackage.defaultName) : nil)
    }

    private static func parsePlan(_ arguments: [String]) throws(CommandLineError) -> PlanRequest {
        var cursor = ArgumentCursor(arguments)
        var common = SourceFlags()
        var device = Device.cpu
        var family: FamilyFlag?
        var sequence: Int?
        var queryLength: Int?
        var keyLength: Int?
        var blockDensity: Double?
        while let flag = cursor.next() {
            if try common.consume(flag, from: &cursor) { continue }
            switch flag {
            case "--target", "--arch":
                try cursor.once(flag, sets: ["--target"])
                let text = try cursor.value(for: flag)
                guard let value = Device.allCases.first(where: { Target(device: $0, family: $0.defaultFamily).rawValue == text })
                else {
                    throw .usage("\(flag) takes c, sm80, sm90, got \"\(text)\"")
                }
                device = value
            case "--family":
                try cursor.once(flag)
                family = try FamilyFlag.parse(try cursor.value(for: flag), flag: flag)
            case "--seq":
                try cursor.once(flag, sets: ["the query length", "the key length"])
                sequence = try nonNegative(try cursor.value(for: flag), flag: flag)
            case "--seq-q":
                try cursor.once(flag, sets: ["the query length"])
                queryLength = try nonNegative(try cursor.value(for: flag), flag: flag)
            case "--seq-k":
                try cursor.once(flag, sets: ["the key length"])
                keyLength = try nonNegative(try cursor.value(for: flag), flag: flag)
            case "--block-density":
                try cursor.once(flag)
                let density = try ArgumentValue.number(try cursor.value(for: flag), flag: flag)
                guard (0...1).contains(density) else {
                    throw .usage("--block-density takes a fraction in [0, 1], got \(density)")
                }
                blockDensity = density
            default:
                throw unknown(flag, command: "plan")
            }
        }
        let nq = queryLength ?? sequence
        let nk = keyLength ?? sequence
        if (nq == nil) != (nk == nil) {
            throw .usage("the IO report needs both lengths: --seq N, or --seq-q N with --seq-k N")
        }
        let source = try common.source()
        if blockDensity != nil {
            guard nq != nil else {
                throw .usage("--block-density only changes the IO estimate: give --seq N (or --seq-q N --seq-k N) too")
            }
            if case .flags(let flags) = source, !flags.hasBlockSparseMask {
                throw .usage("--block-density applies to block-sparse variants, and no --block-sparse mask is given")
            }
        }
        return PlanRequest(target: try FamilyFlag.choice(device: device, family: family), source: source, budget: common.budget,
                           queryLength: nq, keyLength: nk, blockDensity: blockDensity)
    }

    private static func nonNegative(_ text: String, flag: String) throws(CommandLineError) -> Int {
        let value = try ArgumentValue.integer(text, flag: flag)
        guard value >= 0 else { throw .usage("\(flag) must be at least 0, got \(value)") }
        return value
    }

    private static func unknown(_ flag: String, command: String) -> CommandLineError {
        flag.hasPrefix("-")
            ? .usage("unknown option \(flag) for '\(command)'; try 'attngen \(command) --help'")
            : .usage("unexpected argument \"\(flag)\" for '\(command)'; try 'attngen \(command) --help'")
    }
}

/// The flags `emit` and `plan` share: where the variants come from, and the budget.
struct SourceFlags {
    var spec = SpecFlags()
    var specFile: String?
    var catalogue = false
    var budget: Int?

    mutating func consume(_ flag: String, from cursor: inout ArgumentCursor) throws(CommandLineError) -> Bool {
        switch flag {
        case "--spec":
            try cursor.once(flag)
            specFile = try cursor.value(for: flag)
        case "--catalogue", "--catalog":
            try cursor.once(flag, sets: ["--catalogue"])
            try cursor.noValue(for: flag)
            catalogue = true
        case "--budget":
            try cursor.once(flag)
            let value = try ArgumentValue.integer(try cursor.value(for: flag), flag: flag)
            budget = value
        default:
            return try spec.consume(flag, from: &cursor)
        }
        return true
    }

    func source() throws(CommandLineError) -> VariantSource {
        let chosen = [specFile != nil, catalogue, !spec.given.isEmpty].filter { $0 }.count
        guard chosen <= 1 else {
            throw .usage("give the variants one way only: variant flags, --spec FILE.json or --catalogue")
        }
        if let specFile { return .specFile(specFile) }
        if catalogue { return .catalogue }
        try spec.checkEveryFlagApplies()
        return .flags(spec)
    }
}
