/* The score modifier (README.md, "Score modifiers") inside the one pass over the scores: the raw score S (−inf
   where masked) becomes the modified score in base 2, P = exp2(that − LSE·log2e), and dS = P∘(dP∘Z − D)∘m'(scale·S)
   replaces P, the derivative taken while the raw score is at hand. */
const uint32_t keep = dropout_keep_bits<kDqColumns / 8, false>(p, b, h, warp_row, k0 + quad_lane * 2);
{
    const float query = (float)warp_row, first_key = (float)(k0 + quad_lane * 2); /* fp32, as the expression reads them */
#pragma unroll
    for (int n = 0; n < kDqColumns / 8; ++n) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int r = i / 2;
            const float q = query + (float)(r * 8), k = first_key + (float)(n * 8 + (i % 2));
            const float raw = s[n][i];
            const float score = raw == -INFINITY ? -INFINITY : score_modifier_log2(raw, q, k, modifier_state);
            const float probability = attngen_exp2(score - lse2[r]);
            const float z = ((keep >> (n * 4 + i)) & 1u) != 0u ? kKeepScale : 0.0f;
            s[n][i] = probability * (dp[n][i] * z - row_dot[r]){{gradient}};
        }
    }
}
