if (quad_lane == 0 && q < nq) {
    p.lse[b * p.lse_layout.batch_stride + h * p.lse_layout.head_stride + q * p.lse_layout.row_stride] =
        kept_any ? row_max[m][r] * kScoreToNatural + logf(sum) : -INFINITY;
}
