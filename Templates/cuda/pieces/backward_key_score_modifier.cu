/* The score modifier: the raw score Sᵀ becomes the modified score in base 2 before the masks (kScoreToLog2 is 1
   below), and g keeps m'(scale · S) for dSᵀ (README.md, "Score modifiers"). */
float g[kQueryRows / 8][4];
{
    const ScoreModifierState modifier_state = score_modifier_prepare(b, h, nq, nk, p.heads_q, p.score_parameters);
    const float first_query = (float)(q_begin + quad_lane * 2), key = (float)warp_key; /* fp32, as the expression reads them */
#pragma unroll
    for (int n = 0; n < kQueryRows / 8; ++n) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const float k = key + (float)((i / 2) * 8), q = first_query + (float)(n * 8 + (i % 2));
            g[n][i] = score_modifier_derivative(s[n][i], q, k, modifier_state);
            s[n][i] = score_modifier_log2(s[n][i], q, k, modifier_state);
        }
    }
}
