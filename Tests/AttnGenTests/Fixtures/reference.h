/*
 * reference.h: a naive float64 attention forward, written independently of every attngen emitter.
 *
 * It is the oracle of the correctness harness (Tests/AttnGenTests/ForwardMatrixTests.swift) and of the
 * CUDA check on the GPU machine. It reads the same inputs as a generated kernel, through the same
 * `attngen_forward_params` (attngen_abi.h, generated), and computes in double precision:
 *
 *   for each (b, h, q):  S[k] = scale * sum_i Q[b,h,q,i] * K[b,h/g,k,i]          (g = heads_q / heads_kv)
 *                        S[k] = score_modifier(S[k], b, h, q, k, ...)   when the spec has one
 *                        kept(k) = every mask keeps (b, h, q, k)
 *                        LSE = log(sum_{kept} exp(S[k]) + exp(sink[h]))   (-INFINITY when no key is kept
 *                              and there is no sink; the sink term only with spec.sinks, sink[h] = params->sinks[h])
 *                        P[k] = exp(S[k] - LSE) for kept keys, 0 otherwise
 *                        P[k] *= dropout: 0 when dropped, keep_scale otherwise (README "Dropout")
 *                        O[b,h,q,:] = sum_k P[k] * V[b,h/g,k,:]  (all zeros when no key is kept; the sink has
 *                                                                 no value row)
 *
 * Usage (host pointers only; copy device tensors to the host first):
 *
 *     attngen_reference_spec spec;
 *     attngen_reference_spec_init(&spec, head_dim, value_head_dim, ATTNGEN_REFERENCE_FP16);
 *     spec.scale = 0.125;                                     // spec.scale of the AttentionSpec
 *     attngen_reference_add_band(&spec, 1, 0, 0, 0, 1);       // causal, bottom-right: no left bound, right = 0
 *     spec.block_rows = 64; spec.block_columns = 64;          // when block-sparse (params->block_mask used)
 *     spec.predicate = my_predicate;                          // when the spec has a predicate mask
 *     spec.dropout_threshold = 6553u;                         // Dropout.dropThreshold = floor(p * 65536) (0 = none)
 *     spec.dropout_keep_scale = 1.0 / (1.0 - 0.1);            // rounded to fp32 by the reference
 *     double *o = malloc(batch*heads_q*seqlen_q*value_head_dim*sizeof(double));
 *     double *lse = malloc(batch*heads_q*seqlen_q*sizeof(double));
 *     int rc = attngen_reference_forward(&params, &spec, o, lse, NULL);   // 0 on success
 *
 * Outputs are dense, in [b][h][q][j] order (j over value_head_dim), whatever the layouts in `params`.
 * Variable-length batches (params->cu_seqlens_q / cu_seqlens_k, README "Variable-length batches"): sequence b has
 * cu[b+1] - cu[b] query rows / keys and reads packed row cu[b] + s of Q / K / V (batch_stride unused); its masks,
 * predicates and score modifiers see those lengths, dropout counts in seqlen_q x seqlen_k as always. The outputs
 * stay [b][h][seqlen_q] with rows past a sequence's end set to 0, and the backward's dense inputs and gradients are
 * [b][h][seqlen_q or seqlen_k][i] with rows past a sequence's end ignored (gradients 0).
 * `row_logit_bound` (optional, may be NULL, [b][h][q]) receives, per row, scale * max over kept keys of
 * sum_i |Q_i K_i|: the size of the logits, which bounds the rounding error any fp32 kernel makes in them. With a
 * score modifier m, each key counts |m'(S)| * scale * sum_i |Q_i K_i| + |m(S)| instead (the error carried through
 * m, and m's own rounding).
 *
 * Masks (a conjunction, as in AttentionSpec):
 *   - a "band" is a causal mask or a sliding window: it keeps q + shift - left <= k <= q + shift + right,
 *     shift = 0 (top-left) or Nk - Nq (bottom-right); a causal mask is a band with no left bound, right = 0;
 *   - block-sparse when spec.block_rows > 0: byte (b, h, q / block_rows, k / block_columns) of
 *     params->block_mask through params->block_mask_layout, non-zero keeps;
 *   - predicate when spec.predicate != NULL: non-zero keeps.
 * Dropout uses the reference's own Philox4x32-10 (attngen_reference_philox), with the README mapping.
 *
 * The reference checks nothing about the params beyond what it needs (it is not the unit under test):
 * it returns ATTNGEN_REFERENCE_BAD_ARGUMENT for NULL pointers or negative sizes, and
 * ATTNGEN_REFERENCE_NO_MEMORY when it cannot allocate its scratch.
 */
