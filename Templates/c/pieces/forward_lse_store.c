/* Log-sum-exp of the kept scores in natural-log units: (m + log2(l)) * ln(2); -inf for a fully masked row. */
params->lse[b * params->lse_layout.batch_stride + h * params->lse_layout.head_stride
            + (row0 + r) * params->lse_layout.row_stride] =
    l > 0.0f ? (float)(((double)row_max[r] + log2((double)l)) * 0.69314718055994531) : -INFINITY;
