        /* Pᵀ = exp2(m(scale·Sᵀ)·log2e − LSE·log2e) while dPᵀ's product runs: the score modifier (README.md,
           "Score modifiers") of a constant derivative, which the dS pass below applies, so that the raw score is
           not wanted there (masked scores, −inf, stay −inf; rows whose LSE is −inf, +inf here: 0). */
#pragma unroll
        for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const ScorePosition at = score_position(j, i, q0, quad_lane, thread_key);
                s[4 * j + i] =
                    attngen_exp2(modified_score(s[4 * j + i], at, modifier_state) - s_lse[8 * j + 2 * quad_lane + (i % 2)]);
            }
        }
