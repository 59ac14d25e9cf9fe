/* Pᵀ = exp2(S·scale·log2e − LSE·log2e); a fully masked row (LSE = −inf) has P = 0. */
#pragma unroll
for (int n = 0; n < QueryRows / 8; ++n) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const float lse2 = lse_log2(sLse[n * 8 + quad_lane * 2 + (i % 2)]);
        s[n][i] = attngen_exp2(fmaf(s[n][i], kScoreToLog2, -lse2));
    }
}

/* dSᵀ = Pᵀ∘(dPᵀ∘Z − D) replaces dPᵀ and Pᵀ∘Z replaces Pᵀ. */
const uint32_t keep = dropout_keep_bits<QueryRows / 8, true>(p, b, h, warp_key, q_begin + quad_lane * 2);
#pragma unroll
for (int n = 0; n < QueryRows / 8; ++n) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int column = n * 8 + quad_lane * 2 + (i % 2);
        const float z = ((keep >> (n * 4 + i)) & 1u) != 0u ? kKeepScale : 0.0f;
        ds[n][i] = s[n][i] * (ds[n][i] * z - sD[column]);
        s[n][i] *= z;
    }
}
