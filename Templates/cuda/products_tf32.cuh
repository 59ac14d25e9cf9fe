/* fp32 storage: tf32 operands on mma.sync m16n8k8 with fp32 accumulators (each operand rounded to
   tf32, 10 explicit mantissa bits, fp32 range). ldmatrix moves 16-bit elements only, so fragments are
   read with 32-bit shared loads; rows are padded by 4 words, which puts the 8 rows x 4 columns a warp
   reads at once into 32 distinct banks. */

/* s = Q·Kᵀ for rows [warp·16, warp·16 + 16) of the Q tile against all kBlockColumns keys of a K tile. */
static __device__ __forceinline__ void warp_scores(float (&s)[kBlockColumns / 8][4], const Raw *sQ, const Raw *sK,
                                                   int warp, int lane) {
    const int group = lane / 4, quad_lane = lane % 4;
#pragma unroll
    for (int n = 0; n < kBlockColumns / 8; ++n) {
        s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
    }
    const Raw *const q_lane = sQ + (warp * 16 + group) * kQStride + quad_lane;
    const Raw *const k_lane = sK + group * kKStride + quad_lane;
#pragma unroll
    for (int kk = 0; kk < kHeadDimPadded / 8; ++kk) {
        uint32_t a[4];
        a[0] = attngen_to_tf32(q_lane[kk * 8]);
        a[1] = attngen_to_tf32(q_lane[8 * kQStride + kk * 8]);
        a[2] = attngen_to_tf32(q_lane[kk * 8 + 4]);
        a[3] = attngen_to_tf32(q_lane[8 * kQStride + kk * 8 + 4]);
#pragma unroll
        for (int n = 0; n < kBlockColumns / 8; ++n) {
            const uint32_t b0 = attngen_to_tf32(k_lane[n * 8 * kKStride + kk * 8]);
            const uint32_t b1 = attngen_to_tf32(k_lane[n * 8 * kKStride + kk * 8 + 4]);
            attngen_mma_1688_tf32(s[n], a, b0, b1);
        }
    }
}

/* o += P·V. The lane holds P at keys (2t, 2t + 1) of each 8-key fragment, while the tf32 A fragment
   wants keys (t, t + 4): the reduction order over keys is free, so k-slot t stands for key 2t and
   slot t + 4 for key 2t + 1, and V is read at those same keys. No shuffles needed. */
static __device__ __forceinline__ void warp_accumulate_pv(float (&o)[kValueHeadDimPadded / 8][4],
                                                          const float (&s)[kBlockColumns / 8][4], const Raw *sV,
                                                          int lane) {
    const int group = lane / 4, quad_lane = lane % 4;
    const Raw *const v_lane = sV + (quad_lane * 2) * kVStride + group;
#pragma unroll
    for (int kk = 0; kk < kBlockColumns / 8; ++kk) {
        uint32_t a[4];
        a[0] = attngen_to_tf32(s[kk][0]);
        a[1] = attngen_to_tf32(s[kk][2]);
        a[2] = attngen_to_tf32(s[kk][1]);
        a[3] = attngen_to_tf32(s[kk][3]);
#pragma unroll
        for (int n = 0; n < kValueHeadDimPadded / 8; ++n) {
            const uint32_t b0 = attngen_to_tf32(v_lane[kk * 8 * kVStride + n * 8]);
            const uint32_t b1 = attngen_to_tf32(v_lane[(kk * 8 + 1) * kVStride + n * 8]);
            attngen_mma_1688_tf32(o[n], a, b0, b1);
        }
    }
}
