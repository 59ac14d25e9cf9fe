/* fp32 storage: tf32 operands on mma.sync m16n8k8 with fp32 accumulators (each operand rounded to
   tf32, 10 explicit mantissa bits, fp32 range). ldmatrix moves 16-bit elements only, so fragments are
   read with 32-bit shared loads; rows are padded by 4 words, which puts the 8 rows x 4 columns a warp
   reads at once into 32 distinct banks. Each K or V fragment read serves all MTiles row fragments. */

/* s = Q·Kᵀ for the warp's MTiles · 16 rows of the Q tile against all kBlockColumns keys of a K tile. */
template <int MTiles>
static __device__ __forceinline__ void warp_scores(float (&s)[MTiles][kBlockColumns / 8][4], const Raw *sQ,
                                                   const Raw *sK, int warp, int lane) {
    const int group = lane / 4, quad_lane = lane % 4;
#pragma unroll
    for (int m = 0; m < MTiles; ++m) {
#pragma unroll
        for (int n = 0; n < kBlockColumns / 8; ++n) {
            s[m][n][0] = s[m][n][1] = s[m][n][2] = s[m][n][3] = 0.0f;
        }
    }
    const Raw *const q_lane = sQ + (warp * MTiles * 16 + group) * kQStride + quad_lane;
    const Raw *const k_lane = sK + group * kKStride + quad_lane;
#pragma unroll
    for (int kk = 0; kk < kHeadDimPadded / 8; ++kk) {
        uint32_t a[MTiles][4];
#pragma unroll
        for (int m = 0; m < MTiles; ++m) {
            const Raw *const q_m = q_lane + m * 16 * kQStride + kk * 8;
            a[m][0] = attngen_to_tf32(q_m[0]);
            a[m][1] = attngen_to_tf32(q_m[8 * kQStride]);
            a[m][2] = attngen_to_tf32(q_m[4]);
            a[m][3] = attngen_to_tf32(q_m[8 * kQStride + 4]);
        }
#pragma unroll
        for (int n = 0; n < kBlockColumns / 8; ++n) {
            const uint32_t b0 = attngen_to_tf32(k_lane[n * 8 * kKStride + kk * 8]);
            const uint32_t b1 = attngen_to_tf32(k_lane[n * 8 * kKStride + kk * 8 + 4]);
#pragma unroll
            for (int m = 0; m < MTiles; ++m) attngen_mma_1688_tf32(s[m][n], a[m], b0, b1);
        }
    }
}

/* o += P·V. The lane holds P at keys (2t, 2t + 1) of each 8-key fragment, while the tf32 A fragment
   wants keys (t, t + 4): the reduction order over keys is free, so k-slot t stands for key 2t and
   slot t + 4 for key 2t + 1, and V is read at those same keys. No shuffles needed. */
template <int MTiles>
static __device__ __forceinline__ void warp_accumulate_pv(float (&o)[MTiles][kValueHeadDimPadded / 8][4],
                                                          const float (&s)[MTiles][kBlockColumns / 8][4],
                                                          const Raw *sV, int lane) {
    const int group = lane / 4, quad_lane = lane % 4;
    const Raw *const v_lane = sV + (quad_lane * 2) * kVStride + group;
#pragma unroll
    for (int kk = 0; kk < kBlockColumns / 8; ++kk) {
        uint32_t a[MTiles][4];
#pragma unroll
        for (int m = 0; m < MTiles; ++m) {
            a[m][0] = attngen_to_tf32(s[m][kk][0]);
            a[m][1] = attngen_to_tf32(s[m][kk][2]);
            a[m][2] = attngen_to_tf32(s[m][kk][1]);
            a[m][3] = attngen_to_tf32(s[m][kk][3]);
        }
#pragma unroll
        for (int n = 0; n < kValueHeadDimPadded / 8; ++n) {
            const uint32_t b0 = attngen_to_tf32(v_lane[kk * 8 * kVStride + n * 8]);
            const uint32_t b1 = attngen_to_tf32(v_lane[(kk * 8 + 1) * kVStride + n * 8]);
#pragma unroll
            for (int m = 0; m < MTiles; ++m) attngen_mma_1688_tf32(o[m][n], a[m], b0, b1);
        }
    }
}
