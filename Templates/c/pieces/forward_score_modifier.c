/* The score modifier on each score of the tile's rows, in base 2 in and out (Q carries scale * log2(e)). */
for (int64_t j = 0; j < cols; ++j) {
    float *restrict s_row = st_tile + j * LANES;
    const float key = (float)(col0 + j);
    for (int64_t r = 0; r < rows; ++r) {
        s_row[r] = score_modifier_log2_from_log2(s_row[r], (float)(row0 + r), key, &modifier_state);
    }
}
