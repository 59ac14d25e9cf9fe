if (parameter_partials != NULL) {
    double *partial = parameter_partials
                      + ((b * params->heads_q + h) * ((params->seqlen_k + TILE_COLUMNS - 1) / TILE_COLUMNS) + col0 / TILE_COLUMNS)
                        * SCORE_PARAMETER_COUNT;
    for (int i = 0; i < SCORE_PARAMETER_COUNT; ++i) {
        partial[i] = parameter_gradient[i];
    }
}
