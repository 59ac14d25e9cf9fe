import Foundation

/// Finds and reads the templates under `Templates/`.
///
/// They ship with the library as a resource. `ATTNGEN_TEMPLATES` (a folder) overrides that location,
/// for an installed `attngen` that was copied away from its resource bundle.
public struct TemplateLibrary: Sendable {
    public var root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The templates shipped with the library (or those `ATTNGEN_TEMPLATES` points to).
    public static func bundled() throws(SpecError) -> TemplateLibrary {
        if let override = ProcessInfo.processInfo.environment["ATTNGEN_TEMPLATES"], !override.isEmpty {
            return TemplateLibrary(root: URL(fileURLWithPath: override, isDirectory: true))
        }
        guard let url = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw SpecError(field: "templates", message: "the Templates resource is missing; set ATTNGEN_TEMPLATES to the Templates folder")
        }
        return TemplateLibrary(root: url)
    }

    /// The template at `path` relative to the root, e.g. `c/forward.c`.
    public func template(_ path: String) throws(SpecError) -> Template {
        let url = root.appendingPathComponent(path)
        do {
            return Template(name: path, text: try String(contentsOf: url, encoding: .utf8))
        } catch {
            throw SpecError(field: "templates", message: "cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}
