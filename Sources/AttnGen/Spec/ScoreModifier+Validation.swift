// Validation of score modifiers: what each modifier's values must be for the kernels' fp32 arithmetic, and the
// parameter arrays a spec may ask for. `AttentionSpec.validate()` calls these with the field `scoreModifiers[i]`.

extension ScoreModifier {
    /// The most distinct run-time parameter arrays a spec's modifiers may read (ALiBi's run-time slopes count as
    /// the array `alibi_slopes`).
    public static let maximumParameterArrays = 8
    /// The longest name of a parameter array, in characters.
    public static let maximumParameterNameLength = 64

    /// The distinct parameter arrays the modifier reads, in the order of their first appearance in its canonical
    /// text; `alibi_slopes` for ALiBi with run-time slopes.
    public var parameters: [String] {
        switch self {
        case .alibi(.runtime, _): return [Self.alibiParameter]
        case .alibi(.standard, _), .softcap: return []
        case .expression(let expression):
            guard expression.sizeProblem() == nil else { return [] }
            var names: [String] = []
            expression.forEachNode { node in
                if case .expression(.parameter(let name)) = node, !names.contains(name) { names.append(name) }
                return true
            }
            return names
        }
    }

    /// Checks the modifier's own values; `field` names it in errors (`scoreModifiers[2]`).
    func validate(field: String) throws(SpecError) {
        switch self {
        case .alibi:
            break
        case .softcap(let cap):
            // The kernels compute cap · tanh(s / cap) in fp32: cap must be a normal fp32 number there.
            guard cap.isFinite, cap > 0, Float(cap).isNormal else {
                throw SpecError(field: "\(field).softcap", message: "the cap must be a finite number above 0 whose fp32 "
                                    + "value is normal (about 1.2e-38 ... 3.4e38), got \(cap)")
            }
        case .expression(let expression):
            // First, because every other check (and every later stage) recurses over the tree.
            if let problem = expression.sizeProblem() {
                throw SpecError(field: "\(field).expression", message: problem)
            }
            var problem: String?
            expression.forEachNode { node in
                guard case .expression(let expression) = node else { return true }
                switch expression {
                case .constant(let value) where !(value.isFinite && Float(value).isFinite):
                    problem = "the constant \(value) is not finite in fp32 (the limit is about ±3.4e38)"
                case .binary(.divide, _, let divisor) where divisor.isZero:
                    problem = "divides by the constant 0"
                case .parameter(let name):
                    problem = Self.parameterNameProblem(name)
                default:
                    break
                }
                return problem == nil
            }
            if let problem {
                throw SpecError(field: "\(field).expression", message: "\(problem), in \(Self.shortened(expression))")
            }
        }
    }

    /// Why `name` cannot name a parameter array, or nil when it can.
    static func parameterNameProblem(_ name: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        let isLetter: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "_" }
        let isDigit: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }
        guard let first = scalars.first, isLetter(first), scalars.allSatisfy({ isLetter($0) || isDigit($0) }),
              scalars.count <= maximumParameterNameLength else {
            let shown = name.prefix(maximumParameterNameLength + 1).count > maximumParameterNameLength
                ? name.prefix(maximumParameterNameLength) + "..." : name
            return "a parameter array is named by a C identifier of 1...\(maximumParameterNameLength) characters "
                + "([A-Za-z_][A-Za-z0-9_]*), got \"\(shown)\""
        }
        if ScoreExpressionParser.reservedNames.contains(name) {
            return "'\(name)' is reserved and cannot name a parameter array"
        }
        return nil
    }

    /// The canonical text of `expression`, shortened for a message.
    static func shortened(_ expression: ScoreExpression) -> String {
        let text = expression.description
        return text.count <= 80 ? "'\(text)'" : "'\(text.prefix(77))...'"
    }
}

extension AttentionSpec {
    /// Checks every score modifier, the number of parameter arrays, and that their composition stays within
    /// `ScoreModifierModel`'s limits.
    func validateScoreModifiers() throws(SpecError) {
        var parameters: [String] = []
        for (index, modifier) in scoreModifiers.enumerated() {
            let field = "scoreModifiers[\(index)]"
            try modifier.validate(field: field)
            for name in modifier.parameters where !parameters.contains(name) {
                parameters.append(name)
                guard parameters.count <= ScoreModifier.maximumParameterArrays else {
                    throw SpecError(field: field, message: "the score modifiers read more than "
                                        + "\(ScoreModifier.maximumParameterArrays) parameter arrays "
                                        + "(\(parameters.joined(separator: ", ")); the limit is "
                                        + "\(ScoreModifier.maximumParameterArrays))")
                }
            }
        }
        if !scoreModifiers.isEmpty {
            _ = try ScoreModifierModel(lowering: scoreModifiers)
        }
    }
}
