/* The head's share of the run-time arrays' gradient in this block, after its last item: summed over each warp's
   lanes, then over the warps in order, into the partial slot (b, h, key tile). sS (the dS tile) is free here. */
if (arguments.parameter_partials != NULL && next.head != item.head) {
    static_assert(kWarps * kScoreParameterCount * 4 <= kQueryRows * kSStride * (int)sizeof(Raw),
                  "the dS tile holds the warps' partial sums");
    float *const sPartials = reinterpret_cast<float *>(sS);
#pragma unroll
    for (int i = 0; i < kScoreParameterCount; ++i) {
        const float value = attngen_warp_sum(parameter_gradient[i]);
        if (lane == 0) sPartials[warp * kScoreParameterCount + i] = value;
        parameter_gradient[i] = 0.0f;
    }
    __syncthreads();
    if (threadIdx.x < kScoreParameterCount) {
        float total = 0.0f;
        for (int w = 0; w < kWarps; ++w) total += sPartials[w * kScoreParameterCount + threadIdx.x];
        arguments.parameter_partials[((b * p.heads_q + h) * gridDim.x + blockIdx.x) * kScoreParameterCount + threadIdx.x] =
            total;
    }
    __syncthreads();  /* sS is the next item's again */
}
