/// `NAME_backward.cuh` and `NAME_backward.cu`: the mma.sync backward pass (Templates/cuda/backward.{cuh,cu}) of a
/// variant that asks for it, with the tensor-core products of the storage type and the dropout keep bits; in the
/// Hopper family with the wgmma key kernel of `hopper` (Templates/hopper/pieces/backward_key_kernel.cu) beside the
/// mma.sync one, which the launcher runs where TMA cannot address the tensors.
struct MMABackwardKernel {
    var variant: VariantModel
    var plan: MMABackwardPlan
    var device: Device
    var templates: TemplateLibrary
    /// The Hopper family's key kernel, when it runs the variant.
    var hopper: HopperBackwardPlan? = nil

    private var planLines: [String] {
        ["Backward plan for \(device.displayName):",
         "Key kernel: \(plan.keyRows) keys x \(plan.queryRows) queries per step (\(buffers(plan.queryStages))), "
            + "\(plan.keyWarps) warps, \(plan.keySharedBytes) bytes of shared memory.",
         "dQ kernel (deterministic mode): \(plan.dqRows) queries x \(plan.dqColumns) keys per step "
            + "(\(buffers(plan.dqStages))), \(plan.dqWarps) warps, \(plan.dqSharedBytes) bytes of shared memory."]
            + hopperPlanLines
    }

    private var hopperPlanLines: [String] {
        guard let hopper else { return [] }
        return ["Hopper key kernel (wgmma, TMA): \(hopper.keyRows) keys x \(hopper.queryRows) queries per step "
                + "(\(buffers(hopper.stages))), 12 warps, \(hopper.sharedBytes) bytes of shared memory; the key kernel "
                + "above runs where TMA cannot address the tensors."]
    }

    private func buffers(_ count: Int) -> String { count == 1 ? "1 buffer" : "\(count) buffers" }

    /// Both files, at the paths the variant's names give them.
    func files() throws(SpecError) -> [GeneratedFile] {
        [GeneratedFile(path: variant.names.backwardHeaderCUDA, contents: try renderHeader()),
         GeneratedFile(path: variant.names.backwardSourceCUDA, contents: try renderSource())]
    }

    func renderHeader() throws(SpecError) -> String {
        let names = variant.names
        let defines: [(String, String)] = [
            ("BACKWARD_KEY_TILE", "\(plan.keyRows)"),
            ("BACKWARD_QUERY_TILE", "\(plan.queryRows)"),
            ("BACKWARD_KEY_THREADS", "\(plan.keyWarps * 32)"),
            ("BACKWARD_KEY_SHARED_BYTES", "\(plan.keySharedBytes)"),
            ("BACKWARD_DQ_QUERY_TILE", "\(plan.dqRows)"),
            ("BACKWARD_DQ_KEY_TILE", "\(plan.dqColumns)"),
            ("BACKWARD_DQ_THREADS", "\(plan.dqWarps * 32)"),
            ("BACKWARD_DQ_SHARED_BYTES", "\(plan.dqSharedBytes)"),
        ]
        return try templates.template("cuda/backward.cuh").render([
            "banner": GeneratedBanner.cComment(Banner.lines(variant, file: planLines + ["Template: Templates/cuda/backward.cuh"])),
            "name": variant.name,
            "guard": VariantNames.guardName(of: names.backwardHeaderCUDA),
            "head_dim": "\(variant.headDim)",
            "variant_defines": DefineBlock.render(defines.map { (names.macro($0.0), $0.1) },
                comment: "Fixed when generated: the launch shapes of the key kernel and of the deterministic dQ kernel."),
        ])
    }

