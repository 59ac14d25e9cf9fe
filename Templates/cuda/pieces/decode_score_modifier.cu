/* The score modifier, each row with its own query row and head: S becomes the modified score in base 2 (masked
   below, after it, as in the forward kernel). */
#pragma unroll
for (int r = 0; r < 2; ++r) {
#pragma unroll
    for (int n = 0; n < kColumns / 8; ++n) {
#pragma unroll
        for (int c = 0; c < 2; ++c) {
            const float key = (float)(k0 + n * 8 + quad_lane * 2 + c);  /* fp32, as the expression reads them */
            s[0][n][2 * r + c] = score_modifier_log2(s[0][n][2 * r + c], (float)row_q[r], key, modifier_states[r]);
        }
    }
}
