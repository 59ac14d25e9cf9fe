/* The score modifier on every score of this warp's rows: the raw score S becomes m(S·scale) / scale
   (README.md, "Score modifiers"); the masks below then override it. */
#pragma unroll
for (int m = 0; m < kMTiles; ++m) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int64_t q = warp_row + m * 16 + r * 8;
#pragma unroll
        for (int n = 0; n < kBlockColumns / 8; ++n) {
#pragma unroll
            for (int c = 0; c < 2; ++c) {
                const int64_t key = k0 + n * 8 + quad_lane * 2 + c;
                s[m][n][2 * r + c] = score_modifier(s[m][n][2 * r + c] * kScale, b, h, q, key, nq, nk, p.heads_q,
                                                    p.score_parameters) * kInverseScale;
            }
        }
    }
}
