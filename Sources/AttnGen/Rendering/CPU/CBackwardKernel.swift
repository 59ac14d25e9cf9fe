/// `NAME_backward.h` and `NAME_backward.c`: the C backward pass (Templates/c/backward.{h,c}) of a variant that asks
/// for it, with the pieces its variant needs (predicate masks, dropout).
struct CBackwardKernel {
    var variant: VariantModel
    var plan: CPUBackwardPlan
    var templates: TemplateLibrary

    func renderHeader() throws(SpecError) -> String {
        let names = variant.names
        return try templates.template("c/backward.h").render([
            "banner": GeneratedBanner.cComment(["Declarations of the backward pass of attngen_\(variant.name).",
                                                "Template: Templates/c/backward.h"]),
            "guard": VariantNames.guardName(of: names.backwardHeaderC),
            "name": variant.name,
            "head_dim": "\(variant.headDim)",
        ])
    }

    func renderSource() throws(SpecError) -> String {
        let banner = Banner.lines(variant, file: [
            "Backward pass (dQ, dK, dV) for the C backend: \(plan.keyColumns) keys per task x \(plan.queryRows) query rows per step.",
            "", "Template: Templates/c/backward.c",
        ])
        return try templates.template("c/backward.c").render([
            "banner": GeneratedBanner.cComment(banner),
            "name": variant.name,
            "tile_rows": "\(plan.queryRows)",
            "tile_columns": "\(plan.keyColumns)",
            "element_mask": variant.masks.hasPredicates
                ? try templates.template("c/pieces/backward_predicate_masks.c").render([:]) : "",
            "dropout": variant.dropout == nil ? "" : try templates.template("c/pieces/backward_dropout.c").render([:]),
            "sink_gradient": variant.hasSinks
                ? try templates.template("c/pieces/backward_sink_gradient.c").render([:]) : "",
            "score_modifier": variant.scoreModifier.isEmpty ? ""
                : try templates.template("c/pieces/backward_score_modifier.c").render([:]),
            "score_modifier_state": variant.scoreModifier.isEmpty ? ""
                : try templates.template("c/pieces/score_modifier_state.c").render([:]),
            "parameter_gradient_head_begin": try parameterGradientPiece("head_begin"),
            "parameter_gradient_scores": try parameterGradientPiece("scores"),
            "parameter_gradient_store": variant.scoreModifier.parameters.isEmpty ? ""
                : "attngen_vf_store(dm_row + j, ds);  /* dL/dm, for the run-time arrays' gradient */",
            "parameter_gradient_accumulate": try parameterGradientPiece("accumulate"),
            "parameter_gradient_head_end": try parameterGradientPiece("head_end"),
            "parameter_gradient_allocate": try parameterGradientPiece("allocate"),
            "parameter_gradient_reduce": try parameterGradientPiece("reduce"),
            "score_modifier_gradient": variant.scoreModifier.isEmpty ? ""
                : "ds = attngen_vf_mul(ds, attngen_vf_load(g_row + j));  /* the score modifier's derivative */",
        ])
    }

    /// A piece of the run-time arrays' gradient (Templates/c/pieces/backward_parameter_gradient_NAME.c), or nothing
    /// for a variant whose modifiers read no run-time array.
    private func parameterGradientPiece(_ name: String) throws(SpecError) -> String {
        guard !variant.scoreModifier.parameters.isEmpty else { return "" }
        return try templates.template("c/pieces/backward_parameter_gradient_\(name).c").render([:])
    }
}
