/// The shared C ABI header `attngen_abi.h`, identical for every variant and both backends: the template's prose with
/// the limits, enums, structs and check order of `ABIDefinition`.
public enum ABIHeader {
    public static let fileName = "attngen_abi.h"

    public static func file(templates: TemplateLibrary) throws(SpecError) -> GeneratedFile {
        let banner = GeneratedBanner.cComment([
            "The C ABI shared by every attngen kernel (ABI version \(ABIDefinition.version)).",
            "Template: Templates/common/attngen_abi.h; values: Sources/AttnGen/Model/ABI/ABIDefinition.swift",
        ])
        var values = ABIHeaderRendering.values()
        values["banner"] = banner
        let text = try templates.template("common/attngen_abi.h").render(values)
        return GeneratedFile(path: fileName, contents: text)
    }
}