    func renderSource() throws(SpecError) -> String {
        let modified = !variant.scoreModifier.isEmpty
        let products = variant.storage == .fp32 ? "cuda/backward_products_tf32.cuh" : "cuda/backward_products_f16.cuh"
        let keepBits = variant.dropout == nil ? "cuda/pieces/backward_no_dropout_keep_bits.cu"
                                              : "cuda/pieces/backward_dropout_keep_bits.cu"
        return try templates.template("cuda/backward.cu").render([
            "banner": GeneratedBanner.cComment(Banner.lines(variant, file: planLines + [
                "Templates: Templates/cuda/backward.cu, Templates/\(products)"
                    + (hopper == nil ? "" : ", Templates/hopper/pieces/backward_key_kernel.cu"),
            ])),
            "hopper_includes": hopper == nil ? "" : "#include \"\(HopperEmitter.runtimeHeaderName)\"\n\n#include <type_traits>",
            "hopper_key_kernel": try hopperKeyKernel(),
            "hopper_key_dispatch": hopper == nil ? "(void)wgmma_key; /* false: the variant has no Hopper key kernel */"
                : "if (wgmma_key) return hopper::launch(arguments, grid_y, grid_z, stream);",
            "wgmma_key_runs": hopper == nil ? "false" : "hopper::runs(used)",
            "key_kernel_choice": hopper == nil ? "key_kernel"
                : "hopper::key_kernel (wgmma) where TMA addresses the tensors, else key_kernel",
            "name": variant.name,
            "constants": constants,
            "dropout_keep_bits": try templates.template(keepBits).render([:]),
            "products": try templates.template(products).render([:]),
            "sink_gradient_kernel": variant.hasSinks
                ? try templates.template("cuda/pieces/backward_sink_gradient.cu").render([:]) : "",
            "sink_gradient_launch": variant.hasSinks
                ? try templates.template("cuda/pieces/backward_sink_gradient_launch.cu").render([:]) : "",
            "parameter_gradient_kernel": try parameterGradientPiece("kernel"),
            "parameter_gradient_declare": try parameterGradientPiece("declare"),
            "parameter_gradient_flush": try parameterGradientPiece("flush"),
            // The score parameters' gradient: a partial sum per (batch, query head, key tile) and array.
            "parameter_partials_bytes": variant.scoreModifier.parameters.isEmpty ? "0  /* no run-time arrays */"
                : "attngen_size_mul(attngen_size_mul((size_t)p.batch, (size_t)p.heads_q), "
                    + "attngen_size_mul((size_t)((p.seqlen_k + kKeyRows - 1) / kKeyRows), kScoreParameterCount * sizeof(float)))",
            "parameter_gradient_partials": try parameterGradientPiece("partials"),
            "parameter_gradient_clear": try parameterGradientPiece("clear"),
            "parameter_gradient_launch": try parameterGradientPiece("launch"),
            "key_probabilities": try probabilities("cuda/pieces/backward_key_probabilities"),
            "query_probabilities": try probabilities("cuda/pieces/backward_query_probabilities"),
            "query_score_modifier_state": modified ? try templates.template("cuda/pieces/score_modifier_state.cu").render([:]) : "",
        ])
    }

    /// The Hopper key kernel and its launch (namespace `hopper` of the backward file), or nothing.
    private func hopperKeyKernel() throws(SpecError) -> String {
        guard let hopper else { return "" }
        return try templates.template("hopper/pieces/backward_key_kernel.cu").render([
            "key_rows": "\(hopper.keyRows)",
            "query_rows": "\(hopper.queryRows)",
            "stages": "\(hopper.stages)",
            "consumers_split_columns": hopper.consumersSplitColumns ? "true" : "false",
            "split_head_columns": "\(hopper.splitHeadColumns)",
            "split_value_columns": "\(hopper.splitValueColumns)",
            "descending_dq_order": hopper.dqOrder == .descending ? "true" : "false",
            "staggered_walk": hopper.dqOrder == .staggered ? "true" : "false",
            "stagger_sm_divisor": "\(hopper.staggerSMDivisor)",
            "shared_bytes": "\(hopper.sharedBytes)",
            // Rolled for per-element predicates; 16 verdicts per iteration otherwise (all of them at d = 128; at
            // d = 64, whose 128-query steps leave the fewest registers, the whole unrolled loop spills).
            "mask_loop_unroll": variant.masks.hasPredicates ? "#pragma unroll 1" : "#pragma unroll 16",
            "modifier_state": variant.scoreModifier.isEmpty ? ""
                : try templates.template("hopper/pieces/backward_key_modifier_state.cu").render([:]),
            "exponentials": try hopperExponentials,
            "score_gradients": try hopperScoreGradients,
        ]) + "\n"
    }

    /// The Hopper key kernel's exponentials while dPᵀ's product runs: plain, or the modified scores' for a score
    /// modifier of a constant derivative; none for any other modifier (its pass after dPᵀ wants the raw score).
    private var hopperExponentials: String {
        get throws(SpecError) {
            if variant.scoreModifier.isEmpty {
                return try templates.template("hopper/pieces/backward_key_exponentials.cu").render([:])
            }
            if variant.scoreModifier.constantDerivative != nil {
                return try templates.template("hopper/pieces/backward_key_exponentials_modified.cu").render([:])
            }
            return "        /* (Pᵀ: the score modifier's pass below, once dPᵀ has landed) */"
        }
    }

