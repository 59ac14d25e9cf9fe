/// Why a spec file was refused: which variant (index and, when readable, name), which field, and why.
public struct SpecFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Position of the variant in `variants`, when the problem lies in one.
    public var variantIndex: Int?
    /// The variant's `name`, when it could be read.
    public var variantName: String?
    /// The field, as a path inside the variant (`masks[1].window.left`), or inside the file.
    public var field: String
    public var message: String

    public init(variantIndex: Int?, variantName: String?, field: String, message: String) {
        self.variantIndex = variantIndex
        self.variantName = variantName
        self.field = field
        self.message = message
    }

    public var description: String {
        var parts: [String] = []
        if let variantIndex {
            var variant = "variants[\(variantIndex)]"
            if let variantName { variant += " \"\(variantName)\"" }
            parts.append(variant)
        }
        if !field.isEmpty { parts.append("field \(field)") }
        return parts.isEmpty ? message : parts.joined(separator: ", ") + ": " + message
    }
}
