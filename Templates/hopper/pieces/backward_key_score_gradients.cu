        /* dSᵀ = Pᵀ∘(dPᵀ − D) replaces dPᵀ once it has landed (times the score modifier's derivative where it is a
           constant other than 1). */
        if (kDropout) {
            /* dSᵀ = Pᵀ∘(dPᵀ∘Z − D) replaces dPᵀ and Pᵀ∘Z replaces Pᵀ (Z: kKeepScale where kept, else 0). */
#pragma unroll
            for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    const float z = ((keep[j / 8] >> (4 * (j % 8) + i)) & 1u) != 0u ? kKeepScale : 0.0f;
                    dp[4 * j + i] = s[4 * j + i] * (dp[4 * j + i] * z - s_d[8 * j + 2 * quad_lane + (i % 2)]){{gradient}};
                    s[4 * j + i] *= z;
                }
            }
        } else {
#pragma unroll
            for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    dp[4 * j + i] = s[4 * j + i] * (dp[4 * j + i] - s_d[8 * j + 2 * quad_lane + (i % 2)]){{gradient}};
                }
            }
        }
