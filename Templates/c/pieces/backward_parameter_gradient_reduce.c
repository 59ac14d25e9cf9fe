/* The run-time arrays' gradient, added to dscore_parameters: the partial sums of each query head over batches
   and key tiles, in a fixed order (deterministic in both dQ modes). */
if (parameter_partials != NULL) {
    ATTNGEN_OMP(omp for schedule(static))
    for (int64_t h = 0; h < params->heads_q; ++h) {
        for (int i = 0; i < SCORE_PARAMETER_COUNT; ++i) {
            double total = 0.0;
            for (int64_t b = 0; b < params->batch; ++b) {
                for (int64_t tile = 0; tile < key_tiles; ++tile) {
                    total += parameter_partials[((b * params->heads_q + h) * key_tiles + tile) * SCORE_PARAMETER_COUNT + i];
                }
            }
            params->dscore_parameters[i * params->heads_q + h] += (float)total;
        }
    }
}
