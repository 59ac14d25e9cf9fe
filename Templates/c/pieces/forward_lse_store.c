/* Log-sum-exp of the kept scores in natural-log units: (m + log2(l)) * ln(2); -inf for a fully masked row. */
params->lse[attngen_sequence_row_offset(query_rows, &params->lse_layout, row0 + r) + h * params->lse_layout.head_stride] =
    l > 0.0f ? (float)(((double)row_max[r] + log2((double)l)) * 0.69314718055994531) : -INFINITY;
