// The spellings of score modifiers in spec files, one object per modifier with exactly one key:
//   {"alibi": {"slopes": "standard", "alignment": "top-left"}}   {"softcap": 30}
//   {"expression": "s - 0.5 * abs(q - k)"}
// Both keys of "alibi" are optional (standard slopes, top-left); an expression is read by ScoreExpressionParser
// and written in its canonical text.

extension ScoreModifier: Codable {
    /// The key of each kind of modifier, in the order messages list them.
    static let specFileKeys = ["alibi", "softcap", "expression"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecFileKey.self)
        try c.rejectUnknownKeys(Self.specFileKeys)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: c.codingPath,
                debugDescription: "a score modifier is an object with exactly one key of "
                    + "\(Self.specFileKeys.joined(separator: ", ")), got \(c.allKeys.count)"))
        }
        switch key.stringValue {
        case "alibi":
            let alibi = try c.nestedContainer(keyedBy: SpecFileKey.self, forKey: key)
            try alibi.rejectUnknownKeys(["slopes", "alignment"])
            self = .alibi(slopes: try alibi.decodeIfPresent(AlibiSlopes.self, forKey: SpecFileKey("slopes")) ?? .standard,
                          alignment: try alibi.decodeIfPresent(DiagonalAlignment.self, forKey: SpecFileKey("alignment"))
                              ?? .topLeft)
        case "softcap":
            self = .softcap(try c.decode(Double.self, forKey: key))
        default:
            let text = try c.decode(String.self, forKey: key)
            do {
                self = .expression(try ScoreExpressionParser.parse(text))
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [key], debugDescription: error.message))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecFileKey.self)
        switch self {
        case .alibi(let slopes, let alignment):
            var alibi = c.nestedContainer(keyedBy: SpecFileKey.self, forKey: SpecFileKey("alibi"))
            try alibi.encode(slopes, forKey: SpecFileKey("slopes"))
            try alibi.encode(alignment, forKey: SpecFileKey("alignment"))
        case .softcap(let cap):
            try c.encode(cap, forKey: SpecFileKey("softcap"))
        case .expression(let expression):
            try c.encode(expression.description, forKey: SpecFileKey("expression"))
        }
    }
}

extension ScoreModifier.AlibiSlopes: Codable {}
