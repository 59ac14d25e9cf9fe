if (params->dscore_parameters != NULL && !out_of_memory) {
    const size_t partials = attngen_size_mul(attngen_size_mul((size_t)p.batch, (size_t)p.heads_q),
                                             (size_t)((p.seqlen_k + TILE_COLUMNS - 1) / TILE_COLUMNS));
    parameter_partials = partials < SIZE_MAX / (8 * SCORE_PARAMETER_COUNT)
                         ? (double *)calloc(partials + 1, SCORE_PARAMETER_COUNT * sizeof(double)) : NULL;
    out_of_memory = parameter_partials == NULL;
}
