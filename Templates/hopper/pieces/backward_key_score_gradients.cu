        /* dSᵀ = Pᵀ∘(dPᵀ∘Z − D) replaces dPᵀ once it has landed (times the score modifier's derivative where it is a
           constant other than 1), and Pᵀ∘Z replaces Pᵀ (Z: keep_factor, 1 without dropout). */
#pragma unroll
        for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const float z = keep_factor(keep, j, i);
                dp[4 * j + i] = s[4 * j + i] * (dp[4 * j + i] * z - s_d[8 * j + 2 * quad_lane + (i % 2)]){{gradient}};
                s[4 * j + i] *= z;
            }
        }
