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
#pragma unroll
        for (int offset = 16; offset > 0; offset /= 2) total += __shfl_xor_sync(0xffffffffu, total, offset);
        if (threadIdx.x % 32 == 0) warp_totals[threadIdx.x / 32] = total;
        __syncthreads();
        if (threadIdx.x == 0) {
            float sum = 0.0f;
#pragma unroll
            for (int w = 0; w < 8; ++w) sum += warp_totals[w];
            p.dscore_parameters[i * p.heads_q + h] += sum;
        }
        __syncthreads();
    }
}

