/* Dropout: the forward pass's keep/drop decisions, regenerated from the seed and offset. */
const uint64_t dropout_row = ((uint64_t)b * (uint64_t)params->heads_q + (uint64_t)h) * (uint64_t)dropout_nq + (uint64_t)q;
if (keep_begin < keep_end) {
    /* keys col0 + group_start ... share Philox calls 8 at a time (README: 8 keys per call) */
    const int64_t group_start = keep_begin - (col0 + keep_begin) % 8;
    uint16_t values[KEY_LANES + 16];
    attngen_dropout_row(params->dropout_seed, params->dropout_offset, dropout_row, (uint64_t)dropout_nk,
                        (uint64_t)(col0 + keep_begin), (keep_end - group_start + 7) / 8, values);
    for (int64_t j = keep_begin; j < keep_end; ++j) {
        z_row[j] = values[j - group_start] < DROPOUT_THRESHOLD ? 0.0f : DROPOUT_KEEP_SCALE;
    }
}
