/// The shared C ABI header `attngen_abi.h`, identical for every variant and both backends.
public enum ABIHeader {
    public static let fileName = "attngen_abi.h"

    public static func file(templates: TemplateLibrary) throws(SpecError) -> GeneratedFile {
        let banner = GeneratedBanner.cComment([
            "The C ABI shared by every attngen kernel (ABI version 1).",
            "Template: Templates/common/attngen_abi.h",
        ])
        let text = try templates.template("common/attngen_abi.h").render(["banner": banner])
        return GeneratedFile(path: fileName, contents: text)
    }
}
