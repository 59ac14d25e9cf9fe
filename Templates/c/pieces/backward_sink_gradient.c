/* The sink logits' gradient (README.md, "Attention sinks"), added to dsinks: dL/dsinks[h] = -sum over (b, q) of
   exp(sinks[h] - LSE) * D, the sink's probability times the row's D. One query head per thread, in a fixed order
   (deterministic in both dQ modes); a sink of -inf has probability 0 and adds nothing. */
if (params->dsinks != NULL) {
    ATTNGEN_OMP(omp for schedule(static))
    for (int64_t h = 0; h < params->heads_q; ++h) {
        const double sink = (double)params->sinks[h];
        double total = 0.0;
        for (int64_t b = 0; b < params->batch && sink != -INFINITY; ++b) {
            const attngen_sequence_rows sequence = attngen_sequence_rows_of(params->cu_seqlens_q, b, params->seqlen_q,
                                                                            params->total_q);
            for (int64_t q = 0; q < sequence.count; ++q) {
                const double lse = (double)params->lse[attngen_sequence_row_offset(sequence, &params->lse_layout, q)
                                                       + h * params->lse_layout.head_stride];
                total += exp(sink - lse) * (double)row_dot[(b * params->heads_q + h) * params->seqlen_q + q];
            }
        }
        params->dsinks[h] -= (float)total;
    }
}
