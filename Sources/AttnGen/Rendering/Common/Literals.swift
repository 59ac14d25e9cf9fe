/// Number literals as C and CUDA source.
enum Literals {
    /// A C `float` literal that reads back as exactly `value`.
    static func float(_ value: Float) -> String {
        var text = "\(value)"
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        return text + "f"
    }

    /// A C `float` literal holding `value` rounded once to fp32.
    static func float(_ value: Double) -> String { float(Float(value)) }
}
