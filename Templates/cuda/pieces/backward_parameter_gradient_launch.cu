/* (e) the run-time arrays' gradient, added to dscore_parameters: each head's partial sums in a fixed order. */
if (arguments.parameter_partials != NULL && key_tiles > 0) {
    parameter_gradient_kernel<<<(unsigned)p.heads_q, 256, 0, stream>>>(arguments, (int)key_tiles);
    if (cudaGetLastError() != cudaSuccess) return ATTNGEN_ERROR_CUDA;
}
