/* fp16 / bf16 operands on mma.sync m16n8k16 with fp32 accumulators. Every product is one warp's:
   16 rows of the result, N columns (N a multiple of 16), a reduction over K (a multiple of 16).
   Shared-memory operands are read through ldmatrix (rows padded by 16 bytes, so the 8 row addresses of
   an 8x8 matrix fall into 8 distinct 16-byte bank groups); register operands are fp32 accumulators
   (the m16n8 C layout: rows group and group + 8, columns 2 * quad_lane and 2 * quad_lane + 1) that are
   rounded to the storage type and repacked into A fragments. */

/* c = A · Bᵀ: A is 16 rows x K at a_rows (row stride SA), B is N rows x K at b_rows (row stride SB). */
template <int N, int K, int SA, int SB>
static __device__ __forceinline__ void warp_mma_abt(float (&c)[N / 8][4], const Raw *a_rows, const Raw *b_rows,
                                                    int lane) {
#pragma unroll
    for (int n = 0; n < N / 8; ++n) {
        c[n][0] = c[n][1] = c[n][2] = c[n][3] = 0.0f;
    }
    /* ldmatrix.x4 row addresses: A rows 0-15 at columns 0 / 8; B rows 0-7 / 8-15 at columns 0 / 8. */
    const Raw *const a_lane = a_rows + (lane % 16) * SA + (lane / 16) * 8;
    const Raw *const b_lane = b_rows + (lane % 8 + (lane / 16) * 8) * SB + ((lane / 8) % 2) * 8;
#pragma unroll
    for (int kk = 0; kk < K / 16; ++kk) {
        uint32_t a[4];
        attngen_ldmatrix_x4(a, attngen_smem_address(a_lane + kk * 16));
#pragma unroll
        for (int n = 0; n < N / 8; n += 2) {
            uint32_t b[4];
            attngen_ldmatrix_x4(b, attngen_smem_address(b_lane + n * 8 * SB + kk * 16));
            attngen_mma_16816(c[n], a, b[0], b[1], Element());
            attngen_mma_16816(c[n + 1], a, b[2], b[3], Element());
        }
    }
}

/* Two independent products c1 = A1 · B1ᵀ (reduction K1) and c2 = A2 · B2ᵀ (reduction K2), as warp_mma_abt,
   with their k-steps interleaved: twice the independent accumulator chains for the tensor cores, so one
   product's fragment loads and mma latencies hide behind the other's (S and dP of the same tile). */
template <int N, int K1, int SA1, int SB1, int K2, int SA2, int SB2>
static __device__ __forceinline__ void warp_mma_abt_pair(float (&c1)[N / 8][4], const Raw *a1_rows, const Raw *b1_rows,
                                                         float (&c2)[N / 8][4], const Raw *a2_rows, const Raw *b2_rows,
                                                         int lane) {
#pragma unroll
    for (int n = 0; n < N / 8; ++n) {
        c1[n][0] = c1[n][1] = c1[n][2] = c1[n][3] = 0.0f;
        c2[n][0] = c2[n][1] = c2[n][2] = c2[n][3] = 0.0f;
    }
    const Raw *const a1_lane = a1_rows + (lane % 16) * SA1 + (lane / 16) * 8;
    const Raw *const b1_lane = b1_rows + (lane % 8 + (lane / 16) * 8) * SB1 + ((lane / 8) % 2) * 8;
    const Raw *const a2_lane = a2_rows + (lane % 16) * SA2 + (lane / 16) * 8;
    const Raw *const b2_lane = b2_rows + (lane % 8 + (lane / 16) * 8) * SB2 + ((lane / 8) % 2) * 8;
    constexpr int kSteps = (K1 > K2 ? K1 : K2) / 16;
#pragma unroll
    for (int kk = 0; kk < kSteps; ++kk) {
        if (kk < K1 / 16) {
            uint32_t a[4];
            attngen_ldmatrix_x4(a, attngen_smem_address(a1_lane + kk * 16));
#pragma unroll
            for (int n = 0; n < N / 8; n += 2) {
                uint32_t b[4];
                attngen_ldmatrix_x4(b, attngen_smem_address(b1_lane + n * 8 * SB1 + kk * 16));
                attngen_mma_16816(c1[n], a, b[0], b[1], Element());
                attngen_mma_16816(c1[n + 1], a, b[2], b[3], Element());
            }
        }
        if (kk < K2 / 16) {
            uint32_t a[4];
            attngen_ldmatrix_x4(a, attngen_smem_address(a2_lane + kk * 16));
#pragma unroll
            for (int n = 0; n < N / 8; n += 2) {
                uint32_t b[4];
                attngen_ldmatrix_x4(b, attngen_smem_address(b2_lane + n * 8 * SB2 + kk * 16));
                attngen_mma_16816(c2[n], a, b[0], b[1], Element());
                attngen_mma_16816(c2[n + 1], a, b[2], b[3], Element());
            }
        }
    }
}