#ifndef ATTNGEN_REFERENCE_H
#define ATTNGEN_REFERENCE_H

#include <stdint.h>

#include "attngen_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Storage types, as in StorageType. */
enum {
    ATTNGEN_REFERENCE_FP32 = 0,
    ATTNGEN_REFERENCE_FP16 = 1,
    ATTNGEN_REFERENCE_BF16 = 2
};

/* Return codes of attngen_reference_forward. */
enum {
    ATTNGEN_REFERENCE_OK = 0,
    ATTNGEN_REFERENCE_BAD_ARGUMENT = 1,
    ATTNGEN_REFERENCE_NO_MEMORY = 2
};

#define ATTNGEN_REFERENCE_MAX_BANDS 4

/* A causal mask or a sliding window. */
typedef struct attngen_reference_band {
    int has_left;      /* 0: unbounded on the left */
    int64_t left;
    int has_right;     /* 0: unbounded on the right */
    int64_t right;
    int bottom_right;  /* 1: shift = Nk - Nq, 0: shift = 0 */
} attngen_reference_band;

/* The predicate of a predicate mask: non-zero keeps. nq, nk are seqlen_q and the keys of the sequence (seqlen_k, or
   seqlens_k[b] when the call gives per-sequence key counts, which every function here follows). */
typedef int (*attngen_reference_predicate)(int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk);

/* A score modifier (README.md, "Score modifiers"): the modified score of the scaled score s, and (for the backward
   reference) its derivative with respect to s. score_parameters is the call's params->score_parameters. */
typedef double (*attngen_reference_score_modifier)(double s, int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq,
                                                   int64_t nk, int64_t heads_q, const float *score_parameters);

/* The compile-time part of a variant, as the reference needs it. */
typedef struct attngen_reference_spec {
    int head_dim;                  /* d of Q and K */
    int value_head_dim;            /* dv of V and O */
    int storage;                   /* ATTNGEN_REFERENCE_FP32 / FP16 / BF16 */
    double scale;                  /* softmax scale (AttentionSpec.scale) */
    int band_count;                /* 0 ... ATTNGEN_REFERENCE_MAX_BANDS */
    attngen_reference_band bands[ATTNGEN_REFERENCE_MAX_BANDS];
    int block_rows;                /* > 0: block-sparse mask in params->block_mask */
    int block_columns;
    attngen_reference_predicate predicate;   /* NULL: no predicate mask */
    uint32_t dropout_threshold;    /* Dropout.dropThreshold (16-bit): dropped when the 16-bit value is below it; 0 = none */
    double dropout_keep_scale;     /* 1 / (1 - p); rounded once to fp32, as the README says */
    int page_size;                 /* > 0: K and V are pages of a paged cache, through params->page_table */
    attngen_reference_score_modifier score_modifier;             /* NULL: the plain scaled score */
    attngen_reference_score_modifier score_modifier_derivative;  /* its derivative (NULL with it) */
    int sinks;                     /* 1: params->sinks[h] is a sink logit of query head h (-inf: none) */
    int inputs_e4m3;               /* 1: Q, K and V are fp8 e4m3 bytes times the call's q/k/v_descale (O in `storage`) */
} attngen_reference_spec;

/* fp8 e4m3 byte -> double, exactly (NaN for S.1111.111). */
double attngen_reference_e4m3_to_double(uint8_t value);

/* Sets every field to "no mask, no dropout", scale = 1/sqrt(head_dim). */
void attngen_reference_spec_init(attngen_reference_spec *spec, int head_dim, int value_head_dim, int storage);

/* Appends a band; returns 0, or -1 when ATTNGEN_REFERENCE_MAX_BANDS are already there. */
int attngen_reference_add_band(attngen_reference_spec *spec, int has_left, int64_t left,
                               int has_right, int64_t right, int bottom_right);

/* The forward pass in double precision; see the top of this file. Returns ATTNGEN_REFERENCE_OK (0). */
int attngen_reference_forward(const attngen_forward_params *params, const attngen_reference_spec *spec,
                              double *o, double *lse, double *row_logit_bound);

