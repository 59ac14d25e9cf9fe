/// `NAME_variant.cuh`: the storage types, head dimensions, scale, dropout constants and mask hooks of a CUDA
/// variant, in the namespace its kernels use (Templates/cuda/variant.cuh).
struct CUDAVariantHeader {
    var variant: VariantModel
    var device: Device
    var templates: TemplateLibrary

    func render() throws(SpecError) -> String {
        let names = variant.names
        let kernels = [names.forwardSourceCUDA] + (variant.includesBackward ? [names.backwardSourceCUDA] : [])
        var values: [String: String] = [
            "banner": GeneratedBanner.cComment(Banner.lines(variant, file: [
                "Constants and mask hooks of the variant for \(device.displayName), shared by its CUDA kernels.",
                "Template: Templates/cuda/variant.cuh",
            ])),
            "guard": VariantNames.guardName(of: names.hooksHeaderCUDA),
            "name": variant.name,
            "kernels": kernels.joined(separator: ", "),
            "namespace": names.variantNamespace,
            "constants": constants,
        ]
        values.merge(ScoreModifierHooksRendering(model: variant.scoreModifier, scale: variant.scale, dialect: .cuda).values) { $1 }
        let hooks = MaskHooksRendering(masks: variant.masks, dialect: .cuda).values
        for key in ["key_range", "tile_interior", "row_bounds", "element_predicate", "element_kept", "tile_skipped"] {
            values[key] = hooks[key]
        }
        return try templates.template("cuda/variant.cuh").render(values)
    }

    /// The `constexpr` block of the variant.
    var constants: String {
        let (element, raw): (String, String) = switch variant.storage {
        case .fp16: ("__half", "uint16_t")
        case .bf16: ("__nv_bfloat16", "uint16_t")
        case .fp32: ("float", "float")
        }
        var lines: [String] = []
        lines.append("using Element = \(element);  /* how Q, K, V, O and the gradients are stored */")
        lines.append("using Raw = \(raw);  /* the same bits, as shared memory holds them */")
        lines.append("constexpr int kInputBytes = \(variant.inputBytes);  /* one stored element of Q, K and V */")
        lines.append("constexpr int kHeadDim = \(variant.headDim);")
        lines.append("constexpr int kValueHeadDim = \(variant.valueHeadDim);")
        lines.append("constexpr float kScale = \(Literals.float(variant.scale));")
        lines.append("constexpr float kScaleLog2 = \(Literals.float(variant.scaleLog2e));  /* scale · log2(e) */")
        if variant.scoreModifier.isEmpty {
            lines.append("constexpr float kScoreToLog2 = kScaleLog2;  /* the kernels' raw score Q·Kᵀ to base 2 */")
            lines.append("constexpr float kScoreToNatural = kScale;  /* ... and to natural-log units (the LSE) */")
        } else {
            lines.append("constexpr float kScoreToLog2 = 1.0f;  /* the score modifier gives the score in base 2 */")
            lines.append("constexpr float kScoreToNatural = \(Literals.float(0.6931471805599453));  /* ln 2: to natural-log units (the LSE) */")
        }
        lines.append("constexpr float kLog2e = \(Literals.float(1.4426950408889634));")
        lines.append("constexpr bool kDropout = \(variant.dropout != nil);")
        lines.append("constexpr float kKeepScale = \(Literals.float(variant.dropout?.keepScale ?? 1));  /* 1 / (1 - p) */")
        if let dropout = variant.dropout {
            lines.append("constexpr uint32_t kDropThreshold = \(dropout.dropThreshold)u;  /* floor(p · 2^16): a 16-bit value below it drops */")
        }
        lines.append("constexpr bool kSavesLogSumExp = \(variant.savesLogSumExp);")
        lines.append("constexpr bool kBlockSparse = \(variant.blockSparse != nil);")
        lines.append("constexpr int kSparseBlockRows = \(variant.blockSparse?.blockRows ?? 1);  /* the block mask's block (1 x 1: none) */")
        lines.append("constexpr int kSparseBlockColumns = \(variant.blockSparse?.blockColumns ?? 1);")
        lines.append("constexpr int kFixedHeadsQ = \(variant.heads.queryHeads ?? 0);  /* 0: given at run time */")
        lines.append("constexpr int kFixedHeadsKV = \(variant.heads.keyValueHeads ?? 0);")
        lines.append("constexpr bool kScoreModifier = \(!variant.scoreModifier.isEmpty);  /* README.md, \"Score modifiers\" */")
        let bias = ScoreModifierHooksRendering(model: variant.scoreModifier, scale: variant.scale, dialect: .cuda).biasForm
        lines.append("constexpr bool kScoreBias = \(bias != nil);  /* the modifier as the raw score plus a bias (score_bias_*) */")
        lines.append("constexpr float kScoreBiasToLog2 = \(Literals.float(bias?.scoreToLog2 ?? 0));  /* its raw score to base 2 */")
        lines.append("constexpr int kScoreParameterCount = \(variant.scoreModifier.parameters.count);  /* run-time arrays of the score modifiers */")
        lines.append("constexpr bool kSinks = \(variant.hasSinks);  /* a learned sink logit per query head (README.md, \"Attention sinks\") */")
        lines.append("constexpr int kPageSize = \(variant.pageSize ?? 0);  /* keys per page of a paged K/V cache; 0: contiguous */")
        return lines.joined(separator: "\n")
    }
}
