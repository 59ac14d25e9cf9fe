/// The bodies of the two score-modifier hooks every kernel of a variant calls, rendered from its
/// `ScoreModifierModel` for C or CUDA. The shells are fixed code in Templates/c/variant.h and
/// Templates/cuda/variant.cuh:
///
/// | hook                         | answers                                                         |
/// |------------------------------|-----------------------------------------------------------------|
/// | `score_modifier`             | the modified score of the scaled score `s` at (b, h, q, k)       |
/// | `score_modifier_derivative`  | its derivative with respect to `s` (the backward pass's factor)  |
///
/// Run-time arrays read `score_parameters[i * heads_q + h]`, i being the array's place in `model.parameters`.
struct ScoreModifierHooksRendering {
    var model: ScoreModifierModel
    var dialect: SourceDialect

    /// The template values of the hooks, by placeholder.
    var values: [String: String] {
        [
            "score_modifier": body(model.expression, none: "return s;  /* no score modifier */"),
            "score_modifier_derivative": body(model.derivative, none: "return 1.0f;  /* no score modifier */"),
        ]
    }

    private func body(_ expression: ScoreExpression?, none: String) -> String {
        guard let expression else { return none }
        var lines = model.descriptions.map { "/* \(MaskHooksRendering.commentSafe($0)) */" }
        lines.append("return \(expression.source(dialect, parameterIndex: parameterIndex));")
        return lines.joined(separator: "\n")
    }

    private func parameterIndex(_ name: String) -> Int {
        guard let index = model.parameters.firstIndex(of: name) else {
            preconditionFailure("score parameter '\(name)' is not among the model's parameters \(model.parameters)")
        }
        return index
    }
}
