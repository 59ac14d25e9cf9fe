        {
            /* A score modifier whose derivative varies (tanh's soft cap), in one pass once dPᵀ has landed, as the
               mma.sync key kernel's pass (Templates/cuda/pieces/backward_key_probabilities_modified.cu) on this
               layout: the raw score Sᵀ (−inf where masked) becomes the modified score in base 2, Pᵀ = exp2(that −
               LSE·log2e), dSᵀ = Pᵀ∘(dPᵀ∘Z − D)∘m'(scale·S) replaces dPᵀ and Pᵀ∘Z replaces Pᵀ (Z: kKeepScale where
               dropout keeps, else 0; 1 without dropout): the derivative is taken while the raw score is at hand. */
            const float first_query = (float)(q0 + 2 * quad_lane), key = (float)thread_key; /* fp32, as the expression reads them */
#pragma unroll
            for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    const int column = 8 * j + 2 * quad_lane + (i % 2);
                    const float k = key + (float)((i / 2) * 8), q = first_query + (float)(8 * j + (i % 2));
                    const float raw = s[4 * j + i];
                    const float score = raw == -INFINITY ? -INFINITY : score_modifier_log2(raw, q, k, modifier_state);
                    const float probability = attngen_exp2(score - s_lse[column]);
                    const float z =
                        !kDropout ? 1.0f : (((keep[j / 8] >> (4 * (j % 8) + i)) & 1u) != 0u ? kKeepScale : 0.0f);
                    const float dm = probability * (dp[4 * j + i] * z - s_d[column]); /* dL/dm */
                    dp[4 * j + i] = dm{{gradient}};
                    s[4 * j + i] = probability * z;
                }
            }
        }
