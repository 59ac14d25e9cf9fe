/* The score modifier on each score of the tile's rows: the scores are in base-2 units (Q carries scale * log2(e)),
   so s = S * ln(2) and the modified score goes back as m(s) * log2(e). */
for (int64_t j = 0; j < cols; ++j) {
    float *restrict s_row = st_tile + j * LANES;
    for (int64_t r = 0; r < rows; ++r) {
        s_row[r] = score_modifier(s_row[r] * ATTNGEN_LN2_F, (float)b, h, (float)(row0 + r), (float)(col0 + j), (float)nq,
                                  (float)nk, params->heads_q, params->score_parameters) * ATTNGEN_LOG2E_F;
    }
}
