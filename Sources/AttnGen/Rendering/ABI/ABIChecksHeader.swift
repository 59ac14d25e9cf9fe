/// `attngen_checks.h`: the ABI's argument checks, written once (Templates/common/attngen_checks.h) and included by
/// the runtime header of every backend.
public enum ABIChecksHeader {
    public static let fileName = "attngen_checks.h"

    public static func file(templates: TemplateLibrary) throws(SpecError) -> GeneratedFile {
        let banner = GeneratedBanner.cComment([
            "The argument checks of the C ABI, shared by every backend. Static inline only, no state.",
            "Template: Templates/common/attngen_checks.h",
        ])
        return GeneratedFile(path: fileName,
                             contents: try templates.template("common/attngen_checks.h").render(["banner": banner]))
    }
}
