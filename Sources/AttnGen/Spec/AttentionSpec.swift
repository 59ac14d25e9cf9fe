/// One attention variant: everything about the computation that is fixed when a kernel is generated.
///
/// Build one with chained calls:
///
/// ```swift
/// let spec = AttentionSpec(name: "gqa_sliding", headDim: 128)
///     .heads(query: 32, keyValue: 8)
///     .storage(.bf16)
///     .masked(by: .causal(.bottomRight))
///     .masked(by: .slidingWindow(left: 255, right: 0))
///     .dropout(0.1)
///     .savingLogSumExp()
/// ```
///
/// Sizes that vary per call (batch, Nq, Nk, strides, and the head counts when `heads` is `.runtime`)
/// are run-time parameters of the generated kernel.
public struct AttentionSpec: Sendable, Hashable {
    /// A C identifier naming the variant; generated symbols are `attngen_<name>_...`.
    public var name: String
    /// Head dimension of Q and K, 1 ... 256.
    public var headDim: Int
    /// Head dimension of V and O, 1 ... 256; `nil` means the same as `headDim`.
    public var valueHeadDimOverride: Int?
    /// Query and key/value head counts.
    public var heads: HeadCount
    /// Storage type of O, and of Q, K and V unless `inputStorage` says otherwise.
    public var storage: StorageType
    /// Storage type of Q, K and V when it differs from O's (fp8 e4m3 inputs with run-time descale factors); nil: `storage`.
    public var inputStorage: InputStorage?
    /// Softmax scale; `nil` means 1/sqrt(headDim).
    public var scaleOverride: Double?
    /// Masks, combined as a conjunction. Empty means no mask.
    public var masks: [Mask]
    /// Score modifiers (ALiBi, soft cap, expressions), applied in order to the scaled score before the masks
    /// and the softmax. Empty means the plain scaled score.
    public var scoreModifiers: [ScoreModifier]
    /// Whether each query head has a learned sink logit (a run-time array, README.md "Attention sinks"): a term
    /// exp(sink[h]) in the softmax's denominator without a value row (gpt-oss, StreamingLLM's learned sink).
    public var sinks: Bool
    /// Dropout on the probabilities, if any.
    public var dropout: Dropout?
    /// Whether the kernel writes the log-sum-exp of each query row.
    public var savesLogSumExp: Bool
    /// Whether backward kernels (dQ, dK, dV) are generated too; implies `savesLogSumExp`.
    public var includesBackward: Bool
    /// Keys per page of a paged K/V cache (README.md, "Paged KV cache"), or nil for contiguous K and V.
    public var pageSize: Int?

    public init(name: String, headDim: Int) {
        self.name = name
        self.headDim = headDim
        self.valueHeadDimOverride = nil
        self.heads = .runtime
        self.storage = .fp16
        self.inputStorage = nil
        self.scaleOverride = nil
        self.masks = []
        self.scoreModifiers = []
        self.sinks = false
        self.dropout = nil
        self.savesLogSumExp = false
        self.includesBackward = false
        self.pageSize = nil
    }

    /// Head dimension of V and O.
    public var valueHeadDim: Int { valueHeadDimOverride ?? headDim }

    /// The softmax scale applied to Q·Kᵀ.
    public var scale: Double { scaleOverride ?? 1.0 / Double(headDim).squareRoot() }

    /// The block-sparse mask, if the spec has one.
    public var blockSparseLayout: BlockSparseLayout? {
        masks.lazy.compactMap(\.blockSparseLayout).first
    }
}
