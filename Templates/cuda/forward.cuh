{{banner}}
#ifndef {{guard}}
#define {{guard}}

#include <cuda_runtime.h>

#include "attngen_abi.h"

/* What this variant fixed when it was generated. */
{{variant_defines}}

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Runs the forward pass on `stream` (asynchronously). Returns ATTNGEN_OK once the kernel is launched,
 * or the first problem found in `params` (nothing is launched then), or ATTNGEN_ERROR_CUDA when a CUDA
 * call fails. All tensor pointers in `params` are device pointers.
 */
attngen_status attngen_{{name}}_forward_cuda(const attngen_forward_params *params, cudaStream_t stream);

/*
 * The bytes of the optional forward workspace (params->workspace) with which a call with few query rows splits
 * its keys across thread blocks (split-KV decoding) on the current device; 0 when the call would not split.
 * SIZE_MAX when params is NULL, its struct_size is wrong or a size or head count is refused.
 */
size_t attngen_{{name}}_forward_workspace_size_cuda(const attngen_forward_params *params);

/*
 * Merges partial results of the same query rows (attngen_combine_params in attngen_abi.h) on `stream`, into O
 * in this variant's storage type (value head dim {{value_head_dim}}) and, when params->lse is set, the merged LSE.
 */
attngen_status attngen_{{name}}_combine_cuda(const attngen_combine_params *params, cudaStream_t stream);
{{quantize_declaration}}

#ifdef __cplusplus
}
#endif

#endif /* {{guard}} */
