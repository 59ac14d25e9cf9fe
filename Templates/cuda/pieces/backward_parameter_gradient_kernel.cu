/* ------------------------------------------------------------------------------------------------
 * The score modifiers' run-time arrays (README.md, "Score modifiers"): dscore_parameters[i · heads_q + h] += the
 * key kernel's partial sums of query head h over batches and key tiles. One block per query head, in a fixed order
 * of additions (deterministic in both dQ modes).
 * ---------------------------------------------------------------------------------------------- */

__global__ void __launch_bounds__(256) parameter_gradient_kernel(const KernelArguments arguments, int key_tiles) {
    const attngen_backward_params &p = arguments.params;
    const int64_t h = blockIdx.x;
    const int64_t slots = p.batch * (int64_t)key_tiles;
    __shared__ float warp_totals[8];
    for (int i = 0; i < kScoreParameterCount; ++i) {
        float total = 0.0f;
        for (int64_t slot = threadIdx.x; slot < slots; slot += 256) {
            const int64_t b = slot / key_tiles, tile = slot % key_tiles;
            total += arguments.parameter_partials[((b * p.heads_q + h) * key_tiles + tile) * kScoreParameterCount + i];
        }
        const float sum = attngen_block_sum_256(total, warp_totals);
        if (threadIdx.x == 0) p.dscore_parameters[i * p.heads_q + h] += sum;
    }
}

