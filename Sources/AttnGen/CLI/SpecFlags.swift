/// The DSL as command-line flags: one variant, built flag by flag. Masks keep the order they were given in, and so
/// do score modifiers.
struct SpecFlags: Sendable, Hashable {
    enum PendingMask: Sendable, Hashable {
        case mask(Mask)
        /// A window whose alignment comes from `--window-align` (which may follow it).
        case window(left: Int?, right: Int?)
    }

    enum PendingModifier: Sendable, Hashable {
        case modifier(ScoreModifier)
        /// ALiBi whose alignment comes from `--alibi-align` (which may follow it).
        case alibi(ScoreModifier.AlibiSlopes)
    }

    var name = "attention"
    var headDim: Int?
    var valueHeadDim: Int?
    var queryHeads: Int?
    var keyValueHeads: Int?
    var storage: StorageType?
    var inputStorage: InputStorage?
    var scale: Double?
    var masks: [PendingMask] = []
    var windowAlignment: DiagonalAlignment = .topLeft
    var scoreModifiers: [PendingModifier] = []
    var alibiAlignment: DiagonalAlignment = .topLeft
    var dropout: Double?
    var savesLogSumExp = false
    var sinks = false
    var includesBackward = false
    var pageSize: Int?
    /// Flags seen, to refuse mixing them with `--spec` or `--catalogue`.
    var given: [String] = []

    static let alignments = DiagonalAlignment.allCases.map(\.rawValue)

