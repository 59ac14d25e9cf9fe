/* (a') the sink logits' gradient, from D and the LSE. */
if (rows > 0 && p.dsinks != NULL) {
    if (packed) {
        sink_gradient_kernel<true><<<(unsigned)p.heads_q, 256, 0, stream>>>(arguments);
    } else {
        sink_gradient_kernel<false><<<(unsigned)p.heads_q, 256, 0, stream>>>(arguments);
    }
    if (cudaGetLastError() != cudaSuccess) return ATTNGEN_ERROR_CUDA;
}
