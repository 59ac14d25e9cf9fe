{{banner}}
#ifndef {{guard}}
#define {{guard}}

/*
 * The constants and hooks of variant {{name}}, shared by all of its kernels ({{kernels}}): storage type, head
 * dimensions, scale, masks and dropout, rendered from one description of the variant. Internal to the variant's
 * sources; callers include {{name}}.h.
 */

#include "attngen_runtime.h"

#include <math.h>

/* ---- storage type ------------------------------------------------------------------------------- */

/* {{storage_comment}} */
typedef {{element_type}} element_t;
#define ELEMENT_IS_FLOAT {{element_is_float}}
#define ELEMENT_IS_BF16 {{element_is_bf16}}

static inline float load_element(element_t value)
{
    return {{load_element}};
}

static inline element_t store_element(float value)
{
    return {{store_element}};
}

/* `count` elements from `src` in fp32. */
static inline void load_row(float *dst, const element_t *src, int64_t count)
{
    {{load_row}}
}

/* {{input_comment}} */
typedef {{input_type}} input_t;
#define INPUTS_ARE_FP8 {{inputs_are_fp8}}
#define INPUTS_ARE_FLOAT (ELEMENT_IS_FLOAT && !INPUTS_ARE_FP8) /* Q, K and V are fp32: read in place */

/* One stored element of Q, K or V, and `count` of them from `src`, in fp32 (before the descale factors). */
static inline float load_input(input_t value)
{
    return {{load_input}};
}

static inline void load_input_row(float *dst, const input_t *src, int64_t count)
{
    {{load_input_row}}
}

/* The descale factor of sequence b, key/value head g in one of the call's arrays (fp8 inputs; NULL: 1). */
static inline float input_descale(const attngen_forward_params *params, const float *descale, int64_t b, int64_t g)
{
    return descale == NULL ? 1.0f
                           : descale[b * params->descale_batch_stride + g * params->descale_head_stride];
}

/* The factors of sequence b, key/value head g (README.md, "fp8 inputs"): Q's times K's, which scale the scores (folded
   into Q), and V's, which scales O; 1 and 1 unless the inputs are fp8. */
typedef struct input_descales {
    float qk;
    float v;
} input_descales;

static inline input_descales input_descales_of(const attngen_forward_params *params, int64_t b, int64_t g)
{
#if INPUTS_ARE_FP8
    const input_descales factors = {
        input_descale(params, params->q_descale, b, g) * input_descale(params, params->k_descale, b, g),
        input_descale(params, params->v_descale, b, g)};
#else
    (void)params;
    (void)b;
    (void)g;
    const input_descales factors = {1.0f, 1.0f};
#endif
    return factors;
}

/* ---- shape and scale ---------------------------------------------------------------------------- */

enum {
    HEAD_DIM = {{head_dim}}, /* d: Q and K */
    VALUE_HEAD_DIM = {{value_head_dim}}, /* dv: V and O */
    FIXED_HEADS_Q = {{fixed_heads_q}}, /* 0: the head counts come from the parameters */
    FIXED_HEADS_KV = {{fixed_heads_kv}}
};

/* The head dims as literals, for #if (where an enum constant reads as 0). */
#define HEAD_DIM_LITERAL {{head_dim}}
#define VALUE_HEAD_DIM_LITERAL {{value_head_dim}}

/* Keys per page of a paged K/V cache; 0: contiguous K and V. */
#define PAGE_SIZE {{page_size}}

/* The offset, in elements, of key `key` of sequence b in K or V (through `layout`, the head's offset aside): the key's
   row of the sequence's rows `keys` (attngen_sequence_rows_of: batch_stride apart, or packed by cu_seqlens_k), or with
   a paged cache the key's row of its page of the page table. */
static inline int64_t key_row_offset(const attngen_forward_params *params, const attngen_layout *layout,
                                     attngen_sequence_rows keys, int64_t b, int64_t key)
{
#if PAGE_SIZE > 0
    (void)keys;
    const int64_t page = params->page_table[b * params->page_table_stride + key / PAGE_SIZE];
    return page * layout->batch_stride + (key % PAGE_SIZE) * layout->row_stride;
#else
    (void)params;
    (void)b;
    return attngen_sequence_row_offset(keys, layout, key);
#endif
}

/* Score modifiers (README.md, "Score modifiers"): whether the variant has any, and how many run-time arrays they read. */
#define HAS_SCORE_MODIFIER {{has_score_modifier}}
#define SCORE_PARAMETER_COUNT {{score_parameter_count}}

/* Attention sinks (README.md, "Attention sinks"): a learned logit per query head in the softmax's denominator. */
#define HAS_SINKS {{has_sinks}}

/* What the variant requires of its arguments (attngen_checks.h). */
static const attngen_variant_rules VARIANT_RULES = {
    HEAD_DIM, VALUE_HEAD_DIM, (int64_t)sizeof(element_t), FIXED_HEADS_Q, FIXED_HEADS_KV, {{saves_lse}},
    {{sparse_block_rows}}, {{sparse_block_columns}}, PAGE_SIZE, SCORE_PARAMETER_COUNT, HAS_SINKS,
    (int32_t)sizeof(input_t)
};

