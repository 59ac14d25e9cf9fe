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
            "dropout_factor": dropoutFactorSource(spec),
            "products": products,
        ])
        return [GeneratedFile(path: "\(spec.name)_backward.cuh", contents: header),
                GeneratedFile(path: "\(spec.name)_backward.cu", contents: source)]
    }

    /// Body of `dropout_factor`: the README mapping of (b, h, q, k) to a Philox word, then 0 or 1/(1-p).
    func dropoutFactorSource(_ spec: AttentionSpec) -> String {
        guard spec.dropout != nil else {
            return """
                (void)p;
                (void)b;
                (void)h;
                (void)q;
                (void)k;
                return 1.0f;  /* no dropout */
                """
        }
        return """
            const uint64_t groups_per_row = (uint64_t)((p.seqlen_k + 3) / 4);
            const uint64_t row = ((uint64_t)b * (uint64_t)p.heads_q + (uint64_t)h) * (uint64_t)p.seqlen_q + (uint64_t)q;
            const attngen_philox_words words =
                attngen_dropout_words(row * groups_per_row + (uint64_t)(k / 4), p.dropout_seed, p.dropout_offset);
            /* word k mod 4, selected without indexing (an indexed array would live in local memory) */
            const uint32_t word = (k & 2) != 0 ? ((k & 1) != 0 ? words.w[3] : words.w[2])
                                               : ((k & 1) != 0 ? words.w[1] : words.w[0]);
            return word < kDropThreshold ? 0.0f : kKeepScale;
            """
    }
}