/* The derivative of the score modifier with respect to element h of its run-time array `index`, at the scaled
   score s before the modifier (the harness renders it per variant). */
typedef double (*attngen_reference_parameter_derivative)(double s, int index, int64_t b, int64_t h, int64_t q,
                                                         int64_t k, int64_t nq, int64_t nk, int64_t heads_q,
                                                         const float *score_parameters);

/* What the float64 backward reads: the call (sizes, masks, dropout seed and offset, score parameters in `params`),
   the variant, Q, K, V and dO dense in double ([b][h][s][i]), the sink logits [heads_q] (NULL without sinks) and the
   run-time arrays' derivative. */
typedef struct attngen_reference_backward_inputs {
    const attngen_forward_params *params;
    const attngen_reference_spec *spec;
    const double *q, *k, *v, *d_o;
    const double *sinks;
    int parameter_arrays;                                        /* the score modifiers' run-time arrays */
    attngen_reference_parameter_derivative parameter_derivative; /* NULL when parameter_arrays = 0 */
} attngen_reference_backward_inputs;

/* What it writes, each dense in double and overwritten; NULL fields are not computed (all NULL: the loss alone).
   dq_terms and dk_terms are dQ and dK with every dS replaced by the size of its terms, P (|dP Z| + |D|) |m'|: the
   scale below which a cancelling dQ or dK cannot be judged relatively; dparameter_terms the sum of the sizes of the
   arrays' gradient terms. dsinks [heads_q]; dparameters and dparameter_terms [array][heads_q].
   dq_slack and dk_slack are dQ and dK with every dS replaced by how far it can move when the score lies within a
   float32 rounding of a point where the modifier's derivative jumps (abs, min, max, a select on the score):
   P |dP Z - D| |m'(x + w) - 2 m'(x) + m'(x - w)| for x the scaled score and w = ATTNGEN_REFERENCE_KINK_WINDOW
   max(1, |x|). Near a kink the derivative a float32 kernel takes depends on which side its own rounding of x falls,
   so either is right, and the second difference is the jump; where m' is smooth it is about w^2 |m'''|, far below
   any rounding. Zero without a modifier. */
#define ATTNGEN_REFERENCE_KINK_WINDOW 1e-5
typedef struct attngen_reference_gradients {
    double *dq, *dk, *dv;
    double *dq_terms, *dk_terms;
    double *dsinks;
    double *dparameters, *dparameter_terms;
    double *dq_slack, *dk_slack;
} attngen_reference_gradients;

/* The loss L = sum(O * dO) of the forward pass in double, and its gradients into `out` (NULL: the loss only), with
   the masks, dropout (Z = keep scale or 0), the score modifier (dS times its derivative), the sinks
   (dL/dsink = -P(sink) D) and the run-time arrays (dL/dm times dm/d(array)). */
double attngen_reference_backward(const attngen_reference_backward_inputs *in, const attngen_reference_gradients *out);

/* Whether every mask of `spec` keeps (b, h, q, k) (dropout aside). */
int attngen_reference_keeps(const attngen_forward_params *params, const attngen_reference_spec *spec,
                            int64_t b, int64_t h, int64_t q, int64_t k);

/* Whether dropout keeps (b, h, q, k) under the README mapping (16-bit value >= threshold, 8 keys per call). */
int attngen_reference_dropout_keeps(const attngen_forward_params *params, uint32_t threshold,
                                    int64_t b, int64_t h, int64_t q, int64_t k);

/* Philox4x32-10: out = Philox(counter, key), ten rounds (Random123's philox4x32_10). */
void attngen_reference_philox(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

/* Storage conversions: exact decoding, and encoding with round-to-nearest-even (NaN stays NaN). */
double attngen_reference_half_to_double(uint16_t bits);
double attngen_reference_bfloat_to_double(uint16_t bits);
uint16_t attngen_reference_float_to_half(float value);
uint16_t attngen_reference_float_to_bfloat(float value);

/* Element `index` of a tensor stored as `storage`, as a double. */
double attngen_reference_load(const void *base, int storage, int64_t index);

#ifdef __cplusplus
}
#endif

#endif /* ATTNGEN_REFERENCE_H */
