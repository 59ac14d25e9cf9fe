/// The decode kernel of the mma family (Templates/cuda/decode.cu), rendered into the forward kernel's source: its
/// plan's constants and the tensor-core products of the storage type (the same template as the forward kernel's,
/// instantiated for one 16-row fragment against each warp's keys).
struct MMADecodeKernel {
    var variant: VariantModel
    var plan: DecodePlan
    var templates: TemplateLibrary

    /// The plan in one line, for the banner.
    var planLine: String {
        "\(DecodePlan.rows) packed rows x \(plan.tileColumns) keys per tile, \(DecodePlan.warps) warps, "
            + "\(plan.stages) K/V stages, \(plan.sharedBytes) bytes of shared memory, \(plan.blocksPerMultiprocessor) "
            + "block" + (plan.blocksPerMultiprocessor == 1 ? "" : "s") + " per SM; up to \(DecodePlan.maximumQueryRows) "
            + "query rows per call."
    }

    func render(products: String) throws(SpecError) -> String {
        try templates.template("cuda/decode.cu").render([
            "name": variant.name,
            "constants": constants,
            "products": try templates.template(products).render([:]),
            "sink": variant.hasSinks ? try templates.template("cuda/pieces/decode_sink.cu").render([:]) : "",
            "score_modifier_state": variant.scoreModifier.isEmpty ? ""
                : try templates.template("cuda/pieces/decode_score_modifier_state.cu").render([:]),
            "score_modifier": variant.scoreModifier.isEmpty ? ""
                : try templates.template("cuda/pieces/decode_score_modifier.cu").render([:]),
        ])
    }

    /// The plan's `constexpr` block.
    var constants: String {
        let layout = plan.layout
        return [
            "constexpr int kHeadDimPadded = \(layout.headDimPadded);",
            "constexpr int kValueHeadDimPadded = \(layout.valueHeadDimPadded);",
            "constexpr int kRowPad = \(layout.rowPad);",
            "constexpr int kWarps = \(DecodePlan.warps);",
            "constexpr int kWarpColumns = \(plan.warpColumns);  /* keys of each warp per K/V tile */",
            "constexpr int kStages = \(plan.stages);  /* K/V tiles in the cp.async ring */",
            "constexpr int kBlocksPerMultiprocessor = \(plan.blocksPerMultiprocessor);",
            "constexpr int kMaxQueryRows = \(DecodePlan.maximumQueryRows);  /* calls with more take the forward kernel */",
            "constexpr int kMaxSplits = \(DecodePlan.maximumSplits);",
            "/* Shared memory, as the plan accounts it: the Q tile and kStages K and V tiles (later the merge buffer). */",
            "constexpr int kQTileElements = \(layout.queryTileElements);",
            "constexpr int kKTileElements = \(layout.keyTileElements);",
            "constexpr int kVTileElements = \(layout.valueTileElements);",
            "constexpr int kSharedBytes = \(plan.sharedBytes);",
        ].joined(separator: "\n")
    }
}
