{{banner}}
#ifndef {{guard}}
#define {{guard}}

#include "attngen_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Bytes of workspace attngen_{{name}}_backward needs for these sizes (the same in both dQ modes):
 * dQ accumulated in fp32, batch * heads_q * seqlen_q * {{head_dim}} floats, and the row sums
 * D = rowsum(dO * O), batch * heads_q * seqlen_q floats, each rounded up to 64 bytes.
 * Returns 0 for invalid or empty sizes.
 */
size_t attngen_{{name}}_backward_workspace_size(const attngen_backward_params *params);

/*
 * The FlashAttention backward pass: dQ, dK and dV of the loss L given dO = dL/dO, recomputing the
 * probabilities tile by tile from Q, K and the saved log-sum-exp (no N x N matrix is stored; the dropout
 * mask is regenerated from the seed and offset of the forward call). Checks every argument before
 * writing anything. Thread-safe; with OpenMP it spreads work over params->num_threads threads.
 * Besides the caller's workspace it allocates fp32 copies of Q and dO for the duration of the call
 * (ATTNGEN_ERROR_OUT_OF_MEMORY, with nothing written, when that fails).
 */
attngen_status attngen_{{name}}_backward(const attngen_backward_params *params);

#ifdef __cplusplus
}
#endif

#endif /* {{guard}} */