    /// The Hopper key kernel's dS once dPᵀ has landed: from the exponentials (times a modifier's constant derivative
    /// where it is not 1), or the whole pass of a modifier whose derivative wants the raw score.
    private var hopperScoreGradients: String {
        get throws(SpecError) {
            if variant.scoreModifier.isEmpty || variant.scoreModifier.constantDerivative != nil {
                return try templates.template("hopper/pieces/backward_key_score_gradients.cu")
                    .render(["gradient": variant.scoreModifier.isEmpty ? "" : gradientFactor])
            }
            return try templates.template("hopper/pieces/backward_key_probabilities_modified.cu")
                .render(["gradient": gradientFactor])
        }
    }

    /// The pass that turns scores into P and dS: the plain one, or with a score modifier the one that evaluates it
    /// (and its derivative, while the raw score is at hand) in the same pass.
    private func probabilities(_ piece: String) throws(SpecError) -> String {
        guard !variant.scoreModifier.isEmpty else { return try templates.template(piece + ".cu").render([:]) }
        var values = ["gradient": gradientFactor]
        if piece.hasSuffix("key_probabilities") {
            // The key kernel also sums the run-time arrays' gradient (dm/d(array i)[h] at each kept score).
            values["parameter_gradient"] = variant.scoreModifier.parameters.isEmpty ? ""
                : "if (accumulates_parameters && dm != 0.0f) "
                    + "score_modifier_parameter_gradients(raw, q, k, modifier_state, dm, parameter_gradient);"
        }
        return try templates.template(piece + "_modified.cu").render(values)
    }

    /// A piece of the run-time arrays' gradient (Templates/cuda/pieces/backward_parameter_gradient_NAME.cu), or
    /// nothing for a variant whose modifiers read no run-time array.
    private func parameterGradientPiece(_ name: String) throws(SpecError) -> String {
        guard !variant.scoreModifier.parameters.isEmpty else { return "" }
        return try templates.template("cuda/pieces/backward_parameter_gradient_\(name).cu").render([:])
    }

    /// The factor on dS: the derivative at the raw score, or its constant value (nothing when it is 1).
    private var gradientFactor: String {
        guard let constant = variant.scoreModifier.constantDerivative else {
            return " * score_modifier_derivative(raw, q, k, modifier_state)"
        }
        return constant == 1 ? "" : " * \(Literals.float(constant))"
    }

    /// The backward plan's `constexpr` block.
    var constants: String {
        [
            "constexpr int kHeadDimPadded = \(plan.headDimPadded);",
            "constexpr int kValueHeadDimPadded = \(plan.valueHeadDimPadded);",
            "constexpr int kRowPad = \(plan.rowPad);",
            "constexpr int kKeyRows = \(plan.keyRows);  /* keys per block of the key kernel (Bc) */",
            "constexpr int kQueryRows = \(plan.queryRows);  /* query rows per step of the key kernel (Br) */",
            "constexpr int kQueryStages = \(plan.queryStages);  /* query-tile buffers of the key kernel */",
            "constexpr int kParts = \(plan.parts);  /* warps sharing each 16 keys, splitting the dK/dV columns */",
            "constexpr int kWarps = \(plan.keyWarps);",
            "constexpr int kDqPieceColumns = \(plan.dqPieceColumns);  /* dQ columns per atomic piece (fast mode) */",
            "constexpr int kDqRows = \(plan.dqRows);  /* query rows per block of the dQ kernel */",
            "constexpr int kDqColumns = \(plan.dqColumns);  /* keys per step of the dQ kernel */",
            "constexpr int kDqStages = \(plan.dqStages);  /* key-tile buffers of the dQ kernel */",
            "constexpr int kDqWarps = \(plan.dqWarps);",
            "constexpr int kKeySharedBytes = \(plan.keySharedBytes);  /* the plan's account of the key kernel */",
            "constexpr int kDqSharedBytes = \(plan.dqSharedBytes);  /* the plan's account of the dQ kernel */",
            "constexpr int kWgmmaDqRows = \(hopper?.queryRows ?? 0);  /* the Hopper key kernel's query step "
                + "(its dQ order counters); 0: none */",
        ].joined(separator: "\n")
    }
}
