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

#ifdef __cplusplus
}
#endif

#endif /* {{guard}} */