/* The softmax scale, and scale * log2(e): scores are kept in base-2 units so that the softmax uses exp2. */
static const float SOFTMAX_SCALE = {{softmax_scale}};
static const float SCORE_SCALE_LOG2E = {{score_scale_log2e}};
/* What turns the backward pass's score into base 2: scale * log2(e), or 1 when a score modifier gives base 2. */
static const float SCORE_TO_LOG2 = {{score_to_log2}};

{{dropout_constants}}

/* ---- masks (README.md, "The C ABI": a conjunction of the spec's masks, and k < nk) ----------------- */

/* The keys [*key_begin, *key_end) that query rows [q_begin, q_end) can keep at all (causal and window masks). */
static inline void visible_key_range(int64_t q_begin, int64_t q_end, int64_t nq, int64_t nk, int64_t *key_begin,
                                     int64_t *key_end)
{
    int64_t begin = 0;
    int64_t end = nk;
    {{key_range}}
    (void)q_begin;
    (void)q_end;
    (void)nq;
    *key_begin = begin;
    *key_end = end;
}

/* The keys [*key_lo, *key_hi) of query q that the causal and window masks keep. */
static inline void row_key_bounds(int64_t q, int64_t nq, int64_t nk, int64_t *key_lo, int64_t *key_hi)
{
    int64_t lo = 0;
    int64_t hi = nk;
    {{row_bounds}}
    (void)q;
    (void)nq;
    *key_lo = lo;
    *key_hi = hi;
}

/* The queries [*query_lo, *query_hi) that keep key k by the causal and window masks. */
static inline void key_query_bounds(int64_t k, int64_t nq, int64_t nk, int64_t *query_lo, int64_t *query_hi)
{
    int64_t lo = 0;
    int64_t hi = nq;
    {{key_query_bounds}}
    (void)k;
    (void)nk;
    *query_lo = lo;
    *query_hi = hi;
}

/* The predicate masks at one element (1 when the variant has none). */
static inline int element_predicate_holds(int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk)
{
    (void)b;
    (void)h;
    (void)q;
    (void)k;
    (void)nq;
    (void)nk;
    {{element_predicate}}
}

/* ---- score modifier (README.md, "Score modifiers") ---------------------------------------------- */

/* What the modifier reads of one (batch, query head): the batch index and the lengths as fp32 values, and the
   subexpressions that depend on neither the score nor the positions (slopes, run-time arrays, ...). */
typedef struct score_modifier_state {
    float b, nq, nk;
    float value[{{score_modifier_state_size}}];
} score_modifier_state;

static inline score_modifier_state score_modifier_prepare(int64_t b, int64_t h, int64_t nq, int64_t nk, int64_t heads_q,
                                                          const float *score_parameters)
{
    score_modifier_state state;
    (void)h;
    (void)heads_q;
    (void)score_parameters;
    state.b = (float)b;
    state.nq = (float)nq;
    state.nk = (float)nk;
    {{score_modifier_prepare}}
    return state;
}

/* The modified score in base 2, log2(e) * m(scale * s), of the raw score s = Q.K^T of query q and key k (positions
   as fp32 values, exact below 2^24). */
static inline float score_modifier_log2(float s, float q, float k, const score_modifier_state *state)
{
    (void)s;
    (void)q;
    (void)k;
    (void)state;
    {{score_modifier_value}}
}

/* The same from the forward kernel's base-2 score s = scale * log2(e) * Q.K^T: log2(e) * m(ln(2) * s). */
static inline float score_modifier_log2_from_log2(float s, float q, float k, const score_modifier_state *state)
{
    (void)s;
    (void)q;
    (void)k;
    (void)state;
    {{score_modifier_value_from_log2}}
}

/* The derivative m'(scale * s) of the modifier with respect to the scaled score, at the raw score s. */
static inline float score_modifier_derivative(float s, float q, float k, const score_modifier_state *state)
{
    (void)s;
    (void)q;
    (void)k;
    (void)state;
    {{score_modifier_derivative}}
}

/* The gradient of the modifiers' run-time arrays at one score: accumulators[i] += dm * dm/d(array i)[h], dm being
   dL/dm at the raw score s (README.md, "Score modifiers"). */
static inline void score_modifier_parameter_gradients(float s, float q, float k, const score_modifier_state *state,
                                                      float dm, double *accumulators)
{
    (void)s;
    (void)q;
    (void)k;
    (void)state;
    (void)dm;
    (void)accumulators;
    {{score_modifier_parameter_gradients}}
}

/* Whether a block-sparse layout turns off the whole tile of query rows from q_begin and keys from k_begin. */
static inline int key_tile_is_skipped(const uint8_t *block_mask, const attngen_layout *layout, int64_t b, int64_t h,
                                      int64_t q_begin, int64_t k_begin)
{
    (void)block_mask;
    (void)layout;
    (void)b;
    (void)h;
    (void)q_begin;
    (void)k_begin;
    {{tile_skipped}}
}

#endif /* {{guard}} */
