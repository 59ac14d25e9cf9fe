/* The score modifier: the raw score S becomes the modified score in base 2 before the masks (kScoreToLog2 is 1
   below), and g keeps m'(scale · S) for dS (README.md, "Score modifiers"). */
float g[kDqColumns / 8][4];
{
    const float query = (float)warp_row, first_key = (float)(k0 + quad_lane * 2); /* fp32, as the expression reads them */
#pragma unroll
    for (int n = 0; n < kDqColumns / 8; ++n) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const float q = query + (float)((i / 2) * 8), k = first_key + (float)(n * 8 + (i % 2));
            g[n][i] = score_modifier_derivative(s[n][i], q, k, modifier_state);
            s[n][i] = score_modifier_log2(s[n][i], q, k, modifier_state);
        }
    }
}
