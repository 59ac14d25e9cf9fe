/// A kernel source template from `Templates/`, filled by an emitter.
///
/// Placeholders are written `{{name}}`. A placeholder alone on its line takes a fragment of any number
/// of lines, each indented like the placeholder (so emitted code nests as if written by hand); a
/// placeholder inside a line takes a one-line value. Filling fails on a placeholder with no value and on
/// a value that no placeholder uses, so a template and its emitter cannot drift apart silently.
public struct Template: Sendable {
    public var name: String
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    public func render(_ values: [String: String]) throws(SpecError) -> String {
        var used = Set<String>()
        var output: [String] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        for line in lines {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.dropFirst(2).dropLast(2).allSatisfy(isNameCharacter) {
                let key = String(trimmed.dropFirst(2).dropLast(2))
                guard let value = values[key] else { throw missing(key) }
                used.insert(key)
                let indent = String(line.prefix(line.count - trimmed.count))
                var fragment = value.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if fragment.last == "" { fragment.removeLast() }
                for fragmentLine in fragment {
                    output.append(fragmentLine.isEmpty ? "" : indent + fragmentLine)
                }
                continue
            }
            output.append(try substituteInline(line, values: values, used: &used))
        }
        let unused = Set(values.keys).subtracting(used)
        if let first = unused.sorted().first {
            throw SpecError(field: "template \(name)", message: "no placeholder {{\(first)}} for the value given")
        }
        return output.joined(separator: "\n") + "\n"
    }

    private func substituteInline(_ line: String, values: [String: String], used: inout Set<String>) throws(SpecError) -> String {
        var result = ""
        var rest = Substring(line)
        while let open = rest.range(of: "{{") {
            result += rest[rest.startIndex..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw SpecError(field: "template \(name)", message: "unclosed '{{' in line: \(line)")
            }
            let key = String(rest[open.upperBound..<close.lowerBound])
            guard let value = values[key] else { throw missing(key) }
            guard !value.contains("\n") else {
                throw SpecError(field: "template \(name)",
                                message: "{{\(key)}} takes several lines and must stand alone on its line")
            }
            used.insert(key)
            result += value
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    private func missing(_ key: String) -> SpecError {
        SpecError(field: "template \(name)", message: "no value for placeholder {{\(key)}}")
    }

    private func isNameCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_"
    }
}
