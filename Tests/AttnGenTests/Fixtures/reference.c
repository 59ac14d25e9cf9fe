/*
 * reference.c: the naive float64 attention forward described in reference.h.
 *
 * Deliberately simple: one (batch, kv head) at a time, K and V decoded into dense double arrays,
 * then for each query head of the group and each query row a full pass over all keys.
 */
#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Storage conversions ------------------------------------------------------------------ */

double attngen_reference_half_to_double(uint16_t bits) {
    int sign = (bits >> 15) & 1;
    int exponent = (bits >> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    double magnitude;
    if (exponent == 0) {
        magnitude = ldexp((double)mantissa, -24);                  /* zero and subnormals */
    } else if (exponent == 31) {
        magnitude = mantissa ? NAN : INFINITY;
    } else {
        magnitude = ldexp((double)(mantissa + 1024), exponent - 25);
    }
    return sign ? -magnitude : magnitude;
}

double attngen_reference_bfloat_to_double(uint16_t bits) {
    uint32_t word = (uint32_t)bits << 16;
    float value;
    memcpy(&value, &word, sizeof value);
    return (double)value;
}

uint16_t attngen_reference_float_to_half(float value) {
    uint32_t word;
    memcpy(&word, &value, sizeof word);
    uint16_t sign = (uint16_t)((word >> 16) & 0x8000u);
    double magnitude = fabs((double)value);
    if (isnan(value)) {
        return (uint16_t)(sign | 0x7e00u);
    }
    /* 65520 lies halfway between 65504 (odd mantissa) and 2^16: ties-to-even gives infinity. */
    if (magnitude >= 65520.0) {
        return (uint16_t)(sign | 0x7c00u);
    }
    int binade;
    (void)frexp(magnitude, &binade);               /* magnitude in [2^(binade-1), 2^binade) */
    int exponent = binade - 1;
    if (exponent < -14) {
        exponent = -14;                            /* subnormal range: quantum 2^-24 */
    }
    /* Exact division by a power of two, then rounding to the nearest integer, ties to even. */
    double steps = nearbyint(magnitude / ldexp(1.0, exponent - 10));
    if (magnitude == 0.0) {
        return sign;
    }
    if (steps >= 2048.0) {                         /* rounded up into the next binade */
        steps = 1024.0;
        exponent += 1;
    }
    if (steps < 1024.0) {                          /* subnormal (exponent is -14 here) */
        return (uint16_t)(sign | (uint16_t)steps);
    }
    return (uint16_t)(sign | (uint16_t)((exponent + 15) << 10) | (uint16_t)(steps - 1024.0));
}

uint16_t attngen_reference_float_to_bfloat(float value) {
    uint32_t word;
    memcpy(&word, &value, sizeof word);
    if (isnan(value)) {
        return (uint16_t)((word >> 16) | 0x40u);   /* keep it a (quiet) NaN */
    }
    /* Round to nearest, ties to even: add 0x7fff plus the lowest kept bit, then truncate. */
    uint32_t rounding = 0x7fffu + ((word >> 16) & 1u);
    return (uint16_t)((word + rounding) >> 16);
}

double attngen_reference_load(const void *base, int storage, int64_t index) {
    switch (storage) {
    case ATTNGEN_REFERENCE_FP16:
        return attngen_reference_half_to_double(((const uint16_t *)base)[index]);
    case ATTNGEN_REFERENCE_BF16:
        return attngen_reference_bfloat_to_double(((const uint16_t *)base)[index]);
    default:
        return (double)((const float *)base)[index];
    }
}

/* fp8 e4m3 (OCP E4M3): (8 + m) * 2^(e - 10) for exponent e > 0, m * 2^-9 for e = 0, NaN for S.1111.111. */
double attngen_reference_e4m3_to_double(uint8_t value) {
    const int exponent = (value >> 3) & 0xf, mantissa = value & 0x7;
    const double sign = (value & 0x80) ? -1.0 : 1.0;
    if (exponent == 0xf && mantissa == 0x7) {
        return NAN;
    }
    return sign * (exponent == 0 ? ldexp((double)mantissa, -9) : ldexp((double)(8 + mantissa), exponent - 10));
}

/* Element `index` of Q, K or V of sequence b, key/value head hkv: stored like O, or an fp8 byte times its descale
   factor (NULL: 1). */
static double load_input(const attngen_forward_params *params, const attngen_reference_spec *spec, const void *base,
                         const float *descale, int64_t b, int64_t hkv, int64_t index) {
    if (!spec->inputs_e4m3) {
        return attngen_reference_load(base, spec->storage, index);
    }
    const double factor = descale == NULL
        ? 1.0 : (double)descale[b * params->descale_batch_stride + hkv * params->descale_head_stride];
    return attngen_reference_e4m3_to_double(((const uint8_t *)base)[index]) * factor;
}

/* ---- Philox4x32-10 ------------------------------------------------------------------------ */

void attngen_reference_philox(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    const uint32_t multiplier0 = 0xD2511F53u, multiplier1 = 0xCD9E8D57u;
    const uint32_t weyl0 = 0x9E3779B9u, weyl1 = 0xBB67AE85u;
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t product0 = (uint64_t)multiplier0 * c0;
        uint64_t product1 = (uint64_t)multiplier1 * c2;
        uint32_t next0 = (uint32_t)(product1 >> 32) ^ c1 ^ k0;
        uint32_t next1 = (uint32_t)product1;
        uint32_t next2 = (uint32_t)(product0 >> 32) ^ c3 ^ k1;
        uint32_t next3 = (uint32_t)product0;
        c0 = next0; c1 = next1; c2 = next2; c3 = next3;
        if (round < 9) {                           /* the key advances between rounds */
            k0 += weyl0;
            k1 += weyl1;
        }
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* The query rows of sequence b: the difference of the prefix sums cu_seqlens_q of a variable-length batch, else
   seqlen_q. */
static int64_t sequence_queries(const attngen_forward_params *params, int64_t b) {
    return params->cu_seqlens_q != NULL ? (int64_t)params->cu_seqlens_q[b + 1] - params->cu_seqlens_q[b]
                                        : params->seqlen_q;
}

/* The keys of sequence b: seqlens_k[b] when the call gives per-sequence counts (which must lie in 0 ... seqlen_k),
   else the difference of the prefix sums cu_seqlens_k, else seqlen_k. Sequence b then computes as a call with that
   seqlen_k (and sequence_queries as seqlen_q). */
static int64_t sequence_keys(const attngen_forward_params *params, int64_t b) {
    if (params->seqlens_k != NULL) {
        return (int64_t)params->seqlens_k[b];
    }
    return params->cu_seqlens_k != NULL ? (int64_t)params->cu_seqlens_k[b + 1] - params->cu_seqlens_k[b]
                                        : params->seqlen_k;
}

/* Where row s of sequence b starts in a tensor: packed row prefix[b] + s of a variable-length batch (batch_stride
   unused), else row s of batch b. */
static int64_t sequence_element(const attngen_layout *layout, const int32_t *prefix, int64_t b, int64_t h, int64_t s) {
    if (prefix != NULL) {
        return h * layout->head_stride + ((int64_t)prefix[b] + s) * layout->row_stride;
    }
    return b * layout->batch_stride + h * layout->head_stride + s * layout->row_stride;
}

int attngen_reference_dropout_keeps(const attngen_forward_params *params, uint32_t threshold,
                                    int64_t b, int64_t h, int64_t q, int64_t k) {
    if (threshold == 0) {
        return 1;
    }
    uint64_t seed = params->dropout_seed, offset = params->dropout_offset;
    uint64_t row = ((uint64_t)b * (uint64_t)params->heads_q + (uint64_t)h) * (uint64_t)params->seqlen_q + (uint64_t)q;
    /* One Philox call per 8 keys of a row; rows and groups are counted in the call's seqlen_q x seqlen_k (with
       per-sequence counts seqlens_k, that sequence's keys), whatever the lengths of a variable-length batch. */
    uint64_t keys = params->seqlens_k != NULL ? (uint64_t)params->seqlens_k[b] : (uint64_t)params->seqlen_k;
    uint64_t groups = (keys + 7u) / 8u;
    uint64_t element = row * groups + (uint64_t)k / 8u;
    uint32_t counter[4] = { (uint32_t)element, (uint32_t)(element >> 32), (uint32_t)offset, (uint32_t)(offset >> 32) };
    uint32_t key[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) };
    uint32_t words[4];
    attngen_reference_philox(counter, key, words);
    uint32_t word = words[(k % 8) / 2];
    uint32_t value = (k % 2 == 0) ? (word & 0xffffu) : (word >> 16);  /* halfword k mod 8 of the output */
    return value >= threshold;
}

/* ---- Masks -------------------------------------------------------------------------------- */

void attngen_reference_spec_init(attngen_reference_spec *spec, int head_dim, int value_head_dim, int storage) {
    memset(spec, 0, sizeof *spec);
    spec->head_dim = head_dim;
    spec->value_head_dim = value_head_dim;
    spec->storage = storage;
    spec->scale = 1.0 / sqrt((double)head_dim);
    spec->dropout_keep_scale = 1.0;
}

int attngen_reference_add_band(attngen_reference_spec *spec, int has_left, int64_t left,
                               int has_right, int64_t right, int bottom_right) {
    if (spec->band_count >= ATTNGEN_REFERENCE_MAX_BANDS) {
        return -1;
    }
    attngen_reference_band *band = &spec->bands[spec->band_count++];
    band->has_left = has_left;
    band->left = left;
    band->has_right = has_right;
    band->right = right;
    band->bottom_right = bottom_right;
    return 0;
}

int attngen_reference_keeps(const attngen_forward_params *params, const attngen_reference_spec *spec,
                            int64_t b, int64_t h, int64_t q, int64_t k) {
    int64_t nq = sequence_queries(params, b), nk = sequence_keys(params, b);
    for (int index = 0; index < spec->band_count; index++) {
        const attngen_reference_band *band = &spec->bands[index];
        int64_t diagonal = q + (band->bottom_right ? nk - nq : 0);
        /* Written as differences of indices, so that any bound up to INT64_MAX compares without overflow. */
        if (band->has_left && diagonal - k > band->left) {
            return 0;
        }
        if (band->has_right && k - diagonal > band->right) {
            return 0;
        }
    }
    if (spec->block_rows > 0) {
        const attngen_layout *layout = &params->block_mask_layout;
        int64_t at = b * layout->batch_stride + h * layout->head_stride
                   + (q / spec->block_rows) * layout->row_stride + k / spec->block_columns;
        if (params->block_mask[at] == 0) {
            return 0;
        }
    }
    if (spec->predicate != NULL && !spec->predicate(b, h, q, k, nq, nk)) {
        return 0;
    }
    return 1;
}

/* ---- Forward ------------------------------------------------------------------------------ */

static int64_t element_index(const attngen_layout *layout, int64_t b, int64_t h, int64_t s) {
    return b * layout->batch_stride + h * layout->head_stride + s * layout->row_stride;
}

int attngen_reference_forward(const attngen_forward_params *params, const attngen_reference_spec *spec,
                              double *o, double *lse, double *row_logit_bound) {
    if (params == NULL || spec == NULL || o == NULL || lse == NULL) {
        return ATTNGEN_REFERENCE_BAD_ARGUMENT;
    }
    int64_t batch = params->batch, nq = params->seqlen_q, nk = params->seqlen_k;
    int64_t heads_q = params->heads_q, heads_kv = params->heads_kv;
    int64_t d = spec->head_dim, dv = spec->value_head_dim;
    if (batch < 0 || nq < 0 || nk < 0 || heads_q < 0 || heads_kv <= 0 || heads_q % heads_kv != 0 || d <= 0 || dv <= 0) {
        return ATTNGEN_REFERENCE_BAD_ARGUMENT;
    }
    if (batch * heads_q * nq == 0) {
        return ATTNGEN_REFERENCE_OK;
    }
    if (nk > 0 && (params->q == NULL || params->k == NULL || params->v == NULL)) {
        return ATTNGEN_REFERENCE_BAD_ARGUMENT;
    }
    if (spec->block_rows > 0 && (params->block_mask == NULL || spec->block_columns <= 0)) {
        return ATTNGEN_REFERENCE_BAD_ARGUMENT;
    }
    int64_t group = heads_q / heads_kv;
    double keep_scale = (double)(float)spec->dropout_keep_scale;

    size_t key_count = nk > 0 ? (size_t)nk : 1;
    double *keys = malloc(key_count * (size_t)d * sizeof(double));
    double *values = malloc(key_count * (size_t)dv * sizeof(double));
    double *query = malloc((size_t)d * sizeof(double));
    double *scores = malloc(key_count * sizeof(double));
    double *bounds = malloc(key_count * sizeof(double));
    unsigned char *kept = malloc(key_count);
    if (!keys || !values || !query || !scores || !bounds || !kept) {
        free(keys); free(values); free(query); free(scores); free(bounds); free(kept);
        return ATTNGEN_REFERENCE_NO_MEMORY;
    }

    for (int64_t b = 0; b < batch; b++) {
        const int64_t nk_b = sequence_keys(params, b);
        const int64_t nq_b = sequence_queries(params, b);
        if (nk_b < 0 || nk_b > nk || nq_b < 0 || nq_b > nq) {
            free(keys); free(values); free(query); free(scores); free(bounds); free(kept);
            return ATTNGEN_REFERENCE_BAD_ARGUMENT;
        }
        /* Rows past a shorter sequence of a variable-length batch: O = 0, LSE = 0 (no one compares them). */
        for (int64_t h = 0; h < heads_q; h++) {
            for (int64_t q = nq_b; q < nq; q++) {
                int64_t row = (b * heads_q + h) * nq + q;
                for (int64_t j = 0; j < dv; j++) {
                    o[row * dv + j] = 0.0;
                }
                lse[row] = 0.0;
                if (row_logit_bound != NULL) {
                    row_logit_bound[row] = 0.0;
                }
            }
        }
        for (int64_t hkv = 0; hkv < heads_kv; hkv++) {
            for (int64_t key = 0; key < nk_b; key++) {
                /* A paged cache: the key's row of its page (README.md, "Paged KV cache"). */
                int64_t page = b, row = key;
                if (spec->page_size > 0) {
                    page = params->page_table[b * params->page_table_stride + key / spec->page_size];
                    row = key % spec->page_size;
                    if (page < 0 || page >= params->num_pages) {
                        free(keys); free(values); free(query); free(scores); free(bounds); free(kept);
                        return ATTNGEN_REFERENCE_BAD_ARGUMENT;
                    }
                }
                int64_t k_at = spec->page_size > 0 ? element_index(&params->k_layout, page, hkv, row)
                                                   : sequence_element(&params->k_layout, params->cu_seqlens_k, b, hkv, key);
                int64_t v_at = spec->page_size > 0 ? element_index(&params->v_layout, page, hkv, row)
                                                   : sequence_element(&params->v_layout, params->cu_seqlens_k, b, hkv, key);
                for (int64_t i = 0; i < d; i++) {
                    keys[key * d + i] = load_input(params, spec, params->k, params->k_descale, b, hkv, k_at + i);
                }
                for (int64_t j = 0; j < dv; j++) {
                    values[key * dv + j] = load_input(params, spec, params->v, params->v_descale, b, hkv, v_at + j);
                }
            }
            for (int64_t h = hkv * group; h < (hkv + 1) * group; h++) {
                for (int64_t q = 0; q < nq_b; q++) {
                    int64_t row = (b * heads_q + h) * nq + q;
                    double *out = o + row * dv;
                    int64_t q_at = sequence_element(&params->q_layout, params->cu_seqlens_q, b, h, q);
                    for (int64_t i = 0; i < d; i++) {
                        query[i] = load_input(params, spec, params->q, params->q_descale, b, hkv, q_at + i);
                    }
                    /* Scores over every key, and their maximum over the kept ones. */
                    double maximum = -INFINITY, bound = 0.0;
                    for (int64_t key = 0; key < nk_b; key++) {
                        kept[key] = (unsigned char)attngen_reference_keeps(params, spec, b, h, q, key);
                        double dot = 0.0, magnitude = 0.0;
                        const double *key_row = keys + key * d;
                        for (int64_t i = 0; i < d; i++) {
                            dot += query[i] * key_row[i];
                            magnitude += fabs(query[i] * key_row[i]);
                        }
                        scores[key] = spec->scale * dot;
                        bounds[key] = spec->scale * magnitude;
                        if (spec->score_modifier != NULL) {
                            const double slope = spec->score_modifier_derivative != NULL
                                ? spec->score_modifier_derivative(scores[key], b, h, q, key, nq_b, nk_b, heads_q,
                                                                  params->score_parameters)
                                : 1.0;
                            scores[key] = spec->score_modifier(scores[key], b, h, q, key, nq_b, nk_b, heads_q,
                                                               params->score_parameters);
                            bounds[key] = fabs(slope) * bounds[key] + fabs(scores[key]);
                        }
                        if (kept[key]) {
                            if (scores[key] > maximum) {
                                maximum = scores[key];
                            }
                            if (bounds[key] > bound) {
                                bound = bounds[key];
                            }
                        }
                    }
                    if (row_logit_bound != NULL) {
                        row_logit_bound[row] = bound;
                    }
                    for (int64_t j = 0; j < dv; j++) {
                        out[j] = 0.0;
                    }
                    /* The sink: one more term of the denominator, with no value row. */
                    const double sink = spec->sinks ? (double)params->sinks[h] : -INFINITY;
                    if (sink > maximum) {
                        maximum = sink;
                    }
                    if (maximum == -INFINITY) {              /* no key kept (or Nk = 0), and no sink */
                        lse[row] = -INFINITY;
                        continue;
                    }
                    double sum = sink == -INFINITY ? 0.0 : exp(sink - maximum);
                    for (int64_t key = 0; key < nk_b; key++) {
                        if (kept[key]) {
                            sum += exp(scores[key] - maximum);
                        }
                    }
                    lse[row] = maximum + log(sum);
                    for (int64_t key = 0; key < nk_b; key++) {
                        if (!kept[key]) {
                            continue;
                        }
                        double probability = exp(scores[key] - maximum) / sum;
                        if (spec->dropout_threshold != 0) {
                            probability *= attngen_reference_dropout_keeps(params, spec->dropout_threshold, b, h, q, key)
                                ? keep_scale : 0.0;
                        }
                        const double *value_row = values + key * dv;
                        for (int64_t j = 0; j < dv; j++) {
                            out[j] += probability * value_row[j];
                        }
                    }
                }
            }
        }
    }
    free(keys); free(values); free(query); free(scores); free(bounds); free(kept);
    return ATTNGEN_REFERENCE_OK;
}

/* ---- the backward pass (reference.h: attngen_reference_backward) ----------------------------------------- */

/* Zeroes `count` doubles at `p` when it is given. */
static void clear_doubles(double *p, int64_t count) {
    if (p != NULL) {
        memset(p, 0, (size_t)(count > 0 ? count : 1) * sizeof(double));
    }
}

double attngen_reference_backward(const attngen_reference_backward_inputs *in, const attngen_reference_gradients *out) {
    const attngen_forward_params *params = in->params;
    const attngen_reference_spec *spec = in->spec;
    const int64_t batch = params->batch, hq = params->heads_q, hkv = params->heads_kv;
    const int64_t nq = params->seqlen_q, nk = params->seqlen_k;
    const int d = spec->head_dim, dv = spec->value_head_dim;
    const int64_t group = hq / hkv;
    const size_t n = (size_t)(nk > 0 ? nk : 1);
    double *s = malloc(n * sizeof(double));  /* scores, then P */
    double *z = malloc(n * sizeof(double));  /* dropout factors */
    double *dp = malloc(n * sizeof(double));
    double *g = malloc(n * sizeof(double));  /* the score modifier's derivative */
    double *x = malloc(n * sizeof(double));  /* the scaled score before the modifier */
    double *jump = malloc(n * sizeof(double)); /* how far the derivative moves within a rounding of x */
    const uint32_t threshold = spec->dropout_threshold;
    const double keep_scale = (double)(float)spec->dropout_keep_scale;
    const int gradients = out != NULL && out->dq != NULL;
    if (gradients) {
        clear_doubles(out->dq, batch * hq * nq * d);
        clear_doubles(out->dk, batch * hkv * nk * d);
        clear_doubles(out->dv, batch * hkv * nk * dv);
        clear_doubles(out->dq_terms, batch * hq * nq * d);
        clear_doubles(out->dk_terms, batch * hkv * nk * d);
        clear_doubles(out->dsinks, hq);
        clear_doubles(out->dparameters, in->parameter_arrays * hq + 1);
        clear_doubles(out->dparameter_terms, in->parameter_arrays * hq + 1);
        clear_doubles(out->dq_slack, batch * hq * nq * d);
        clear_doubles(out->dk_slack, batch * hkv * nk * d);
    }
    const int slack = gradients && out->dq_slack != NULL && out->dk_slack != NULL;
    double loss = 0.0;
    for (int64_t b = 0; b < batch; ++b) {
        /* A variable-length batch: the sequence's own lengths (rows past them in the dense arrays are ignored and
           their gradients stay 0). */
        const int64_t nq_b = sequence_queries(params, b), nk_b = sequence_keys(params, b);
        for (int64_t h = 0; h < hq; ++h) {
            const int64_t hk = h / group;
            for (int64_t qi = 0; qi < nq_b; ++qi) {
                const double *qrow = in->q + ((b * hq + h) * nq + qi) * d;
                const double *dorow = in->d_o + ((b * hq + h) * nq + qi) * dv;
                double max = -INFINITY;
                for (int64_t kj = 0; kj < nk_b; ++kj) {
                    if (!attngen_reference_keeps(params, spec, b, h, qi, kj)) {
                        s[kj] = -INFINITY;
                        continue;
                    }
                    const double *krow = in->k + ((b * hkv + hk) * nk + kj) * d;
                    double dot = 0.0;
                    for (int i = 0; i < d; ++i) {
                        dot += qrow[i] * krow[i];
                    }
                    s[kj] = spec->scale * dot;
                    x[kj] = s[kj];
                    g[kj] = 1.0;
                    jump[kj] = 0.0;
                    if (spec->score_modifier != NULL) {
                        g[kj] = spec->score_modifier_derivative(s[kj], b, h, qi, kj, nq_b, nk_b, hq,
                                                                params->score_parameters);
                        if (slack) {
                            const double w = ATTNGEN_REFERENCE_KINK_WINDOW * (fabs(x[kj]) > 1.0 ? fabs(x[kj]) : 1.0);
                            /* The second difference: about w^2 |m'''| where m' is smooth, the jump where it is not. */
                            const double above = spec->score_modifier_derivative(x[kj] + w, b, h, qi, kj, nq_b, nk_b, hq,
                                                                                 params->score_parameters);
                            const double below = spec->score_modifier_derivative(x[kj] - w, b, h, qi, kj, nq_b, nk_b, hq,
                                                                                 params->score_parameters);
                            jump[kj] = fabs(above - 2.0 * g[kj] + below);
                        }
                        s[kj] = spec->score_modifier(s[kj], b, h, qi, kj, nq_b, nk_b, hq, params->score_parameters);
                    }
                    max = s[kj] > max ? s[kj] : max;
                    z[kj] = threshold == 0 ? 1.0
                          : (attngen_reference_dropout_keeps(params, threshold, b, h, qi, kj) ? keep_scale : 0.0);
                }
                /* The sink: a term of the denominator without a value row. */
                const double sink = in->sinks != NULL ? in->sinks[h] : -INFINITY;
                max = sink > max ? sink : max;
                if (max == -INFINITY) {
                    continue; /* fully masked row without a sink: O = 0, no gradient */
                }
                double sum = sink == -INFINITY ? 0.0 : exp(sink - max);
                for (int64_t kj = 0; kj < nk_b; ++kj) {
                    s[kj] = s[kj] == -INFINITY ? 0.0 : exp(s[kj] - max);
                    sum += s[kj];
                }
                /* s now holds P; O = sum P Z V; L += O . dO; dP = dO . V; D = sum P Z dP = dO . O. */
                double big_d = 0.0;
                for (int64_t kj = 0; kj < nk_b; ++kj) {
                    s[kj] /= sum;
                    if (s[kj] == 0.0) {
                        dp[kj] = 0.0;
                        continue;
                    }
                    const double *vrow = in->v + ((b * hkv + hk) * nk + kj) * dv;
                    double dot = 0.0;
                    for (int i = 0; i < dv; ++i) {
                        dot += dorow[i] * vrow[i];
                    }
                    dp[kj] = dot;
                    loss += s[kj] * z[kj] * dot;
                    big_d += s[kj] * z[kj] * dot;
                }
                if (!gradients) {
                    continue;
                }
                if (out->dsinks != NULL && sink != -INFINITY) {
                    /* dL/dsink = -P(sink) D: every P moves by -P P(sink). */
                    out->dsinks[h] -= exp(sink - max) / sum * big_d;
                }
                double *dqrow = out->dq + ((b * hq + h) * nq + qi) * d;
                for (int64_t kj = 0; kj < nk_b; ++kj) {
                    if (s[kj] == 0.0) {
                        continue;
                    }
                    const double dm = s[kj] * (dp[kj] * z[kj] - big_d); /* dL/dm at this score */
                    const double ds = dm * spec->scale * g[kj];
                    for (int i = 0; i < in->parameter_arrays; ++i) {
                        const double term = dm * in->parameter_derivative(x[kj], i, b, h, qi, kj, nq_b, nk_b, hq,
                                                                          params->score_parameters);
                        if (out->dparameters != NULL) {
                            out->dparameters[i * hq + h] += term;
                        }
                        if (out->dparameter_terms != NULL) {
                            out->dparameter_terms[i * hq + h] += fabs(term);
                        }
                    }
                    const double *krow = in->k + ((b * hkv + hk) * nk + kj) * d;
                    double *dkrow = out->dk + ((b * hkv + hk) * nk + kj) * d;
                    double *dvrow = out->dv + ((b * hkv + hk) * nk + kj) * dv;
                    for (int i = 0; i < d; ++i) {
                        dqrow[i] += ds * krow[i];
                        dkrow[i] += ds * qrow[i];
                    }
                    for (int i = 0; i < dv; ++i) {
                        dvrow[i] += s[kj] * z[kj] * dorow[i];
                    }
                    if (out->dq_terms != NULL && out->dk_terms != NULL) {
                        const double terms = s[kj] * (fabs(dp[kj] * z[kj]) + fabs(big_d)) * spec->scale * fabs(g[kj]);
                        double *dq_terms_row = out->dq_terms + ((b * hq + h) * nq + qi) * d;
                        double *dk_terms_row = out->dk_terms + ((b * hkv + hk) * nk + kj) * d;
                        for (int i = 0; i < d; ++i) {
                            dq_terms_row[i] += terms * fabs(krow[i]);
                            dk_terms_row[i] += terms * fabs(qrow[i]);
                        }
                    }
                    if (slack && jump[kj] > 0.0) {
                        const double moved = fabs(dm) * spec->scale * jump[kj];
                        double *dq_slack_row = out->dq_slack + ((b * hq + h) * nq + qi) * d;
                        double *dk_slack_row = out->dk_slack + ((b * hkv + hk) * nk + kj) * d;
                        for (int i = 0; i < d; ++i) {
                            dq_slack_row[i] += moved * fabs(krow[i]);
                            dk_slack_row[i] += moved * fabs(qrow[i]);
                        }
                    }
                }
            }
        }
    }
    free(s);
    free(z);
    free(dp);
    free(g);
    free(x);
    free(jump);
    return loss;
}
