/// `NAME_variant.h`: the storage type, head dimensions, scale, dropout constants and mask hooks of a C variant,
/// included by each of its kernels (Templates/c/variant.h).
struct CVariantHeader {
    var variant: VariantModel
    var templates: TemplateLibrary

    func render() throws(SpecError) -> String {
        let names = variant.names
        let kernels = [names.forwardSourceC] + (variant.includesBackward ? [names.backwardSourceC] : [])
        var values: [String: String] = [
            "banner": GeneratedBanner.cComment(Banner.lines(variant, file: [
                "Constants and mask hooks of the variant, shared by its C kernels.", "Template: Templates/c/variant.h",
            ])),
            "guard": VariantNames.guardName(of: names.hooksHeaderC),
            "name": variant.name,
            "kernels": kernels.joined(separator: ", "),
            "head_dim": "\(variant.headDim)",
            "value_head_dim": "\(variant.valueHeadDim)",
            "fixed_heads_q": "\(variant.heads.queryHeads ?? 0)",
            "fixed_heads_kv": "\(variant.heads.keyValueHeads ?? 0)",
            "saves_lse": variant.savesLogSumExp ? "1" : "0",
            "sparse_block_rows": "\(variant.blockSparse?.blockRows ?? 0)",
            "sparse_block_columns": "\(variant.blockSparse?.blockColumns ?? 0)",
            "page_size": "\(variant.pageSize ?? 0)",
            "softmax_scale": Literals.float(variant.scale),
            "score_scale_log2e": Literals.float(variant.scaleLog2e),
            "score_to_log2": variant.scoreModifier.isEmpty ? "SCORE_SCALE_LOG2E" : "1.0f",
            "dropout_constants": try dropoutConstants(),
            "has_score_modifier": variant.scoreModifier.isEmpty ? "0" : "1",
            "score_parameter_count": "\(variant.scoreModifier.parameters.count)",
            "has_sinks": variant.hasSinks ? "1" : "0",
        ]
        values.merge(ScoreModifierHooksRendering(model: variant.scoreModifier, scale: variant.scale, dialect: .c).values) { $1 }
        values.merge(storage) { $1 }
        values.merge(inputs) { $1 }
        let hooks = MaskHooksRendering(masks: variant.masks, dialect: .c).values
        for key in ["key_range", "row_bounds", "key_query_bounds", "element_predicate", "tile_skipped"] {
            values[key] = hooks[key]
        }
        return try templates.template("c/variant.h").render(values)
    }

    /// The element type and its conversions to and from fp32.
    private var storage: [String: String] {
        switch variant.storage {
        case .fp32:
            ["storage_comment": "Q, K, V and O are fp32.", "element_type": "float", "element_is_float": "1", "element_is_bf16": "0",
             "load_element": "value", "store_element": "value",
             "load_row": "memcpy(dst, src, (size_t)count * sizeof(float));"]
        case .fp16:
            ["storage_comment": "Q, K, V and O are fp16, passed as raw IEEE binary16 bits (round to nearest even on store).",
             "element_type": "uint16_t", "element_is_float": "0", "element_is_bf16": "0",
             "load_element": "attngen_half_to_float(value)", "store_element": "attngen_float_to_half(value)",
             "load_row": "attngen_half_row_to_float(dst, src, count);"]
        case .bf16:
            ["storage_comment": "Q, K, V and O are bf16, passed as raw bfloat16 bits (round to nearest even on store).",
             "element_type": "uint16_t", "element_is_float": "0", "element_is_bf16": "1",
             "load_element": "attngen_bf16_to_float(value)", "store_element": "attngen_float_to_bf16(value)",
             "load_row": "attngen_bf16_row_to_float(dst, src, count);"]
        }
    }

    /// The element type of Q, K and V and its conversion to fp32: O's own (storage), or fp8 e4m3 bytes.
    private var inputs: [String: String] {
        switch variant.inputStorage {
        case nil:
            ["input_comment": "Q, K and V are stored like O.", "input_type": "element_t", "inputs_are_fp8": "0",
             "load_input": "load_element(value)", "load_input_row": "load_row(dst, src, count);"]
        case .e4m3:
            ["input_comment": "Q, K and V are fp8 e4m3 bytes (read exactly), times the call's descale factors.",
             "input_type": "uint8_t", "inputs_are_fp8": "1",
             "load_input": "attngen_e4m3_to_float(value)",
             "load_input_row": "for (int64_t i = 0; i < count; ++i) dst[i] = attngen_e4m3_to_float(src[i]);"]
        }
    }

    private func dropoutConstants() throws(SpecError) -> String {
        guard let dropout = variant.dropout else { return "/* No dropout. */" }
        return try templates.template("c/pieces/dropout_constants.h").render([
            "probability": "\(dropout.probability)",
            "threshold": "\(dropout.dropThreshold)",
            "keep_scale": Literals.float(dropout.keepScale),
        ])
    }
}
