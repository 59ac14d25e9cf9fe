/* fp16 / bf16 operands on mma.sync m16n8k16 with fp32 accumulators; fragments come from shared memory
   through ldmatrix (rows padded by 16 bytes, so the 8 row addresses of each 8x8 matrix hit 8 distinct
   16-byte bank groups). Each K or V fragment read serves all MTiles row fragments of the warp. */

/* s = Q·Kᵀ for the warp's MTiles · 16 rows of the Q tile against all Columns keys of a K tile (kBlockColumns
   unless the caller says otherwise: the decode kernel's wide blocks). */
template <int MTiles, int Columns = kBlockColumns>
static __device__ __forceinline__ void warp_scores(float (&s)[MTiles][Columns / 8][4], const Raw *sQ,
                                                   const Raw *sK, int warp, int lane) {
#pragma unroll
    for (int m = 0; m < MTiles; ++m) {
#pragma unroll
        for (int n = 0; n < Columns / 8; ++n) {
            s[m][n][0] = s[m][n][1] = s[m][n][2] = s[m][n][3] = 0.0f;
        }
    }
    /* ldmatrix.x4 row addresses: Q rows 0-15 at columns 0 / 8; K rows (keys) 0-7 / 8-15 at columns 0 / 8. */
    const Raw *const q_lane = sQ + (warp * MTiles * 16 + lane % 16) * kQStride + (lane / 16) * 8;
    const Raw *const k_lane = sK + (lane % 8 + (lane / 16) * 8) * kKStride + ((lane / 8) % 2) * 8;
#pragma unroll
    for (int kk = 0; kk < kHeadDimPadded / 16; ++kk) {
        uint32_t a[MTiles][4];
#pragma unroll
        for (int m = 0; m < MTiles; ++m) {
            attngen_ldmatrix_x4(a[m], attngen_smem_address(q_lane + m * 16 * kQStride + kk * 16));
        }
#pragma unroll
        for (int n = 0; n < Columns / 8; n += 2) {
            uint32_t kb[4];
            attngen_ldmatrix_x4(kb, attngen_smem_address(k_lane + n * 8 * kKStride + kk * 16));
#pragma unroll
            for (int m = 0; m < MTiles; ++m) {
                attngen_mma_16816(s[m][n], a[m], kb[0], kb[1], Element());
                attngen_mma_16816(s[m][n + 1], a[m], kb[2], kb[3], Element());
            }
        }
    }
}

/* o += P·V: P (this lane's probabilities, the accumulator layout of s) is repacked in registers into
   the A fragments of m16n8k16; V comes through ldmatrix.trans (keys are the reduction dimension). */
template <int MTiles, int Columns = kBlockColumns>
static __device__ __forceinline__ void warp_accumulate_pv(float (&o)[MTiles][kValueHeadDimPadded / 8][4],
                                                          const float (&s)[MTiles][Columns / 8][4],
                                                          const Raw *sV, int lane) {
    const Raw *const v_lane = sV + (lane % 8 + ((lane / 8) % 2) * 8) * kVStride + (lane / 16) * 8;
#pragma unroll
    for (int kk = 0; kk < Columns / 16; ++kk) {
        uint32_t a[MTiles][4];
#pragma unroll
        for (int m = 0; m < MTiles; ++m) {
            a[m][0] = attngen_pack2(s[m][2 * kk][0], s[m][2 * kk][1], Element());
            a[m][1] = attngen_pack2(s[m][2 * kk][2], s[m][2 * kk][3], Element());
            a[m][2] = attngen_pack2(s[m][2 * kk + 1][0], s[m][2 * kk + 1][1], Element());
            a[m][3] = attngen_pack2(s[m][2 * kk + 1][2], s[m][2 * kk + 1][3], Element());
        }
#pragma unroll
        for (int n = 0; n < kValueHeadDimPadded / 8; n += 2) {
            uint32_t vb[4];
            attngen_ldmatrix_x4_trans(vb, attngen_smem_address(v_lane + kk * 16 * kVStride + n * 8));
#pragma unroll
            for (int m = 0; m < MTiles; ++m) {
                attngen_mma_16816(o[m][n], a[m], vb[0], vb[1], Element());
                attngen_mma_16816(o[m][n + 1], a[m], vb[2], vb[3], Element());
            }
        }
    }
}
