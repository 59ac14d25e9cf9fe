/* The sink logits' gradient (README.md, "Attention sinks"), added to dsinks: dL/dsinks[h] = -sum over (b, q) of
   exp(sinks[h] - LSE) * D, the sink's probability times the row's D. One query head per thread, in a fixed order
   (deterministic in both dQ modes); a sink of -inf has probability 0 and adds nothing. */
if (params->dsinks != NULL) {
    ATTNGEN_OMP(omp for schedule(static))
    for (int64_t h = 0; h < params->heads_q; ++h) {
        const double sink = (double)params->sinks[h];
        double total = 0.0;
        for (int64_t b = 0; b < params->batch && sink != -INFINITY; ++b) {
            for (int64_t q = 0; q < params->seqlen_q; ++q) {
                const double lse = (double)params->lse[b * params->lse_layout.batch_stride
                                                       + h * params->lse_layout.head_stride
                                                       + q * params->lse_layout.row_stride];
                total += exp(sink - lse) * (double)row_dot[(b * params->heads_q + h) * params->seqlen_q + q];
            }
        }
        params->dsinks[h] -= (float)total;
    }
}