    /// Consumes `flag` if it is a spec flag; returns false when it is not one.
    mutating func consume(_ flag: String, from cursor: inout ArgumentCursor) throws(CommandLineError) -> Bool {
        switch flag {
        case "--causal", "--window", "--block-sparse", "--predicate", "--alibi", "--alibi-runtime", "--softcap",
             "--score-mod":
            break // masks and score modifiers repeat
        case "--heads":
            try cursor.once(flag, sets: ["the query head count", "the key/value head count"])
        case "--query-heads":
            try cursor.once(flag, sets: ["the query head count"])
        case "--kv-heads":
            try cursor.once(flag, sets: ["the key/value head count"])
        case "--name", "--head-dim", "--value-head-dim", "--dtype", "--input-dtype", "--scale", "--window-align", "--alibi-align", "--dropout",
             "--lse", "--sinks",
             "--backward", "--paged":
            try cursor.once(flag)
        default:
            return false
        }
        switch flag {
        case "--name":
            name = try cursor.value(for: flag)
        case "--head-dim":
            headDim = try ArgumentValue.integer(try cursor.value(for: flag), flag: flag)
        case "--value-head-dim":
            valueHeadDim = try ArgumentValue.integer(try cursor.value(for: flag), flag: flag)
        case "--heads":
            let text = try cursor.value(for: flag)
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count) else {
                throw .usage("--heads takes Q:KV (e.g. 32:8) or N, got \"\(text)\"")
            }
            queryHeads = try ArgumentValue.integer(parts[0], flag: flag)
            keyValueHeads = try ArgumentValue.integer(parts.count == 2 ? parts[1] : parts[0], flag: flag)
        case "--query-heads":
            queryHeads = try ArgumentValue.integer(try cursor.value(for: flag), flag: flag)
        case "--kv-heads":
            keyValueHeads = try ArgumentValue.integer(try cursor.value(for: flag), flag: flag)
        case "--dtype":
            let text = try cursor.value(for: flag)
            guard let type = StorageType(rawValue: text) else {
                throw .usage("--dtype takes \(StorageType.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
            }
            storage = type
        case "--input-dtype":
            let text = try cursor.value(for: flag)
            guard let type = InputStorage(rawValue: text) else {
                throw .usage("--input-dtype takes \(InputStorage.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
            }
            inputStorage = type
        case "--scale":
            scale = try ArgumentValue.number(try cursor.value(for: flag), flag: flag)
        case "--causal":
            let alignment = try cursor.optionalValue(for: flag, choices: Self.alignments)
            masks.append(.mask(.causal(alignment.flatMap(DiagonalAlignment.init(rawValue:)) ?? .topLeft)))
        case "--window":
            let text = try cursor.value(for: flag)
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                throw .usage("--window takes LEFT:RIGHT (an empty side is unbounded, e.g. 256:0 or 128:), got \"\(text)\"")
            }
            let left = parts[0].isEmpty ? nil : try ArgumentValue.integer(parts[0], flag: flag)
            let right = parts[1].isEmpty ? nil : try ArgumentValue.integer(parts[1], flag: flag)
            masks.append(.window(left: left, right: right))
        case "--window-align":
            let text = try cursor.value(for: flag)
            guard let alignment = DiagonalAlignment(rawValue: text) else {
                throw .usage("--window-align takes \(Self.alignments.joined(separator: " or ")), got \"\(text)\"")
            }
            windowAlignment = alignment
        case "--block-sparse":
            let text = try cursor.value(for: flag)
            let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count) else {
                throw .usage("--block-sparse takes ROWSxCOLS (e.g. 64x64) or N, got \"\(text)\"")
            }
            let rows = try ArgumentValue.integer(parts[0], flag: flag)
            let columns = try ArgumentValue.integer(parts.count == 2 ? parts[1] : parts[0], flag: flag)
            masks.append(.mask(.blockSparse(blockRows: rows, blockColumns: columns)))
        case "--predicate":
            let text = try cursor.value(for: flag)
            do {
                masks.append(.mask(.predicate(try MaskExpressionParser.parse(text))))
            } catch {
                // A predicate that does not parse is a bad value, like a bad number.
                throw .usage("--predicate: \(error.message)")
            }
        case "--alibi", "--alibi-runtime":
            try cursor.noValue(for: flag)
            scoreModifiers.append(.alibi(flag == "--alibi" ? .standard : .runtime))
        case "--alibi-align":
            let text = try cursor.value(for: flag)
            guard let alignment = DiagonalAlignment(rawValue: text) else {
                throw .usage("--alibi-align takes \(Self.alignments.joined(separator: " or ")), got \"\(text)\"")
            }
            alibiAlignment = alignment
        case "--softcap":
            scoreModifiers.append(.modifier(.softcap(try ArgumentValue.number(try cursor.value(for: flag), flag: flag))))
        case "--score-mod":
            let text = try cursor.value(for: flag)
            do {
                scoreModifiers.append(.modifier(.expression(try ScoreExpressionParser.parse(text))))
            } catch {
                // An expression that does not parse is a bad value, like a bad number.
                throw .usage("--score-mod: \(error.message)")
            }
        case "--dropout":
            dropout = try ArgumentValue.number(try cursor.value(for: flag), flag: flag)
        case "--paged":
            pageSize = try ArgumentValue.integer(try cursor.value(for: flag), flag: flag)
        case "--lse":
            try cursor.noValue(for: flag)
            savesLogSumExp = true
        case "--sinks":
            try cursor.noValue(for: flag)
            sinks = true
        case "--backward":
            try cursor.noValue(for: flag)
            includesBackward = true
        default:
            return false
        }
        given.append(flag)
        return true
    }

    /// Refuses flags that would have no effect: `--window-align` without a `--window`, `--alibi-align` without an
    /// `--alibi` or `--alibi-runtime`.
    func checkEveryFlagApplies() throws(CommandLineError) {
        let hasWindow = masks.contains { if case .window = $0 { true } else { false } }
        if given.contains("--window-align") && !hasWindow {
            throw .usage("--window-align sets the alignment of --window masks, and no --window is given")
        }
        let hasAlibi = scoreModifiers.contains { if case .alibi = $0 { true } else { false } }
        if given.contains("--alibi-align") && !hasAlibi {
            throw .usage("--alibi-align sets the alignment of --alibi and --alibi-runtime, and neither is given")
        }
    }

    /// Whether the flags give a block-sparse mask.
    var hasBlockSparseMask: Bool {
        masks.contains { if case .mask(.blockSparse) = $0 { true } else { false } }
    }

    /// The spec the flags describe (validated later, by the planner).
    func spec() throws(CommandLineError) -> AttentionSpec {
        guard let headDim else {
            throw .usage("--head-dim is required (or give --spec FILE.json or --catalogue)")
        }
        var spec = AttentionSpec(name: name, headDim: headDim)
        if let valueHeadDim { spec = spec.valueHeadDim(valueHeadDim) }
        switch (queryHeads, keyValueHeads) {
        case (nil, nil): break
        case (let query?, nil): spec = spec.heads(query)
        case (nil, _): throw .usage("--kv-heads needs --query-heads (or use --heads Q:KV)")
        case (let query?, let keyValue?): spec = spec.heads(query: query, keyValue: keyValue)
        }
        if let storage { spec = spec.storage(storage) }
        if let inputStorage { spec = spec.inputs(inputStorage) }
        if let scale { spec = spec.scale(scale) }
        for pending in masks {
            switch pending {
            case .mask(let mask): spec = spec.masked(by: mask)
            case .window(let left, let right):
                spec = spec.masked(by: .slidingWindow(left: left, right: right, alignment: windowAlignment))
            }
        }
        for pending in scoreModifiers {
            switch pending {
            case .modifier(let modifier): spec = spec.modified(by: modifier)
            case .alibi(let slopes): spec = spec.modified(by: .alibi(slopes: slopes, alignment: alibiAlignment))
            }
        }
        if sinks { spec = spec.withSinks() }
        if let dropout { spec = spec.dropout(dropout) }
        if savesLogSumExp { spec = spec.savingLogSumExp() }
        if includesBackward { spec = spec.withBackward() }
        if let pageSize { spec = spec.pagedKV(pageSize: pageSize) }
        return spec
    }
}
