/* (a'') the partial sums of the run-time arrays' gradient start at zero (a block skips the heads it never sees). */
if (arguments.parameter_partials != NULL && key_tiles > 0) {
    const size_t bytes = (size_t)(p.batch * (int64_t)p.heads_q * key_tiles) * kScoreParameterCount * sizeof(float);
    if (cudaMemsetAsync(arguments.parameter_partials, 0, bytes, stream) != cudaSuccess) return ATTNGEN_ERROR_CUDA;
}
