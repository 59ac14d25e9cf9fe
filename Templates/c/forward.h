{{banner}}
#ifndef {{guard}}
#define {{guard}}

#include "attngen_abi.h"

/*
{{description}}
 */

/* The variant, for callers that allocate buffers or check their build (0 = chosen at run time / absent). */
{{defines}}

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Computes O = softmax(scale * Q K^T, masked) V for every batch and query head (README.md, "c-abi").
 * Checks every argument before writing anything; returns ATTNGEN_OK or the first problem found.
 * Thread-safe; with OpenMP it spreads (batch, head, query tile) tasks over params->num_threads threads.
 */
attngen_status attngen_{{name}}_forward(const attngen_forward_params *params);

#ifdef __cplusplus
}
#endif

#endif /* {{guard}} */
