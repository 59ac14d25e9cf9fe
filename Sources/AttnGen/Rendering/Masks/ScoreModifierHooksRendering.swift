/// The bodies of the score-modifier hooks every kernel of a variant calls, rendered from its `ScoreModifierModel`
/// in the kernels' form (`ScoreKernelForm`) for C or CUDA. The shells are fixed code in Templates/c/variant.h and
/// Templates/cuda/variant.cuh:
///
/// | hook                             | answers                                                              |
/// |----------------------------------|----------------------------------------------------------------------|
/// | `score_modifier_prepare`         | the state of one (batch, head): b, nq, nk and the hoisted values      |
/// | `score_modifier_log2`            | log2(e) · m(scale · s) for the kernel's raw score s = Q·Kᵀ            |
/// | `score_modifier_log2_from_log2`  | (C) log2(e) · m(ln 2 · s) for the C forward pass's base-2 score       |
/// | `score_modifier_derivative`      | m'(scale · s): the backward pass's factor on dS                       |
/// | `score_modifier_parameter_gradients` | adds dm · ∂m/∂array_i[h] to accumulator i: the arrays' gradient  |
/// | `score_bias_*`                   | (CUDA) a modifier c · s + B(q, k) as the raw score plus a bias (`ScoreBiasForm`) |
///
/// Run-time arrays read `score_parameters[i * heads_q + h]`, i being the array's place in `model.parameters`;
/// they are read once per (batch, head), in `score_modifier_prepare`.
struct ScoreModifierHooksRendering {
    var model: ScoreModifierModel
    var scale: Double
    var dialect: SourceDialect

    private static let log2e = 1.4426950408889634
    private static let ln2 = 0.6931471805599453

    /// The template values of the hooks, by placeholder.
    var values: [String: String] {
        guard !model.isEmpty else {
            let dialectValues = dialect == .c ? ["score_modifier_value_from_log2": "return s;  /* no score modifier */"]
                : Self.biasValues(nil, source: { _ in "" })
            return [
                "score_modifier_state_size": "1",
                "score_modifier_prepare": "state.value[0] = 0.0f;  /* no score modifier */",
                "score_modifier_value": "return s;  /* no score modifier */",
                "score_modifier_derivative": "return 1.0f;  /* no score modifier */",
                "score_modifier_parameter_gradients": "/* no run-time arrays */",
            ].merging(dialectValues) { $1 }
        }
        let raw = ScoreKernelForm(model: model, inputScale: scale, outputScale: Self.log2e)
        let base2 = ScoreKernelForm(model: model, inputScale: Self.ln2, outputScale: Self.log2e)
        var hoisted = raw.hoisted
        if dialect == .c {
            for value in base2.hoisted where !hoisted.contains(value) { hoisted.append(value) }
        }
        let bias = biasForm
        for expression in bias?.expressions ?? [] { expression.collectHoisted(into: &hoisted) }
        let state = dialect == .c ? "state->" : "state."
        let override: (ScoreExpression) -> String? = { expression in
            hoisted.firstIndex(of: expression).map { "\(state)value[\($0)]" }
        }
        let comments = model.descriptions.map { "/* \(MaskHooksRendering.commentSafe($0)) */" }
        func body(_ expression: ScoreExpression) -> String {
            (comments + ["return \(expression.source(dialect, parameterIndex: parameterIndex, override: override));"])
                .joined(separator: "\n")
        }
        var prepare = hoisted.enumerated().map { index, expression in
            "state.value[\(index)] = \(expression.source(dialect, parameterIndex: parameterIndex));  "
                + "/* \(MaskHooksRendering.commentSafe(expression.description)) */"
        }
        if prepare.isEmpty { prepare = ["state.value[0] = 0.0f;  /* nothing per head */"] }
        var values = [
            "score_modifier_state_size": "\(max(hoisted.count, 1))",
            "score_modifier_prepare": prepare.joined(separator: "\n"),
            "score_modifier_value": body(raw.value),
            "score_modifier_derivative": body(raw.derivative),
            "score_modifier_parameter_gradients": raw.parameterDerivatives.isEmpty ? "/* no run-time arrays */"
                : raw.parameterDerivatives.enumerated().map { index, expression in
                    "accumulators[\(index)] += dm * (\(expression.source(dialect, parameterIndex: parameterIndex, override: override)));"
                        + "  /* d/d \(model.parameters[index])[h] */"
                }.joined(separator: "\n"),
        ]
        if dialect == .c { values["score_modifier_value_from_log2"] = body(base2.value) }
        if dialect == .cuda {
            values.merge(Self.biasValues(bias) { $0.source(dialect, parameterIndex: parameterIndex, override: override) }) { $1 }
        }
        return values
    }

    /// The modifier as the raw score plus a bias, for the CUDA kernels (nil for C, and where the modifier has no
    /// such form).
    var biasForm: ScoreBiasForm? {
        dialect == .cuda && !model.isEmpty ? ScoreBiasForm(model: model, inputScale: scale) : nil
    }

    /// The bodies of the `score_bias_*` hooks (Templates/cuda/variant.cuh); without a bias form they are never
    /// called (`kScoreBias` is false) and return constants.
    private static func biasValues(_ bias: ScoreBiasForm?,
                                   source: (ScoreExpression) -> String) -> [String: String] {
        guard let bias else {
            let unused = "  /* kScoreBias is false: not called */"
            return [
                "score_bias_sign_argument": "return 1.0f;" + unused,
                "score_bias_key_slope": "return 0.0f;" + unused,
                "score_bias_row": "return 0.0f;" + unused,
                "score_bias_value": "return 0.0f;" + unused,
            ]
        }
        func bySide(_ part: (ScoreBiasForm.Side) -> ScoreExpression) -> String {
            let texts = bias.sides.map { source(part($0)) }
            return texts.count == 1 ? "return \(texts[0]);"
                : "return side > 0 ? \(texts[0]) : \(texts[1]);  /* u >= 0 : u <= 0 */"
        }
        return [
            "score_bias_sign_argument": bias.signArgument.map { "return \(source($0));" }
                ?? "return 1.0f;  /* no |u| of k: the bias is affine in k on every tile */",
            "score_bias_key_slope": bySide(\.keySlope),
            "score_bias_row": bySide(\.row),
            "score_bias_value": "return \(source(bias.bias));",
        ]
    }

    private func parameterIndex(_ name: String) -> Int {
        guard let index = model.parameters.firstIndex(of: name) else {
            preconditionFailure("score parameter '\(name)' is not among the model's parameters \(model.parameters)")
        }
        return index
    }
}
