
/* Dropout on P (l above keeps the sum before dropout). Keys come in groups of 8 that share one
   Philox call per row: for each group (the group of key col0 starts at tile column -(col0 % 8)),
   the calls of all LANES rows run together (padding rows draw values no one reads), and the
   16-bit value of key j in row r is halfword j - group_start of that row's call. Groups whose
   probabilities are all zero are skipped. */
{
    const uint64_t groups_per_row = ((uint64_t)dropout_nk + 7u) / 8u;
    const uint64_t first_row = ((uint64_t)b * (uint64_t)params->heads_q + (uint64_t)h) * (uint64_t)dropout_nq
                               + (uint64_t)row0;
    for (int64_t group_start = -(col0 % 8); group_start < cols; group_start += 8) {
        const int64_t first = attngen_max_i64(0, group_start);
        const int64_t last = attngen_min_i64(cols, group_start + 8);
        int any_kept = 0;
        for (int64_t j = first; j < last; ++j) {
            for (int r = 0; r < LANES; ++r) {
                any_kept |= st_tile[j * LANES + r] != 0.0f;
            }
        }
        if (!any_kept) {
            continue;
        }
        uint32_t words[4][LANES];
        attngen_dropout_calls(params->dropout_seed, params->dropout_offset,
                              first_row * groups_per_row + (uint64_t)(col0 + first) / 8u, groups_per_row,
                              LANES, words[0], words[1], words[2], words[3]);
        for (int64_t j = first; j < last; ++j) {
            const uint32_t *restrict row_words = words[(j - group_start) / 2];
            const int shift = (int)((j - group_start) % 2) * 16;
            float *restrict p = st_tile + j * LANES;
            for (int r = 0; r < LANES; ++r) {
                const uint32_t value = (row_words[r] >> shift) & 0xffffu;
                p[r] = value < DROPOUT_THRESHOLD ? 0.0f : p[r] * DROPOUT_KEEP_SCALE;
            }
        }
    }
}
