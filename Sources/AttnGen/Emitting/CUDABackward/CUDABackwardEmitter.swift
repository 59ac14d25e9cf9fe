/// The CUDA backend's backward pass: `NAME_backward.cuh` and `NAME_backward.cu` for a spec that asks for it
/// (`AttentionSpec.withBackward()`), from `Templates/cuda/backward.{cuh,cu}` and the tensor-core products of
/// `Templates/cuda/backward_products_{f16,tf32}.cuh`. The mask code is the forward emitter's, so both passes
/// apply exactly the same masks; the tiling is `CUDABackwardPlan`'s.
///
/// Exports, per variant `NAME`:
/// ```c
/// size_t attngen_NAME_backward_workspace_size_cuda(const attngen_backward_params *params);
/// attngen_status attngen_NAME_backward_cuda(const attngen_backward_params *params, cudaStream_t stream);
/// ```
public struct CUDABackwardEmitter: Sendable {
    public var forward: CUDAEmitter

    public init(forward: CUDAEmitter) {
        self.forward = forward
    }

    public var target: Target { forward.target }

    /// The backward files of `spec` (none unless it includes the backward pass). `plan` is the forward plan;
    /// its budget bounds the backward plan's shared memory.
    public func emit(_ spec: AttentionSpec, plan: TilePlan) throws(SpecError) -> [GeneratedFile] {
        guard spec.includesBackward else { return [] }
        guard plan.target == target else {
            throw SpecError(field: "plan.target", message: "the plan is for \(plan.target.rawValue), the emitter for \(target.rawValue)")
        }
        let backward = try CUDABackwardPlan(spec: spec, target: target, budget: plan.budget)
        return try emit(spec, backwardPlan: backward)
    }

    /// The backward files of `spec` for an explicit backward plan.
    public func emit(_ spec: AttentionSpec, backwardPlan backward: CUDABackwardPlan) throws(SpecError) -> [GeneratedFile] {
        guard spec.includesBackward else { return [] }
        let templates = forward.templates
        let description = variantDescription(spec, plan: backward)
        let header = try templates.template("cuda/backward.cuh").render([
            "banner": GeneratedBanner.cComment(description + ["Template: Templates/cuda/backward.cuh"]),
            "name": spec.name,
            "upper_name": spec.name.uppercased(),
            "head_dim": "\(spec.headDim)",
            "variant_defines": variantDefines(spec, plan: backward),
        ])
        let productsTemplate = spec.storage == .fp32 ? "cuda/backward_products_tf32.cuh" : "cuda/backward_products_f16.cuh"
        let products = try templates.template(productsTemplate).render([:])
        let source = try templates.template("cuda/backward.cu").render([
            "banner": GeneratedBanner.cComment(description + [
                "Templates: Templates/cuda/backward.cu, Templates/\(productsTemplate)",
            ]),
            "name": spec.name,
            "constants": constants(spec, plan: backward),
            "key_range": forward.keyRangeSource(spec),
            "tile_interior": forward.tileInteriorSource(spec),
            "element_kept": forward.elementKeptSource(spec),
            "tile_skipped": forward.tileSkippedSource(spec),
            "dropout_keep_bits": dropoutKeepBitsSource(spec),
            "products": products,
        ])
        return [GeneratedFile(path: "\(spec.name)_backward.cuh", contents: header),
                GeneratedFile(path: "\(spec.name)_backward.cu", contents: source)]
    }

    /// Body of `dropout_keep_bits` (Templates/cuda/backward.cu, where the comment explains the two exchanges):
    /// all ones without dropout, else one Philox call per 8 values of a lane (README "Dropout").
    func dropoutKeepBitsSource(_ spec: AttentionSpec) -> String {
        guard spec.dropout != nil else {
            return """
                (void)p;
                (void)b;
                (void)h;
                (void)row0;
                (void)column0;
                return 0xffffffffu;  /* no dropout */
                """
        }
        return """
            const int lane = threadIdx.x % 32;
            const int group = lane / 4, quad_lane = lane % 4;
            const uint64_t groups_per_row = (uint64_t)((p.seqlen_k + 7) / 8);
            const uint64_t head_row = ((uint64_t)b * (uint64_t)p.heads_q + (uint64_t)h) * (uint64_t)p.seqlen_q;
            uint32_t bits = 0u;
            if constexpr (!RowsAreKeys) {
                /* This lane's call: query row0 + (quad_lane % 2) * 8, key group (column0 - 2 * quad_lane) / 8 + quad_lane / 2. */
                const uint64_t query = (uint64_t)(row0 + (quad_lane & 1) * 8);
                const uint64_t first_group = (head_row + query) * groups_per_row +
                                             (uint64_t)((column0 - 2 * quad_lane) / 8 + (quad_lane >> 1));
            #pragma unroll 1
                for (int n = 0; n < Fragments; n += 2) {
                    const attngen_philox_words words =
                        attngen_dropout_words(first_group + (uint64_t)n, p.dropout_seed, p.dropout_offset);
                    uint32_t keep = attngen_dropout_quad_keep(words, kDropThreshold, quad_lane) & 0x11111111u;
                    /* call j: column 2c at bit 4j, 2c + 1 at 16 + 4j */
                    keep = (keep | (keep >> 15)) & 0x3333u;      /* call j: bits 4j, 4j + 1 */
                    keep = (keep | (keep >> 2)) & 0x0f0fu;
                    keep = (keep | (keep >> 4)) & 0xffu;         /* call j: bits 2j, 2j + 1 = values [n + j / 2][2 (j % 2) + 0, 1] */
                    bits |= keep << (4 * n);
                }
            } else {
                /* This lane's calls: query column0 + 16u + 8 (group / 4) + group % 2, key group of keys
                   row0 - group + 8 ((group / 2) % 2); it keeps the bits of halfword `group`. */
                const uint64_t key_group = (uint64_t)((row0 - group) / 8 + ((group >> 1) & 1));
                const uint64_t query = (uint64_t)(column0 + 8 * (group >> 2) + (group & 1));
            #pragma unroll 1
                for (int u = 0; u < Fragments / 2; ++u) {
                    const attngen_philox_words words = attngen_dropout_words(
                        (head_row + query + 16u * (uint64_t)u) * groups_per_row + key_group, p.dropout_seed, p.dropout_offset);
                    uint32_t mine = 0u;  /* bit 4g' + quad_lane: the call of lane group g' keeps halfword `group` */
            #pragma unroll
                    for (int x = 0; x < 8; ++x) {
                        const uint32_t word = words.w[x / 2];
                        const uint32_t value = x % 2 == 0 ? (word & 0xffffu) : (word >> 16);
                        /* value >= kDropThreshold, written so that p = 0 (threshold 0) is no pointless comparison */
                        const uint32_t ballot = __ballot_sync(0xffffffffu, value + 1u > kDropThreshold);
                        mine = group == x ? ballot : mine;
                    }
                    uint32_t keep = (mine >> quad_lane) & 0x11111111u;  /* lane group g' at bit 4g' */
                    keep = (keep | (keep >> 3)) & 0x03030303u;
                    keep = (keep | (keep >> 6)) & 0x000f000fu;
                    keep = (keep | (keep >> 12)) & 0xffu;                 /* g' at bit g' = value [2u + g' / 4][g' % 4] */
                    bits |= keep << (8 * u);
                }
            }
            return bits;
            """
    }
}
