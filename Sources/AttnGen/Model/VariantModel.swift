/// A validated spec lowered once into what every backend, the planner, the traffic estimate and the tests need:
/// the masks as bands, a block-sparse layout and predicates (`MaskModel`), the generated names, the scale as the
/// kernels use it, and the one description text of the variant. Made only through `init(lowering:)`, which
/// validates first, so every later stage may assume a valid variant.
public struct VariantModel: Sendable, Hashable {
    public let spec: AttentionSpec
    public let names: VariantNames
    public let masks: MaskModel
    /// The score modifiers, lowered to one expression and its derivative.
    public let scoreModifier: ScoreModifierModel

    /// Validates `spec` and lowers it; throws the first problem with its field.
    public init(lowering spec: AttentionSpec) throws(SpecError) {
        try spec.validate()
        self.spec = spec
        names = VariantNames(spec.name)
        masks = try MaskModel(lowering: spec.masks)
        scoreModifier = try ScoreModifierModel(lowering: spec.scoreModifiers)
    }

    public var name: String { spec.name }
    public var headDim: Int { spec.headDim }
    public var valueHeadDim: Int { spec.valueHeadDim }
    public var storage: StorageType { spec.storage }
    /// Storage of Q, K and V when it differs from O's (fp8 e4m3), nil when it is `storage`.
    public var inputStorage: InputStorage? { spec.inputStorage }
    /// Bytes of one stored element of Q, K and V.
    public var inputBytes: Int { inputStorage?.byteSize ?? storage.byteSize }
    public var heads: HeadCount { spec.heads }
    public var dropout: Dropout? { spec.dropout }
    public var savesLogSumExp: Bool { spec.savesLogSumExp }
    public var includesBackward: Bool { spec.includesBackward }
    /// Whether each query head has a learned sink logit (`sinks` at run time; `dsinks` in the backward pass).
    public var hasSinks: Bool { spec.sinks }
    public var blockSparse: BlockSparseLayout? { masks.blockSparse }
    /// Keys per page of a paged K/V cache, nil when K and V are contiguous.
    public var pageSize: Int? { spec.pageSize }

    /// The softmax scale.
    public var scale: Double { spec.scale }
    /// `scale · log2(e)` rounded once to fp32: the kernels keep scores in base-2 units.
    public var scaleLog2e: Float { Float(spec.scale * 1.4426950408889634) }

    /// The variant in words, one line per fact: the text of every banner and of `attngen plan`.
    public var descriptionLines: [String] {
        var lines = ["Variant \(name): headDim \(headDim), valueHeadDim \(valueHeadDim), \(storage.rawValue) storage "
                     + "(fp32 arithmetic), scale \(scale)."]
        if let inputStorage {
            lines.append("Inputs: Q, K and V in \(inputStorage.rawValue), each times its run-time descale factor "
                         + "(q_descale, k_descale, v_descale); O in \(storage.rawValue).")
        }
        switch heads {
        case .runtime:
            lines.append("Heads: chosen at run time (heads_q a multiple of heads_kv).")
        case .fixed(let query, let keyValue):
            let kind = query == keyValue ? "MHA" : (keyValue == 1 ? "MQA" : "GQA")
            lines.append("Heads: \(query) query, \(keyValue) key/value (\(kind)).")
        }
        lines.append("Masks: \(masks.summary).")
        if !scoreModifier.isEmpty {
            let arrays = scoreModifier.parameters.isEmpty ? ""
                : " Run-time arrays (score_parameters, in this order): \(scoreModifier.parameters.joined(separator: ", "))."
            lines.append("Score modifiers, in order: \(scoreModifier.descriptions.joined(separator: "; ")).\(arrays)")
        }
        if hasSinks {
            lines.append("Attention sinks: one learned logit per query head (sinks[h], natural-log units) in the "
                         + "softmax's denominator, without a value row.")
        }
        if let dropout {
            lines.append("Dropout: p = \(dropout.probability) (16-bit threshold \(dropout.dropThreshold), keep scale "
                         + "\(Float(dropout.keepScale))), Philox4x32-10 as in README.md.")
        } else {
            lines.append("Dropout: none.")
        }
        lines.append("Log-sum-exp: " + (savesLogSumExp ? "saved (fp32, natural log)." : "not saved.")
                     + (includesBackward ? " Backward pass: generated." : ""))
        if let pageSize {
            lines.append("K/V: a paged cache of \(pageSize) keys per page, through a page table given at run time.")
        }
        return lines
    }

    /// The keys of `describingMacros`.
    public static let describingMacroKeys = [
        "HEAD_DIM", "VALUE_HEAD_DIM", "HEADS_Q", "HEADS_KV", "ELEMENT_BYTES", "SCALE", "SAVES_LSE", "DROPOUT_P",
        "BLOCK_ROWS", "BLOCK_COLUMNS", "PAGE_SIZE", "SCORE_PARAMETERS", "SINKS", "INPUT_BYTES",
    ]

    /// The `#define ATTNGEN_NAME_<key> <value>`s that describe the variant in every backend's public header, for
    /// callers that allocate buffers or check their build (0 = chosen at run time / absent; ELEMENT_BYTES is O's
    /// element, INPUT_BYTES that of Q, K and V).
    public var describingMacros: [(key: String, value: String)] {
        let values = [
            "\(headDim)", "\(valueHeadDim)", "\(heads.queryHeads ?? 0)", "\(heads.keyValueHeads ?? 0)",
            "\(storage.byteSize)", "\(scale)", savesLogSumExp ? "1" : "0", "\(dropout?.probability ?? 0.0)",
            "\(blockSparse?.blockRows ?? 0)", "\(blockSparse?.blockColumns ?? 0)", "\(pageSize ?? 0)",
            "\(scoreModifier.parameters.count)", hasSinks ? "1" : "0", "\(inputBytes)",
        ]
        return Array(zip(Self.describingMacroKeys, values))
    }

    /// The heads in words: "run time" or "32 query / 8 key-value".
    public var headsSummary: String {
        switch heads {
        case .runtime: "run time"
        case .fixed(let query, let keyValue): "\(query) query / \(keyValue) key-value"
        }
    }
}
