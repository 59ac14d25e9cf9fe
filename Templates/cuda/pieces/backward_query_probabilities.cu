/* P = exp2(S·scale·log2e − LSE·log2e); dS = P∘(dP∘Z − D) replaces P. */
const uint32_t keep = dropout_keep_bits<kDqColumns / 8, false>(p, b, h, warp_row, k0 + quad_lane * 2);
#pragma unroll
for (int n = 0; n < kDqColumns / 8; ++n) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int r = i / 2;
        const float probability = attngen_exp2(fmaf(s[n][i], kScoreToLog2, -lse2[r]));
        const float z = ((keep >> (n * 4 + i)) & 1u) != 0u ? kKeepScale : 0.0f;
        s[n][i] = probability * (dp[n][i] * z - row_dot[r]);
    }
}
