/// The quantize call of a variant with fp8 inputs (`attngen_NAME_quantize`, `attngen_NAME_quantize_cuda`; README.md,
/// "fp8 inputs"): Q, K or V in the variant's storage type becomes e4m3 bytes and the descale factors the forward call
/// reads, one per (sequence, key/value head) or one per tensor. Q and K may be rotated on the way, x ↦ x·diag(±1)·H/√b
/// on each block of b columns (H the b × b Walsh-Hadamard matrix), the same rotation for both, so Q·Kᵀ is unchanged
/// while a few large channels are spread over all of the block's columns before e4m3 rounds them (FlashAttention-3's
/// "incoherent processing"). The rotation is fused into the quantizing pass: nothing else reads or writes the tensor.
public struct QuantizePlan: Sendable, Hashable {
    /// Columns of one Hadamard block: the largest power of two dividing the head dim (all of it when it is one).
    public var rotationBlock: Int
    /// The head dim Q and K have (the rotated operands).
    public var headDim: Int

    /// The CUDA kernels: threads per block (a warp per row, the row in registers, the butterflies between lanes by
    /// shuffles), and blocks per multiprocessor in the one wave a launch sizes (each warp a contiguous run of rows).
    public static let threads = 256
    public static let blocksPerMultiprocessor = 4
    /// e4m3's largest finite magnitude: a group's factor is its largest |value| / 448.
    public static let e4m3Largest = 448

    /// The plan of `variant`, nil when its inputs are stored like O (no quantize call).
    public static func plan(_ variant: VariantModel) -> QuantizePlan? {
        guard variant.inputStorage != nil else { return nil }
        return QuantizePlan(rotationBlock: rotationBlock(headDim: variant.headDim), headDim: variant.headDim)
    }

    /// The largest power of two dividing `headDim`.
    public static func rotationBlock(headDim: Int) -> Int {
        headDim & -headDim
    }

    /// 1/√b rounded once to fp32: the factor the butterflies' sums are multiplied by (exactly a power of two when b
    /// is a power of four).
    public var rotationNorm: Float {
        Float(1.0 / Double(rotationBlock).squareRoot())
    }

    /// What `attngen plan` prints about the call.
    public var summary: KernelSummary {
        let butterflies = rotationBlock.trailingZeroBitCount
        return KernelSummary(kernel: "quantize (Q, K or V to e4m3 with descale factors; Q and K optionally rotated)", shape: [
            "rotation Hadamard blocks of \(rotationBlock) of the \(headDim) columns of Q and K (\(butterflies) butterfly "
                + "passes, then x 1/sqrt(\(rotationBlock))), signs from the call's rotation_seed; V is not rotated",
            "factors  max |x| / \(Self.e4m3Largest) per (sequence, key/value head) or per tensor: one pass for the maxima, "
                + "one to round and store (CUDA: a warp per row, the row in registers, butterflies between lanes by "
                + "shuffles; \(Self.blocksPerMultiprocessor) blocks of \(Self.threads) threads per multiprocessor)",
        ], accounts: [])
    }
}
