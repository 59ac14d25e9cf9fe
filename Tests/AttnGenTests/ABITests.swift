import Foundation
import Testing
@testable import AttnGen

/// The ABI is rendered from one set of Swift values into attngen_abi.h and attngen_abi.py: the C compiler and
/// Python's ctypes must agree on every struct's size and every field's offset, and on every constant.
@Suite struct ABITests {
    /// benchmarks/cpu/ab_driver.c (the A/B timing of benchmarks/cpu/ab.sh) fills both params structs by field name:
    /// it must compile, warning-free, against the header as it is now.
    @Test func cpuBenchmarkDriverCompilesAgainstTheABI() throws {
        let folder = try HarnessFixtures.temporaryFolder("cpu-ab-driver")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HarnessFixtures.writeABIHeader(to: folder)
        let driver = CheckSpecFiles.packageRoot.appendingPathComponent("benchmarks/cpu/ab_driver.c")
        try FileManager.default.copyItem(at: driver, to: folder.appendingPathComponent("ab_driver.c"))
        let outcome = try ChildProcess.run([HarnessFixtures.compiler] + HarnessFixtures.strictFlags
                                           + ["-I.", "-c", "ab_driver.c", "-o", "ab_driver.o"], in: folder, timeoutSeconds: 300)
        #expect(outcome.status == 0, "\(outcome.output)")
    }

    @Test func cHeaderAndPythonMirrorAgreeFieldByField() throws {
        let folder = try HarnessFixtures.temporaryFolder("abi")
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try CEmitter().sharedFiles() {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        let structures = [ABIDefinition.layout, ABIDefinition.forwardParams, ABIDefinition.backwardParams,
                          ABIDefinition.combineParams]
        var c = "#include <stddef.h>\n#include <stdio.h>\n#include \"attngen_abi.h\"\nint main(void) {\n"
        var python = "import ctypes\nimport attngen_abi as abi\n"
        for structure in structures {
            c += "    printf(\"\(structure.name) %zu\\n\", sizeof(\(structure.name)));\n"
            python += "print('\(structure.name)', ctypes.sizeof(abi.\(structure.pythonName)))\n"
            for field in structure.fields {
                c += "    printf(\"\(structure.name).\(field.name) %zu\\n\", offsetof(\(structure.name), \(field.name)));\n"
                python += "print('\(structure.name).\(field.name)', abi.\(structure.pythonName).\(field.name).offset)\n"
            }
        }
        for enumeration in [ABIDefinition.status, ABIDefinition.dqMode] {
            let prefix = enumeration.name == "attngen_status" ? "ATTNGEN_" : "ATTNGEN_DQ_"
            for item in enumeration.cases {
                c += "    printf(\"\(item.name) %d\\n\", (int)\(item.name));\n"
                let member = item.name.replacingOccurrences(of: prefix, with: "")
                python += "print('\(item.name)', int(abi.\(enumeration.pythonName).\(member)))\n"
            }
        }
        for constant in ABIDefinition.limits {
            c += "    printf(\"\(constant.name) %lld\\n\", (long long)(\(constant.name)));\n"
            python += "print('\(constant.name)', abi.\(constant.name.replacingOccurrences(of: "ATTNGEN_", with: "")))\n"
        }
        c += "    printf(\"ATTNGEN_ABI_VERSION %d\\n\", ATTNGEN_ABI_VERSION);\n    return 0;\n}\n"
        python += "print('ATTNGEN_ABI_VERSION', abi.ABI_VERSION)\n"
        try c.write(to: folder.appendingPathComponent("abi.c"), atomically: true, encoding: .utf8)
        try python.write(to: folder.appendingPathComponent("abi_check.py"), atomically: true, encoding: .utf8)
        try HarnessFixtures.compile(["abi.c"], output: "abi", in: folder)
        let fromC = try ChildProcess.run(["./abi"], in: folder)
        let fromPython = try ChildProcess.run(["python3", "abi_check.py"], in: folder)
        #expect(fromC.status == 0 && fromPython.status == 0, "\(fromC.output)\n\(fromPython.output)")
        #expect(fromC.output == fromPython.output)
        #expect(fromC.output.split(separator: "\n").count > 70, "every struct, field, enum case and constant")
    }
}
