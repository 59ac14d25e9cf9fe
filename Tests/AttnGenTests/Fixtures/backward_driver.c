/*
 * backward_driver.c: checks a generated backward pass against float64 reference gradients.
 *
 * Linked with reference.c (masks and dropout decisions), harness_variant.c (the variant's forward and its
 * reference spec), harness_predicate.c, harness_backward.c (calls attngen_NAME_backward) and the kernels.
 *
 *   backward_driver BATCH HEADS_Q HEADS_KV NQ NK SEED LAYOUT(bshd|bhsd) FD(0|1) [VARLEN(0|1|2|3)]
 *   backward_driver errors
 *
 * Runs the kernel's forward pass (for O and LSE), then the backward pass in deterministic mode twice
 * (the two results must be bit-identical) and in fast mode once, and prints one line
 *   dq=<rel> dk=<rel> dv=<rel> fast=<rel> deterministic=<0|1> fd=<rel or -1> status=<codes>
 * where <rel> is ||kernel - reference|| / ||reference|| over each gradient. With FD=1 it also checks the
 * reference gradients themselves by central finite differences of L = sum(O * dO) in double precision.
 * The gradients are poisoned with NaN before each call, so an element the kernel does not write fails.
 * VARLEN packs a variable-length batch (README "Variable-length batches"; driver.h harness_prefix_sums): 1 the query
 * side (Q, O, LSE, dO, dQ by cu_seqlens_q), 2 the key side (K, V, dK, dV by cu_seqlens_k), 3 both; the packed rows
 * outside every sequence hold NaN in the inputs and must keep their poison in the gradients: the line adds
 * outside=<elements written there> (always printed, 0 without VARLEN).
 *
 * `errors` runs the calls of argument_cases.h (invalid arguments and valid calls with empty tensors) on a valid
 * problem (batch 2, Nq = 9, Nk = 13, BHSD) and prints one line per call,
 *   CHECK name=<case> expected=<status> got=<status> untouched=<0|1> works=<0|1> zeros=<0|1>
 * untouched: dQ, dK and dV still hold their poison (what a failing call must leave); zeros: the gradients of the
 * empty case's other side are exactly 0 (dK, dV when Nq = 0; dQ when Nk = 0). Then one line per workspace case,
 *   WORKSPACE name=<case> expected=<0 zero|1 SIZE_MAX|2 other> got=<kind> bytes=<size>
 * and the exact size of one large call against 64-byte-rounded dQ (fp32) plus D: "WORKSPACE name=formula ...".
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argument_cases.h"
#include "driver.h"
#include "reference.h"

attngen_status harness_backward(const attngen_backward_params *params);
size_t harness_backward_workspace_size(const attngen_backward_params *params);

static uint64_t rng_state;

static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

static int storage_bytes(int storage)
{
    return storage == ATTNGEN_REFERENCE_FP32 ? 4 : 2;
}

static void store(void *base, int storage, int64_t index, double value)
{
    if (storage == ATTNGEN_REFERENCE_FP32) {
        ((float *)base)[index] = (float)value;
    } else if (storage == ATTNGEN_REFERENCE_FP16) {
        ((uint16_t *)base)[index] = attngen_reference_float_to_half((float)value);
    } else {
        ((uint16_t *)base)[index] = attngen_reference_float_to_bfloat((float)value);
    }
}

static void poison(void *base, int storage, int64_t count)
{
    for (int64_t i = 0; i < count; ++i) {
        store(base, storage, i, NAN);
    }
}

/* A contiguous layout of [batch, heads, rows, inner] in BSHD or BHSD order. */
static attngen_layout make_layout(int bshd, int64_t heads, int64_t rows, int64_t inner)
{
    attngen_layout layout;
    if (bshd) {
        layout.row_stride = heads * inner;
        layout.head_stride = inner;
        layout.batch_stride = rows * heads * inner;
    } else {
        layout.row_stride = inner;
        layout.head_stride = rows * inner;
        layout.batch_stride = heads * rows * inner;
    }
    return layout;
}

static int64_t at(attngen_layout layout, int64_t b, int64_t h, int64_t s)
{
    return b * layout.batch_stride + h * layout.head_stride + s * layout.row_stride;
}

/* One side (queries or keys) of a call: its tensors' rows of sequence b start at packed row prefix[b] of a
   variable-length batch (batch_stride unused), else at batch b. */
typedef struct side {
    const int32_t *prefix;  /* NULL: fixed lengths */
    int64_t rows;           /* the bound: seqlen_q or seqlen_k */
    int64_t total;          /* packed rows of the tensors (with the gaps), or batch * rows */
} side;

static int64_t side_rows(const side *sd, int64_t b)
{
    return sd->prefix != NULL ? (int64_t)sd->prefix[b + 1] - sd->prefix[b] : sd->rows;
}

static int64_t side_at(const side *sd, attngen_layout layout, int64_t b, int64_t h, int64_t s)
{
    return sd->prefix != NULL ? at(layout, 0, h, sd->prefix[b] + s) : at(layout, b, h, s);
}

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 11;
}

