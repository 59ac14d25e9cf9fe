/*
 * driver.c: the per-variant test driver of the correctness harness (see driver.h for how it is built).
 *
 *   driver run CASE...      one line "RESULT ..." per case: fresh seeded inputs, NaN-poisoned outputs,
 *                           the kernel, the float64 reference, and the error measures
 *   driver errors           one line "CHECK ..." per call of argument_cases.h (invalid arguments, and valid
 *                           calls with empty tensors): expected and returned status, and whether O and LSE
 *                           were left alone
 *   driver dropmask CASE    Q = 0 and V = identity (needs Nk <= dv, no mask): reads the kernel's dropout
 *                           mask off O and compares it with the reference's Philox bit for bit
 *   driver concurrent CASE  one call, then 3 threads calling at once on the same inputs with their own
 *                           outputs: "CONCURRENT ... differing=N" counts outputs not bitwise equal to the first
 *   driver combine CASE...  the merge of partial results (attngen_NAME_combine) on random fp32 partials with
 *                           strided layouts, about a fifth of them at LSE = -inf and some rows with every partial
 *                           at -inf, against the merge in double precision; one line "COMBINE ..." per case with
 *                           o_err (max |O - ref| / max(1, max |ref|)), lse_err, inf_mismatch, masked_nonzero,
 *                           poison, and bad_status (refusals that returned another status than documented).
 *                           Keys b, hq, nq, seed as for run, and splits=S (default 3).
 *
 * A CASE is comma-separated key=value pairs, all optional:
 *   b=1,hq=2,hkv=1,nq=17,nk=128,layout=bshd|bhsd|padded|mixed,seed=1,huge=0|1,block=perhead|shared,threads=0,used=0|1
 * (used=1: per-sequence key counts, seqlens_k: sequence 0 uses every key, sequence 1 none, the others a random
 * count; the reference follows them, and the line adds bad_used = whether a count above nk was not refused)
 * (varlen=1|2|3: a variable-length batch, README "Variable-length batches": 1 packs the query rows (cu_seqlens_q), 2
 * the keys (cu_seqlens_k), 3 both; sequence 0 has nq / nk rows, sequence 1 none, sequence 2 one, the others a random
 * count up to nq / nk; the packed tensors start 2 rows in and end 3 rows after the last sequence (rows no call may
 * write); the line adds bad_varlen = whether prefix sums ending past total_q / total_k were not refused)
 * (mixed: Q BHSD, K padded, V BSHD, O padded, LSE as for BSHD)
 * (with fixed heads, hq and hkv default to the spec's counts).
 *
 * Output measures (over the logical elements of O; ref is the float64 reference):
 *   rel_l2   = ||out - ref||_2 / max(||ref||_2, sqrt(n) * tiny)
 *   rel_max  = max |out - ref| / max(max |ref|, tiny)
 *   (tiny: the storage's smallest normal number, 2^-14 for fp16, 2^-126 otherwise; below it the storage keeps
 *   fixed steps, not relative precision, and a sink or a large ALiBi slope can push every output of a row there)
 *   lse_err  = max over rows with finite reference LSE of |lse - ref| / max(1, logit bound of the row)
 *   nan      = logical O (or LSE) elements that are NaN or infinite where the reference is finite
 *   poison   = elements outside the logical O / LSE (padding, guards) that the kernel overwrote
 *   lse_inf_mismatch = rows where exactly one of (kernel LSE, reference LSE) is -inf
 *   masked_nonzero   = rows the reference masks fully whose O row is not exactly 0
 */
#include "driver.h"
#include "argument_cases.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

/* ---- Random numbers (splitmix64) ---------------------------------------------------------- */

