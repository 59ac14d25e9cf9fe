        /* Pᵀ = exp2(m(scale·Sᵀ)·log2e − LSE·log2e) while dPᵀ's product runs: the score modifier (README.md,
           "Score modifiers") of a constant derivative, which the dS pass below applies, so that the raw score is
           not wanted there (masked scores, −inf, stay −inf; rows whose LSE is −inf, +inf here: 0). */
        bool general_form = true;
        if constexpr (kScoreBias) {
            /* The modifier as the raw score plus a bias (ScoreBiasForm, kScoreBias): where the bias's |u| keeps one
               sign over the thread's two keys and the step's queries (u at the four corners), and the whole warp
               finds so, Pᵀ = exp2(kScoreBiasToLog2 · (Sᵀ + slope · k + row(q)) − LSE·log2e), the row's part and
               the LSE formed once per query. */
            const float first_query = (float)q0, last_query = (float)(min(q0 + kBlockQueries, nq) - 1);
            const float low_key = (float)thread_key, high_key = (float)(thread_key + 8);
            const float corners[4] = {
                score_bias_sign_argument(first_query, low_key, modifier_state),
                score_bias_sign_argument(first_query, high_key, modifier_state),
                score_bias_sign_argument(last_query, low_key, modifier_state),
                score_bias_sign_argument(last_query, high_key, modifier_state),
            };
            const float lowest = fminf(fminf(corners[0], corners[1]), fminf(corners[2], corners[3]));
            const float highest = fmaxf(fmaxf(corners[0], corners[1]), fmaxf(corners[2], corners[3]));
            const int side = lowest >= 0.0f ? 1 : (highest <= 0.0f ? -1 : 0);
            general_form = __any_sync(0xffffffffu, side == 0);
            if (!general_form) {
                const float slope = score_bias_key_slope(side, modifier_state) * kScoreBiasToLog2;
                const float key_part[2] = {slope * low_key, slope * high_key};
#pragma unroll
                for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
                    for (int e = 0; e < 2; ++e) {
                        const int column = 8 * j + 2 * quad_lane + e;
                        const float query_part = fmaf(score_bias_row(side, (float)(q0 + column), modifier_state),
                                                      kScoreBiasToLog2, -s_lse[column]);
#pragma unroll
                        for (int r = 0; r < 2; ++r) {
                            float &score = s[4 * j + 2 * r + e];
                            score = attngen_exp2(fmaf(score, kScoreBiasToLog2, key_part[r] + query_part));
                        }
                    }
                }
            }
        }
        if (general_form) {
#pragma unroll
            for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    const ScorePosition at = score_position(j, i, q0, quad_lane, thread_key);
                    s[4 * j + i] = attngen_exp2(modified_score(s[4 * j + i], at, modifier_state) -
                                                s_lse[8 * j + 2 * quad_lane + (i % 2)]);
                }
            }
        }
