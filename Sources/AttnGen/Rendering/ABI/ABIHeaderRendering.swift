/// `attngen_abi.h` from `ABIDefinition`: the prose is the template's (Templates/common/attngen_abi.h), the
/// limits, enums, structs and the check order are rendered from the Swift values.
enum ABIHeaderRendering {
    static func values() -> [String: String] {
        [
            "version": "\(ABIDefinition.version)",
            "limits": ABIDefinition.limits.map(constant).joined(separator: "\n"),
            "status": enumeration(ABIDefinition.status),
            "dq_mode": enumeration(ABIDefinition.dqMode),
            "layout": structure(ABIDefinition.layout),
            "forward_params": structure(ABIDefinition.forwardParams),
            "backward_params": structure(ABIDefinition.backwardParams),
            "combine_params": structure(ABIDefinition.combineParams),
            "quantize_operand": enumeration(ABIDefinition.quantizeOperand),
            "quantize_params": structure(ABIDefinition.quantizeParams),
            "check_order": ABIDefinition.checkOrder.enumerated()
                .map { " *   \($0.offset + 1). \($0.element.check): \($0.element.status)" }.joined(separator: "\n"),
        ]
    }

    static func comment(_ lines: [String], indent: String = "") -> [String] {
        guard !lines.isEmpty else { return [] }
        if lines.count == 1 { return ["\(indent)/* \(lines[0]) */"] }
        return ["\(indent)/* \(lines[0])"] + lines.dropFirst().dropLast().map { "\(indent)   \($0)" }
            + ["\(indent)   \(lines.last!) */"]
    }

    static func constant(_ constant: ABIDefinition.Constant) -> String {
        (comment(constant.comment) + ["#define \(constant.name) \(constant.cValue)"]).joined(separator: "\n")
    }

    static func enumeration(_ enumeration: ABIDefinition.Enumeration) -> String {
        var lines = comment(enumeration.comment) + ["typedef enum \(enumeration.name) {"]
        for (index, item) in enumeration.cases.enumerated() {
            lines += comment(item.comment, indent: "    ")
            lines.append("    \(item.name) = \(item.value)" + (index + 1 < enumeration.cases.count ? "," : ""))
        }
        lines.append("} \(enumeration.name);")
        return lines.joined(separator: "\n")
    }

    static func structure(_ structure: ABIDefinition.Structure) -> String {
        var lines = comment(structure.comment) + ["typedef struct \(structure.name) {"]
        for (index, field) in structure.fields.enumerated() {
            if !field.group.isEmpty {
                if index > 0 { lines.append("") }
                let text = field.group.filter { !$0.isEmpty }
                lines += comment(text, indent: "    ")
            }
            let type = field.type.rawValue
            let declaration = "    " + (type.hasSuffix("*") ? "\(type)\(field.name);" : "\(type) \(field.name);")
            if let note = field.note {
                lines.append(declaration.padding(toLength: max(declaration.count + 1, 32), withPad: " ", startingAt: 0)
                             + "/* \(note) */")
            } else {
                lines.append(declaration)
            }
        }
        lines.append("} \(structure.name);")
        return lines.joined(separator: "\n")
    }
}