typedef struct problem {
    int64_t batch, hq, hkv, nq, nk;
    int d, dv;
    double scale;
    const attngen_forward_params *fparams;
    const attngen_reference_spec *spec;
    /* Dense inputs in double, [b][h][s][i]. */
    double *q, *k, *v, *d_o;
    /* The sink logits in double, [h] (NULL without sinks), and the reference dL/dsinks the gradients give. */
    double *sinks, *dsinks;
    /* The run-time arrays of the score modifiers (P of them) and the reference gradient, [P][h]. */
    int parameter_arrays;
    double *dparameters;
} problem;

/* The loss L = sum(O * dO) and, when dq != NULL, its gradients (with dq_terms != NULL also the sizes of dQ's and dK's
   terms, and with dq_slack != NULL how far dQ and dK may move at the modifier's kinks, see relative_error), all in
   double: attngen_reference_backward (reference.c) on the problem. */
static double loss_and_gradients_terms(const problem *p, double *dq, double *dk, double *dv, double *dq_terms,
                                       double *dk_terms, double *dq_slack, double *dk_slack)
{
    const attngen_reference_backward_inputs inputs = {
        p->fparams, p->spec, p->q, p->k, p->v, p->d_o, p->sinks, p->parameter_arrays,
        p->parameter_arrays > 0 ? harness_score_modifier_parameter_derivative : NULL,
    };
    const attngen_reference_gradients gradients = {
        dq, dk, dv, dq_terms, dk_terms, p->sinks != NULL ? p->dsinks : NULL, p->dparameters, NULL, dq_slack, dk_slack,
    };
    return attngen_reference_backward(&inputs, dq != NULL ? &gradients : NULL);
}

static double loss_and_gradients(const problem *p, double *dq, double *dk, double *dv)
{
    return loss_and_gradients_terms(p, dq, dk, dv, NULL, NULL, NULL, NULL);
}

/* The error of a gradient the kernels add to (dsinks, dscore_parameters), over both dQ modes: max |kernel - start -
   reference| / max |reference| (the difference itself when the reference is 0; NaN wins), `deterministic` having
   started at 0 and `fast` at 0.5. */
static double added_gradient_error(const float *deterministic, const float *fast, const double *reference, int64_t count)
{
    double scale = 0.0, worst = 0.0;
    for (int64_t i = 0; i < count; ++i) {
        scale = fabs(reference[i]) > scale ? fabs(reference[i]) : scale;
        const double diffs[2] = {fabs((double)deterministic[i] - reference[i]),
                                 fabs(((double)fast[i] - 0.5) - reference[i])};
        for (int run = 0; run < 2; ++run) {
            worst = diffs[run] > worst || diffs[run] != diffs[run] ? diffs[run] : worst;
        }
    }
    return scale > 0.0 ? worst / scale : worst;
}

/* ||kernel - reference|| / max(||reference||, ||terms|| / 8, sqrt(n) * tiny) over a gradient stored as `storage` through `layout`;
   NaN wins. `terms` (NULL for dV, which does not cancel) is the gradient built from the sizes of the terms of each dS
   (loss_and_gradients_terms). Each row of dS sums to zero, and dQ, dK can cancel far below the size of their terms
   (with one visible key per row they are exactly zero): FlashAttention's D = rowsum(dO * O) comes from the stored O,
   so the storage's rounding reaches every dS at the size of its terms, and relative to a cancelled reference that
   error is unbounded. The floor of an eighth of the terms keeps such cases judged at the storage's precision. A
   second floor, sqrt(n) * tiny (tiny: the storage's smallest normal number, 2^-14 for fp16, 2^-126 otherwise), is
   driver.c's for O: below it fp16 keeps fixed 2^-24 steps, so a gradient that small (every score of a soft cap
   saturated, where the derivative is ~1e-6) is judged against what the storage can hold. `slack` (NULL: none) is
   how far each element may move because a score lies within a float32 rounding of a kink of the score modifier
   (reference.h, dq_slack): the difference counts only beyond it. */
static double relative_error(const void *kernel, int storage, attngen_layout layout, const double *reference,
                             const double *terms, const double *slack, int64_t batch, int64_t heads, const side *sd,
                             int inner)
{
    double diff = 0.0, norm = 0.0, terms_norm = 0.0;
    int64_t count = 0;
    const int64_t rows = sd->rows;
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t h = 0; h < heads; ++h) {
            for (int64_t s = 0; s < side_rows(sd, b); ++s) {
                for (int i = 0; i < inner; ++i) {
                    const double got = attngen_reference_load(kernel, storage, side_at(sd, layout, b, h, s) + i);
                    const double want = reference[((b * heads + h) * rows + s) * inner + i];
                    if (isnan(got)) {
                        return INFINITY;
                    }
                    double off = fabs(got - want);
                    if (slack != NULL) {
                        off -= slack[((b * heads + h) * rows + s) * inner + i];
                        off = off > 0.0 ? off : 0.0;
                    }
                    diff += off * off;
                    norm += want * want;
                    count += 1;
                    if (terms != NULL) {
                        const double t = terms[((b * heads + h) * rows + s) * inner + i] / 8.0;
                        terms_norm += t * t;
                    }
                }
            }
        }
    }
    const double tiny = harness_smallest_normal(storage);
    norm = norm > terms_norm ? norm : terms_norm;
    norm = norm > (double)count * tiny * tiny ? norm : (double)count * tiny * tiny;
    return norm > 0.0 ? sqrt(diff / norm) : sqrt(diff);
}

