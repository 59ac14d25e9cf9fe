/// `NAME.c`: the C forward kernel (Templates/c/forward.c) with the pieces its variant needs: the key-by-key masks
/// when it has causal, window or predicate masks, dropout, and the log-sum-exp store.
struct CForwardKernel {
    var variant: VariantModel
    var plan: TilePlan
    /// The decode path, when the variant has one.
    var decode: CPUDecodePlan?
    /// The quantize call, for variants with fp8 inputs.
    var quantize: QuantizePlan?
    var templates: TemplateLibrary

    func render() throws(SpecError) -> String {
        let banner = Banner.lines(variant, file: [
            "Forward kernel for the C backend (FlashAttention-2 tiling): Br = \(plan.blockRows) query rows x "
                + "Bc = \(plan.blockColumns) keys per tile.",
        ] + Banner.account("On-chip bytes per thread", plan.accounts, budget: plan.budget) + ["", "Template: Templates/c/forward.c"])
        return try templates.template("c/forward.c").render([
            "banner": GeneratedBanner.cComment(banner),
            "name": variant.name,
            "tile_rows": "\(plan.blockRows)",
            "tile_columns": "\(plan.blockColumns)",
            "masks": try masks(),
            "score_modifier": variant.scoreModifier.isEmpty ? ""
                : try templates.template("c/pieces/forward_score_modifier.c").render([:]),
            "score_modifier_state": variant.scoreModifier.isEmpty ? "" : try templates.template("c/pieces/score_modifier_state.c").render([:]),
            "sink_join": variant.hasSinks ? try templates.template("c/pieces/forward_sink_join.c").render([:]) : "",
            "sink": variant.hasSinks ? try templates.template("c/pieces/forward_sink.c").render([:]) : "",
            "dropout": variant.dropout == nil ? "" : try templates.template("c/pieces/forward_dropout.c").render([:]),
            "lse_store": variant.savesLogSumExp ? try templates.template("c/pieces/forward_lse_store.c").render([:]) : "",
            "decode": try decodePath(),
            "quantize": try quantize.map { plan throws(SpecError) in
                try templates.template("c/pieces/quantize.c").render(QuantizeRendering.values(variant.name, plan: plan, cuda: false))
            } ?? "",
            "decode_dispatch": decode == nil ? "/* No decode path: every call takes the tiles. */"
                : try templates.template("c/pieces/forward_decode_dispatch.c").render([:]),
        ])
    }

    private func decodePath() throws(SpecError) -> String {
        guard decode != nil else {
            return "/* No decode path (\(CPUDecodePlan.unsupportedReason(variant) ?? "not planned")): every call takes "
                + "the tiles. */\n"
        }
        return try templates.template("c/pieces/forward_decode.c").render([
            "name": variant.name,
            "decode_rows": "\(CPUDecodePlan.maximumPackedRows)",
            "decode_min_split_keys": "\(CPUDecodePlan.minimumKeysPerSplit)",
            "decode_has_predicates": variant.masks.hasPredicates ? "1" : "0",
        ])
    }

    private func masks() throws(SpecError) -> String {
        guard !variant.masks.ranges.isEmpty || variant.masks.hasPredicates else { return "" }
        let predicates = variant.masks.hasPredicates
            ? try templates.template("c/pieces/forward_predicate_masks.c").render([:]) : ""
        return try templates.template("c/pieces/forward_masks.c").render(["predicate_masks": predicates])
    }
}
