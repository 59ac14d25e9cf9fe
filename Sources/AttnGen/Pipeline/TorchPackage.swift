/// The packaging stage of `attngen emit torch`: the output of every backend (`TargetChoice.all`: C, CUDA sm80,
/// CUDA sm90) placed under `PACKAGE/kernels/<folder>/` (the folders of `CatalogueLayout`), and the Python package
/// rendered by `TorchPackageRendering` with each variant's source files per folder. A variant a device's families
/// cannot read (fp8 inputs on sm80) has no folder there, and the reason instead.
public enum TorchPackage {
    public static let defaultName = "attngen_torch"

    /// Why `name` cannot name the package (a Python identifier, and the torch.library namespace of its ops), or nil.
    public static func problem(with name: String) -> String? {
        let keywords: Set<String> = [
            "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
            "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
            "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "torch", "aten",
            "prim", "prims",
        ]
        guard let first = name.unicodeScalars.first, !name.isEmpty, name.count <= 64 else {
            return "must have 1 to 64 characters"
        }
        let lower = Set("abcdefghijklmnopqrstuvwxyz_".unicodeScalars)
        let digits = Set("0123456789".unicodeScalars)
        guard lower.contains(first), name.unicodeScalars.allSatisfy({ lower.contains($0) || digits.contains($0) }) else {
            return "must be lower-case letters, digits and underscores, not starting with a digit (a Python package name)"
        }
        guard !keywords.contains(name) else { return "is reserved (a Python keyword or a torch.library namespace)" }
        return nil
    }

    /// The package's files: `outputs` are each backend's generated files (as `attngen emit` writes them into a
    /// folder of their own, with Makefile and manifest), `variants` the lowered variants of the request.
    public static func files(package: String, variants: [VariantModel], outputs: [(choice: TargetChoice, files: [GeneratedFile])],
                             templates: TemplateLibrary) throws(SpecError) -> [GeneratedFile] {
        var files: [GeneratedFile] = []
        var sources: [String: [(folder: String, files: [String])]] = [:]
        for (choice, output) in outputs {
            let folder = CatalogueLayout.subfolder(for: choice)
            files += output.map { GeneratedFile(path: "\(package)/kernels/\(folder)/\($0.path)", contents: $0.contents) }
            let paths = Set(output.map(\.path))
            for variant in variants {
                let names = variant.names
                let candidates = choice.device.isCUDA
                    ? [names.forwardSourceCUDA, names.fallbackSourceCUDA, names.backwardSourceCUDA]
                    : [names.forwardSourceC, names.backwardSourceC]
                let held = candidates.filter(paths.contains)
                if !held.isEmpty { sources[variant.name, default: []].append((folder, held)) }
            }
        }
        // A device whose families do not read a variant's inputs (fp8 on sm80) holds no kernels of it: the runtime
        // raises the reason on such a GPU.
        var unavailable: [String: [(folder: String, reason: String)]] = [:]
        for choice in TargetChoice.all where choice.device.isCUDA {
            for variant in variants {
                guard let refusal = choice.inputRefusal(variant) else { continue }
                unavailable[variant.name, default: []].append((CatalogueLayout.subfolder(for: choice), refusal.message))
            }
        }
        return try TorchPackageRendering(package: package, templates: templates)
            .files(variants: variants, sources: sources, unavailable: unavailable) + files
    }
}