/* The size of the slack of dQ or dK (`count` dense elements) over relative_error's scale: how much of a kernel's
   difference the kinks of the score modifier may explain (0 for a smooth modifier). */
static double slack_size(const double *slack, const double *reference, const double *terms, int64_t count)
{
    double size = 0.0, norm = 0.0, terms_norm = 0.0;
    for (int64_t i = 0; i < count; ++i) {
        size += slack[i] * slack[i];
        norm += reference[i] * reference[i];
        terms_norm += terms[i] * terms[i] / 64.0;
    }
    norm = norm > terms_norm ? norm : terms_norm;
    return norm > 0.0 ? sqrt(size / norm) : sqrt(size);
}

/* ---- errors --------------------------------------------------------------------------------------- */

/* The gradient buffers of the errors problem, poisoned before every call. */
typedef struct errors_problem {
    void *gradients[3];  /* dq, dk, dv */
    int64_t counts[3];   /* elements in each buffer */
    int64_t logical[3];  /* elements of the valid call's gradients (a dense BHSD prefix of each buffer) */
    int storage;
} errors_problem;

static void check_case(void *context, const char *name, const attngen_backward_params *params, int expected, int works)
{
    errors_problem *e = context;
    for (int t = 0; t < 3; ++t) {
        poison(e->gradients[t], e->storage, e->counts[t]);
    }
    const attngen_status got = harness_backward(params);
    int untouched = 1, zeros = 1;
    for (int t = 0; t < 3; ++t) {
        for (int64_t i = 0; i < e->counts[t]; ++i) {
            const double value = attngen_reference_load(e->gradients[t], e->storage, i);
            untouched &= isnan(value) != 0;
            /* Nq = 0 must zero dK and dV, Nk = 0 must zero dQ (the other side's buffers stay poisoned). */
            const int zeroed = params != NULL && (t == 0 ? params->seqlen_k == 0 && params->seqlen_q > 0
                                                         : params->seqlen_q == 0 && params->seqlen_k > 0);
            if (works && zeroed && i < e->logical[t] && value != 0.0) {
                zeros = 0;
            }
        }
    }
    printf("CHECK name=%s expected=%d got=%d untouched=%d works=%d zeros=%d\n", name, expected, (int)got, untouched, works,
           zeros);
}

static void check_workspace(void *context, const char *name, const attngen_backward_params *params, int expected)
{
    (void)context;
    const size_t bytes = harness_backward_workspace_size(params);
    printf("WORKSPACE name=%s expected=%d got=%d bytes=%zu\n", name, expected, harness_workspace_kind(bytes), bytes);
}

