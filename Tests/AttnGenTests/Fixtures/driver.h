/*
 * driver.h: what the harness generates for each variant, and what driver.c links against.
 *
 * For a variant NAME the harness (Tests/AttnGenTests/Harness) writes two small C files next to the
 * generated NAME.c:
 *   harness_variant.c   includes NAME.h, defines `harness_variant_info` and `harness_forward`
 *                       (which calls attngen_NAME_forward);
 *   harness_predicate.c defines `harness_predicate` from MaskPredicate.cSource(names:) with its own
 *                       attngen_floor_div / attngen_floor_mod (a separate translation unit, so those
 *                       helpers never collide with the kernel's own).
 * and builds   cc -std=c11 -O2 -Wall -Wextra -Werror driver.c reference.c harness_variant.c
 *              harness_predicate.c NAME.c -lm
 *
 * Reuse for another backend (CUDA): driver.c only ever calls harness_forward() with host pointers, so a
 * harness_variant.cu whose harness_forward copies q, k, v, block_mask and the (poisoned) o and lse to the
 * device, calls attngen_NAME_forward_cuda, and copies o and lse back runs the same checks unchanged. Copy
 * harness_extent() elements of each tensor (the guard after them stays on the host), and pass the params
 * through untouched when a pointer is NULL or a size is negative, so that `errors` still sees the kernel's
 * own status.
 */
#ifndef ATTNGEN_HARNESS_DRIVER_H
#define ATTNGEN_HARNESS_DRIVER_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "attngen_abi.h"
#include "reference.h"

typedef struct harness_variant {
    const char *name;
    /* The reference's view of the spec (predicate already pointing at harness_predicate when used). */
    attngen_reference_spec reference;
    /* Head counts fixed in the spec, or 0 and 0 for run-time heads. */
    int fixed_heads_q;
    int fixed_heads_kv;
    /* Whether the variant writes the log-sum-exp. */
    int saves_lse;
    /* Dropout probability of the spec (0 when none). */
    double dropout_probability;
    /* Run-time arrays of the score modifiers: the drivers pass heads_q values per array in score_parameters. */
    int score_parameter_count;
    /* Whether the variant has attention sinks: the drivers pass heads_q logits in sinks. */
    int sinks;
} harness_variant;

extern const harness_variant harness_variant_info;

/* Calls attngen_NAME_forward. */
attngen_status harness_forward(const attngen_forward_params *params);

/* Calls attngen_NAME_combine. */
attngen_status harness_combine(const attngen_combine_params *params);

/* The storage's smallest normal magnitude: below it values are rounded in fixed steps (fp16: 2^-24), the floor of
   the relative errors of O (driver.c) and of the gradients (backward_driver.c). */
static inline double harness_smallest_normal(int storage) {
    return storage == ATTNGEN_REFERENCE_FP16 ? 0x1p-14 : 0x1p-126;
}

/* Elements spanned by a tensor of (batch, heads, seqlen, dim) through `layout` (0 when any size is 0). */
static inline int64_t harness_extent(const attngen_layout *layout, int64_t batch, int64_t heads, int64_t seqlen,
                                     int64_t dim) {
    if (batch <= 0 || heads <= 0 || seqlen <= 0 || dim <= 0) {
        return 0;
    }
    return (batch - 1) * layout->batch_stride + (heads - 1) * layout->head_stride
         + (seqlen - 1) * layout->row_stride + dim;
}

/* The spec's predicate (returns 1 when the spec has none). */
int harness_predicate(int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk);

/* The spec's score modifier and its derivative with respect to s (s and 1 when the spec has none), in double
   precision, rendered by the harness independently of the generator (the derivative by dual numbers). */
double harness_score_modifier(double s, int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk,
                              int64_t heads_q, const float *score_parameters);
double harness_score_modifier_derivative(double s, int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk,
                                         int64_t heads_q, const float *score_parameters);
/* Its derivative with respect to entry h of run-time array `index` (score_parameters[index * heads_q + h]), by dual
   numbers seeded there (0 when the spec has no such array). */
double harness_score_modifier_parameter_derivative(double s, int index, int64_t b, int64_t h, int64_t q, int64_t k,
                                                   int64_t nq, int64_t nk, int64_t heads_q,
                                                   const float *score_parameters);

/* The run-time arrays of a score modifier: `count` values (and one spare) in [0.25, 1) (positive, as ALiBi slopes
   are), the same for every seed, so that the forward and backward checks of one variant agree; malloc'ed (the
   caller frees them), NULL when out of memory. */
static inline float *harness_new_score_parameters(int64_t count) {
    float *values = (float *)malloc((size_t)(count + 1) * sizeof(float));
    uint32_t state = 0x9E3779B9u;
    for (int64_t i = 0; values != NULL && i <= count; i++) {
        state = state * 1664525u + 1013904223u;
        values[i] = 0.25f + 0.75f * (float)(state >> 8) * (1.0f / 16777216.0f);
    }
    return values;
}

/* Sink logits for `count` query heads (and one spare): in [-1, 3) (as large as the scores, so that the sink takes
   a real share of each row), -inf (no sink) for every fourth head; the same for every seed, like the score
   parameters. malloc'ed (the caller frees them), NULL when out of memory. */
static inline float *harness_new_sinks(int64_t count) {
    float *values = (float *)malloc((size_t)(count + 1) * sizeof(float));
    uint32_t state = 0x7F4A7C15u;
    for (int64_t i = 0; values != NULL && i <= count; i++) {
        state = state * 1664525u + 1013904223u;
        values[i] = i % 4 == 3 ? -INFINITY : -1.0f + 4.0f * (float)(state >> 8) * (1.0f / 16777216.0f);
    }
    return values;
}

/* The prefix sums of a variable-length batch of `batch` sequences of at most `bound` rows (README, "Variable-length
   batches"): sequence 0 has `bound` rows, sequence 1 none, sequence 2 one, the others a count in 0 ... bound drawn
   with `next`; the first sequence starts at row 2 (packed rows before it that no call may touch). batch + 1
   entries, malloc'ed (the caller frees them), NULL when out of memory. */
static inline int32_t *harness_prefix_sums(int64_t batch, int64_t bound, uint64_t *state, uint64_t (*next)(uint64_t *)) {
    int32_t *prefix = (int32_t *)malloc((size_t)(batch + 1) * sizeof(int32_t));
    if (prefix == NULL) {
        return NULL;
    }
    prefix[0] = 2;
    for (int64_t b = 0; b < batch; b++) {
        const int64_t rows = b == 0 ? bound : b == 1 ? 0 : b == 2 ? (bound > 0 ? 1 : 0)
                                                       : (int64_t)(next(state) % (uint64_t)(bound + 1));
        prefix[b + 1] = (int32_t)(prefix[b] + rows);
    }
    return prefix;
}

#endif /* ATTNGEN_HARNESS_DRIVER_H */