static uint64_t random_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double random_signed(uint64_t *state) {
    return (double)(random_next(state) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* ---- Cases ---------------------------------------------------------------------------------- */

enum { LAYOUT_BSHD = 0, LAYOUT_BHSD = 1, LAYOUT_PADDED = 2, LAYOUT_MIXED = 3 };

/* The layout kind of each tensor (Q, K, V, O, LSE) for a case's layout. */
static int tensor_layout_kind(int layout, int tensor) {
    static const int mixed[5] = { LAYOUT_BHSD, LAYOUT_PADDED, LAYOUT_BSHD, LAYOUT_PADDED, LAYOUT_BSHD };
    return layout == LAYOUT_MIXED ? mixed[tensor] : layout;
}

typedef struct test_case {
    int64_t batch, heads_q, heads_kv, nq, nk;
    int layout;
    uint64_t seed;
    int huge;
    int shared_block_mask;
    int threads;
    int used_keys; /* 1: per-sequence key counts (seqlens_k), random in 0 ... nk with 0 and nk among them */
    int varlen;    /* bit 0: packed query rows (cu_seqlens_q); bit 1: packed keys (cu_seqlens_k) */
} test_case;

static int parse_case(const char *text, test_case *out) {
    const harness_variant *variant = &harness_variant_info;
    test_case c = { 1, 2, 1, 17, 17, LAYOUT_BSHD, 1, 0, 0, 0, 0, 0 };
    if (variant->fixed_heads_q > 0) {
        c.heads_q = variant->fixed_heads_q;
        c.heads_kv = variant->fixed_heads_kv;
    }
    char buffer[512];
    if (strlen(text) >= sizeof buffer) {
        return -1;
    }
    strcpy(buffer, text);
    for (char *item = strtok(buffer, ","); item != NULL; item = strtok(NULL, ",")) {
        char *equals = strchr(item, '=');
        if (equals == NULL) {
            return -1;
        }
        *equals = '\0';
        const char *key = item, *value = equals + 1;
        long long number = strtoll(value, NULL, 10);
        if (strcmp(key, "b") == 0) c.batch = number;
        else if (strcmp(key, "hq") == 0) c.heads_q = number;
        else if (strcmp(key, "hkv") == 0) c.heads_kv = number;
        else if (strcmp(key, "nq") == 0) c.nq = number;
        else if (strcmp(key, "nk") == 0) c.nk = number;
        else if (strcmp(key, "seed") == 0) c.seed = (uint64_t)strtoull(value, NULL, 10);
        else if (strcmp(key, "huge") == 0) c.huge = (int)number;
        else if (strcmp(key, "threads") == 0) c.threads = (int)number;
        else if (strcmp(key, "used") == 0) c.used_keys = (int)number;
        else if (strcmp(key, "varlen") == 0) c.varlen = (int)number;
        else if (strcmp(key, "layout") == 0) {
            if (strcmp(value, "bshd") == 0) c.layout = LAYOUT_BSHD;
            else if (strcmp(value, "bhsd") == 0) c.layout = LAYOUT_BHSD;
            else if (strcmp(value, "padded") == 0) c.layout = LAYOUT_PADDED;
            else if (strcmp(value, "mixed") == 0) c.layout = LAYOUT_MIXED;
            else return -1;
        } else if (strcmp(key, "block") == 0) {
            if (strcmp(value, "perhead") == 0) c.shared_block_mask = 0;
            else if (strcmp(value, "shared") == 0) c.shared_block_mask = 1;
            else return -1;
        } else {
            return -1;
        }
    }
    *out = c;
    return 0;
}

/* ---- Tensors -------------------------------------------------------------------------------- */

/* Guard elements after the last element of every buffer, which the kernel must not touch. */
#define GUARD 16

typedef struct tensor {
    void *data;
    int element_size;
    int64_t count;                 /* elements in the buffer, guard included */
    attngen_layout layout;
    int64_t batch, heads, seqlen, dim;
    const int32_t *prefix;         /* a packed tensor of a variable-length batch: the prefix sums of its rows */
} tensor;

static void make_layout(int kind, int64_t heads, int64_t seqlen, int64_t dim, attngen_layout *layout) {
    switch (kind) {
    case LAYOUT_BSHD:
        layout->row_stride = heads * dim;
        layout->head_stride = dim;
        layout->batch_stride = seqlen * heads * dim;
        break;
    case LAYOUT_BHSD:
        layout->row_stride = dim;
        layout->head_stride = seqlen * dim;
        layout->batch_stride = heads * seqlen * dim;
        break;
    default:                       /* BHSD with gaps after each row, head and batch */
        layout->row_stride = dim + 3;
        layout->head_stride = seqlen * (dim + 3) + 5;
        layout->batch_stride = heads * layout->head_stride + 7;
        break;
    }
}

/* The log-sum-exp layout that goes with a tensor layout kind ([b][s][h] for BSHD, gaps for padded). */
static void make_lse_layout(int kind, int64_t heads, int64_t seqlen, attngen_layout *layout) {
    switch (kind) {
    case LAYOUT_BSHD:
        layout->row_stride = heads;
        layout->head_stride = 1;
        layout->batch_stride = seqlen * heads;
        break;
    case LAYOUT_BHSD:
        layout->row_stride = 1;
        layout->head_stride = seqlen;
        layout->batch_stride = heads * seqlen;
        break;
    default:
        layout->row_stride = 2;
        layout->head_stride = 2 * seqlen + 1;
        layout->batch_stride = heads * layout->head_stride + 3;
        break;
    }
}

static int64_t tensor_index(const tensor *t, int64_t b, int64_t h, int64_t s) {
    if (t->prefix != NULL) {
        return h * t->layout.head_stride + ((int64_t)t->prefix[b] + s) * t->layout.row_stride;
    }
    return b * t->layout.batch_stride + h * t->layout.head_stride + s * t->layout.row_stride;
}

/* The rows of sequence b in a tensor: its count of a variable-length batch, else seqlen. */
static int64_t tensor_rows(const tensor *t, int64_t b) {
    return t->prefix != NULL ? (int64_t)t->prefix[b + 1] - t->prefix[b] : t->seqlen;
}

/* Allocates a tensor laid out for `layout_heads` heads (>= heads, so that calls with more heads stay in bounds). */
static int tensor_create(tensor *t, int kind, int element_size, int64_t batch, int64_t heads, int64_t layout_heads,
                         int64_t seqlen, int64_t dim, int is_lse) {
    memset(t, 0, sizeof *t);
    t->element_size = element_size;
    t->batch = batch; t->heads = heads; t->seqlen = seqlen; t->dim = dim;
    if (is_lse) {
        make_lse_layout(kind, layout_heads, seqlen, &t->layout);
    } else {
        make_layout(kind, layout_heads, seqlen, dim, &t->layout);
    }
    int64_t extent = 0;
    if (batch > 0 && layout_heads > 0 && seqlen > 0) {
        extent = (batch - 1) * t->layout.batch_stride + (layout_heads - 1) * t->layout.head_stride
               + (seqlen - 1) * t->layout.row_stride + dim;
    }
    t->count = extent + GUARD;
    t->data = malloc((size_t)t->count * (size_t)element_size);
    return t->data == NULL ? -1 : 0;
}

static void tensor_destroy(tensor *t) {
    free(t->data);
    t->data = NULL;
}

/* NaN bit patterns that mark elements nobody wrote. */
#define POISON_FP32 0x7FC0BEEFu
#define POISON_16_FP16 0x7E5Au
#define POISON_16_BF16 0x7FDAu

/* Q, K and V of a variant with fp8 inputs are e4m3 bytes (the reference's storage codes stop at 2). */
#define STORAGE_E4M3 3

/* The nearest e4m3 value to `value` (ties: the lower code), saturated to +-448; by search over the codes. */
static uint8_t e4m3_nearest(double value) {
    const double magnitude = fabs(value);
    int best = 0;
    for (int code = 1; code < 0x7f; code++) {
        if (fabs(attngen_reference_e4m3_to_double((uint8_t)code) - magnitude)
            < fabs(attngen_reference_e4m3_to_double((uint8_t)best) - magnitude)) {
            best = code;
        }
    }
    return (uint8_t)(best | (value < 0 ? 0x80 : 0));
}

static void store_bits_poison(void *data, int element_size, int storage, int64_t index) {
    if (element_size == 1) {
        ((uint8_t *)data)[index] = 0x7f; /* e4m3 NaN */
    } else if (element_size == 4) {
        uint32_t bits = POISON_FP32;
        memcpy((char *)data + index * 4, &bits, 4);
    } else {
        ((uint16_t *)data)[index] = storage == ATTNGEN_REFERENCE_BF16 ? POISON_16_BF16 : POISON_16_FP16;
    }
}

static int is_poison(const void *data, int element_size, int storage, int64_t index) {
    if (element_size == 1) {
        return ((const uint8_t *)data)[index] == 0x7f;
    }
    if (element_size == 4) {
        uint32_t bits;
        memcpy(&bits, (const char *)data + index * 4, 4);
        return bits == POISON_FP32;
    }
    return ((const uint16_t *)data)[index] == (storage == ATTNGEN_REFERENCE_BF16 ? POISON_16_BF16 : POISON_16_FP16);
}

static void tensor_poison(tensor *t, int storage) {
    for (int64_t i = 0; i < t->count; i++) {
        store_bits_poison(t->data, t->element_size, storage, i);
    }
}

/* Stores `value` rounded to the storage type. */
static void store_value(void *data, int storage, int64_t index, double value) {
    switch (storage) {
    case STORAGE_E4M3:
        ((uint8_t *)data)[index] = e4m3_nearest(value);
        break;
    case ATTNGEN_REFERENCE_FP16:
        ((uint16_t *)data)[index] = attngen_reference_float_to_half((float)value);
        break;
    case ATTNGEN_REFERENCE_BF16:
        ((uint16_t *)data)[index] = attngen_reference_float_to_bfloat((float)value);
        break;
    default:
        ((float *)data)[index] = (float)value;
        break;
    }
}

/* Poisons the whole buffer (so reads of padding give NaN), then fills the logical elements. */
static void tensor_fill_random(tensor *t, int storage, uint64_t *state, double amplitude) {
    tensor_poison(t, storage);
    for (int64_t b = 0; b < t->batch; b++)
        for (int64_t h = 0; h < t->heads; h++)
            for (int64_t s = 0; s < tensor_rows(t, b); s++) {
                int64_t at = tensor_index(t, b, h, s);
                for (int64_t i = 0; i < t->dim; i++) {
                    store_value(t->data, storage, at + i, amplitude * random_signed(state));
                }
            }
}

/* Marks the logical elements of `t` in `mask` (one byte per buffer element). */
static unsigned char *tensor_logical_mask(const tensor *t) {
    unsigned char *mask = calloc((size_t)t->count, 1);
    if (mask == NULL) {
        return NULL;
    }
    for (int64_t b = 0; b < t->batch; b++)
        for (int64_t h = 0; h < t->heads; h++)
            for (int64_t s = 0; s < tensor_rows(t, b); s++) {
                int64_t at = tensor_index(t, b, h, s);
                for (int64_t i = 0; i < t->dim; i++) {
                    mask[at + i] = 1;
                }
            }
    return mask;
}

/* ---- A prepared problem --------------------------------------------------------------------- */

typedef struct problem {
    test_case shape;
    tensor q, k, v, o, lse;
    uint8_t *block_mask;
    int32_t *seqlens_k;
    int32_t *cu_seqlens_q, *cu_seqlens_k;
    int32_t *page_table;
    float *score_parameters;
    float *sinks;
    float *descales;               /* fp8 inputs: the q, k and v factors, [3][batch][heads_kv * f] */
    attngen_forward_params params;
} problem;

static double now_ms(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int storage_size(int storage) {
    return storage == STORAGE_E4M3 ? 1 : (storage == ATTNGEN_REFERENCE_FP32 ? 4 : 2);
}

/* How Q, K and V are stored: like O, or fp8 e4m3. */
static int input_storage(const attngen_reference_spec *spec) {
    return spec->inputs_e4m3 ? STORAGE_E4M3 : spec->storage;
}

/* The softmax-logit amplitude of "huge" inputs: |S| around 1e4. */
static double huge_amplitude(const attngen_reference_spec *spec) {
    /* Q, K uniform in [-a, a]: S = scale * sum of d products of variance a^4 / 9, so |S| ~ scale sqrt(d) a^2 / 3. */
    return sqrt(3.0e4 / (spec->scale * sqrt((double)spec->head_dim)));
}

/* Builds tensors, the block mask and the params for `shape`; layout_heads_factor > 1 leaves room for more heads. */
static int problem_create(problem *p, const test_case *shape, int layout_heads_factor) {
    const harness_variant *variant = &harness_variant_info;
    const attngen_reference_spec *spec = &variant->reference;
    memset(p, 0, sizeof *p);
    p->shape = *shape;
    int es = storage_size(spec->storage), is = storage_size(input_storage(spec));
    int64_t hq = shape->heads_q > 0 ? shape->heads_q : 0, hkv = shape->heads_kv > 0 ? shape->heads_kv : 0;
    int64_t nq = shape->nq > 0 ? shape->nq : 0, nk = shape->nk > 0 ? shape->nk : 0;
    int64_t batch = shape->batch > 0 ? shape->batch : 0;
    int64_t f = layout_heads_factor;
    int l = shape->layout;
    /* A paged variant reads K and V from pools of pages (tensors of num_pages "batches" of page_size rows): each
       sequence's pages in shuffled order, one spare page no sequence uses. */
    const int64_t page = spec->page_size;
    const int64_t pages_per_sequence = page > 0 ? (nk + page - 1) / page : 0;
    const int64_t num_pages = page > 0 ? batch * pages_per_sequence + 1 : 0;
    uint64_t state = shape->seed * 0x2545F4914F6CDD1Dull + 12345u;
    /* A variable-length batch: the prefix sums of each packed side (2 rows before the first sequence, 3 after the
       last), and the packed tensors as one "batch" of total rows. */
    const int pack_queries = (shape->varlen & 1) && batch > 0, pack_keys = (shape->varlen & 2) && batch > 0 && page == 0;
    if ((pack_queries && (p->cu_seqlens_q = harness_prefix_sums(batch, nq, &state, random_next)) == NULL)
        || (pack_keys && (p->cu_seqlens_k = harness_prefix_sums(batch, nk, &state, random_next)) == NULL)) {
        return -1;
    }
    const int64_t q_outer = pack_queries ? 1 : batch, q_rows = pack_queries ? p->cu_seqlens_q[batch] + 3 : nq;
    const int64_t kv_outer = page > 0 ? num_pages : (pack_keys ? 1 : batch);
    const int64_t kv_rows = page > 0 ? page : (pack_keys ? p->cu_seqlens_k[batch] + 3 : nk);
    if (tensor_create(&p->q, tensor_layout_kind(l, 0), is, q_outer, hq, hq * f, q_rows, spec->head_dim, 0)
        || tensor_create(&p->k, tensor_layout_kind(l, 1), is, kv_outer, hkv, hkv * f, kv_rows, spec->head_dim, 0)
        || tensor_create(&p->v, tensor_layout_kind(l, 2), is, kv_outer, hkv, hkv * f, kv_rows, spec->value_head_dim, 0)
        || tensor_create(&p->o, tensor_layout_kind(l, 3), es, q_outer, hq, hq * f, q_rows, spec->value_head_dim, 0)
        || tensor_create(&p->lse, tensor_layout_kind(l, 4), 4, q_outer, hq, hq * f, q_rows, 1, 1)) {
        return -1;
    }
    if (pack_queries) {
        p->q.prefix = p->o.prefix = p->lse.prefix = p->cu_seqlens_q;
        p->q.batch = p->o.batch = p->lse.batch = batch;
    }
    if (pack_keys) {
        p->k.prefix = p->v.prefix = p->cu_seqlens_k;
        p->k.batch = p->v.batch = batch;
    }
    double amplitude = shape->huge ? huge_amplitude(spec) : 1.0;
    tensor_fill_random(&p->q, input_storage(spec), &state, amplitude);
    tensor_fill_random(&p->k, input_storage(spec), &state, amplitude);
    tensor_fill_random(&p->v, input_storage(spec), &state, 1.0);
    tensor_poison(&p->o, spec->storage);
    tensor_poison(&p->lse, ATTNGEN_REFERENCE_FP32);

    attngen_forward_params *params = &p->params;
    params->struct_size = sizeof(attngen_forward_params);
    params->batch = shape->batch;
    params->seqlen_q = shape->nq;
    params->seqlen_k = shape->nk;
    params->heads_q = (int32_t)shape->heads_q;
    params->heads_kv = (int32_t)shape->heads_kv;
    params->q = p->q.data;
    params->k = p->k.data;
    params->v = p->v.data;
    params->o = p->o.data;
    params->lse = variant->saves_lse ? (float *)p->lse.data : NULL;
    params->q_layout = p->q.layout;
    params->k_layout = p->k.layout;
    params->v_layout = p->v.layout;
    params->o_layout = p->o.layout;
    params->lse_layout = p->lse.layout;
    params->dropout_seed = random_next(&state);
    params->dropout_offset = random_next(&state);
    params->num_threads = shape->threads;
    params->cu_seqlens_q = p->cu_seqlens_q;
    params->cu_seqlens_k = p->cu_seqlens_k;
    params->total_q = pack_queries ? q_rows : 0;
    params->total_k = pack_keys ? kv_rows : 0;
    if (variant->score_parameter_count > 0) {
        /* heads_q values per array (times the head factor, for the error cases' larger head counts). */
        const int64_t count = variant->score_parameter_count * hq * layout_heads_factor;
        p->score_parameters = harness_new_score_parameters(count);
        if (p->score_parameters == NULL) {
            return -1;
        }
        params->score_parameters = p->score_parameters;
    }
    if (spec->inputs_e4m3) {
        /* Factors in [0.5, 2) per (sequence, key/value head); by the seed, one factor per tensor (strides 0) or no
           V array (NULL: 1). */
        const int64_t per_tensor = (batch > 0 ? batch : 1) * (hkv > 0 ? hkv * f : 1);
        p->descales = malloc((size_t)(3 * per_tensor) * sizeof(float));
        if (p->descales == NULL) {
            return -1;
        }
        for (int64_t i = 0; i < 3 * per_tensor; i++) {
            p->descales[i] = (float)(1.25 + 0.75 * random_signed(&state));
        }
        params->q_descale = p->descales;
        params->k_descale = p->descales + per_tensor;
        params->v_descale = shape->seed % 3 == 2 ? NULL : p->descales + 2 * per_tensor;
        params->descale_batch_stride = shape->seed % 2 == 1 ? 0 : hkv * f;
        params->descale_head_stride = shape->seed % 2 == 1 ? 0 : 1;
    }
    if (variant->sinks) {
        p->sinks = harness_new_sinks(hq * layout_heads_factor);
        if (p->sinks == NULL) {
            return -1;
        }
        params->sinks = p->sinks;
    }

    if (spec->block_rows > 0) {
        /* One byte per block, density about 0.7; block row 1 and block column 2 are all zero,
           so that whole query rows are masked, and even block rows start with a masked block, so that a
           row's first key tile is masked at run time. Per-head layouts differ per (b, h). */
        int64_t row_blocks = (nq + spec->block_rows - 1) / spec->block_rows;
        int64_t column_blocks = (nk + spec->block_columns - 1) / spec->block_columns;
        attngen_layout layout;
        layout.row_stride = column_blocks + 1;                 /* one padding byte per block row */
        int64_t per_head = row_blocks * layout.row_stride;
        int64_t copies = shape->shared_block_mask ? 1 : batch * hq * f;
        layout.head_stride = shape->shared_block_mask ? 0 : per_head;
        layout.batch_stride = shape->shared_block_mask ? 0 : hq * f * per_head;
        size_t bytes = (size_t)(copies * per_head) + GUARD;
        p->block_mask = malloc(bytes);
        if (p->block_mask == NULL) {
            return -1;
        }
        for (size_t i = 0; i < bytes; i++) {
            p->block_mask[i] = 0xA5;                           /* padding: non-zero, must not be read */
        }
        for (int64_t copy = 0; copy < copies; copy++)
            for (int64_t i = 0; i < row_blocks; i++)
                for (int64_t j = 0; j < column_blocks; j++) {
                    int keep = (random_next(&state) % 10) < 7;
                    if (i == 1 || j == 2 || (j == 0 && i % 2 == 0)) keep = 0;
                    p->block_mask[copy * per_head + i * layout.row_stride + j] = (uint8_t)(keep ? (1 + (j % 3)) : 0);
                }
        params->block_mask = p->block_mask;
        params->block_mask_layout = layout;
    }
    if (page > 0) {
        /* One row of pages_per_sequence + 1 entries per sequence (the last one unused), a shuffled permutation. */
        const int64_t stride = pages_per_sequence + 1;
        p->page_table = malloc((size_t)(batch * stride + 1) * sizeof(int32_t));
        if (p->page_table == NULL) {
            return -1;
        }
        for (int64_t i = 0; i < batch * stride; i++) {
            p->page_table[i] = -7; /* unused entries: an index no call may read */
        }
        int64_t *order = malloc((size_t)(num_pages > 0 ? num_pages : 1) * sizeof(int64_t));
        if (order == NULL) {
            return -1;
        }
        for (int64_t i = 0; i < num_pages; i++) order[i] = i;
        for (int64_t i = num_pages - 1; i > 0; i--) {
            const int64_t j = (int64_t)(random_next(&state) % (uint64_t)(i + 1));
            const int64_t t = order[i]; order[i] = order[j]; order[j] = t;
        }
        for (int64_t b = 0; b < batch; b++)
            for (int64_t i = 0; i < pages_per_sequence; i++) p->page_table[b * stride + i] = (int32_t)order[b * pages_per_sequence + i];
        free(order);
        params->page_table = p->page_table;
        params->page_table_stride = stride;
        params->num_pages = num_pages;
    }
    if (shape->used_keys && batch > 0) {
        p->seqlens_k = malloc((size_t)batch * sizeof(int32_t));
        if (p->seqlens_k == NULL) {
            return -1;
        }
        for (int64_t b = 0; b < batch; b++) {
            /* Within the sequence's keys when they are packed. */
            const int64_t keys = pack_keys ? tensor_rows(&p->k, b) : nk;
            p->seqlens_k[b] = (int32_t)(b == 0 ? keys : (b == 1 ? 0 : (int64_t)(random_next(&state) % (uint64_t)(keys + 1))));
        }
        params->seqlens_k = p->seqlens_k;
    }
    return 0;
}

static void problem_destroy(problem *p) {
    tensor_destroy(&p->q); tensor_destroy(&p->k); tensor_destroy(&p->v);
    tensor_destroy(&p->o); tensor_destroy(&p->lse);
    free(p->block_mask);
    free(p->seqlens_k);
    free(p->cu_seqlens_q);
    free(p->cu_seqlens_k);
    free(p->page_table);
    free(p->score_parameters);
    free(p->sinks);
    free(p->descales);
}

static double load_output(const problem *p, int64_t index) {
    return attngen_reference_load(p->o.data, harness_variant_info.reference.storage, index);
}

/* ---- run ------------------------------------------------------------------------------------ */

static int run_case(const char *text) {
    const harness_variant *variant = &harness_variant_info;
    const attngen_reference_spec *spec = &variant->reference;
    test_case shape;
    if (parse_case(text, &shape) != 0) {
        printf("RESULT %s parse_error=1\n", text);
        return 1;
    }
    problem p;
    if (problem_create(&p, &shape, 1) != 0) {
        printf("RESULT %s alloc_error=1\n", text);
        return 1;
    }
    double start = now_ms();
    attngen_status status = harness_forward(&p.params);
    double kernel_ms = now_ms() - start;

    int64_t rows = shape.batch * shape.heads_q * shape.nq, dv = spec->value_head_dim;
    double *o_ref = malloc((size_t)(rows > 0 ? rows : 1) * (size_t)dv * sizeof(double));
    double *lse_ref = malloc((size_t)(rows > 0 ? rows : 1) * sizeof(double));
    double *bound = malloc((size_t)(rows > 0 ? rows : 1) * sizeof(double));
    start = now_ms();
    int reference_rc = attngen_reference_forward(&p.params, spec, o_ref, lse_ref, bound);
    double reference_ms = now_ms() - start;

    double diff_sq = 0, ref_sq = 0, diff_max = 0, ref_max = 0, lse_err = 0, logit_max = 0;
    int64_t compared = 0;
    long nan_count = 0, lse_inf_mismatch = 0, masked_rows = 0, masked_nonzero = 0, poison = 0;
    unsigned char *o_logical = tensor_logical_mask(&p.o);
    unsigned char *lse_logical = tensor_logical_mask(&p.lse);
    for (int64_t b = 0; b < shape.batch; b++)
        for (int64_t h = 0; h < shape.heads_q; h++)
            for (int64_t q = 0; q < tensor_rows(&p.o, b); q++) {
                int64_t row = (b * shape.heads_q + h) * shape.nq + q;
                int64_t at = tensor_index(&p.o, b, h, q);
                int fully_masked = isinf(lse_ref[row]) && lse_ref[row] < 0;
                masked_rows += fully_masked;
                int row_nonzero = 0;
                for (int64_t j = 0; j < dv; j++) {
                    double out = load_output(&p, at + j), ref = o_ref[row * dv + j];
                    if (!isfinite(out)) {
                        nan_count++;
                        continue;
                    }
                    if (out != 0.0) row_nonzero = 1;
                    compared++;
                    double diff = fabs(out - ref);
                    diff_sq += diff * diff;
                    ref_sq += ref * ref;
                    if (diff > diff_max) diff_max = diff;
                    if (fabs(ref) > ref_max) ref_max = fabs(ref);
                }
                if (fully_masked && row_nonzero) masked_nonzero++;
                if (!fully_masked && bound[row] > logit_max) logit_max = bound[row];
                if (variant->saves_lse) {
                    float out;
                    memcpy(&out, (const char *)p.lse.data + 4 * tensor_index(&p.lse, b, h, q), 4);
                    int out_minus_inf = isinf(out) && out < 0;
                    if (fully_masked != out_minus_inf) {
                        lse_inf_mismatch++;
                    } else if (!fully_masked) {
                        if (!isfinite(out)) {
                            nan_count++;
                        } else {
                            double e = fabs((double)out - lse_ref[row]) / fmax(1.0, bound[row]);
                            if (e > lse_err) lse_err = e;
                        }
                    }
                }
            }
    for (int64_t i = 0; i < p.o.count; i++) {
        if (!o_logical[i] && !is_poison(p.o.data, p.o.element_size, spec->storage, i)) poison++;
    }
    for (int64_t i = 0; i < p.lse.count; i++) {
        int must_stay = variant->saves_lse ? !lse_logical[i] : 1;
        if (must_stay && !is_poison(p.lse.data, 4, ATTNGEN_REFERENCE_FP32, i)) poison++;
    }
    const double tiny = harness_smallest_normal(spec->storage);
    double rel_l2 = compared > 0 ? sqrt(diff_sq) / fmax(sqrt(ref_sq), sqrt((double)compared) * tiny) : 0.0;
    double rel_max = compared > 0 ? diff_max / fmax(ref_max, tiny) : 0.0;
    /* used=1: a count above seqlen_k is refused before anything is written (O stays as the kernel left it). */
    int bad_used = 0;
    if (p.seqlens_k != NULL && p.params.batch > 0 && p.params.seqlen_q > 0 && p.params.heads_q > 0) {
        const int32_t saved = p.seqlens_k[p.params.batch - 1];
        p.seqlens_k[p.params.batch - 1] = (int32_t)(p.params.seqlen_k + 1);
        unsigned char *before = malloc((size_t)p.o.count * (size_t)p.o.element_size);
        if (before != NULL) {
            memcpy(before, p.o.data, (size_t)p.o.count * (size_t)p.o.element_size);
            bad_used = harness_forward(&p.params) != ATTNGEN_ERROR_INVALID_SIZE
                       || memcmp(before, p.o.data, (size_t)p.o.count * (size_t)p.o.element_size) != 0;
            free(before);
        }
        p.seqlens_k[p.params.batch - 1] = saved;
    }
    /* A paged variant: a page index past the pool, in a page the call reads, is refused before anything is written. */
    int bad_page = 0;
    if (p.page_table != NULL && p.params.batch > 0 && p.params.seqlen_q > 0 && p.params.heads_q > 0
        && p.params.seqlen_k > 0 && (p.seqlens_k == NULL || p.seqlens_k[0] > 0)) {
        const int32_t saved = p.page_table[0];
        p.page_table[0] = (int32_t)p.params.num_pages;
        unsigned char *before = malloc((size_t)p.o.count * (size_t)p.o.element_size);
        if (before != NULL) {
            memcpy(before, p.o.data, (size_t)p.o.count * (size_t)p.o.element_size);
            bad_page = harness_forward(&p.params) != ATTNGEN_ERROR_INVALID_LAYOUT
                       || memcmp(before, p.o.data, (size_t)p.o.count * (size_t)p.o.element_size) != 0;
            free(before);
        }
        p.page_table[0] = saved;
    }
    /* A variable-length batch: prefix sums that end past the packed rows are refused before anything is written. */
    int bad_varlen = 0;
    int32_t *prefix = p.cu_seqlens_q != NULL ? p.cu_seqlens_q : p.cu_seqlens_k;
    if (prefix != NULL && p.params.seqlen_q > 0 && p.params.heads_q > 0) {
        const int32_t saved = prefix[p.params.batch];
        prefix[p.params.batch] = (int32_t)(prefix == p.cu_seqlens_q ? p.params.total_q : p.params.total_k) + 1;
        unsigned char *before = malloc((size_t)p.o.count * (size_t)p.o.element_size);
        if (before != NULL) {
            memcpy(before, p.o.data, (size_t)p.o.count * (size_t)p.o.element_size);
            bad_varlen = harness_forward(&p.params) != ATTNGEN_ERROR_INVALID_SIZE
                         || memcmp(before, p.o.data, (size_t)p.o.count * (size_t)p.o.element_size) != 0;
            free(before);
        }
        prefix[p.params.batch] = saved;
    }
    printf("RESULT %s status=%d reference=%d rel_l2=%.3e rel_max=%.3e lse_err=%.3e nan=%ld poison=%ld "
           "lse_inf_mismatch=%ld rows=%lld masked_rows=%ld masked_nonzero=%ld logit_max=%.3e "
           "kernel_ms=%.1f reference_ms=%.1f bad_used=%d bad_page=%d bad_varlen=%d\n",
           text, (int)status, reference_rc, rel_l2, rel_max, lse_err, nan_count, poison, lse_inf_mismatch,
           (long long)rows, masked_rows, masked_nonzero, logit_max, kernel_ms, reference_ms, bad_used, bad_page,
           bad_varlen);
    free(o_logical); free(lse_logical); free(o_ref); free(lse_ref); free(bound);
    problem_destroy(&p);
    return 0;
}

/* ---- errors --------------------------------------------------------------------------------- */

static int output_untouched(const problem *p) {
    int storage = harness_variant_info.reference.storage;
    for (int64_t i = 0; i < p->o.count; i++) {
        if (!is_poison(p->o.data, p->o.element_size, storage, i)) return 0;
    }
    for (int64_t i = 0; i < p->lse.count; i++) {
        if (!is_poison(p->lse.data, 4, ATTNGEN_REFERENCE_FP32, i)) return 0;
    }
    return 1;
}

/* One call of argument_cases.h: O and LSE poisoned first, so that a failing call must leave them as they were. */
static void check_case(void *context, const char *name, const attngen_forward_params *params, int expected, int works) {
    problem *p = context;
    tensor_poison(&p->o, harness_variant_info.reference.storage);
    tensor_poison(&p->lse, ATTNGEN_REFERENCE_FP32);
    attngen_status got = harness_forward(params);
    printf("CHECK name=%s expected=%d got=%d untouched=%d works=%d\n", name, expected, (int)got, output_untouched(p),
           works);
}

static int run_errors(void) {
    const harness_variant *variant = &harness_variant_info;
    const attngen_reference_spec *spec = &variant->reference;
    int fixed = variant->fixed_heads_q > 0;
    test_case shape = { 2, fixed ? variant->fixed_heads_q : 4, fixed ? variant->fixed_heads_kv : 2,
                        9, 13, LAYOUT_BHSD, 99, 0, 0, 0, 0, 0 };
    problem p;
    /* Tensors are laid out for 8 times the heads, so that calls with other head counts stay in bounds. */
    if (problem_create(&p, &shape, 8) != 0) {
        printf("CHECK name=alloc expected=0 got=-1 untouched=0\n");
        return 1;
    }
    /* The valid call first: it must succeed. */
    check_case(&p, "valid", &p.params, ATTNGEN_OK, 1);
    printf("CHECK name=null_params expected=%d got=%d untouched=1 works=0\n", ATTNGEN_ERROR_NULL_POINTER,
           (int)harness_forward(NULL));
    harness_traits traits;
    traits.head_dim = spec->head_dim;
    traits.value_head_dim = spec->value_head_dim;
    traits.fixed_heads_q = variant->fixed_heads_q;
    traits.fixed_heads_kv = variant->fixed_heads_kv;
    traits.saves_lse = variant->saves_lse;
    traits.block_sparse = spec->block_rows > 0;
    traits.element_bytes = storage_size(spec->storage);
    traits.input_bytes = storage_size(input_storage(spec));
    traits.page_size = spec->page_size;
    traits.score_parameter_count = variant->score_parameter_count;
    traits.sinks = variant->sinks;
    harness_forward_cases(&p.params, &traits, check_case, &p);
    problem_destroy(&p);
    return 0;
}

/* ---- dropmask ------------------------------------------------------------------------------- */

static int run_dropmask(const char *text) {
    const harness_variant *variant = &harness_variant_info;
    const attngen_reference_spec *spec = &variant->reference;
    test_case shape;
    if (parse_case(text, &shape) != 0 || shape.nk > spec->value_head_dim || spec->band_count > 0
        || spec->block_rows > 0 || spec->predicate != NULL) {
        printf("DROPMASK %s unsupported=1\n", text);
        return 1;
    }
    problem p;
    if (problem_create(&p, &shape, 1) != 0) {
        printf("DROPMASK %s alloc_error=1\n", text);
        return 1;
    }
    /* Q = 0 makes every probability 1/Nk; V = identity puts probability k in column k. */
    for (int64_t b = 0; b < shape.batch; b++) {
        for (int64_t h = 0; h < shape.heads_q; h++)
            for (int64_t q = 0; q < shape.nq; q++)
                for (int64_t i = 0; i < spec->head_dim; i++)
                    store_value(p.q.data, input_storage(spec), tensor_index(&p.q, b, h, q) + i, 0.0);
        for (int64_t h = 0; h < shape.heads_kv; h++)
            for (int64_t k = 0; k < shape.nk; k++)
                for (int64_t j = 0; j < spec->value_head_dim; j++)
                    store_value(p.v.data, input_storage(spec), tensor_index(&p.v, b, h, k) + j, j == k ? 1.0 : 0.0);
    }
    p.params.v_descale = NULL; /* fp8: V's identity read as it is stored */
    attngen_status status = harness_forward(&p.params);
    double kept_value = (double)(float)spec->dropout_keep_scale / (double)shape.nk;
    long elements = 0, kept = 0, mismatches = 0, stray = 0;
    double value_err = 0;
    for (int64_t b = 0; b < shape.batch; b++)
        for (int64_t h = 0; h < shape.heads_q; h++)
            for (int64_t q = 0; q < shape.nq; q++) {
                int64_t at = tensor_index(&p.o, b, h, q);
                for (int64_t j = 0; j < spec->value_head_dim; j++) {
                    double out = load_output(&p, at + j);
                    if (j >= shape.nk) {
                        if (out != 0.0) stray++;
                        continue;
                    }
                    elements++;
                    int kernel_keeps = out > 0.5 * kept_value;
                    int reference_keeps = attngen_reference_dropout_keeps(&p.params, spec->dropout_threshold, b, h, q, j);
                    kept += reference_keeps;
                    if (kernel_keeps != reference_keeps) mismatches++;
                    double expected = reference_keeps ? kept_value : 0.0;
                    double e = fabs(out - expected) / kept_value;
                    if (e > value_err || !isfinite(out)) value_err = isfinite(out) ? e : INFINITY;
                }
            }
    printf("DROPMASK %s status=%d elements=%ld kept=%ld mismatches=%ld stray=%ld value_err=%.3e "
           "seed=%llu offset=%llu\n", text, (int)status, elements, kept, mismatches, stray, value_err,
           (unsigned long long)p.params.dropout_seed, (unsigned long long)p.params.dropout_offset);
    problem_destroy(&p);
    return 0;
}

/* ---- concurrent ----------------------------------------------------------------------------- */

#define CONCURRENT_THREADS 3

typedef struct concurrent_call {
    attngen_forward_params params;
    attngen_status status;
} concurrent_call;

static int concurrent_worker(void *argument) {
    concurrent_call *call = argument;
    call->status = harness_forward(&call->params);
    return 0;
}

static int run_concurrent(const char *text) {
    const harness_variant *variant = &harness_variant_info;
    test_case shape;
    if (parse_case(text, &shape) != 0) {
        printf("CONCURRENT %s parse_error=1\n", text);
        return 1;
    }
    problem p;
    if (problem_create(&p, &shape, 1) != 0) {
        printf("CONCURRENT %s alloc_error=1\n", text);
        return 1;
    }
    attngen_status first = harness_forward(&p.params);
    size_t o_bytes = (size_t)p.o.count * (size_t)p.o.element_size, lse_bytes = (size_t)p.lse.count * 4;
    concurrent_call calls[CONCURRENT_THREADS];
    thrd_t threads[CONCURRENT_THREADS];
    int failures = 0, started = 0;
    for (int i = 0; i < CONCURRENT_THREADS; i++) {
        calls[i].params = p.params;
        void *o = malloc(o_bytes);
        float *lse = malloc(lse_bytes);
        if (o == NULL || lse == NULL) {
            free(o); free(lse);
            failures++;
            calls[i].params.o = NULL;
            calls[i].params.lse = NULL;
            continue;
        }
        memset(o, 0xFF, o_bytes);
        memset(lse, 0xFF, lse_bytes);
        calls[i].params.o = o;
        calls[i].params.lse = variant->saves_lse ? lse : NULL;
        calls[i].status = ATTNGEN_OK;
        if (!variant->saves_lse) {
            free(lse);
        }
    }
    for (int i = 0; i < CONCURRENT_THREADS; i++) {
        if (calls[i].params.o != NULL && thrd_create(&threads[i], concurrent_worker, &calls[i]) == thrd_success) {
            started |= 1 << i;
        }
    }
    long differing = 0;
    for (int i = 0; i < CONCURRENT_THREADS; i++) {
        if (started & (1 << i)) {
            int ignored;
            thrd_join(threads[i], &ignored);
        } else {
            failures++;
        }
    }
    /* Compare the logical elements, bit for bit, with the first call's. */
    unsigned char *o_logical = tensor_logical_mask(&p.o), *lse_logical = tensor_logical_mask(&p.lse);
    for (int i = 0; i < CONCURRENT_THREADS; i++) {
        if (calls[i].params.o == NULL) continue;
        if (calls[i].status != first) differing++;
        for (int64_t e = 0; e < p.o.count; e++) {
            if (o_logical[e] && memcmp((char *)calls[i].params.o + e * p.o.element_size,
                                       (char *)p.o.data + e * p.o.element_size, (size_t)p.o.element_size) != 0) {
                differing++;
            }
        }
        if (variant->saves_lse) {
            for (int64_t e = 0; e < p.lse.count; e++) {
                if (lse_logical[e] && memcmp(&calls[i].params.lse[e], (float *)p.lse.data + e, 4) != 0) differing++;
            }
        }
        free(calls[i].params.o);
        free(calls[i].params.lse);
    }
    printf("CONCURRENT %s status=%d threads=%d failures=%d differing=%ld\n", text, (int)first, CONCURRENT_THREADS,
           failures, differing);
    free(o_logical); free(lse_logical);
    problem_destroy(&p);
    return 0;
}

/* ---- combine: merge of random partial results against double precision -------------------------- */

static int run_combine(const char *text) {
    const harness_variant *variant = &harness_variant_info;
    int64_t batch = 2, heads = 3, nq = 5, splits = 3;
    uint64_t seed = 1;
    char buffer[256];
    if (strlen(text) >= sizeof buffer) return 1;
    strcpy(buffer, text);
    for (char *item = strtok(buffer, ","); item != NULL; item = strtok(NULL, ",")) {
        char *equals = strchr(item, '=');
        if (equals == NULL) return 1;
        *equals = '\0';
        const long long number = strtoll(equals + 1, NULL, 10);
        if (strcmp(item, "b") == 0) batch = number;
        else if (strcmp(item, "hq") == 0) heads = number;
        else if (strcmp(item, "nq") == 0) nq = number;
        else if (strcmp(item, "splits") == 0) splits = number;
        else if (strcmp(item, "seed") == 0) seed = (uint64_t)number;
        else return 1;
    }
    const int64_t dv = variant->reference.value_head_dim, rows = batch * heads * nq;
    const int storage = variant->reference.storage;
    const int element = storage == ATTNGEN_REFERENCE_FP32 ? 4 : 2;
    /* Partials [split][b][h][q][dv] with padded rows (dv + 3) and a padded split stride; O BSHD padded by 2. */
    const int64_t row_stride = dv + 3, split_stride = rows * row_stride + 7;
    const int64_t o_row = heads * (dv + 2), lse_split_stride = rows + 5;
    const size_t partial_floats = (size_t)(splits * split_stride + 1), lse_floats = (size_t)(splits * lse_split_stride + 1);
    float *o_partial = malloc(partial_floats * sizeof(float)), *lse_partial = malloc(lse_floats * sizeof(float));
    const size_t o_count = (size_t)(batch * nq * o_row + 1);
    unsigned char *o = malloc(o_count * (size_t)element);
    float *lse = malloc((size_t)(rows + 1) * sizeof(float));
    double *o_ref = malloc((size_t)(rows * dv + 1) * sizeof(double)), *lse_ref = malloc((size_t)(rows + 1) * sizeof(double));
    if (!o_partial || !lse_partial || !o || !lse || !o_ref || !lse_ref) return 1;
    uint64_t state = seed * 7919 + 17;
    for (size_t i = 0; i < partial_floats; i++) o_partial[i] = NAN;
    for (size_t i = 0; i < lse_floats; i++) lse_partial[i] = NAN;
    for (int64_t s = 0; s < splits; s++)
        for (int64_t r = 0; r < rows; r++) {
            const int all_masked = r % 7 == 3; /* every partial of these rows at -inf */
            const int masked = all_masked || random_signed(&state) < -0.6;
            lse_partial[s * lse_split_stride + r] = masked ? -INFINITY : (float)(5.0 * random_signed(&state));
            for (int64_t j = 0; j < dv; j++) {
                /* a masked partial's O is whatever its producer left: here NaN must not leak */
                o_partial[s * split_stride + r * row_stride + j] = masked ? NAN : (float)random_signed(&state);
            }
        }
    for (size_t i = 0; i < o_count; i++) store_bits_poison(o, element, storage, (int64_t)i);
    for (int64_t i = 0; i <= rows; i++) store_bits_poison(lse, 4, storage, i);
    for (int64_t r = 0; r < rows; r++) {
        double max_lse = -INFINITY, sum = 0;
        for (int64_t s = 0; s < splits; s++) max_lse = fmax(max_lse, lse_partial[s * lse_split_stride + r]);
        for (int64_t s = 0; s < splits && max_lse > -INFINITY; s++) sum += exp(lse_partial[s * lse_split_stride + r] - max_lse);
        lse_ref[r] = max_lse > -INFINITY ? max_lse + log(sum) : -INFINITY;
        for (int64_t j = 0; j < dv; j++) {
            double value = 0;
            for (int64_t s = 0; s < splits && max_lse > -INFINITY; s++) {
                const double lse_s = lse_partial[s * lse_split_stride + r];
                if (lse_s > -INFINITY) value += exp(lse_s - lse_ref[r]) * o_partial[s * split_stride + r * row_stride + j];
            }
            o_ref[r * dv + j] = value;
        }
    }
    attngen_combine_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.splits = splits;
    p.batch = batch;
    p.seqlen_q = nq;
    p.heads_q = (int32_t)heads;
    p.o_partial = o_partial;
    p.o_partial_layout = (attngen_layout){ heads * nq * row_stride, nq * row_stride, row_stride };
    p.o_partial_split_stride = split_stride;
    p.lse_partial = lse_partial;
    p.lse_partial_layout = (attngen_layout){ heads * nq, nq, 1 };
    p.lse_partial_split_stride = lse_split_stride;
    p.o = o;
    p.o_layout = (attngen_layout){ nq * o_row, dv + 2, o_row };
    p.lse = lse;
    p.lse_layout = (attngen_layout){ heads * nq, nq, 1 };
    const attngen_status status = harness_combine(&p);

    double o_err = 0, ref_max = 1, lse_err = 0;
    long inf_mismatch = 0, masked_nonzero = 0, poison = 0, nan = 0;
    unsigned char *logical = calloc(o_count, 1);
    for (int64_t r = 0; r < rows && logical; r++) {
        const int64_t q = r % nq, h = r / nq % heads, b = r / nq / heads;
        const int64_t at = b * p.o_layout.batch_stride + h * p.o_layout.head_stride + q * p.o_layout.row_stride;
        for (int64_t j = 0; j < dv; j++) {
            logical[at + j] = 1;
            const double got = attngen_reference_load(o, storage, at + j);
            if (!isfinite(got)) nan++;
            ref_max = fmax(ref_max, fabs(o_ref[r * dv + j]));
            o_err = fmax(o_err, fabs(got - o_ref[r * dv + j]));
            if (isinf(lse_ref[r]) && got != 0.0) masked_nonzero++;
        }
        if (isinf(lse_ref[r]) != isinf(lse[r])) inf_mismatch++;
        else if (!isinf(lse_ref[r])) lse_err = fmax(lse_err, fabs(lse[r] - lse_ref[r]));
    }
    for (size_t i = 0; i < o_count && logical; i++) {
        if (!logical[i] && !is_poison(o, element, storage, (int64_t)i)) poison++;
    }
    if (!is_poison(lse, 4, storage, rows)) poison++;

    /* The documented refusals, each on a copy of the valid parameters. */
    long bad_status = 0;
    attngen_combine_params bad = p;
    bad.struct_size = sizeof p - 8;
    bad_status += harness_combine(&bad) != ATTNGEN_ERROR_ABI_MISMATCH;
    bad_status += harness_combine(NULL) != ATTNGEN_ERROR_NULL_POINTER;
    bad = p; bad.splits = 0;
    bad_status += harness_combine(&bad) != (rows > 0 ? ATTNGEN_ERROR_INVALID_SIZE : ATTNGEN_OK);
    bad = p; bad.splits = -1;
    bad_status += harness_combine(&bad) != ATTNGEN_ERROR_INVALID_SIZE;
    bad = p; bad.lse_partial = NULL;
    bad_status += harness_combine(&bad) != (rows > 0 ? ATTNGEN_ERROR_NULL_POINTER : ATTNGEN_OK);
    bad = p; bad.o_partial_split_stride = -1;
    bad_status += harness_combine(&bad) != (rows > 0 ? ATTNGEN_ERROR_INVALID_LAYOUT : ATTNGEN_OK);
    bad = p; bad.o_layout.row_stride = 1; /* O rows overlapping */
    bad_status += harness_combine(&bad) != (rows > 1 && dv > 1 ? ATTNGEN_ERROR_INVALID_LAYOUT : ATTNGEN_OK);

    printf("COMBINE %s status=%d o_err=%.3e lse_err=%.3e nan=%ld inf_mismatch=%ld masked_nonzero=%ld poison=%ld "
           "bad_status=%ld\n", text, (int)status, o_err / ref_max, lse_err, nan, inf_mismatch, masked_nonzero, poison,
           bad_status);
    free(logical); free(o_partial); free(lse_partial); free(o); free(lse); free(o_ref); free(lse_ref);
    return status != ATTNGEN_OK || bad_status != 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s run CASE... | errors | dropmask CASE... | concurrent CASE... | combine CASE...\n", argv[0]);
        return 2;
    }
    /* One line at a time, so that a crash loses at most the line of the call that crashed. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int failures = 0;
    if (strcmp(argv[1], "run") == 0) {
        for (int i = 2; i < argc; i++) failures += run_case(argv[i]);
    } else if (strcmp(argv[1], "errors") == 0) {
        failures += run_errors();
    } else if (strcmp(argv[1], "dropmask") == 0) {
        for (int i = 2; i < argc; i++) failures += run_dropmask(argv[i]);
    } else if (strcmp(argv[1], "concurrent") == 0) {
        for (int i = 2; i < argc; i++) failures += run_concurrent(argv[i]);
    } else if (strcmp(argv[1], "combine") == 0) {
        for (int i = 2; i < argc; i++) failures += run_combine(argv[i]);
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    fflush(stdout);
    return failures == 0 ? 0 : 1;
}
