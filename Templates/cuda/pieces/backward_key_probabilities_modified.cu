/* The score modifier (README.md, "Score modifiers") inside one pass over the scores: the raw score Sᵀ (−inf where
   masked) becomes the modified score in base 2, Pᵀ = exp2(that − LSE·log2e), dSᵀ = Pᵀ∘(dPᵀ∘Z − D)∘m'(scale·S)
   replaces dPᵀ and Pᵀ∘Z replaces Pᵀ: the derivative is taken while the raw score is at hand, so no array of it is
   kept. */
const uint32_t keep = dropout_keep_bits<QueryRows / 8, true>(p, b, h, warp_key, q_begin + quad_lane * 2);
{
    const ScoreModifierState modifier_state = score_modifier_prepare(b, h, nq, nk, p.heads_q, p.score_parameters);
    const float first_query = (float)(q_begin + quad_lane * 2), key = (float)warp_key; /* fp32, as the expression reads them */
#pragma unroll
    for (int n = 0; n < QueryRows / 8; ++n) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int column = n * 8 + quad_lane * 2 + (i % 2);
            const float k = key + (float)((i / 2) * 8), q = first_query + (float)(n * 8 + (i % 2));
            const float raw = s[n][i];
            const float score = raw == -INFINITY ? -INFINITY : score_modifier_log2(raw, q, k, modifier_state);
            const float probability = attngen_exp2(score - lse_log2(sLse[column]));
            const float z = ((keep >> (n * 4 + i)) & 1u) != 0u ? kKeepScale : 0.0f;
            const float dm = probability * (ds[n][i] * z - sD[column]);  /* dL/dm */
            {{parameter_gradient}}
            ds[n][i] = dm{{gradient}};
            s[n][i] = probability * z;
        }
    }
}
