/* fp16 / bf16 operands on mma.sync m16n8k16 with fp32 accumulators; fragments come from shared memory
   through ldmatrix (rows padded by 16 bytes, so the 8 row addresses of each 8x8 matrix hit 8 distinct
   16-byte bank groups). Each K or V fragment read serves all MTiles row fragments of the warp. */

/* Where ldmatrix finds the fragments of a K tile (for Q·Kᵀ) and of a V tile (for P·V) whose rows are padded to kKStride
   and kVStride elements (the cp.async tiles): each lane's row address, once per tile, plus a constant per fragment.
   The decode kernel's TMA tiles have a swizzled layout of their own with the same four functions. */
struct PaddedRows {
    /* Lane l addresses key l % 8 + 8 (l / 16) at head-dim column 8 ((l / 8) % 2): the four 8x8 matrices of two n8
       fragments of keys by one k16 step. */
    static __device__ __forceinline__ uint32_t key_lane(const Raw *sK, int lane) {
        return attngen_smem_address(sK + (lane % 8 + (lane / 16) * 8) * kKStride + ((lane / 8) % 2) * 8);
    }
    /* Keys 8n .. 8n + 15, head-dim columns 16kk .. 16kk + 15. */
    static __device__ __forceinline__ uint32_t key_offset(int n, int kk, int) {
        return (uint32_t)((n * 8 * kKStride + kk * 16) * (int)sizeof(Raw));
    }
    /* Lane l addresses key l % 8 + 8 ((l / 8) % 2) at value column 8 (l / 16), for ldmatrix.trans. */
    static __device__ __forceinline__ uint32_t value_lane(const Raw *sV, int lane) {
        return attngen_smem_address(sV + (lane % 8 + ((lane / 8) % 2) * 8) * kVStride + (lane / 16) * 8);
    }
    /* Keys 16kk .. 16kk + 15, value columns 8n .. 8n + 15. */
    static __device__ __forceinline__ uint32_t value_offset(int kk, int n, int) {
        return (uint32_t)((kk * 16 * kVStride + n * 8) * (int)sizeof(Raw));
    }
};

/* s = Q·Kᵀ for the warp's MTiles · 16 rows of the Q tile against all Columns keys of a K tile (kBlockColumns
   unless the caller says otherwise: the decode kernel's wide blocks), laid out as KLayout says (PaddedRows above). */
template <int MTiles, int Columns = kBlockColumns, typename KLayout = PaddedRows>
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
    const uint32_t k_lane = KLayout::key_lane(sK, lane);
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
            attngen_ldmatrix_x4(kb, k_lane + KLayout::key_offset(n, kk, lane));
#pragma unroll
            for (int m = 0; m < MTiles; ++m) {
                attngen_mma_16816(s[m][n], a[m], kb[0], kb[1], Element());
                attngen_mma_16816(s[m][n + 1], a[m], kb[2], kb[3], Element());
            }
        }
    }
}

/* o += P·V: P (this lane's probabilities, the accumulator layout of s) is repacked in registers into
   the A fragments of m16n8k16; V comes through ldmatrix.trans (keys are the reduction dimension), laid out as
   VLayout says. */
template <int MTiles, int Columns = kBlockColumns, typename VLayout = PaddedRows>
static __device__ __forceinline__ void warp_accumulate_pv(float (&o)[MTiles][kValueHeadDimPadded / 8][4],
                                                          const float (&s)[MTiles][Columns / 8][4],
                                                          const Raw *sV, int lane) {
    const uint32_t v_lane = VLayout::value_lane(sV, lane);
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
            attngen_ldmatrix_x4_trans(vb, v_lane + VLayout::value_offset(kk, n, lane));
#pragma unroll
            for (int m = 0; m < MTiles; ++m) {
                attngen_mma_16816(o[m][n], a[m], vb[0], vb[1], Element());
                attngen_mma_16816(o[m][n + 1], a[m], vb[2], vb[3], Element());
            }
        }
    }
}
