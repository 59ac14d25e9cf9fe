
/* Masks, key by key: the rows (lanes) outside [keep_begin, keep_end) are masked for key k. */
for (int64_t j = 0; j < cols; ++j) {
    const int64_t k = col0 + j;
    int64_t first_query = 0;
    int64_t end_query = nq;
    key_query_bounds(k, nq, nk, &first_query, &end_query);
    const int64_t keep_begin = attngen_max_i64(0, attngen_min_i64(first_query - row0, LANES));
    const int64_t keep_end = attngen_max_i64(keep_begin, attngen_min_i64(end_query - row0, LANES));
    float *restrict s_row = st_tile + j * LANES;
    for (int64_t r = 0; r < keep_begin; ++r) {
        s_row[r] = -INFINITY;
    }
    for (int64_t r = keep_end; r < LANES; ++r) {
        s_row[r] = -INFINITY;
    }
    {{predicate_masks}}
}
