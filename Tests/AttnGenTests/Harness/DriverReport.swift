/// One line the driver prints: `KIND [CASE] key=value ...`.
struct DriverLine: CustomStringConvertible {
    var kind: String
    /// The case text (RESULT and DROPMASK lines), or "" for CHECK lines.
    var caseText: String
    var values: [String: String]
    var text: String

    func double(_ key: String) -> Double? { values[key].flatMap(Double.init) }
    func int(_ key: String) -> Int? { values[key].flatMap { Int($0) } }
    var description: String { text }

    /// The lines of `output` that start with `kind`.
    static func parse(_ output: String, kind: String) -> [DriverLine] {
        output.split(separator: "\n").compactMap { line -> DriverLine? in
            var tokens = line.split(separator: " ").map(String.init)
            guard tokens.first == kind else { return nil }
            tokens.removeFirst()
            var caseText = ""
            if kind != "CHECK", !tokens.isEmpty {
                caseText = tokens.removeFirst()
            }
            var values: [String: String] = [:]
            for token in tokens {
                guard let equals = token.firstIndex(of: "=") else { continue }
                values[String(token[..<equals])] = String(token[token.index(after: equals)...])
            }
            return DriverLine(kind: kind, caseText: caseText, values: values, text: String(line))
        }
    }
}