static int run_errors(void)
{
    const attngen_reference_spec *spec = &harness_variant_info.reference;
    const int fixed = harness_variant_info.fixed_heads_q > 0;
    const int64_t batch = 2, hq = fixed ? harness_variant_info.fixed_heads_q : 4;
    const int64_t hkv = fixed ? harness_variant_info.fixed_heads_kv : 2, nq = 9, nk = 13;
    const int d = spec->head_dim, dv = spec->value_head_dim, storage = spec->storage, eb = storage_bytes(storage);
    /* Buffers 8 times the valid call's tensors, so that a call with other head counts stays in bounds. */
    const int64_t counts[5] = {batch * hq * nq * d, batch * hkv * nk * d, batch * hkv * nk * dv, batch * hq * nq * dv,
                               batch * hq * nq};
    void *buffers[9];
    const int64_t buffer_counts[9] = {counts[0], counts[1], counts[2], counts[3], counts[3], counts[4], counts[0],
                                      counts[1], counts[2]};
    for (int t = 0; t < 9; ++t) {
        buffers[t] = malloc((size_t)(8 * buffer_counts[t] + 64) * (t == 5 ? sizeof(float) : (size_t)eb));
        if (buffers[t] == NULL) {
            printf("CHECK name=alloc expected=0 got=-1 untouched=0 works=0 zeros=0\n");
            return 1;
        }
    }
    /* Inputs in [-1, 1]; O and the LSE from the kernel's own forward pass. */
    for (int t = 0; t < 5; ++t) {
        if (t == 3) {
            continue;
        }
        for (int64_t i = 0; i < 8 * buffer_counts[t] + 64; ++i) {
            if (t == 5) {
                ((float *)buffers[t])[i] = 0.0f;
            } else {
                store(buffers[t], storage, i, uniform());
            }
        }
    }
    uint8_t *block_mask = calloc((size_t)(8 * batch * hq * (nq + 1) * (nk + 1) + 64), 1);
    if (block_mask == NULL) {
        return 1;
    }
    memset(block_mask, 1, (size_t)(batch * hq * (nq + 1) * (nk + 1)));

    attngen_forward_params fp;
    memset(&fp, 0, sizeof fp);
    fp.struct_size = sizeof fp;
    fp.batch = batch;
    fp.seqlen_q = nq;
    fp.seqlen_k = nk;
    fp.heads_q = (int32_t)hq;
    fp.heads_kv = (int32_t)hkv;
    /* The score modifiers' run-time arrays, with room for the error cases' larger head counts. */
    float *score_parameters = harness_new_score_parameters(8 * harness_variant_info.score_parameter_count * hq);
    if (score_parameters == NULL) {
        return 1;
    }
    fp.score_parameters = harness_variant_info.score_parameter_count > 0 ? score_parameters : NULL;
    float *sinks = harness_new_sinks(8 * hq);
    if (sinks == NULL) {
        return 1;
    }
    fp.sinks = harness_variant_info.sinks ? sinks : NULL;
    fp.q = buffers[0];
    fp.k = buffers[1];
    fp.v = buffers[2];
    fp.o = buffers[3];
    fp.lse = buffers[5];
    fp.q_layout = make_layout(0, hq, nq, d);
    fp.k_layout = make_layout(0, hkv, nk, d);
    fp.v_layout = make_layout(0, hkv, nk, dv);
    fp.o_layout = make_layout(0, hq, nq, dv);
    fp.lse_layout = make_layout(0, hq, nq, 1);
    /* one byte per 1 x 1 block at most: enough for any block size, every block kept */
    fp.block_mask = block_mask;
    fp.block_mask_layout.row_stride = nk + 1;
    fp.block_mask_layout.head_stride = (nq + 1) * (nk + 1);
    fp.block_mask_layout.batch_stride = hq * (nq + 1) * (nk + 1);
    fp.dropout_seed = 42;
    const attngen_status forward_status = harness_forward(&fp);

    attngen_backward_params bp;
    memset(&bp, 0, sizeof bp);
    bp.struct_size = sizeof bp;
    bp.batch = batch;
    bp.seqlen_q = nq;
    bp.seqlen_k = nk;
    bp.heads_q = (int32_t)hq;
    bp.heads_kv = (int32_t)hkv;
    bp.q = buffers[0];
    bp.k = buffers[1];
    bp.v = buffers[2];
    bp.o = buffers[3];
    bp.d_o = buffers[4];
    bp.lse = buffers[5];
    bp.dq = buffers[6];
    bp.dk = buffers[7];
    bp.dv = buffers[8];
    bp.q_layout = bp.dq_layout = fp.q_layout;
    bp.k_layout = bp.dk_layout = fp.k_layout;
    bp.v_layout = bp.dv_layout = fp.v_layout;
    bp.o_layout = bp.d_o_layout = fp.o_layout;
    bp.lse_layout = fp.lse_layout;
    bp.block_mask = fp.block_mask;
    bp.score_parameters = fp.score_parameters;
    bp.sinks = fp.sinks;
    bp.block_mask_layout = fp.block_mask_layout;
    bp.dropout_seed = fp.dropout_seed;
    bp.num_threads = 2;
    bp.workspace_size = harness_backward_workspace_size(&bp);
    bp.workspace = aligned_alloc(64, (bp.workspace_size + 63) / 64 * 64 + 64);

    errors_problem e;
    e.storage = storage;
    for (int t = 0; t < 3; ++t) {
        e.gradients[t] = buffers[6 + t];
        e.counts[t] = 8 * buffer_counts[6 + t] + 64;
        e.logical[t] = buffer_counts[6 + t];
    }
    printf("CHECK name=forward expected=0 got=%d untouched=1 works=1 zeros=1\n", (int)forward_status);
    check_case(&e, "valid", &bp, ATTNGEN_OK, 1);
    check_case(&e, "null_params", NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    harness_traits traits;
    traits.head_dim = d;
    traits.value_head_dim = dv;
    traits.fixed_heads_q = harness_variant_info.fixed_heads_q;
    traits.fixed_heads_kv = harness_variant_info.fixed_heads_kv;
    traits.saves_lse = 1;
    traits.block_sparse = spec->block_rows > 0;
    traits.element_bytes = eb;
    traits.page_size = 0; /* backward variants are never paged */
    traits.score_parameter_count = harness_variant_info.score_parameter_count;
    traits.sinks = harness_variant_info.sinks;
    harness_backward_cases(&bp, &traits, check_case, &e);

    harness_workspace_cases(&bp, check_workspace, NULL);
    /* The C workspace: dQ in fp32 and D, each rounded up to 64 bytes, for 2^50 query rows. */
    attngen_backward_params large = bp;
    large.batch = 1 << 20;
    large.seqlen_q = 1 << 20;
    large.heads_q = 1 << 10;
    large.heads_kv = 1;
    const size_t rows = (size_t)1 << 50;
    const size_t formula = (rows * (size_t)d * 4 + 63) / 64 * 64 + (rows * 4 + 63) / 64 * 64;
    const size_t bytes = harness_backward_workspace_size(&large);
    printf("WORKSPACE name=formula expected=%d got=%d bytes=%zu formula=%zu\n", HARNESS_WORKSPACE_FINITE,
           bytes == formula ? HARNESS_WORKSPACE_FINITE : -1, bytes, formula);

    for (int t = 0; t < 9; ++t) {
        free(buffers[t]);
    }
    free(block_mask);
    free(score_parameters);
    free(sinks);
    free(bp.workspace);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "errors") == 0) {
        return run_errors();
    }
    if (argc != 9 && argc != 10) {
        fprintf(stderr, "usage: backward_driver BATCH HEADS_Q HEADS_KV NQ NK SEED bshd|bhsd FD [VARLEN] | errors\n");
        return 2;
    }
    const int varlen = argc == 10 ? atoi(argv[9]) : 0;
    problem p;
    p.batch = atoll(argv[1]);
    p.hq = atoll(argv[2]);
    p.hkv = atoll(argv[3]);
    p.nq = atoll(argv[4]);
    p.nk = atoll(argv[5]);
    rng_state = (uint64_t)atoll(argv[6]) * 2654435761u + 12345u;
    const int bshd = strcmp(argv[7], "bshd") == 0;
    const int finite_differences = atoi(argv[8]);
    const attngen_reference_spec *spec = &harness_variant_info.reference;
    p.spec = spec;
    p.d = spec->head_dim;
    p.dv = spec->value_head_dim;
    p.scale = spec->scale;
    const int storage = spec->storage;
    const int eb = storage_bytes(storage);

    /* The two sides: packed (VARLEN) with 2 rows before the first sequence and 3 after the last, or fixed. */
    uint64_t prefix_state = rng_state ^ 0x9a11u;
    int32_t *cu_q = (varlen & 1) && p.batch > 0 ? harness_prefix_sums(p.batch, p.nq, &prefix_state, next_random) : NULL;
    int32_t *cu_k = (varlen & 2) && p.batch > 0 ? harness_prefix_sums(p.batch, p.nk, &prefix_state, next_random) : NULL;
    const side qs = {cu_q, p.nq, cu_q != NULL ? cu_q[p.batch] + 3 : p.batch * p.nq};
    const side ks = {cu_k, p.nk, cu_k != NULL ? cu_k[p.batch] + 3 : p.batch * p.nk};
    const int64_t nq_elems = qs.total * p.hq, nk_elems = ks.total * p.hkv;
    const int64_t counts[] = {nq_elems * p.d, nk_elems * p.d, nk_elems * p.dv, nq_elems * p.dv};
    /* The dense double copies: [b][h][bound rows][i], rows past a sequence zero. */
    const int64_t dense_q = p.batch * p.hq * p.nq, dense_k = p.batch * p.hkv * p.nk;
    const int64_t dense_counts[] = {dense_q * p.d, dense_k * p.d, dense_k * p.dv, dense_q * p.dv};
    void *q = malloc((size_t)(counts[0] + 1) * eb), *k = malloc((size_t)(counts[1] + 1) * eb);
    void *v = malloc((size_t)(counts[2] + 1) * eb), *o = malloc((size_t)(counts[3] + 1) * eb);
    void *d_o = malloc((size_t)(counts[3] + 1) * eb);
    void *dq = malloc((size_t)(counts[0] + 1) * eb), *dk = malloc((size_t)(counts[1] + 1) * eb);
    void *dv = malloc((size_t)(counts[2] + 1) * eb);
    void *dq2 = malloc((size_t)(counts[0] + 1) * eb), *dk2 = malloc((size_t)(counts[1] + 1) * eb);
    void *dv2 = malloc((size_t)(counts[2] + 1) * eb);
    float *lse = malloc((size_t)(nq_elems + 1) * sizeof(float));
    p.q = calloc((size_t)(dense_counts[0] + 1), sizeof(double));
    p.k = calloc((size_t)(dense_counts[1] + 1), sizeof(double));
    p.v = calloc((size_t)(dense_counts[2] + 1), sizeof(double));
    p.d_o = calloc((size_t)(dense_counts[3] + 1), sizeof(double));

    attngen_forward_params fp;
    memset(&fp, 0, sizeof fp);
    fp.struct_size = sizeof fp;
    fp.batch = p.batch;
    fp.seqlen_q = p.nq;
    fp.seqlen_k = p.nk;
    fp.heads_q = (int32_t)p.hq;
    fp.heads_kv = (int32_t)p.hkv;
    float *score_parameters = harness_new_score_parameters(harness_variant_info.score_parameter_count * p.hq);
    if (score_parameters == NULL) {
        return 1;
    }
    fp.score_parameters = harness_variant_info.score_parameter_count > 0 ? score_parameters : NULL;
    float *sinks = harness_new_sinks(p.hq);
    float *dsinks = malloc((size_t)(p.hq + 1) * sizeof(float));
    float *dsinks2 = malloc((size_t)(p.hq + 1) * sizeof(float));
    p.sinks = malloc((size_t)(p.hq + 1) * sizeof(double));
    p.dsinks = malloc((size_t)(p.hq + 1) * sizeof(double));
    if (sinks == NULL || dsinks == NULL || dsinks2 == NULL || p.sinks == NULL || p.dsinks == NULL) {
        return 1;
    }
    for (int64_t h = 0; h < p.hq; ++h) {
        p.sinks[h] = sinks[h];
    }
    double *sinks_dense = p.sinks;
    if (!harness_variant_info.sinks) {
        p.sinks = NULL;
    }
    fp.sinks = harness_variant_info.sinks ? sinks : NULL;
    /* The arrays' gradient: the reference, and the kernel's (added to: zeros, then 0.5 in the fast run). */
    p.parameter_arrays = harness_variant_info.score_parameter_count;
    const int64_t parameter_count = p.parameter_arrays * p.hq;
    p.dparameters = malloc((size_t)(parameter_count + 1) * sizeof(double));
    float *dparameters = malloc((size_t)(parameter_count + 1) * sizeof(float));
    float *dparameters2 = malloc((size_t)(parameter_count + 1) * sizeof(float));
    if (p.dparameters == NULL || dparameters == NULL || dparameters2 == NULL) {
        return 1;
    }
    const int64_t q_rows = cu_q != NULL ? qs.total : p.nq, k_rows = cu_k != NULL ? ks.total : p.nk;
    fp.q_layout = make_layout(bshd, p.hq, q_rows, p.d);
    fp.k_layout = make_layout(bshd, p.hkv, k_rows, p.d);
    fp.v_layout = make_layout(bshd, p.hkv, k_rows, p.dv);
    fp.o_layout = make_layout(bshd, p.hq, q_rows, p.dv);
    fp.lse_layout = make_layout(0, p.hq, q_rows, 1);
    fp.cu_seqlens_q = cu_q;
    fp.cu_seqlens_k = cu_k;
    fp.total_q = cu_q != NULL ? qs.total : 0;
    fp.total_k = cu_k != NULL ? ks.total : 0;
    fp.dropout_seed = rng_state ^ 0x5eedu;
    fp.dropout_offset = 7;
    p.fparams = &fp;

    /* Random inputs, stored in the storage type; the double copies hold the rounded values. Packed rows outside
       every sequence hold NaN, which no kernel may read. */
    struct { void *base; double *dense; attngen_layout layout; int64_t heads; const side *sd; int inner; } inputs[] = {
        {q, p.q, fp.q_layout, p.hq, &qs, p.d},
        {k, p.k, fp.k_layout, p.hkv, &ks, p.d},
        {v, p.v, fp.v_layout, p.hkv, &ks, p.dv},
        {d_o, p.d_o, fp.o_layout, p.hq, &qs, p.dv},
    };
    for (int t = 0; t < 4; ++t) {
        poison(inputs[t].base, storage, counts[t]);
        for (int64_t b = 0; b < p.batch; ++b) {
            for (int64_t h = 0; h < inputs[t].heads; ++h) {
                for (int64_t s = 0; s < side_rows(inputs[t].sd, b); ++s) {
                    for (int i = 0; i < inputs[t].inner; ++i) {
                        const int64_t index = side_at(inputs[t].sd, inputs[t].layout, b, h, s) + i;
                        const int64_t rows = inputs[t].sd->rows;
                        store(inputs[t].base, storage, index, uniform() * (t == 0 ? 2.0 : 1.0));
                        inputs[t].dense[((b * inputs[t].heads + h) * rows + s) * inputs[t].inner + i] =
                            attngen_reference_load(inputs[t].base, storage, index);
                    }
                }
            }
        }
    }
    /* Block-sparse: a random layout with about 60% of blocks on, per (batch, head). */
    uint8_t *block_mask = NULL;
    if (spec->block_rows > 0) {
        const int64_t row_blocks = (p.nq + spec->block_rows - 1) / spec->block_rows;
        const int64_t column_blocks = (p.nk + spec->block_columns - 1) / spec->block_columns;
        block_mask = malloc((size_t)(p.batch * p.hq * row_blocks * column_blocks + 1));
        for (int64_t i = 0; i < p.batch * p.hq * row_blocks * column_blocks; ++i) {
            block_mask[i] = uniform() < 0.2 ? 1 : 0;
        }
        fp.block_mask = block_mask;
        fp.block_mask_layout.row_stride = column_blocks;
        fp.block_mask_layout.head_stride = row_blocks * column_blocks;
        fp.block_mask_layout.batch_stride = p.hq * row_blocks * column_blocks;
    }
    fp.q = q;
    fp.k = k;
    fp.v = v;
    fp.o = o;
    fp.lse = lse;
    const attngen_status forward_status = harness_forward(&fp);

    attngen_backward_params bp;
    memset(&bp, 0, sizeof bp);
    bp.struct_size = sizeof bp;
    bp.batch = p.batch;
    bp.seqlen_q = p.nq;
    bp.seqlen_k = p.nk;
    bp.heads_q = (int32_t)p.hq;
    bp.heads_kv = (int32_t)p.hkv;
    bp.q = q;
    bp.k = k;
    bp.v = v;
    bp.o = o;
    bp.lse = lse;
    bp.d_o = d_o;
    bp.q_layout = bp.dq_layout = fp.q_layout;
    bp.k_layout = bp.dk_layout = fp.k_layout;
    bp.v_layout = bp.dv_layout = fp.v_layout;
    bp.o_layout = bp.d_o_layout = fp.o_layout;
    bp.lse_layout = fp.lse_layout;
    bp.block_mask = fp.block_mask;
    bp.score_parameters = fp.score_parameters;
    bp.sinks = fp.sinks;
    bp.block_mask_layout = fp.block_mask_layout;
    bp.dropout_seed = fp.dropout_seed;
    bp.dropout_offset = fp.dropout_offset;
    bp.cu_seqlens_q = fp.cu_seqlens_q;
    bp.cu_seqlens_k = fp.cu_seqlens_k;
    bp.total_q = fp.total_q;
    bp.total_k = fp.total_k;
    bp.workspace_size = harness_backward_workspace_size(&bp);
    bp.workspace = aligned_alloc(64, (bp.workspace_size + 63) / 64 * 64 + 64);

    /* Deterministic mode twice (must be bit-identical), fast mode once. dsinks (variants with sinks) is added to:
       zeros in the deterministic runs. */
    int statuses[3];
    void *outputs[3][3] = {{dq, dk, dv}, {dq2, dk2, dv2}, {NULL, NULL, NULL}};
    float *sink_outputs[2] = {dsinks, dsinks2};
    float *parameter_outputs[2] = {dparameters, dparameters2};
    for (int run = 0; run < 2; ++run) {
        poison(outputs[run][0], storage, counts[0]);
        poison(outputs[run][1], storage, counts[1]);
        poison(outputs[run][2], storage, counts[2]);
        memset(sink_outputs[run], 0, (size_t)p.hq * sizeof(float));
        bp.dsinks = harness_variant_info.sinks ? sink_outputs[run] : NULL;
        memset(parameter_outputs[run], 0, (size_t)(parameter_count + 1) * sizeof(float));
        bp.dscore_parameters = parameter_count > 0 ? parameter_outputs[run] : NULL;
        bp.dq = outputs[run][0];
        bp.dk = outputs[run][1];
        bp.dv = outputs[run][2];
        bp.dq_mode = ATTNGEN_DQ_DETERMINISTIC;
        bp.num_threads = run == 0 ? 2 : 1;
        statuses[run] = harness_backward(&bp);
    }
    const int identical = memcmp(dq, dq2, (size_t)counts[0] * eb) == 0 && memcmp(dk, dk2, (size_t)counts[1] * eb) == 0
                          && memcmp(dv, dv2, (size_t)counts[2] * eb) == 0
                          && memcmp(dsinks, dsinks2, (size_t)p.hq * sizeof(float)) == 0
                          && memcmp(dparameters, dparameters2, (size_t)parameter_count * sizeof(float)) == 0;

    double *rq = malloc((size_t)(dense_counts[0] + 1) * sizeof(double));
    double *rk = malloc((size_t)(dense_counts[1] + 1) * sizeof(double));
    double *rv = malloc((size_t)(dense_counts[2] + 1) * sizeof(double));
    double *tq = malloc((size_t)(dense_counts[0] + 1) * sizeof(double));
    double *tk = malloc((size_t)(dense_counts[1] + 1) * sizeof(double));
    double *sq = malloc((size_t)(dense_counts[0] + 1) * sizeof(double));
    double *sk = malloc((size_t)(dense_counts[1] + 1) * sizeof(double));
    loss_and_gradients_terms(&p, rq, rk, rv, tq, tk, sq, sk);
    const double err_q = relative_error(dq, storage, fp.q_layout, rq, tq, sq, p.batch, p.hq, &qs, p.d);
    const double err_k = relative_error(dk, storage, fp.k_layout, rk, tk, sk, p.batch, p.hkv, &ks, p.d);
    const double err_v = relative_error(dv, storage, fp.v_layout, rv, NULL, NULL, p.batch, p.hkv, &ks, p.dv);
    const double slack_q = slack_size(sq, rq, tq, dense_counts[0]), slack_k = slack_size(sk, rk, tk, dense_counts[1]);
    const double kink_slack = slack_q > slack_k ? slack_q : slack_k;
    /* Packed rows outside every sequence: the gradients there keep their poison. */
    long outside = 0;
    {
        const side *sides[3] = {&qs, &ks, &ks};
        const void *written[3] = {dq, dk, dv};
        const attngen_layout layouts[3] = {fp.q_layout, fp.k_layout, fp.v_layout};
        const int64_t heads[3] = {p.hq, p.hkv, p.hkv};
        const int inners[3] = {p.d, p.d, p.dv};
        for (int t = 0; t < 3; ++t) {
            const side *sd = sides[t];
            if (sd->prefix == NULL) {
                continue;
            }
            for (int64_t row = 0; row < sd->total; ++row) {
                int64_t b = 0;
                while (b < p.batch && !(row >= sd->prefix[b] && row < sd->prefix[b + 1])) {
                    ++b;
                }
                if (b < p.batch) {
                    continue; /* a row of sequence b */
                }
                for (int64_t h = 0; h < heads[t]; ++h) {
                    for (int i = 0; i < inners[t]; ++i) {
                        outside += !isnan(attngen_reference_load(written[t], storage, at(layouts[t], 0, h, row) + i));
                    }
                }
            }
        }
    }
    /* The fast run adds dsinks and dscore_parameters to 0.5 each (the deterministic ones added to 0). */
    for (int64_t h = 0; h < p.hq; ++h) {
        dsinks2[h] = 0.5f;
    }
    for (int64_t i = 0; i < parameter_count; ++i) {
        dparameters2[i] = 0.5f;
    }

    poison(dq2, storage, counts[0]);
    poison(dk2, storage, counts[1]);
    poison(dv2, storage, counts[2]);
    bp.dq = dq2;
    bp.dk = dk2;
    bp.dv = dv2;
    bp.dq_mode = ATTNGEN_DQ_FAST;
    bp.num_threads = 2;
    bp.dsinks = harness_variant_info.sinks ? dsinks2 : NULL;
    bp.dscore_parameters = parameter_count > 0 ? dparameters2 : NULL;
    statuses[2] = harness_backward(&bp);
    const double err_sinks = harness_variant_info.sinks ? added_gradient_error(dsinks, dsinks2, p.dsinks, p.hq) : -1.0;
    const double err_parameters =
        parameter_count > 0 ? added_gradient_error(dparameters, dparameters2, p.dparameters, parameter_count) : -1.0;
    double err_fast = relative_error(dq2, storage, fp.q_layout, rq, tq, sq, p.batch, p.hq, &qs, p.d);
    const double err_fast_k = relative_error(dk2, storage, fp.k_layout, rk, tk, sk, p.batch, p.hkv, &ks, p.d);
    err_fast = err_fast_k > err_fast ? err_fast_k : err_fast;

    /* Central finite differences of the double-precision loss at a few coordinates of Q, K and V. */
    double fd_error = -1.0;
    if (finite_differences) {
        double worst = 0.0, scale_ref = 0.0;
        /* Q, K, V, and the sink logits when the variant has them (the loss recomputes p.dsinks: a copy). */
        double *dsinks_saved = malloc((size_t)(p.hq + 1) * sizeof(double));
        if (dsinks_saved == NULL) {
            return 1;
        }
        memcpy(dsinks_saved, p.dsinks, (size_t)p.hq * sizeof(double));
        double *tensors[4] = {p.q, p.k, p.v, p.sinks};
        double *grads[4] = {rq, rk, rv, dsinks_saved};
        const int64_t sizes[4] = {dense_counts[0], dense_counts[1], dense_counts[2], p.sinks != NULL ? p.hq : 0};
        for (int t = 0; t < 4; ++t) {
            for (int64_t i = 0; i < sizes[t]; ++i) {
                scale_ref = fabs(grads[t][i]) > scale_ref ? fabs(grads[t][i]) : scale_ref;
            }
        }
        for (int t = 0; t < 4; ++t) {
            for (int trial = 0; trial < 12 && sizes[t] > 0; ++trial) {
                const int64_t i = (int64_t)((uniform() + 1.0) * 0.5 * (double)sizes[t]) % sizes[t];
                const double saved = tensors[t][i];
                const double h = 1e-5;
                tensors[t][i] = saved + h;
                const double plus = loss_and_gradients(&p, NULL, NULL, NULL);
                tensors[t][i] = saved - h;
                const double minus = loss_and_gradients(&p, NULL, NULL, NULL);
                tensors[t][i] = saved;
                const double diff = fabs((plus - minus) / (2.0 * h) - grads[t][i]);
                worst = diff > worst ? diff : worst;
            }
        }
        free(dsinks_saved);
        /* The arrays' entries: steps that are exact in fp32 (the arrays are fp32), the quotient over the real step. */
        double *dparameters_saved = malloc((size_t)(parameter_count + 1) * sizeof(double));
        if (dparameters_saved == NULL) {
            return 1;
        }
        memcpy(dparameters_saved, p.dparameters, (size_t)parameter_count * sizeof(double));
        for (int64_t i = 0; i < parameter_count; ++i) {
            scale_ref = fabs(dparameters_saved[i]) > scale_ref ? fabs(dparameters_saved[i]) : scale_ref;
        }
        for (int trial = 0; trial < 12 && parameter_count > 0; ++trial) {
            const int64_t i = (int64_t)((uniform() + 1.0) * 0.5 * (double)parameter_count) % parameter_count;
            const float saved = score_parameters[i];
            score_parameters[i] = saved + 1.0f / 8192.0f;
            const double up = (double)score_parameters[i] - (double)saved;
            const double plus = loss_and_gradients(&p, NULL, NULL, NULL);
            score_parameters[i] = saved - 1.0f / 8192.0f;
            const double down = (double)saved - (double)score_parameters[i];
            const double minus = loss_and_gradients(&p, NULL, NULL, NULL);
            score_parameters[i] = saved;
            const double diff = fabs((plus - minus) / (up + down) - dparameters_saved[i]);
            worst = diff > worst ? diff : worst;
        }
        free(dparameters_saved);
        fd_error = scale_ref > 0.0 ? worst / scale_ref : worst;
    }

    printf("dq=%.3e dk=%.3e dv=%.3e fast=%.3e dsinks=%.3e dparameters=%.3e deterministic=%d fd=%.3e "
           "status=%d,%d,%d,%d outside=%ld kink_slack=%.3e\n", err_q, err_k, err_v, err_fast, err_sinks, err_parameters,
           identical, fd_error, (int)forward_status, statuses[0], statuses[1], statuses[2], outside, kink_slack);
    /* Everything freed, so that a sanitized run's leak check (SanitizerTests) sees the kernels' allocations only. */
    void *allocations[] = {q, k, v, o, d_o, dq, dk, dv, dq2, dk2, dv2, lse, p.q, p.k, p.v, p.d_o, rq, rk, rv, tq, tk, sq, sk,
                           block_mask, bp.workspace, score_parameters, sinks, dsinks, dsinks2, sinks_dense,
                           p.dsinks, p.dparameters, dparameters, dparameters2, cu_q, cu_k};
    for (size_t i = 0; i < sizeof allocations / sizeof allocations[0]; ++i) {
        free(allocations[i]);
    }
    return 0;
}
