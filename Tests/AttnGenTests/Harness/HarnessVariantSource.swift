@testable import AttnGen

/// The two small per-variant C files the driver links against (see Fixtures/driver.h):
/// `harness_variant.c` (the reference's view of the spec, and the call into the kernel) and
/// `harness_predicate.c` (the spec's predicate, rendered by `ReferencePredicateSource`, not by the generator).
enum HarnessVariantSource {
    static let variantFileName = "harness_variant.c"
    static let predicateFileName = "harness_predicate.c"

    /// The predicate masks of a spec, combined (several predicate masks form a conjunction).
    static func predicate(of spec: AttentionSpec) -> MaskPredicate? {
        var combined: MaskPredicate?
        for case .predicate(let predicate) in spec.masks {
            combined = combined.map { .and($0, predicate) } ?? predicate
        }
        return combined
    }

    static func storageConstant(_ storage: StorageType) -> String {
        switch storage {
        case .fp32: "ATTNGEN_REFERENCE_FP32"
        case .fp16: "ATTNGEN_REFERENCE_FP16"
        case .bf16: "ATTNGEN_REFERENCE_BF16"
        }
    }

    /// The causal and sliding-window masks as reference bands.
    static func bands(of spec: AttentionSpec) -> [String] {
        spec.masks.compactMap { mask -> String? in
            switch mask {
            case .causal(let alignment):
                return band(left: nil, right: 0, alignment: alignment)
            case .slidingWindow(let left, let right, let alignment):
                return band(left: left, right: right, alignment: alignment)
            case .blockSparse, .predicate:
                return nil
            }
        }
    }

    private static func band(left: Int?, right: Int?, alignment: DiagonalAlignment) -> String {
        "{ .has_left = \(left == nil ? 0 : 1), .left = \(left ?? 0), .has_right = \(right == nil ? 0 : 1), "
            + ".right = \(right ?? 0), .bottom_right = \(alignment == .bottomRight ? 1 : 0) }"
    }

    static func variantSource(_ spec: AttentionSpec) -> String {
        let bands = bands(of: spec)
        precondition(bands.count <= 4, "the reference takes at most 4 causal/window masks")
        var reference = [
            ".head_dim = \(spec.headDim)",
            ".value_head_dim = \(spec.valueHeadDim)",
            ".storage = \(storageConstant(spec.storage))",
            ".scale = \(spec.scale)",
            ".band_count = \(bands.count)",
        ]
        if !bands.isEmpty {
            reference.append(".bands = {\n            " + bands.joined(separator: ",\n            ") + "\n        }")
        }
        if let layout = spec.blockSparseLayout {
            reference.append(".block_rows = \(layout.blockRows)")
            reference.append(".block_columns = \(layout.blockColumns)")
        }
        reference.append(".predicate = \(predicate(of: spec) == nil ? "NULL" : "harness_predicate")")
        reference.append(".dropout_threshold = \(spec.dropout?.dropThreshold ?? 0)u")
        reference.append(".dropout_keep_scale = \(spec.dropout?.keepScale ?? 1.0)")
        reference.append(".page_size = \(spec.pageSize ?? 0)")
        if !spec.scoreModifiers.isEmpty {
            reference.append(".score_modifier = harness_score_modifier")
            reference.append(".score_modifier_derivative = harness_score_modifier_derivative")
        }
        reference.append(".sinks = \(spec.sinks ? 1 : 0)")
        reference.append(".inputs_e4m3 = \(spec.inputStorage == .e4m3 ? 1 : 0)")
        return """
            /* Written by the attngen test harness for variant \(spec.name). */
            #include <stddef.h>

            #include "driver.h"
            #include "\(spec.name).h"

            const harness_variant harness_variant_info = {
                .name = "\(spec.name)",
                .reference = {
                    \(reference.joined(separator: ",\n        ")),
                },
                .fixed_heads_q = \(spec.heads.queryHeads ?? 0),
                .fixed_heads_kv = \(spec.heads.keyValueHeads ?? 0),
                .saves_lse = \(spec.savesLogSumExp ? 1 : 0),
                .dropout_probability = \(spec.dropout?.probability ?? 0),
                .score_parameter_count = \(scoreParameters(of: spec).count),
                .sinks = \(spec.sinks ? 1 : 0),
            };

            attngen_status harness_forward(const attngen_forward_params *params) {
                return attngen_\(spec.name)_forward(params);
            }

            attngen_status harness_combine(const attngen_combine_params *params) {
                return attngen_\(spec.name)_combine(params);
            }

            """
    }

    /// A C function `name` over (b, h, q, k, nq, nk) returning the predicate (1 when `predicate` is nil), rendered
    /// independently of the generator (`ReferencePredicateSource`).
    static func predicateFunction(_ predicate: MaskPredicate?, name: String, isStatic: Bool) -> String {
        let body = predicate.map(ReferencePredicateSource.expression) ?? "1"
        return """
            \(isStatic ? "static " : "")int \(name)(int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk) {
                (void)b; (void)h; (void)q; (void)k; (void)nq; (void)nk;
                return \(body);
            }

            """
    }

    /// The run-time arrays of the spec's score modifiers, in the order the ABI passes them (README.md, "Score
    /// modifiers": the order of first appearance, which `attngen plan` lists).
    static func scoreParameters(of spec: AttentionSpec) -> [String] {
        (try? VariantModel(lowering: spec))?.scoreModifier.parameters ?? []
    }

    static func predicateSource(_ spec: AttentionSpec) -> String {
        let function = predicateFunction(predicate(of: spec), name: "harness_predicate", isStatic: false)
        return """
            /* Written by the attngen test harness: the predicate and the score modifier of variant \(spec.name). */
            #include <math.h>
            #include <stdint.h>
            #include <stdlib.h>

            #include "driver.h"

            \(ReferencePredicateSource.helpers)
            \(function)
            \(ReferenceScoreSource.helpers)
            \(ReferenceScoreSource.functions(spec, parameters: scoreParameters(of: spec)))
            """
    }
}
