/// Values as Python source.
enum PythonLiterals {
    /// A double-quoted Python string literal holding `text` exactly.
    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    result += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Text safe inside a `"""` docstring: backslashes doubled, no closing quotes.
    static func docstring(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"\"\"", with: "\\\"\\\"\\\"")
    }

    static func bool(_ value: Bool) -> String { value ? "True" : "False" }

    static func optionalInt(_ value: Int?) -> String { value.map(String.init) ?? "None" }

    /// A float that reads back as `value` ("0.125", "0.0").
    static func float(_ value: Double) -> String {
        let text = "\(value)"
        return text.contains(".") || text.contains("e") || text.contains("inf") || text.contains("nan") ? text : text + ".0"
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
