/// `attngen_abi.py`: the C ABI as ctypes structures and IntEnums, rendered from `ABIDefinition` into every output
/// folder, so that Python callers (the benchmarks, a future PyTorch binding) need no hand-written mirror.
public enum PythonABIRendering {
    public static let fileName = "attngen_abi.py"

    public static func file() -> GeneratedFile {
        var lines = [GeneratedBanner.hashComment([
            "The C ABI of attngen_abi.h (ABI version \(ABIDefinition.version)) as ctypes structures, rendered from the same",
            "values (Sources/AttnGen/Model/ABI/ABIDefinition.swift). Import it next to the generated kernels.",
        ]), "", "import ctypes", "import enum", "", "ABI_VERSION = \(ABIDefinition.version)"]
        for constant in ABIDefinition.limits {
            lines.append("\(constant.name.replacingOccurrences(of: "ATTNGEN_", with: "")) = \(constant.pythonValue)")
        }
        for enumeration in [ABIDefinition.status, ABIDefinition.dqMode, ABIDefinition.quantizeOperand] {
            lines += ["", "", "class \(enumeration.pythonName)(enum.IntEnum):"]
            let prefix = ["attngen_status": "ATTNGEN_", "attngen_dq_mode": "ATTNGEN_DQ_"][enumeration.name] ?? "ATTNGEN_QUANTIZE_"
            for item in enumeration.cases {
                lines.append("    \(item.name.replacingOccurrences(of: prefix, with: "")) = \(item.value)")
            }
        }
        for structure in [ABIDefinition.layout, ABIDefinition.forwardParams, ABIDefinition.backwardParams,
                          ABIDefinition.combineParams, ABIDefinition.quantizeParams] {
            lines += ["", "", "class \(structure.pythonName)(ctypes.Structure):", "    _fields_ = ["]
            lines += structure.fields.map { "        (\"\($0.name)\", \($0.type.ctypes))," }
            lines.append("    ]")
        }
        return GeneratedFile(path: fileName, contents: lines.joined(separator: "\n") + "\n")
    }
}
