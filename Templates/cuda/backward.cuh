{{banner}}
#ifndef {{guard}}
#define {{guard}}

#include <cuda_runtime.h>

#include "attngen_abi.h"

{{variant_defines}}

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Bytes of device workspace that attngen_{{name}}_backward_cuda needs
 * for these sizes and params->dq_mode (0 for invalid or empty sizes). With R = batch * heads_q * seqlen_q
 * query rows, each part rounded up to 256 bytes:
 *   ATTNGEN_DQ_DETERMINISTIC: R floats, the row sums D = rowsum(dO * O). dQ is computed by its own kernel,
 *                             one thread block per query tile walking the key tiles in order, and written
 *                             straight to params->dq: O(N) workspace, results bit-identical run to run.
 *   ATTNGEN_DQ_FAST:          R floats of D, then R * {{head_dim}} floats, dQ accumulated in fp32 with
 *                             atomic adds (the order of additions, so the last bits of dQ, may vary).
 * dK and dV are the same in both modes, and bit-identical from run to run.
 */
size_t attngen_{{name}}_backward_workspace_size_cuda(const attngen_backward_params *params);

/*
 * The FlashAttention-2 backward pass on `stream` (asynchronously): dQ, dK and dV of the loss given
 * dO = dL/dO, recomputing the probabilities tile by tile from Q, K and the log-sum-exp the forward pass
 * saved (no N x N matrix is stored; dropout decisions are regenerated from the forward call's seed and
 * offset). For GQA/MQA, dK and dV sum over the query heads of each key/value head. All tensor pointers
 * and the workspace are device pointers; the workspace must be 16-byte aligned and hold at least
 * attngen_{{name}}_backward_workspace_size_cuda(params) bytes. Returns ATTNGEN_OK once the kernels are
 * launched, the first problem found in `params` (nothing launched), or ATTNGEN_ERROR_CUDA.
 */
attngen_status attngen_{{name}}_backward_cuda(const attngen_backward_params *params, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif /* {{guard}} */
