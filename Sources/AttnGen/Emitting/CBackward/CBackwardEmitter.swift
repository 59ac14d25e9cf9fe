/// The C backend's backward pass: `NAME_backward.h` and `NAME_backward.c` for a spec that asks for it
/// (`AttentionSpec.withBackward()`), from `Templates/c/backward.{h,c}`. The mask, storage and dropout
/// fragments are the forward emitter's, so both passes apply exactly the same masks.
public struct CBackwardEmitter: Sendable {
    public var forward: CEmitter

    public init(forward: CEmitter) {
        self.forward = forward
    }

    public func emit(_ spec: AttentionSpec, plan: TilePlan) throws(SpecError) -> [GeneratedFile] {
        guard spec.includesBackward else { return [] }
        let templates = forward.templates
        let header = try templates.template("c/backward.h").render([
            "banner": GeneratedBanner.cComment(["Declarations of the backward pass of attngen_\(spec.name).",
                                                "Template: Templates/c/backward.h"]),
            "upper_name": spec.name.uppercased(),
            "name": spec.name,
            "head_dim": "\(spec.headDim)",
        ])
        let source = try templates.template("c/backward.c").render([
            "banner": GeneratedBanner.cComment([
                "Backward pass (dQ, dK, dV) of variant \(spec.name), tiles Br=\(plan.blockRows) x Bc=\(Self.keyTileColumns(plan)).",
                "", "Template: Templates/c/backward.c",
            ]),
            "name": spec.name,
            "head_dim": "\(spec.headDim)",
            "value_head_dim": "\(spec.valueHeadDim)",
            "tile_rows": "\(plan.blockRows)",
            "tile_columns": "\(Self.keyTileColumns(plan))",
            "softmax_scale": CEmitter.floatLiteral(Float(spec.scale)),
            "score_scale_log2e": try forward.scoreScaleLiteral(spec),
            "storage": forward.storageFragment(spec.storage),
            "mask_helpers": forward.maskHelpersFragment(spec),
            "dropout_constants": forward.dropoutConstantsFragment(spec),
            "heads_check": forward.headsCheckFragment(spec),
            "block_mask_check": blockMaskCheckFragment(spec),
            "block_mask_layout_check": spec.blockSparseLayout == nil ? "" : forward.blockMaskLayoutCheck,
            "tile_key_range": forward.tileKeyRangeFragment(spec),
            "tile_skip": forward.tileSkipFragment(spec),
            "row_key_range": forward.rowKeyRangeFragment(spec),
            "element_mask": forward.elementMaskFragment(spec),
            "dropout": dropoutFragment(spec),
        ])
        return [
            GeneratedFile(path: "\(spec.name)_backward.h", contents: header),
            GeneratedFile(path: "\(spec.name)_backward.c", contents: source),
        ]
    }

    /// Keys per backward task: the plan's Bc, split to at most 128 keys (8 AVX-512 vectors) when it is larger.
    /// Every query tile a task visits computes all of its keys, so on the diagonal of a causal mask about half a
    /// key tile per query tile is masked work: smaller key tiles waste less there, and 128 keys still fill the
    /// register tiles. The result divides the plan's Bc, so tiles still never straddle a sparse block.
    static func keyTileColumns(_ plan: TilePlan) -> Int {
        let columns = plan.blockColumns
        guard columns > 128 else { return columns }
        return stride(from: 128, through: 4, by: -4).first { columns % $0 == 0 } ?? columns
    }

    func blockMaskCheckFragment(_ spec: AttentionSpec) -> String {
        guard spec.blockSparseLayout != nil else { return "/* Not block-sparse: no block mask to check. */" }
        return """
            if (params->block_mask == NULL) {
                return ATTNGEN_ERROR_NULL_POINTER; /* this variant is block-sparse */
            }
            """
    }

    /// Regenerates the forward pass's dropout decisions as factors Z (0 or 1/(1-p)).
    func dropoutFragment(_ spec: AttentionSpec) -> String {
        guard spec.dropout != nil else { return "" }
        return """
            /* Dropout: the forward pass's keep/drop decisions, regenerated from the seed and offset. */
            const uint64_t dropout_row = ((uint64_t)b * (uint64_t)params->heads_q + (uint64_t)h) * (uint64_t)nq + (uint64_t)q;
            if (keep_begin < keep_end) {
                /* keys col0 + group_start ... share Philox calls 8 at a time (README: 8 keys per call) */
                const int64_t group_start = keep_begin - (col0 + keep_begin) % 8;
                uint16_t values[KEY_LANES + 16];
                attngen_dropout_row(params->dropout_seed, params->dropout_offset, dropout_row, (uint64_t)nk,
                                    (uint64_t)(col0 + keep_begin), (keep_end - group_start + 7) / 8, values);
                for (int64_t j = keep_begin; j < keep_end; ++j) {
                    z_row[j] = values[j - group_start] < DROPOUT_THRESHOLD ? 0.0f : DROPOUT_KEEP_SCALE;
                }
            }
            """
    }
}
