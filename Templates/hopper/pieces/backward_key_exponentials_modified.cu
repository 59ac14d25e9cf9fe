        {
            /* Pᵀ = exp2(m(scale·Sᵀ)·log2e − LSE·log2e) while dPᵀ's product runs: the score modifier (README.md,
               "Score modifiers") of a constant derivative, which the dS pass below applies, so that the raw score is
               not wanted there (masked scores, −inf, stay −inf; rows whose LSE is −inf, +inf here: 0). */
            const float first_query = (float)(q0 + 2 * quad_lane), key = (float)thread_key; /* fp32, as the expression reads them */
#pragma unroll
            for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    const float k = key + (float)((i / 2) * 8), q = first_query + (float)(8 * j + (i % 2));
                    const float raw = s[4 * j + i];
                    const float score = raw == -INFINITY ? -INFINITY : score_modifier_log2(raw, q, k, modifier_state);
                    s[4 * j + i] = attngen_exp2(score - s_lse[8 * j + 2 * quad_lane + (i % 2)]);
                }
            }
        }
