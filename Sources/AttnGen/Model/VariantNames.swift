/// Every name the generated code of one variant declares, in one place: files, exported symbols, header guards,
/// macros and CUDA namespaces. The renderers take their names from here, and the pipeline refuses two variants
/// whose names would collide (`KernelGenerator`), in any backend, before anything is rendered.
public struct VariantNames: Sendable, Hashable {
    /// The variant's `name` (a C identifier).
    public var name: String

    public init(_ name: String) {
        self.name = name
    }

    /// `NAME` upper-cased, as macros and guards spell it.
    public var upper: String { name.uppercased() }

    /// `attngen_NAME_` + `suffix`: exported functions (`forward`, `backward_workspace_size_cuda`, ...).
    public func symbol(_ suffix: String) -> String { "attngen_\(name)_\(suffix)" }

    /// `ATTNGEN_NAME_` + `key`: the macros a variant's header defines.
    public func macro(_ key: String) -> String { "ATTNGEN_\(upper)_\(key)" }

    /// The header guard of `file` (a path such as `NAME_backward.cuh`).
    public static func guardName(of file: String) -> String {
        "ATTNGEN_" + file.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    // MARK: files

    public var forwardHeaderC: String { "\(name).h" }
    public var forwardSourceC: String { "\(name).c" }
    public var backwardHeaderC: String { "\(name)_backward.h" }
    public var backwardSourceC: String { "\(name)_backward.c" }
    /// The variant's hooks and constants, included by all its C kernels.
    public var hooksHeaderC: String { "\(name)_variant.h" }
    public var forwardHeaderCUDA: String { "\(name).cuh" }
    public var forwardSourceCUDA: String { "\(name).cu" }
    public var backwardHeaderCUDA: String { "\(name)_backward.cuh" }
    public var backwardSourceCUDA: String { "\(name)_backward.cu" }
    /// The Hopper family's mma.sync forward, for layouts TMA cannot address.
    public var fallbackSourceCUDA: String { "\(name)_mma.cu" }
    /// The variant's hooks and constants, included by all its CUDA kernels.
    public var hooksHeaderCUDA: String { "\(name)_variant.cuh" }

    /// The headers callers include (those of every backend; a folder holds the ones its backend emitted).
    public var publicHeaders: [String] {
        [forwardHeaderC, backwardHeaderC, forwardHeaderCUDA, backwardHeaderCUDA]
    }

    /// The namespace of a CUDA kernel's internals (`kernel` is "" for the forward pass, "backward", ...).
    public func namespace(_ kernel: String) -> String {
        kernel.isEmpty ? "attngen_\(name)_detail" : "attngen_\(name)_\(kernel)_detail"
    }

    /// The namespace of the variant's hooks and constants, shared by its CUDA kernels.
    public var variantNamespace: String { "attngen_\(name)_variant" }

    /// Keys of the `#define`s of the C and CUDA headers (`ATTNGEN_NAME_<key>`): those describing the variant
    /// (`VariantModel.describingMacros`, the same in every backend), then those of the plans.
    public static let macroKeys = VariantModel.describingMacroKeys + [
        "TILE_ROWS", "TILE_COLUMNS", "TARGET_SM", "STORAGE_FP32", "STORAGE_FP16", "STORAGE_BF16", "THREADS", "SHARED_BYTES",
        "BACKWARD_KEY_TILE", "BACKWARD_QUERY_TILE", "BACKWARD_KEY_THREADS", "BACKWARD_KEY_SHARED_BYTES",
        "BACKWARD_DQ_QUERY_TILE", "BACKWARD_DQ_KEY_TILE", "BACKWARD_DQ_THREADS", "BACKWARD_DQ_SHARED_BYTES",
    ]

    /// Every file of every backend, for the collision check (lower-cased: some file systems ignore case).
    var files: [String] {
        [forwardHeaderC, forwardSourceC, backwardHeaderC, backwardSourceC, hooksHeaderC, forwardHeaderCUDA,
         forwardSourceCUDA, backwardHeaderCUDA, backwardSourceCUDA, hooksHeaderCUDA, fallbackSourceCUDA]
    }

    /// Every identifier the variant's code declares outside its own translation units, each with what it is.
    var declaredIdentifiers: [(identifier: String, kind: String)] {
        var identifiers: [(String, String)] = []
        for file in files {
            identifiers.append((file.lowercased(), "file"))
            identifiers.append((Self.guardName(of: file), "header guard"))
        }
        for suffix in ["forward", "backward", "backward_workspace_size", "forward_cuda", "backward_cuda",
                       "backward_workspace_size_cuda", "forward_mma_cuda"] {
            identifiers.append((symbol(suffix), "function"))
        }
        for key in Self.macroKeys { identifiers.append((macro(key), "macro")) }
        for kernel in ["", "backward", "hopper"] { identifiers.append((namespace(kernel), "namespace")) }
        identifiers.append((variantNamespace, "namespace"))
        return identifiers
    }

    /// Throws when two of `names` would declare the same identifier (or files differing only in case).
    static func checkDistinct(_ names: [VariantNames]) throws(SpecError) {
        var owners: [String: (variant: String, kind: String)] = [:]
        for variant in names {
            var own = Set<String>()
            for (identifier, kind) in variant.declaredIdentifiers where own.insert(identifier).inserted {
                if let owner = owners[identifier] {
                    let message = owner.variant == variant.name
                        ? "\"\(variant.name)\" names two variants; names must be unique"
                        : "variants \"\(owner.variant)\" and \"\(variant.name)\" would both declare the \(kind) "
                            + "\(identifier); rename one of them"
                    throw SpecError(field: "name", message: message)
                }
                owners[identifier] = (variant.name, kind)
            }
        }
    }
}
