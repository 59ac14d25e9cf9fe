// Turns Foundation's DecodingError into a SpecFileError whose field is a readable path.

extension SpecFileError {
    init(decoding error: DecodingError, variantIndex: Int?, variantName: String?) {
        let path: [any CodingKey]
        let message: String
        switch error {
        case .typeMismatch(let type, let context):
            path = context.codingPath
            message = "expected \(Self.describe(type))"
        case .valueNotFound(let type, let context):
            path = context.codingPath
            message = "expected \(Self.describe(type)), got null"
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
            message = "is required"
        case .dataCorrupted(let context):
            path = context.codingPath
            message = Self.plain(context.debugDescription)
        @unknown default:
            path = []
            message = "\(error)"
        }
        var keys = path.map { key -> String in
            if let index = key.intValue { return "[\(index)]" }
            return key.stringValue
        }
        // Paths inside a variant start after "variants", [i]; the variant is named separately.
        if variantIndex != nil {
            if keys.first == "variants" { keys.removeFirst() }
            if let first = keys.first, first.hasPrefix("[") || first.hasPrefix("Index ") { keys.removeFirst() }
        }
        var field = ""
        for key in keys {
            if key.hasPrefix("Index "), let number = Int(key.dropFirst(6)) {
                field += "[\(number)]"
            } else if key.hasPrefix("[") {
                field += key
            } else {
                field += field.isEmpty ? key : ".\(key)"
            }
        }
        self.init(variantIndex: variantIndex, variantName: variantName, field: field, message: message)
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is StorageType.Type: "one of \(StorageType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
        case is DiagonalAlignment.Type:
            "one of \(DiagonalAlignment.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
        case is ScoreModifier.AlibiSlopes.Type:
            "one of \(ScoreModifier.AlibiSlopes.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
        default: "a value of type \(type)"
        }
    }

    /// Foundation's wording for a bad enum value is long; keep the useful part.
    private static func plain(_ description: String) -> String {
        if description.hasPrefix("Cannot initialize StorageType from invalid String value") {
            return "expected one of \(StorageType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
        }
        if description.hasPrefix("Cannot initialize DiagonalAlignment from invalid String value") {
            return "expected one of \(DiagonalAlignment.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
        }
        if description.hasPrefix("Cannot initialize AlibiSlopes from invalid String value") {
            return "expected one of \(ScoreModifier.AlibiSlopes.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
        }
        return description
    }
}
