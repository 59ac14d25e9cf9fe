/// The two spellings of C-family source the renderers write: C11 for the CPU family, CUDA C++ for the GPU
/// families. Code rendered once from the model (mask hooks, expressions) differs between them only here.
enum SourceDialect: Sendable {
    case c
    case cuda

    /// The qualifiers of a small helper function every kernel of a variant may call.
    var functionQualifiers: String {
        switch self {
        case .c: "static inline"
        case .cuda: "static __device__ __forceinline__"
        }
    }

    /// The runtime's 64-bit minimum, maximum and absolute value.
    var minimum: String { self == .c ? "attngen_min_i64" : "attngen_min64" }
    var maximum: String { self == .c ? "attngen_max_i64" : "attngen_max64" }
    var absolute: String { self == .c ? "attngen_abs_i64" : "attngen_abs64" }

    /// A parameter a function writes: a pointer in C, a reference in CUDA C++.
    func outputParameter(_ name: String) -> String {
        self == .c ? "int64_t *\(name)" : "int64_t &\(name)"
    }

    /// The place an output parameter names, inside the function.
    func output(_ name: String) -> String {
        self == .c ? "*\(name)" : name
    }

    /// `true`/`false` as the dialect spells a function's boolean result.
    func boolean(_ value: Bool) -> String {
        switch self {
        case .c: value ? "1" : "0"
        case .cuda: value ? "true" : "false"
        }
    }

    /// The type of a boolean result.
    var booleanType: String { self == .c ? "int" : "bool" }
}
