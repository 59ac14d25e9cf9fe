{{banner}}
#ifndef {{guard}}
#define {{guard}}

#include "attngen_runtime_cuda.cuh"

/*
 * The constants and mask hooks of variant {{name}}, shared by all of its kernels ({{kernels}}): storage type,
 * head dimensions, scale, masks and dropout, rendered from one description of the variant. Internal to the
 * variant's sources; callers include {{name}}.cuh.
 */

namespace {{namespace}} {

{{constants}}

/* What the variant requires of its arguments (attngen_checks.h). */
constexpr attngen_variant_rules kVariantRules = {kHeadDim, kValueHeadDim, (int64_t)sizeof(Element), kFixedHeadsQ,
                                                 kFixedHeadsKV, kSavesLogSumExp ? 1 : 0,
                                                 kBlockSparse ? kSparseBlockRows : 0, kBlockSparse ? kSparseBlockColumns : 0,
                                                 kPageSize, kScoreParameterCount, kSinks ? 1 : 0, kInputBytes};

/* ------------------------------------------------------------------------------------------------
 * Masks (README.md, "The C ABI": a conjunction of the spec's masks, and k < nk).
 * ---------------------------------------------------------------------------------------------- */

/* The keys [begin, end) that rows [q_begin, q_end) can keep at all, from the causal and window masks. */
static __device__ __forceinline__ void visible_key_range(int64_t q_begin, int64_t q_end, int64_t nq, int64_t nk,
                                                         int64_t &begin, int64_t &end) {
    begin = 0;
    end = nk;
    {{key_range}}
    (void)q_begin;
    (void)q_end;
    (void)nq;
}

/* True when every element of rows [q_begin, q_end) x keys [k_begin, k_end) is kept by the bounds, causal
   and window masks (and there is no per-element predicate): no element test needed. */
static __device__ __forceinline__ bool tile_is_interior(int64_t q_begin, int64_t q_end, int64_t k_begin,
                                                        int64_t k_end, int64_t nq, int64_t nk) {
    (void)q_begin;
    (void)q_end;
    (void)k_begin;
    (void)nq;
    {{tile_interior}}
}

/* The keys [lo, hi) of query row q that the sequence end and the causal and window masks keep: on a tile
   that crosses a mask boundary each row needs two integer compares per element, not the whole test. */
static __device__ __forceinline__ void row_key_bounds(int64_t q, int64_t nq, int64_t nk, int64_t &lo, int64_t &hi) {
    (void)q;
    (void)nq;
    lo = 0;
    hi = nk;
    {{row_bounds}}
}

/* The per-element predicate mask (true when the variant has none); the other masks are row_key_bounds. */
static __device__ __forceinline__ bool element_predicate_holds(int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq,
                                                               int64_t nk) {
    (void)b;
    (void)h;
    (void)q;
    (void)k;
    (void)nq;
    (void)nk;
    {{element_predicate}}
}

/* Whether the score of query q and key k (query head h of batch b) is kept. */
static __device__ __forceinline__ bool element_is_kept(int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq,
                                                       int64_t nk) {
    (void)b;
    (void)h;
    (void)q;
    (void)nq;
    {{element_kept}}
}

/* ------------------------------------------------------------------------------------------------
 * Score modifier (README.md, "Score modifiers").
 * ---------------------------------------------------------------------------------------------- */

/* What the modifier reads of one (batch, query head): the batch index and the lengths as fp32 values, and the
   subexpressions that depend on neither the score nor the positions (slopes, run-time arrays, ...). */
struct ScoreModifierState {
    float b, nq, nk;
    float value[{{score_modifier_state_size}}];
};

static __device__ __forceinline__ ScoreModifierState score_modifier_prepare(int64_t b, int64_t h, int64_t nq, int64_t nk,
                                                                            int64_t heads_q, const float *score_parameters) {
    ScoreModifierState state;
    (void)h;
    (void)heads_q;
    (void)score_parameters;
    state.b = (float)b;
    state.nq = (float)nq;
    state.nk = (float)nk;
    {{score_modifier_prepare}}
    return state;
}

/* The modified score in base 2, log2(e) · m(scale · s), of the raw score s = Q·Kᵀ of query q and key k (positions
   as fp32 values, exact below 2^24). */
static __device__ __forceinline__ float score_modifier_log2(float s, float q, float k, const ScoreModifierState &state) {
    (void)s;
    (void)q;
    (void)k;
    (void)state;
    {{score_modifier_value}}
}

/* The derivative m'(scale · s) of the modifier with respect to the scaled score, at the raw score s. */
static __device__ __forceinline__ float score_modifier_derivative(float s, float q, float k,
                                                                  const ScoreModifierState &state) {
    (void)s;
    (void)q;
    (void)k;
    (void)state;
    {{score_modifier_derivative}}
}

/* The gradient of the modifiers' run-time arrays at one score: accumulators[i] += dm · dm/d(array i)[h], dm being
   dL/dm at the raw score s (README.md, "Score modifiers"). */
static __device__ __forceinline__ void score_modifier_parameter_gradients(float s, float q, float k,
                                                                          const ScoreModifierState &state, float dm,
                                                                          float *accumulators) {
    (void)s;
    (void)q;
    (void)k;
    (void)state;
    (void)dm;
    (void)accumulators;
    {{score_modifier_parameter_gradients}}
}

/* A modifier c · s + B(q, k) as the raw score plus a bias in the raw score's units, B / (c · scale) (kScoreBias;
   the Hopper forward kernel; README.md, "Score modifiers"). Where u, the argument of the bias's |u|, keeps one
   sign over a tile (side 1: u >= 0, side -1: u <= 0), the bias is score_bias_key_slope(side) · k +
   score_bias_row(side, q); elsewhere score_bias_value(q, k). */
static __device__ __forceinline__ float score_bias_sign_argument(float q, float k, const ScoreModifierState &state) {
    (void)q;
    (void)k;
    (void)state;
    {{score_bias_sign_argument}}
}

static __device__ __forceinline__ float score_bias_key_slope(int side, const ScoreModifierState &state) {
    (void)side;
    (void)state;
    {{score_bias_key_slope}}
}

static __device__ __forceinline__ float score_bias_row(int side, float q, const ScoreModifierState &state) {
    (void)side;
    (void)q;
    (void)state;
    {{score_bias_row}}
}

static __device__ __forceinline__ float score_bias_value(float q, float k, const ScoreModifierState &state) {
    (void)q;
    (void)k;
    (void)state;
    {{score_bias_value}}
}

/* Whether the tile of query rows from q_begin and keys from k_begin is skipped by a run-time mask (the
   block-sparse layout; the tiles of every kernel divide the sparse block). */
static __device__ __forceinline__ bool key_tile_is_skipped(const uint8_t *block_mask, const attngen_layout &layout,
                                                           int64_t b, int64_t h, int64_t q_begin, int64_t k_begin) {
    (void)block_mask;
    (void)layout;
    (void)b;
    (void)h;
    (void)q_begin;
    (void)k_begin;
    {{tile_skipped}}
}

}  // namespace {{namespace}}

#endif /* {{guard}} */
