/// The Python side of `attngen emit torch`: a package `PACKAGE/` (its functions, variant table, run-time module,
/// ctypes ABI and `python -m` entry point), `pyproject.toml` and a README, from `Templates/torch/` and the variants.
/// The kernels the package builds on first use are not rendered here: the packaging stage (`TorchPackage`) puts
/// each backend's output under `PACKAGE/kernels/` and tells this renderer which files belong to which variant.
public struct TorchPackageRendering: Sendable {
    public var package: String
    public var templates: TemplateLibrary

    public init(package: String, templates: TemplateLibrary) {
        self.package = package
        self.templates = templates
    }

    /// The files, paths relative to the output folder. `sources[variantName]` lists the variant's source files per
    /// kernel folder ("c", "cuda/sm80", "cuda/sm90"), in that order; `unavailable[variantName]` the folders without
    /// its kernels and why (fp8 inputs on sm80).
    public func files(variants: [VariantModel], sources: [String: [(folder: String, files: [String])]],
                      unavailable: [String: [(folder: String, reason: String)]] = [:]) throws(SpecError) -> [GeneratedFile] {
        let functions = variants.map {
            TorchFunctionRendering(variant: $0, sources: sources[$0.name] ?? [], unavailable: unavailable[$0.name] ?? [])
        }
        let banner = GeneratedBanner.hashComment([
            "Part of the PyTorch package \(package) (attngen emit torch); template Templates/torch/.",
        ])
        let example = functions.first.map {
            ["from \(package) import \($0.name)" + ($0.variant.inputStorage == nil ? "" : ", quantize_e4m3")] + $0.example
        } ?? []
        var files: [GeneratedFile] = []
        func add(_ path: String, template: String, _ values: [String: String]) throws(SpecError) {
            files.append(GeneratedFile(path: path, contents: try templates.template("torch/\(template)").render(values)))
        }
        try add("\(package)/__init__.py", template: "__init__.py", [
            "banner": banner,
            "package": package,
            "example": example.joined(separator: "\n"),
            "variant_list": functions.map(\.name).joined(separator: ", "),
            "exports": functions.map { "\(PythonLiterals.string($0.name))," }.joined(separator: "\n"),
            "functions": functions.map(\.function).joined(separator: "\n\n\n"),
            "function_table": functions.map { "\(PythonLiterals.string($0.name)): \($0.name)," }.joined(separator: "\n"),
        ])
        try add("\(package)/__main__.py", template: "__main__.py", ["banner": banner, "package": package])
        try add("\(package)/_runtime.py", template: "runtime.py", ["banner": banner, "package": package])
        try add("\(package)/context_parallel.py", template: "context_parallel.py", ["banner": banner, "package": package])
        try add("\(package)/_variants.py", template: "variants.py", [
            "banner": banner, "package": package,
            "entries": functions.map(\.tableEntry).joined(separator: "\n"),
        ])
        files.append(GeneratedFile(path: "\(package)/_abi.py", contents: PythonABIRendering.file().contents))
        try add("pyproject.toml", template: "pyproject.toml", [
            "banner": banner, "package": package,
            "distribution": package.replacingOccurrences(of: "_", with: "-"),
            "version": GeneratedBanner.toolVersion,
        ])
        try add("README.md", template: "README.md", [
            "version": GeneratedBanner.toolVersion,
            "package": package,
            "variant_count": functions.count == 1 ? "one variant" : "\(functions.count) variants",
            "example": example.joined(separator: "\n"),
            "variant_table": functions.map(\.readmeRow).joined(separator: "\n"),
        ])
        return files
    }
}
