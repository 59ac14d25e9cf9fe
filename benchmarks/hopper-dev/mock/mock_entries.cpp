/*
 * The Hopper entry points of hopper_check.cu, answered by attngen's C kernels of the same variants (the same
 * ABI, host memory). The generated launcher sends layouts TMA cannot address (attngen_hopper_tma_layout_ok) to
 * the mma.sync kernel; here every call runs the C kernel. Only for checking the checker without a GPU: see
 * mock_check.sh.
 */
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>

#include "attngen_abi.h"

/* Fault injection, to see the checker fail and report (MOCK_FAULT=1: O[0][0][q][3] += 0.5 for every q % 16 == 5,
   2: one element written past the last O row, 3: LSE of row 0 set to 0). */
static attngen_status inject(const attngen_forward_params *p, attngen_status status) {
    const char *fault = getenv("MOCK_FAULT");
    if (status != ATTNGEN_OK || fault == NULL || p->seqlen_k == 0) return status;
    uint16_t *o = (uint16_t *)p->o;
    const int64_t last = (p->batch - 1) * p->o_layout.batch_stride + (p->heads_q - 1) * p->o_layout.head_stride +
                         (p->seqlen_q - 1) * p->o_layout.row_stride;
    switch (atoi(fault)) {
        case 1:
            for (int64_t q = 5; q < p->seqlen_q; q += 16) o[q * p->o_layout.row_stride + 3] ^= 0x0040; /* a mantissa bit */
            break;
        case 2: o[last + 200] = 0; break;
        case 3: if (p->lse) p->lse[0] = 0.0f; break;
    }
    return status;
}

#define ENTRY(name)                                                                                              \
    extern "C" attngen_status attngen_##name##_forward(const attngen_forward_params *);                          \
    extern "C" attngen_status attngen_##name##_forward_cuda(const attngen_forward_params *p, cudaStream_t) {    \
        return inject(p, attngen_##name##_forward(p));                                                           \
    }

ENTRY(hop_dense_d128_bf16)
ENTRY(hop_causal_d128_bf16)
ENTRY(hop_causal_br_d128_bf16)
ENTRY(hop_causal_d128_fp16)
ENTRY(hop_dense_d64_bf16)
ENTRY(hop_causal_d64_bf16)
ENTRY(hop_window_br_d64_fp16)
ENTRY(hop_sparse_d128_bf16)
ENTRY(hop_pred_d64_bf16)
ENTRY(hop_dense_d256_bf16)
ENTRY(hop_causal_d256_bf16)
ENTRY(hop_causal_br_d256_fp16)
ENTRY(hop_sparse_d256_bf16)
ENTRY(hop_dense_d192v128_bf16)
ENTRY(hop_causal_d192v128_bf16)
ENTRY(hop_pred_d192_fp16)
ENTRY(hop_window_br_d128v64_bf16)