/* c += R · B: R is 16 rows x K held in registers (the accumulator layout of a 16 x K product), B is K rows
   x N columns at b (row stride SB), read transposed by ldmatrix.trans (its rows are the reduction). */
template <int N, int K, int SB>
static __device__ __forceinline__ void warp_mma_rb(float (&c)[N / 8][4], const float (&r)[K / 8][4], const Raw *b,
                                                   int lane) {
    const Raw *const b_lane = b + (lane % 8 + ((lane / 8) % 2) * 8) * SB + (lane / 16) * 8;
#pragma unroll
    for (int kk = 0; kk < K / 16; ++kk) {
        uint32_t a[4];
        a[0] = attngen_pack2(r[2 * kk][0], r[2 * kk][1], Element());
        a[1] = attngen_pack2(r[2 * kk][2], r[2 * kk][3], Element());
        a[2] = attngen_pack2(r[2 * kk + 1][0], r[2 * kk + 1][1], Element());
        a[3] = attngen_pack2(r[2 * kk + 1][2], r[2 * kk + 1][3], Element());
#pragma unroll
        for (int n = 0; n < N / 8; n += 2) {
            uint32_t v[4];
            attngen_ldmatrix_x4_trans(v, attngen_smem_address(b_lane + kk * 16 * SB + n * 8));
            attngen_mma_16816(c[n], a, v[0], v[1], Element());
            attngen_mma_16816(c[n + 1], a, v[2], v[3], Element());
        }
    }
}

/* c += A · B: A is 16 rows x K at a_rows (row stride SA), B is K rows x N columns at b (row stride SB). */
template <int N, int K, int SA, int SB>
static __device__ __forceinline__ void warp_mma_sb(float (&c)[N / 8][4], const Raw *a_rows, const Raw *b, int lane) {
    const Raw *const a_lane = a_rows + (lane % 16) * SA + (lane / 16) * 8;
    const Raw *const b_lane = b + (lane % 8 + ((lane / 8) % 2) * 8) * SB + (lane / 16) * 8;
#pragma unroll
    for (int kk = 0; kk < K / 16; ++kk) {
        uint32_t a[4];
        attngen_ldmatrix_x4(a, attngen_smem_address(a_lane + kk * 16));
#pragma unroll
        for (int n = 0; n < N / 8; n += 2) {
            uint32_t v[4];
            attngen_ldmatrix_x4_trans(v, attngen_smem_address(b_lane + kk * 16 * SB + n * 8));
            attngen_mma_16816(c[n], a, v[0], v[1], Element());
            attngen_mma_16816(c[n + 1], a, v[2], v[3], Element());
        }
    }
}

/* Stores one fp32 value into a shared-memory operand, rounded to the storage type. */
static __device__ __forceinline__ void shared_store(Raw *p, float x) {
    attngen_store_float(reinterpret_cast<Element *>(p), x);
}
