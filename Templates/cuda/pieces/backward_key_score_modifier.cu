/* The score modifier: the raw score Sᵀ becomes m(S·scale) / scale before the masks, and g keeps m'(S·scale)
   for dSᵀ (README.md, "Score modifiers"). */
float g[kQueryRows / 8][4];
{
    const float first_query = (float)(q_begin + quad_lane * 2), key = (float)warp_key; /* fp32, as the expression reads them */
#pragma unroll
    for (int n = 0; n < kQueryRows / 8; ++n) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const float k = key + (float)((i / 2) * 8), q = first_query + (float)(n * 8 + (i % 2));
            const float scaled = s[n][i] * kScale;
            g[n][i] = score_modifier_derivative(scaled, (float)b, h, q, k, (float)nq, (float)nk, p.heads_q, p.score_parameters);
            s[n][i] = score_modifier(scaled, (float)b, h, q, k, (float)nq, (float)nk, p.heads_q, p.score_parameters)
                      * kInverseScale;
        }
    }
}
