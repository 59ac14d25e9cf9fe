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

/*
 * Merges partial results of the same query rows (attngen_combine_params in attngen_abi.h): O in this variant's
 * storage type and, when params->lse is set, the merged log-sum-exp. Checks every argument first.
 */
attngen_status attngen_{{name}}_combine(const attngen_combine_params *params);
{{quantize_declaration}}

#ifdef __cplusplus
}
#endif

#endif /* {{guard}} */
