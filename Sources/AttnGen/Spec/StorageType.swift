/// The element type in which Q, K, V and O are stored in device or host memory.
///
/// Arithmetic always accumulates in fp32 and the log-sum-exp is always fp32,
/// whatever the storage type.
public enum StorageType: String, Sendable, Hashable, CaseIterable, Codable {
    case fp32
    case fp16
    case bf16

    /// Bytes one element occupies in memory.
    public var byteSize: Int {
        switch self {
        case .fp32: 4
        case .fp16, .bf16: 2
        }
    }

    /// The C type that holds one stored element (16-bit types travel as raw bits).
    public var cStorageType: String {
        switch self {
        case .fp32: "float"
        case .fp16, .bf16: "uint16_t"
        }
    }
}
