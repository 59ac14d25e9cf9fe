        {
            /* A score modifier whose derivative varies (tanh's soft cap), in one pass once dPᵀ has landed, as the
               mma.sync key kernel's pass (Templates/cuda/pieces/backward_key_probabilities_modified.cu) on this
               layout: the raw score Sᵀ (−inf where masked) becomes the modified score in base 2, Pᵀ = exp2(that −
               LSE·log2e), dSᵀ = Pᵀ∘(dPᵀ∘Z − D)∘m'(scale·S) replaces dPᵀ and Pᵀ∘Z replaces Pᵀ (Z: keep_factor, 1
               without dropout): the derivative is taken while the raw score is at hand. */
#pragma unroll
            for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    const int column = 8 * j + 2 * quad_lane + (i % 2);
                    const ScorePosition at = score_position(j, i, q0, quad_lane, thread_key);
                    const float q = at.q, k = at.k, raw = s[4 * j + i]; /* what the derivative reads */
                    const float probability = attngen_exp2(modified_score(raw, at, modifier_state) - s_lse[column]);
                    const float z = keep_factor(keep, j, i);
                    const float dm = probability * (dp[4 * j + i] * z - s_d[column]); /* dL/dm */
                    dp[4 * j + i] = dm{{gradient}};
                    s[4 * j + i] = probability * z;
                }
            }
        }
