if (quad_lane == 0 && q < nq) {
    *attngen_sequence_row(p.lse, query_rows, p.lse_layout, h, q) =
        kept_any ? row_max[m][r] * kScoreToNatural + logf(sum) : -INFINITY;
}
