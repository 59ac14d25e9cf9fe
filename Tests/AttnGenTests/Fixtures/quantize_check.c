/*
 * The quantize call of a C variant with fp8 inputs (attngen_NAME_quantize) against a float64 reference written here:
 * the rotation as the matrix product x * diag(s) * H / sqrt(b) with H[i][j] = (-1)^popcount(i & j) and the signs from
 * its own splitmix64, each group's factor max|y| / 448, and every byte the e4m3 value nearest y / factor (any of
 * the nearest where float32 and float64 disagree about a tie). Then the round trip: the forward call on the
 * quantized Q, K and V against float64 attention on the unquantized values, with and without the rotation, on
 * inputs with outlier channels. Then the argument checks. Built by QuantizeTests with
 *     -DVARIANT_HEADER='"NAME.h"' -DQUANTIZE=attngen_NAME_quantize -DFORWARD=attngen_NAME_forward
 *     -DHEAD_DIM_=d -DVALUE_HEAD_DIM_=dv -DSTORAGE_=ATTNGEN_REFERENCE_{BF16,FP16} -DROTATION_BLOCK_=b
 * Usage: quantize_check SEED. Prints one line per check and "quantize_check: N failures".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include VARIANT_HEADER
#include "reference.h"

static int failures = 0;

#define EXPECT(condition, ...)                                                                                     \
    do {                                                                                                           \
        if (!(condition)) {                                                                                        \
            failures++;                                                                                            \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                          \
            printf(__VA_ARGS__);                                                                                   \
            printf("\n");                                                                                          \
        }                                                                                                          \
    } while (0)

static uint64_t rng_state;

static double uniform(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((rng_state >> 11) + 0.5) * 0x1p-53;
}

static double gaussian(void) {
    return sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform());
}

/* The reference's own signs (the ABI's definition, written again). */
static double reference_sign(uint64_t seed, int64_t column) {
    uint64_t z = seed + (uint64_t)(column + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (z >> 63) ? -1.0 : 1.0;
}

/* y = x * diag(s) * H / sqrt(b) on each block of b columns, as a matrix product in float64. */
static void reference_rotate(const double *x, double *y, int columns, uint64_t seed) {
    const int b = ROTATION_BLOCK_;
    for (int block = 0; block < columns; block += b) {
        for (int j = 0; j < b; ++j) {
            double sum = 0.0;
            for (int i = 0; i < b; ++i) {
                const double h = (__builtin_popcount((unsigned)(i & j)) & 1) ? -1.0 : 1.0;
                sum += x[block + i] * reference_sign(seed, block + i) * h;
            }
            y[block + j] = sum / sqrt((double)b);
        }
    }
}

/* The largest distance from v to an e4m3 value that is still among the nearest (plus slack for the float32 path). */
static double nearest_e4m3_distance(double v) {
    double best = INFINITY;
    for (int code = 0; code < 256; ++code) {
        const double e = attngen_reference_e4m3_to_double((uint8_t)code);
        if (!isnan(e) && fabs(e - v) < best) best = fabs(e - v);
    }
    return best;
}

static void store_values(void *base, int64_t count, const double *values) {
    for (int64_t i = 0; i < count; ++i) {
        ((uint16_t *)base)[i] = STORAGE_ == ATTNGEN_REFERENCE_BF16 ? attngen_reference_float_to_bfloat((float)values[i])
                                                                  : attngen_reference_float_to_half((float)values[i]);
    }
}

/* One tensor [batch, heads, seqlen, columns] in BSHD order, with its stored values (rounded to the storage type). */
typedef struct tensor {
    int64_t batch, heads, seqlen, columns;
    void *stored;
    double *values; /* what `stored` holds, as float64 */
    attngen_layout layout;
} tensor;

static tensor make_tensor(int64_t batch, int64_t heads, int64_t seqlen, int64_t columns, double outlier) {
    tensor t = {batch, heads, seqlen, columns, NULL, NULL, {seqlen * heads * columns, columns, heads * columns}};
    const int64_t count = batch * heads * seqlen * columns;
    t.stored = calloc((size_t)(count > 0 ? count : 1), 2);
    t.values = calloc((size_t)(count > 0 ? count : 1), sizeof(double));
    double *raw = calloc((size_t)(count > 0 ? count : 1), sizeof(double));
    for (int64_t i = 0; i < count; ++i) {
        const int64_t column = i % columns;
        const int big = outlier > 0.0 && (column == 3 || column == columns / 2 + 1);
        raw[i] = gaussian() * (big ? outlier : 1.0);
    }
    store_values(t.stored, count, raw);
    for (int64_t i = 0; i < count; ++i) t.values[i] = attngen_reference_load(t.stored, STORAGE_, i);
    free(raw);
    return t;
}

static int64_t offset_of(attngen_layout layout, int64_t b, int64_t h, int64_t s) {
    return b * layout.batch_stride + h * layout.head_stride + s * layout.row_stride;
}

/* Quantizes `t` (operand, rotate, seed) with factors per group (per_tensor = 0, at stride 3 apart, so that the
   slots between them show a stray write) or per tensor; checks every factor and byte against the reference. */
static void check_quantize(const char *label, const tensor *t, int heads_kv, int operand, int rotate, uint64_t seed,
                           int per_tensor, uint8_t *x8, float *descale) {
    const int64_t count = t->batch * t->heads * t->seqlen * t->columns;
    const int64_t groups = t->batch * heads_kv;
    memset(x8, 0x7f, (size_t)(count > 0 ? count : 1));
    for (int64_t i = 0; i < 3 * groups + 3; ++i) descale[i] = NAN;
    attngen_quantize_params p;
    memset(&p, 0, sizeof(p));
    p.struct_size = sizeof(p);
    p.batch = t->batch;
    p.seqlen = t->seqlen;
    p.heads = (int32_t)t->heads;
    p.heads_kv = heads_kv;
    p.operand = operand;
    p.rotate = rotate;
    p.rotation_seed = seed;
    p.x = t->stored;
    p.x_layout = t->layout;
    p.x8 = x8;
    p.x8_layout = t->layout;
    p.descale = descale + 1;
    p.descale_batch_stride = per_tensor ? 0 : 3 * heads_kv;
    p.descale_head_stride = per_tensor ? 0 : 3;
    p.num_threads = 2;
    const attngen_status status = QUANTIZE(&p);
    EXPECT(status == ATTNGEN_OK, "%s: status %d", label, (int)status);
    if (status != ATTNGEN_OK) return;
    /* The reference's rotated rows and group maxima. */
    const int64_t columns = t->columns, heads_per_group = t->heads / heads_kv;
    double *y = malloc((size_t)(count > 0 ? count : 1) * sizeof(double));
    double *maxima = calloc((size_t)groups, sizeof(double));
    double all = 0.0;
    for (int64_t b = 0; b < t->batch; ++b) {
        for (int64_t h = 0; h < t->heads; ++h) {
            for (int64_t s = 0; s < t->seqlen; ++s) {
                const int64_t at = offset_of(t->layout, b, h, s);
                if (rotate) {
                    reference_rotate(t->values + at, y + at, (int)columns, seed);
                } else {
                    memcpy(y + at, t->values + at, (size_t)columns * sizeof(double));
                }
                for (int64_t i = 0; i < columns; ++i) {
                    double *m = &maxima[b * heads_kv + h / heads_per_group];
                    *m = fabs(y[at + i]) > *m ? fabs(y[at + i]) : *m;
                    all = fabs(y[at + i]) > all ? fabs(y[at + i]) : all;
                }
            }
        }
    }
    double worst_factor = 0.0, worst_byte = 0.0;
    int64_t bad_bytes = 0, stray = 0;
    for (int64_t group = 0; group < groups; ++group) {
        const double maximum = per_tensor ? all : maxima[group];
        const double want = maximum > 0.0 ? maximum / 448.0 : 1.0;
        const float got = per_tensor ? descale[1] : descale[1 + 3 * group];
        const double error = fabs(got - want) / want;
        worst_factor = error > worst_factor ? error : worst_factor;
    }
    for (int64_t i = 0; i < 3 * groups + 3; ++i) {
        const int slot = per_tensor ? i == 1 : (i >= 1 && (i - 1) % 3 == 0 && (i - 1) / 3 < groups);
        stray += !slot && !isnan(descale[i]);
    }
    for (int64_t b = 0; b < t->batch; ++b) {
        for (int64_t h = 0; h < t->heads; ++h) {
            const double factor = per_tensor ? descale[1] : descale[1 + 3 * (b * heads_kv + h / heads_per_group)];
            for (int64_t s = 0; s < t->seqlen; ++s) {
                const int64_t at = offset_of(t->layout, b, h, s);
                for (int64_t i = 0; i < columns; ++i) {
                    const double v = y[at + i] / factor;
                    const double e = attngen_reference_e4m3_to_double(x8[at + i]);
                    const double excess = fabs(e - v) - nearest_e4m3_distance(v);
                    const double slack = 1e-5 * fabs(v) + 1e-9;
                    if (isnan(e) || excess > slack) bad_bytes++;
                    worst_byte = !isnan(e) && excess > worst_byte ? excess : worst_byte;
                }
            }
        }
    }
    printf("%s: factors within %.2e of max|y|/448, %lld of %lld bytes not a nearest e4m3 value (worst excess %.2e), "
           "%lld stray factor writes\n", label, worst_factor, (long long)bad_bytes, (long long)count, worst_byte,
           (long long)stray);
    EXPECT(worst_factor < 1e-5, "%s: a factor differs from max|y|/448 by %.3e", label, worst_factor);
    EXPECT(bad_bytes == 0, "%s: %lld bytes are not a nearest e4m3 value", label, (long long)bad_bytes);
    EXPECT(stray == 0, "%s: %lld factors written outside the slots", label, (long long)stray);
    free(y);
    free(maxima);
}

/* float64 attention of the unquantized values; returns ||O - ref|| / ||ref|| of the forward call on quantized ones. */
static double round_trip(const tensor *q, const tensor *k, const tensor *v, int heads_kv, int rotate, uint64_t seed) {
    const int64_t nb = q->batch, hq = q->heads, nq = q->seqlen, nk = k->seqlen, d = q->columns, dv = v->columns;
    uint8_t *q8 = malloc((size_t)(nb * hq * nq * d)), *k8 = malloc((size_t)(nb * heads_kv * nk * d));
    uint8_t *v8 = malloc((size_t)(nb * heads_kv * nk * dv));
    float *factors = malloc((size_t)(3 * nb * heads_kv) * sizeof(float));
    const void *sources[3] = {q->stored, k->stored, v->stored};
    const tensor *tensors[3] = {q, k, v};
    uint8_t *bytes[3] = {q8, k8, v8};
    for (int operand = 0; operand < 3; ++operand) {
        attngen_quantize_params p;
        memset(&p, 0, sizeof(p));
        p.struct_size = sizeof(p);
        p.batch = nb;
        p.seqlen = tensors[operand]->seqlen;
        p.heads = (int32_t)tensors[operand]->heads;
        p.heads_kv = heads_kv;
        p.operand = operand;
        p.rotate = operand < 2 ? rotate : 0;
        p.rotation_seed = seed;
        p.x = sources[operand];
        p.x_layout = tensors[operand]->layout;
        p.x8 = bytes[operand];
        p.x8_layout = tensors[operand]->layout;
        p.descale = factors + operand * nb * heads_kv;
        p.descale_batch_stride = heads_kv;
        p.descale_head_stride = 1;
        EXPECT(QUANTIZE(&p) == ATTNGEN_OK, "round trip: quantize operand %d", operand);
    }
    uint16_t *o = malloc((size_t)(nb * hq * nq * dv) * 2);
    attngen_forward_params f;
    memset(&f, 0, sizeof(f));
    f.struct_size = sizeof(f);
    f.batch = nb;
    f.seqlen_q = nq;
    f.seqlen_k = nk;
    f.heads_q = (int32_t)hq;
    f.heads_kv = heads_kv;
    f.q = q8;
    f.k = k8;
    f.v = v8;
    f.o = o;
    f.q_layout = q->layout;
    f.k_layout = k->layout;
    f.v_layout = v->layout;
    f.o_layout = (attngen_layout){nq * hq * dv, dv, hq * dv};
    float *lse = malloc((size_t)(nb * hq * nq) * sizeof(float));
    f.lse = lse;
    f.lse_layout = (attngen_layout){hq * nq, nq, 1};
    f.q_descale = factors;
    f.k_descale = factors + nb * heads_kv;
    f.v_descale = factors + 2 * nb * heads_kv;
    f.descale_batch_stride = heads_kv;
    f.descale_head_stride = 1;
    f.num_threads = 2;
    EXPECT(FORWARD(&f) == ATTNGEN_OK, "round trip: forward");
    double error = 0.0, norm = 0.0;
    double *scores = malloc((size_t)nk * sizeof(double));
    const double scale = 1.0 / sqrt((double)d);
    for (int64_t b = 0; b < nb; ++b) {
        for (int64_t h = 0; h < hq; ++h) {
            const int64_t g = h / (hq / heads_kv);
            for (int64_t s = 0; s < nq; ++s) {
                const double *qrow = q->values + offset_of(q->layout, b, h, s);
                double top = -INFINITY, sum = 0.0;
                for (int64_t j = 0; j < nk; ++j) {
                    const double *krow = k->values + offset_of(k->layout, b, g, j);
                    double dot = 0.0;
                    for (int64_t i = 0; i < d; ++i) dot += qrow[i] * krow[i];
                    scores[j] = dot * scale;
                    top = scores[j] > top ? scores[j] : top;
                }
                for (int64_t j = 0; j < nk; ++j) sum += exp(scores[j] - top);
                for (int64_t c = 0; c < dv; ++c) {
                    double want = 0.0;
                    for (int64_t j = 0; j < nk; ++j) want += exp(scores[j] - top) / sum * v->values[offset_of(v->layout, b, g, j) + c];
                    const double got = attngen_reference_load(o, STORAGE_, offset_of(f.o_layout, b, h, s) + c);
                    error += (got - want) * (got - want);
                    norm += want * want;
                }
            }
        }
    }
    free(scores);
    free(q8);
    free(k8);
    free(v8);
    free(factors);
    free(o);
    free(lse);
    return sqrt(error / norm);
}

static void check_arguments(const tensor *q, uint8_t *x8, float *descale) {
    attngen_quantize_params good;
    memset(&good, 0, sizeof(good));
    good.struct_size = sizeof(good);
    good.batch = q->batch;
    good.seqlen = q->seqlen;
    good.heads = (int32_t)q->heads;
    good.heads_kv = 2;
    good.operand = ATTNGEN_QUANTIZE_Q;
    good.x = q->stored;
    good.x_layout = q->layout;
    good.x8 = x8;
    good.x8_layout = q->layout;
    good.descale = descale;
    good.descale_batch_stride = 2;
    good.descale_head_stride = 1;
    struct {
        const char *what;
        attngen_status want;
        attngen_quantize_params p;
    } cases[16];
    int n = 0;
#define CASE(label, status, edit)                                                                                 \
    do {                                                                                                           \
        cases[n].what = label;                                                                                     \
        cases[n].want = status;                                                                                    \
        cases[n].p = good;                                                                                         \
        { attngen_quantize_params *p = &cases[n].p; edit; }                                                        \
        n++;                                                                                                       \
    } while (0)
    CASE("struct_size wrong", ATTNGEN_ERROR_ABI_MISMATCH, p->struct_size = 8);
    CASE("negative seqlen", ATTNGEN_ERROR_INVALID_SIZE, p->seqlen = -1);
    CASE("batch above the limit", ATTNGEN_ERROR_INVALID_SIZE, p->batch = (int64_t)ATTNGEN_MAX_BATCH + 1);
    CASE("heads not a multiple of heads_kv", ATTNGEN_ERROR_INVALID_HEADS, p->heads_kv = 3);
    CASE("K with heads != heads_kv", ATTNGEN_ERROR_INVALID_HEADS, p->operand = ATTNGEN_QUANTIZE_K);
    CASE("operand 7", ATTNGEN_ERROR_INVALID_MODE, p->operand = 7);
    CASE("rotate 2", ATTNGEN_ERROR_INVALID_MODE, p->rotate = 2);
    CASE("rotating V", ATTNGEN_ERROR_INVALID_MODE, { p->operand = ATTNGEN_QUANTIZE_V; p->heads_kv = p->heads; p->rotate = 1; });
    CASE("heads 0", ATTNGEN_ERROR_INVALID_SIZE, { p->heads = 0; p->heads_kv = 0; });
    CASE("x NULL", ATTNGEN_ERROR_NULL_POINTER, p->x = NULL);
    CASE("descale NULL", ATTNGEN_ERROR_NULL_POINTER, p->descale = NULL);
    CASE("negative x stride", ATTNGEN_ERROR_INVALID_LAYOUT, p->x_layout.row_stride = -1);
    CASE("x8 rows overlapping", ATTNGEN_ERROR_INVALID_LAYOUT, p->x8_layout.row_stride = 1);
    CASE("factors of two batches in one slot", ATTNGEN_ERROR_INVALID_LAYOUT, p->descale_batch_stride = 0);
    CASE("negative descale stride", ATTNGEN_ERROR_INVALID_LAYOUT, p->descale_head_stride = -1);
    CASE("no rows: nothing written", ATTNGEN_OK, { p->seqlen = 0; p->x = NULL; });
    int wrong = 0;
    memset(x8, 0x5a, 16);
    for (int i = 0; i < n; ++i) {
        const attngen_status got = QUANTIZE(&cases[i].p);
        if (got != cases[i].want) {
            wrong++;
            printf("FAIL argument case \"%s\": status %d, want %d\n", cases[i].what, (int)got, (int)cases[i].want);
        }
    }
    EXPECT(QUANTIZE(NULL) == ATTNGEN_ERROR_NULL_POINTER, "params NULL");
    int untouched = 1;
    for (int i = 0; i < 16; ++i) untouched &= x8[i] == 0x5a;
    failures += wrong;
    EXPECT(untouched, "a refused call wrote x8");
    printf("argument checks: %d cases, %d wrong, x8 %s\n", n + 1, wrong, untouched ? "untouched" : "WRITTEN");
}

int main(int argc, char **argv) {
    const uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    printf("quantize_check: seed %llu, d = %d, dv = %d, rotation block %d\n", (unsigned long long)seed, HEAD_DIM_,
           VALUE_HEAD_DIM_, ROTATION_BLOCK_);
    const int64_t nb = 2, hq = 4, hkv = 2, nq = 37, nk = 45;
    tensor q = make_tensor(nb, hq, nq, HEAD_DIM_, 0.0), k = make_tensor(nb, hkv, nk, HEAD_DIM_, 0.0);
    tensor v = make_tensor(nb, hkv, nk, VALUE_HEAD_DIM_, 0.0);
    const size_t largest = (size_t)(nb * hq * nq * (HEAD_DIM_ > VALUE_HEAD_DIM_ ? HEAD_DIM_ : VALUE_HEAD_DIM_));
    uint8_t *x8 = malloc(largest);
    float *descale = malloc((size_t)(3 * nb * hq + 3) * sizeof(float));
    const uint64_t rotation_seed = seed ^ 0x5bd1e995u;
    check_quantize("Q, grouped, rotated", &q, (int)hkv, ATTNGEN_QUANTIZE_Q, 1, rotation_seed, 0, x8, descale);
    check_quantize("Q, per tensor, plain", &q, (int)hkv, ATTNGEN_QUANTIZE_Q, 0, 0, 1, x8, descale);
    check_quantize("K, grouped, rotated", &k, (int)hkv, ATTNGEN_QUANTIZE_K, 1, rotation_seed, 0, x8, descale);
    check_quantize("V, grouped", &v, (int)hkv, ATTNGEN_QUANTIZE_V, 0, 0, 0, x8, descale);
    check_quantize("V, per tensor", &v, (int)hkv, ATTNGEN_QUANTIZE_V, 0, 0, 1, x8, descale);
    tensor one = make_tensor(1, 3, 1, HEAD_DIM_, 0.0); /* MQA-like: three heads in one group, one row */
    check_quantize("Q, one row, one group, rotated", &one, 1, ATTNGEN_QUANTIZE_Q, 1, rotation_seed, 0, x8, descale);
    check_arguments(&q, x8, descale);
    /* Outlier channels in Q and K (two columns 50x larger; Q scaled down so the softmax stays soft). */
    tensor qo = make_tensor(nb, hq, 64, HEAD_DIM_, 50.0), ko = make_tensor(nb, hkv, 64, HEAD_DIM_, 50.0);
    for (int64_t i = 0; i < nb * hq * 64 * HEAD_DIM_; ++i) qo.values[i] *= 0.02;
    store_values(qo.stored, nb * hq * 64 * HEAD_DIM_, qo.values);
    for (int64_t i = 0; i < nb * hq * 64 * HEAD_DIM_; ++i) qo.values[i] = attngen_reference_load(qo.stored, STORAGE_, i);
    tensor vo = make_tensor(nb, hkv, 64, VALUE_HEAD_DIM_, 0.0);
    const double gaussian_plain = round_trip(&q, &k, &v, (int)hkv, 0, 0);
    const double gaussian_rotated = round_trip(&q, &k, &v, (int)hkv, 1, rotation_seed);
    const double outlier_plain = round_trip(&qo, &ko, &vo, (int)hkv, 0, 0);
    const double outlier_rotated = round_trip(&qo, &ko, &vo, (int)hkv, 1, rotation_seed);
    printf("round trip (O of the forward call on quantized inputs against float64 attention on the unquantized "
           "ones): gaussian plain %.3e rotated %.3e; outlier channels plain %.3e rotated %.3e\n",
           gaussian_plain, gaussian_rotated, outlier_plain, outlier_rotated);
    EXPECT(gaussian_plain < 0.1 && gaussian_rotated < 0.1, "gaussian round trip too far off");
    /* Blocks of 8 columns spread an outlier over 8 (0.4-0.6 of the plain error in 10 seeds at d = 40), blocks of 64
       over 64 (0.26-0.36 at d = 64). */
    const double reduction = ROTATION_BLOCK_ >= 32 ? 0.5 : 0.8;
    EXPECT(outlier_rotated < 0.15, "rotated outlier round trip too far off");
    EXPECT(outlier_rotated < reduction * outlier_plain, "the rotation did not cut the outlier error below %.1f of plain",
           reduction);
    printf("quantize_check: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
