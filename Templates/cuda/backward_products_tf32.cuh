/* fp32 storage: tf32 operands on mma.sync m16n8k8 with fp32 accumulators (each operand rounded to tf32,
   10 explicit mantissa bits, fp32 range), as the forward pass does. Every product is one warp's: 16 rows
   of the result, N columns (a multiple of 16), a reduction over K (a multiple of 16). ldmatrix moves
   16-bit elements only, so shared-memory fragments are read with 32-bit loads; rows are padded by 4 words,
   which puts the 8 rows x 4 columns a warp reads at once into 32 distinct banks. */

/* c = A · Bᵀ: A is 16 rows x K at a_rows (row stride SA), B is N rows x K at b_rows (row stride SB). */
template <int N, int K, int SA, int SB>
static __device__ __forceinline__ void warp_mma_abt(float (&c)[N / 8][4], const Raw *a_rows, const Raw *b_rows,
                                                    int lane) {
    const int group = lane / 4, quad_lane = lane % 4;
#pragma unroll
    for (int n = 0; n < N / 8; ++n) {
        c[n][0] = c[n][1] = c[n][2] = c[n][3] = 0.0f;
    }
    const Raw *const a_lane = a_rows + group * SA + quad_lane;
    const Raw *const b_lane = b_rows + group * SB + quad_lane;
#pragma unroll
    for (int kk = 0; kk < K / 8; ++kk) {
        uint32_t a[4];
        a[0] = attngen_to_tf32(a_lane[kk * 8]);
        a[1] = attngen_to_tf32(a_lane[8 * SA + kk * 8]);
        a[2] = attngen_to_tf32(a_lane[kk * 8 + 4]);
        a[3] = attngen_to_tf32(a_lane[8 * SA + kk * 8 + 4]);
#pragma unroll
        for (int n = 0; n < N / 8; ++n) {
            const uint32_t b0 = attngen_to_tf32(b_lane[n * 8 * SB + kk * 8]);
            const uint32_t b1 = attngen_to_tf32(b_lane[n * 8 * SB + kk * 8 + 4]);
            attngen_mma_1688_tf32(c[n], a, b0, b1);
        }
    }
}

/* Two independent products c1 = A1 · B1ᵀ (reduction K1) and c2 = A2 · B2ᵀ (reduction K2), as warp_mma_abt
   (the 16-bit path interleaves their k-steps; here they run one after the other). */
template <int N, int K1, int SA1, int SB1, int K2, int SA2, int SB2>
static __device__ __forceinline__ void warp_mma_abt_pair(float (&c1)[N / 8][4], const Raw *a1_rows, const Raw *b1_rows,
                                                         float (&c2)[N / 8][4], const Raw *a2_rows, const Raw *b2_rows,
                                                         int lane) {
    warp_mma_abt<N, K1, SA1, SB1>(c1, a1_rows, b1_rows, lane);
    warp_mma_abt<N, K2, SA2, SB2>(c2, a2_rows, b2_rows, lane);
}

/* c += R · B: R is 16 rows x K in registers (the accumulator layout of a 16 x K product), B is K rows x N
   columns at b (row stride SB). The lane holds R at reduction indices (2t, 2t + 1) of each 8-wide slice,
   while the tf32 A fragment wants (t, t + 4): the order of a reduction is free, so slot t stands for index
   2t and slot t + 4 for 2t + 1, and B is read at those same rows. No shuffles needed. */
template <int N, int K, int SB>
static __device__ __forceinline__ void warp_mma_rb(float (&c)[N / 8][4], const float (&r)[K / 8][4], const Raw *b,
                                                   int lane) {
    const int group = lane / 4, quad_lane = lane % 4;
    const Raw *const b_lane = b + (quad_lane * 2) * SB + group;
#pragma unroll
    for (int kk = 0; kk < K / 8; ++kk) {
        uint32_t a[4];
        a[0] = attngen_to_tf32(r[kk][0]);
        a[1] = attngen_to_tf32(r[kk][2]);
        a[2] = attngen_to_tf32(r[kk][1]);
        a[3] = attngen_to_tf32(r[kk][3]);
#pragma unroll
        for (int n = 0; n < N / 8; ++n) {
            const uint32_t b0 = attngen_to_tf32(b_lane[kk * 8 * SB + n * 8]);
            const uint32_t b1 = attngen_to_tf32(b_lane[(kk * 8 + 1) * SB + n * 8]);
            attngen_mma_1688_tf32(c[n], a, b0, b1);
        }
    }
}

/* c += A · B: A is 16 rows x K at a_rows (row stride SA), B is K rows x N columns at b (row stride SB). */
template <int N, int K, int SA, int SB>
static __device__ __forceinline__ void warp_mma_sb(float (&c)[N / 8][4], const Raw *a_rows, const Raw *b, int lane) {
    const int group = lane / 4, quad_lane = lane % 4;
    const Raw *const a_lane = a_rows + group * SA + quad_lane;
    const Raw *const b_lane = b + quad_lane * SB + group;
#pragma unroll
    for (int kk = 0; kk < K / 8; ++kk) {
        uint32_t a[4];
        a[0] = attngen_to_tf32(a_lane[kk * 8]);
        a[1] = attngen_to_tf32(a_lane[8 * SA + kk * 8]);
        a[2] = attngen_to_tf32(a_lane[kk * 8 + 4]);
        a[3] = attngen_to_tf32(a_lane[8 * SA + kk * 8 + 4]);
#pragma unroll
        for (int n = 0; n < N / 8; ++n) {
            const uint32_t b0 = attngen_to_tf32(b_lane[kk * 8 * SB + n * 8]);
            const uint32_t b1 = attngen_to_tf32(b_lane[(kk * 8 + 4) * SB + n * 8]);
            attngen_mma_1688_tf32(c[n], a, b0, b1);
        }
    }
}

/* Stores one fp32 value into a shared-memory operand (fp32 stays fp32; the products round to tf32). */
static __device__ __forceinline__ void shared_store(Raw *p, float x) { *p = x; }
