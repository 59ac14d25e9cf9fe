/* The score modifier: the raw score Sᵀ becomes m(S·scale) / scale before the masks, and g keeps m'(S·scale)
   for dSᵀ (README.md, "Score modifiers"). */
float g[kQueryRows / 8][4];
#pragma unroll
for (int n = 0; n < kQueryRows / 8; ++n) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int64_t k = warp_key + (i / 2) * 8;
        const int64_t q = q_begin + n * 8 + quad_lane * 2 + (i % 2);
        const float scaled = s[n][i] * kScale;
        g[n][i] = score_modifier_derivative(scaled, b, h, q, k, nq, nk, p.heads_q, p.score_parameters);
        s[n][i] = score_modifier(scaled, b, h, q, k, nq, nk, p.heads_q, p.score_parameters) * kInverseScale;
    }
}
