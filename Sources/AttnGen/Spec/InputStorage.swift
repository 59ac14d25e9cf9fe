/// A storage type of Q, K and V that differs from O's (`AttentionSpec.inputStorage`; O keeps `storage`).
///
/// `e4m3` is fp8 (OCP FP8 E4M3, `torch.float8_e4m3fn`): 1 sign, 4 exponent (bias 7) and 3 mantissa bits, no
/// infinities, NaN = S.1111.111, largest finite 448. The kernels read each byte exactly and multiply by the call's
/// descale factors (`q_descale`, `k_descale`, `v_descale`: README.md, "fp8 inputs"); arithmetic stays fp32.
public enum InputStorage: String, Sendable, Hashable, CaseIterable, Codable {
    case e4m3

    /// Bytes one element occupies in memory.
    public var byteSize: Int { 1 }

    /// The C type that holds one stored element (raw bits).
    public var cStorageType: String { "uint8_t" }
}
