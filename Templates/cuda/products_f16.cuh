/* fp16 / bf16 operands on mma.sync m16n8k16 with fp32 accumulators; fragments come from shared memory
   through ldmatrix (rows padded by 16 bytes, so the 8 row addresses of each 8x8 matrix hit 8 distinct
   16-byte bank groups). */

/* s = Q·Kᵀ for rows [warp·16, warp·16 + 16) of the Q tile against all kBlockColumns keys of a K tile. */
static __device__ __forceinline__ void warp_scores(float (&s)[kBlockColumns / 8][4], const Raw *sQ, const Raw *sK,
                                                   int warp, int lane) {
#pragma unroll
    for (int n = 0; n < kBlockColumns / 8; ++n) {
        s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
    }
    /* ldmatrix.x4 row addresses: Q rows 0-15 at columns 0 / 8; K rows (keys) 0-7 / 8-15 at columns 0 / 8. */
    const Raw *const q_lane = sQ + (warp * 16 + lane % 16) * kQStride + (lane / 16) * 8;
    const Raw *const k_lane = sK + (lane % 8 + (lane / 16) * 8) * kKStride + ((lane / 8) % 2) * 8;
#pragma unroll
    for (int kk = 0; kk < kHeadDimPadded / 16; ++kk) {
        uint32_t a[4];
        attngen_ldmatrix_x4(a, attngen_smem_address(q_lane + kk * 16));
#pragma unroll
        for (int n = 0; n < kBlockColumns / 8; n += 2) {
            uint32_t kb[4];
            attngen_ldmatrix_x4(kb, attngen_smem_address(k_lane + n * 8 * kKStride + kk * 16));
            attngen_mma_16816(s[n], a, kb[0], kb[1], Element());
            attngen_mma_16816(s[n + 1], a, kb[2], kb[3], Element());
        }
    }
}

/* o += P·V: P (this lane's probabilities, the accumulator layout of s) is repacked in registers into
   the A fragments of m16n8k16; V comes through ldmatrix.trans (keys are the reduction dimension). */
static __device__ __forceinline__ void warp_accumulate_pv(float (&o)[kValueHeadDimPadded / 8][4],
                                                          const float (&s)[kBlockColumns / 8][4], const Raw *sV,
                                                          int lane) {
    const Raw *const v_lane = sV + (lane % 8 + ((lane / 8) % 2) * 8) * kVStride + (lane / 16) * 8;
#pragma unroll
    for (int kk = 0; kk < kBlockColumns / 16; ++kk) {
        uint32_t a[4];
        a[0] = attngen_pack2(s[2 * kk][0], s[2 * kk][1], Element());
        a[1] = attngen_pack2(s[2 * kk][2], s[2 * kk][3], Element());
        a[2] = attngen_pack2(s[2 * kk + 1][0], s[2 * kk + 1][1], Element());
        a[3] = attngen_pack2(s[2 * kk + 1][2], s[2 * kk + 1][3], Element());
#pragma unroll
        for (int n = 0; n < kValueHeadDimPadded / 8; n += 2) {
            uint32_t vb[4];
            attngen_ldmatrix_x4_trans(vb, attngen_smem_address(v_lane + kk * 16 * kVStride + n * 8));
            attngen_mma_16816(o[n], a, vb[0], vb[1], Element());
            attngen_mma_16816(o[n + 1], a, vb[2], vb[3], Element());
        }
    }
}
