@testable import AttnGen

/// The C text that sets up the float64 reference (`Fixtures/reference.h`) for one spec, as the GPU check
/// drivers' variant tables (`check_variants.inc` of benchmarks/gpu/.generated/forward and .../backward)
/// need it: an optional predicate function and a `check_setup_NAME(attngen_reference_spec *spec)` function.
enum GPUCheckReferenceSetup {
    /// The predicate function (when the spec has predicate masks) followed by the setup function.
    static func source(for spec: AttentionSpec) -> String {
        var text = ""
        var setup = [
            "attngen_reference_spec_init(spec, \(spec.headDim), \(spec.valueHeadDim), "
                + "\(HarnessVariantSource.storageConstant(spec.storage)));",
            "spec->scale = \(spec.scale);",
        ]
        var predicate: MaskPredicate?
        for mask in spec.masks {
            switch mask {
            case .causal(let alignment):
                setup.append("attngen_reference_add_band(spec, 0, 0, 1, 0, \(alignment == .bottomRight ? 1 : 0));")
            case .slidingWindow(let left, let right, let alignment):
                setup.append("attngen_reference_add_band(spec, \(left == nil ? 0 : 1), \(left ?? 0), "
                             + "\(right == nil ? 0 : 1), \(right ?? 0), \(alignment == .bottomRight ? 1 : 0));")
            case .blockSparse(let layout):
                setup.append("spec->block_rows = \(layout.blockRows);")
                setup.append("spec->block_columns = \(layout.blockColumns);")
            case .predicate(let p):
                predicate = predicate.map { .and($0, p) } ?? p
            }
        }
        if let predicate {
            text += """

                /* \(spec.name): \(predicate) */
                static int check_predicate_\(spec.name)(int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk) {
                    (void)b; (void)h; (void)q; (void)k; (void)nq; (void)nk;
                    return \(ReferencePredicateSource.expression(predicate));
                }

                """
            setup.append("spec->predicate = check_predicate_\(spec.name);")
        }
        if !spec.scoreModifiers.isEmpty {
            text += "\n/* \(spec.name): the score modifiers, with their derivative by dual numbers. */\n"
            text += ReferenceScoreSource.functions(spec, parameters: HarnessVariantSource.scoreParameters(of: spec),
                                                   prefix: "check_\(spec.name)", isStatic: true)
            setup.append("spec->score_modifier = check_\(spec.name)_score_modifier;")
            setup.append("spec->score_modifier_derivative = check_\(spec.name)_score_modifier_derivative;")
        }
        if let pageSize = spec.pageSize { setup.append("spec->page_size = \(pageSize);") }
        if spec.sinks { setup.append("spec->sinks = 1;") }
        if let dropout = spec.dropout {
            setup.append("spec->dropout_threshold = \(dropout.dropThreshold)u;")
            setup.append("spec->dropout_keep_scale = \(dropout.keepScale);")
        }
        text += "\nstatic void check_setup_\(spec.name)(attngen_reference_spec *spec) {\n"
        text += setup.map { "    " + $0 }.joined(separator: "\n") + "\n}\n"
        return text
    }
}
