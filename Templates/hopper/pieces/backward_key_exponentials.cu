        /* Pᵀ = exp2(Sᵀ·scale·log2e − LSE·log2e) while dPᵀ's product runs (masked scores and rows whose LSE is −inf,
           +inf here: 0). */
#pragma unroll
        for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                s[4 * j + i] = attngen_exp2(fmaf(s[4 * j + i], kScoreToLog2, -s_lse[8 * j + 2 * quad_lane + (i % 2)]));
            }
        }
