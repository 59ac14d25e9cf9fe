/* The score modifier: the raw score S becomes m(S·scale) / scale before the masks, and g keeps m'(S·scale)
   for dS (README.md, "Score modifiers"). */
float g[kDqColumns / 8][4];
{
    const float query = (float)warp_row, first_key = (float)(k0 + quad_lane * 2); /* fp32, as the expression reads them */
#pragma unroll
    for (int n = 0; n < kDqColumns / 8; ++n) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const float q = query + (float)((i / 2) * 8), k = first_key + (float)(n * 8 + (i % 2));
            const float scaled = s[n][i] * kScale;
            g[n][i] = score_modifier_derivative(scaled, (float)b, h, q, k, (float)nq, (float)nk, p.heads_q, p.score_parameters);
            s[n][i] = score_modifier(scaled, (float)b, h, q, k, (float)nq, (float)nk, p.heads_q, p.score_parameters)
                      * kInverseScale;
        }
    }
}
