/*
 * fp8 forward on the GPU (README.md "fp8 inputs"; issue 19), built by benchmarks/fp8/run.sh from the kernels of
 * fp8_spec.json:
 *
 *   fp8_driver check        every fp8 variant against the float64 reference of Tests/AttnGenTests/Fixtures/reference.c
 *                           reading the same e4m3 bytes and descale factors: fresh random inputs (a new seed each run),
 *                           O poisoned with NaN and a guard past it, awkward sizes (N = 1, Nq != Nk, N not a multiple
 *                           of the tile, no keys, fully masked rows), BHSD and BSHD layouts, descale factors per
 *                           (sequence, key/value head), per tensor (strides 0) and absent (NULL), and a call the TMA
 *                           kernel cannot take (refused with ATTNGEN_ERROR_UNSUPPORTED, O untouched).
 *   fp8_driver check-small  one small case per variant (for compute-sanitizer).
 *   fp8_driver accuracy     the error against the float64 reference of the unquantized inputs, Gaussian and with
 *                           outlier channels: fp8 with plain per-(sequence, head) scaling, fp8 after a random
 *                           Hadamard rotation of Q and K (QH (KH)^T = QK^T), and our bf16 kernel on bf16 inputs.
 *   fp8_driver bench        fp8 against our bf16 kernel, d = 128 and 256, 16k tokens, N 4k and 16k, causal and not.
 */
#include <cuda_runtime.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <vector>

#include "attngen_abi.h"
#include "reference.h"
#include "f8_d128.cuh"
#include "f8_d128_causal.cuh"
#include "f8_d128_fp16_causal_dropout.cuh"
#include "f8_d256.cuh"
#include "f8_d256_causal.cuh"
#include "b16_d128.cuh"
#include "b16_d128_causal.cuh"
#include "b16_d256.cuh"
#include "b16_d256_causal.cuh"

#define CUDA_CHECK(call)                                                                                  \
    do {                                                                                                  \
        cudaError_t status_ = (call);                                                                     \
        if (status_ != cudaSuccess) {                                                                     \
            fprintf(stderr, "CUDA error %s at %s:%d\n", cudaGetErrorString(status_), __FILE__, __LINE__); \
            exit(2);                                                                                      \
        }                                                                                                 \
    } while (0)

typedef attngen_status (*launcher)(const attngen_forward_params *, cudaStream_t);

struct variant {
    const char *name;
    launcher launch;
    int d; /* head dim = value head dim */
    int fp8;
    int storage; /* of O: ATTNGEN_REFERENCE_BF16 / FP16 */
    int causal;  /* bottom-right */
    double dropout;
};

static const variant kVariants[] = {
    {"f8_d128", attngen_f8_d128_forward_cuda, 128, 1, ATTNGEN_REFERENCE_BF16, 0, 0.0},
    {"f8_d128_causal", attngen_f8_d128_causal_forward_cuda, 128, 1, ATTNGEN_REFERENCE_BF16, 1, 0.0},
    {"f8_d128_fp16_causal_dropout", attngen_f8_d128_fp16_causal_dropout_forward_cuda, 128, 1, ATTNGEN_REFERENCE_FP16, 1,
     0.1},
    {"f8_d256", attngen_f8_d256_forward_cuda, 256, 1, ATTNGEN_REFERENCE_BF16, 0, 0.0},
    {"f8_d256_causal", attngen_f8_d256_causal_forward_cuda, 256, 1, ATTNGEN_REFERENCE_BF16, 1, 0.0},
};
/* The bf16 twins, for the timing: [d = 128, 256][causal]. */
static const variant kBf16[2][2] = {
    {{"b16_d128", attngen_b16_d128_forward_cuda, 128, 0, ATTNGEN_REFERENCE_BF16, 0, 0.0},
     {"b16_d128_causal", attngen_b16_d128_causal_forward_cuda, 128, 0, ATTNGEN_REFERENCE_BF16, 1, 0.0}},
    {{"b16_d256", attngen_b16_d256_forward_cuda, 256, 0, ATTNGEN_REFERENCE_BF16, 0, 0.0},
     {"b16_d256_causal", attngen_b16_d256_causal_forward_cuda, 256, 0, ATTNGEN_REFERENCE_BF16, 1, 0.0}},
};
/* The head dim of the inputs being made and the call being run (each mode sets it from its variant). */
static int kD = 128;

/* ---- random numbers and e4m3 ---------------------------------------------------------------- */

static uint64_t rng_state = 0;
static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double rng_uniform(void) { return ((rng_next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
static double rng_normal(void) {
    return sqrt(-2.0 * log(rng_uniform())) * cos(6.283185307179586 * rng_uniform());
}

/* The 127 non-negative finite e4m3 values, increasing with the code. */
static double e4m3_values[127];
static void e4m3_init(void) {
    for (int code = 0; code < 127; ++code) e4m3_values[code] = attngen_reference_e4m3_to_double((uint8_t)code);
}
/* The nearest e4m3 byte (saturated to +-448). */
static uint8_t e4m3_encode(double x) {
    const double a = fabs(x);
    int lo = 0, hi = 126;
    while (lo < hi) { /* the first value >= a */
        const int mid = (lo + hi) / 2;
        if (e4m3_values[mid] >= a) hi = mid; else lo = mid + 1;
    }
    int code = lo;
    if (code > 0 && a - e4m3_values[code - 1] <= e4m3_values[code] - a) code -= 1;
    return (uint8_t)(code | (x < 0 ? 0x80 : 0));
}

static uint16_t bf16_encode(double x) { return attngen_reference_float_to_bfloat((float)x); }

/* ---- one call ------------------------------------------------------------------------------- */

struct shape {
    int64_t batch, heads_q, heads_kv, nq, nk;
    int bshd;         /* [B, S, H, D] (strided rows) instead of [B, H, S, D] */
    int descale_kind; /* 0: per (sequence, kv head), 1: per tensor (strides 0), 2: NULL */
};

static attngen_layout layout_of(const shape &s, int64_t heads, int64_t rows, int64_t dim) {
    attngen_layout l;
    if (s.bshd) {
        l.row_stride = heads * dim;
        l.head_stride = dim;
        l.batch_stride = rows * heads * dim;
    } else {
        l.row_stride = dim;
        l.head_stride = rows * dim;
        l.batch_stride = heads * rows * dim;
    }
    return l;
}

template <typename T> static T *device_copy(const std::vector<T> &host) {
    T *device = NULL;
    CUDA_CHECK(cudaMalloc(&device, std::max<size_t>(host.size(), 1) * sizeof(T)));
    if (!host.empty()) CUDA_CHECK(cudaMemcpy(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
    return device;
}

/* Inputs of one call, on the host: Q, K, V as doubles (what they mean), then stored. */
struct inputs {
    shape s;
    std::vector<double> q, k, v; /* dense [b][h][row][d] */
};

static void fill_gaussian(inputs &in, const shape &s, double outlier_scale) {
    in.s = s;
    in.q.resize((size_t)(s.batch * s.heads_q * s.nq * kD));
    in.k.resize((size_t)(s.batch * s.heads_kv * s.nk * kD));
    in.v.resize((size_t)(s.batch * s.heads_kv * s.nk * kD));
    for (double &x : in.q) x = rng_normal();
    for (double &x : in.k) x = rng_normal();
    for (double &x : in.v) x = rng_normal();
    if (outlier_scale > 0) {
        /* four channels of Q and K 20 ... outlier_scale times larger (the activation outliers of LLMs) */
        const int channels[4] = {3, 40, 77, 121};
        for (int c = 0; c < 4; ++c) {
            const double factor = 20.0 + (outlier_scale - 20.0) * c / 3.0;
            for (size_t i = channels[c]; i < in.q.size(); i += kD) in.q[i] *= factor;
            for (size_t i = channels[c]; i < in.k.size(); i += kD) in.k[i] *= factor;
        }
    }
}

/* A random Hadamard rotation of the head dim (d = 128): x -> x diag(signs) H / sqrt(128), applied to Q and K. */
static void rotate(std::vector<double> &x, const std::vector<double> &signs) {
    for (size_t row = 0; row < x.size(); row += kD) {
        double *r = &x[row];
        for (int i = 0; i < kD; ++i) r[i] *= signs[i];
        for (int len = 1; len < kD; len <<= 1) {
            for (int i = 0; i < kD; i += 2 * len) {
                for (int j = i; j < i + len; ++j) {
                    const double a = r[j], b = r[j + len];
                    r[j] = a + b;
                    r[j + len] = a - b;
                }
            }
        }
        for (int i = 0; i < kD; ++i) r[i] *= 1.0 / sqrt((double)kD);
    }
}

struct result {
    int status;
    double rel_l2, rel_max, lse_err;
    long nan_count, poison_outside;
    double ms;
};

/* Stores `in` (e4m3 with descale factors per (sequence, kv head) = amax / 448 of that slice, unless `unit` sets them
   to 1 over random bytes; or bf16), runs `v`, and compares O (and LSE) with `reference_o` (dense doubles; NULL: the
   float64 reference of the stored inputs). */
static result run_case(const variant &v, const inputs &in, const std::vector<double> *reference_o, int timed_reps) {
    kD = v.d;
    const shape &s = in.s;
    const int eb = v.fp8 ? 1 : 2;
    const attngen_layout ql = layout_of(s, s.heads_q, s.nq, kD), kl = layout_of(s, s.heads_kv, s.nk, kD);
    const int64_t q_elems = s.batch * s.heads_q * s.nq * kD, kv_elems = s.batch * s.heads_kv * s.nk * kD;
    std::vector<uint8_t> q8(q_elems), k8(kv_elems), v8(kv_elems);
    std::vector<uint16_t> q16(q_elems), k16(kv_elems), v16(kv_elems);
    std::vector<float> descales(3 * std::max<int64_t>(s.batch * s.heads_kv, 1), 1.0f);
    const int64_t group = s.heads_q / s.heads_kv;
    for (int64_t b = 0; b < s.batch; ++b) {
        for (int64_t g = 0; g < s.heads_kv; ++g) {
            const int64_t slot = s.descale_kind == 1 ? 0 : b * s.heads_kv + g;
            /* amax over the slice (per tensor: over all of it) */
            double amax[3] = {0, 0, 0};
            for (int64_t bb = 0; bb < s.batch; ++bb) {
                for (int64_t gg = 0; gg < s.heads_kv; ++gg) {
                    if (s.descale_kind != 1 && (bb != b || gg != g)) continue;
                    for (int64_t h = gg * group; h < (gg + 1) * group; ++h)
                        for (int64_t i = 0; i < s.nq * kD; ++i)
                            amax[0] = std::max(amax[0], fabs(in.q[((bb * s.heads_q + h) * s.nq) * kD + i]));
                    for (int64_t i = 0; i < s.nk * kD; ++i) {
                        amax[1] = std::max(amax[1], fabs(in.k[((bb * s.heads_kv + gg) * s.nk) * kD + i]));
                        amax[2] = std::max(amax[2], fabs(in.v[((bb * s.heads_kv + gg) * s.nk) * kD + i]));
                    }
                }
            }
            for (int t = 0; t < 3; ++t) {
                const double d = s.descale_kind == 2 || amax[t] == 0 ? 1.0 : amax[t] / 448.0;
                descales[t * (descales.size() / 3) + slot] = (float)d;
            }
        }
    }
    const size_t per = descales.size() / 3;
    auto descale = [&](int t, int64_t b, int64_t g) -> double {
        return descales[t * per + (s.descale_kind == 1 ? 0 : b * s.heads_kv + g)];
    };
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t h = 0; h < s.heads_q; ++h)
            for (int64_t r = 0; r < s.nq; ++r)
                for (int i = 0; i < kD; ++i) {
                    const double x = in.q[((b * s.heads_q + h) * s.nq + r) * kD + i];
                    const int64_t at = b * ql.batch_stride + h * ql.head_stride + r * ql.row_stride + i;
                    q8[at] = e4m3_encode(x / descale(0, b, h / group));
                    q16[at] = bf16_encode(x);
                }
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t g = 0; g < s.heads_kv; ++g)
            for (int64_t r = 0; r < s.nk; ++r)
                for (int i = 0; i < kD; ++i) {
                    const int64_t dense = ((b * s.heads_kv + g) * s.nk + r) * kD + i;
                    const int64_t at = b * kl.batch_stride + g * kl.head_stride + r * kl.row_stride + i;
                    k8[at] = e4m3_encode(in.k[dense] / descale(1, b, g));
                    v8[at] = e4m3_encode(in.v[dense] / descale(2, b, g));
                    k16[at] = bf16_encode(in.k[dense]);
                    v16[at] = bf16_encode(in.v[dense]);
                }

    /* O poisoned (NaN bytes) with a guard of 64 elements past it. */
    const attngen_layout ol = layout_of(s, s.heads_q, s.nq, kD);
    const int64_t o_elems = q_elems, guard = 64;
    std::vector<uint16_t> o_host(o_elems + guard, 0x7fff);
    std::vector<float> lse_host(std::max<int64_t>(s.batch * s.heads_q * s.nq, 1), NAN);
    void *dq = v.fp8 ? (void *)device_copy(q8) : (void *)device_copy(q16);
    void *dk = v.fp8 ? (void *)device_copy(k8) : (void *)device_copy(k16);
    void *dv = v.fp8 ? (void *)device_copy(v8) : (void *)device_copy(v16);
    uint16_t *d_o = device_copy(o_host);
    float *d_lse = device_copy(lse_host);
    float *d_descales = device_copy(descales);

    attngen_forward_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.batch = s.batch;
    p.seqlen_q = s.nq;
    p.seqlen_k = s.nk;
    p.heads_q = (int32_t)s.heads_q;
    p.heads_kv = (int32_t)s.heads_kv;
    p.q = dq;
    p.k = dk;
    p.v = dv;
    p.o = d_o;
    p.lse = d_lse;
    p.q_layout = ql;
    p.k_layout = kl;
    p.v_layout = kl;
    p.o_layout = ol;
    p.lse_layout = attngen_layout{s.heads_q * s.nq, s.nq, 1};
    p.dropout_seed = rng_next();
    p.dropout_offset = rng_next() >> 8;
    if (v.fp8 && s.descale_kind != 2) {
        p.q_descale = d_descales;
        p.k_descale = d_descales + per;
        p.v_descale = d_descales + 2 * per;
        p.descale_batch_stride = s.descale_kind == 1 ? 0 : s.heads_kv;
        p.descale_head_stride = s.descale_kind == 1 ? 0 : 1;
    }
    (void)eb;
    result res;
    memset(&res, 0, sizeof res);
    res.status = (int)v.launch(&p, 0);
    CUDA_CHECK(cudaDeviceSynchronize());
    if (timed_reps > 0 && res.status == 0) {
        cudaEvent_t start, stop;
        CUDA_CHECK(cudaEventCreate(&start));
        CUDA_CHECK(cudaEventCreate(&stop));
        std::vector<float> times;
        for (int rep = 0; rep < timed_reps; ++rep) {
            CUDA_CHECK(cudaEventRecord(start));
            v.launch(&p, 0);
            CUDA_CHECK(cudaEventRecord(stop));
            CUDA_CHECK(cudaEventSynchronize(stop));
            float ms = 0;
            CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
            times.push_back(ms);
        }
        std::sort(times.begin(), times.end());
        res.ms = times[times.size() / 2];
        cudaEventDestroy(start);
        cudaEventDestroy(stop);
    }
    CUDA_CHECK(cudaMemcpy(o_host.data(), d_o, o_host.size() * 2, cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaMemcpy(lse_host.data(), d_lse, lse_host.size() * 4, cudaMemcpyDeviceToHost));
    cudaFree(dq);
    cudaFree(dk);
    cudaFree(dv);
    cudaFree(d_o);
    cudaFree(d_lse);
    cudaFree(d_descales);
    if (res.status != 0) return res;

    /* The float64 reference of what was stored (host copies), unless the caller gave one. */
    std::vector<double> ref_o((size_t)std::max<int64_t>(o_elems, 1)), ref_lse((size_t)std::max<int64_t>(s.batch * s.heads_q * s.nq, 1));
    attngen_reference_spec spec;
    attngen_reference_spec_init(&spec, kD, kD, v.storage);
    spec.inputs_e4m3 = v.fp8;
    if (v.causal) attngen_reference_add_band(&spec, 0, 0, 1, 0, 1);
    if (v.dropout > 0) {
        spec.dropout_threshold = (uint32_t)floor(v.dropout * 65536.0);
        spec.dropout_keep_scale = 1.0 / (1.0 - v.dropout);
    }
    attngen_forward_params hp = p;
    hp.q = v.fp8 ? (const void *)q8.data() : (const void *)q16.data();
    hp.k = v.fp8 ? (const void *)k8.data() : (const void *)k16.data();
    hp.v = v.fp8 ? (const void *)v8.data() : (const void *)v16.data();
    hp.o = NULL;
    hp.lse = NULL;
    if (hp.q_descale != NULL) {
        hp.q_descale = descales.data();
        hp.k_descale = descales.data() + per;
        hp.v_descale = descales.data() + 2 * per;
    }
    const std::vector<double> *want = reference_o;
    if (want == NULL && o_elems > 0) {
        if (attngen_reference_forward(&hp, &spec, ref_o.data(), ref_lse.data(), NULL) != 0) {
            res.status = -1;
            return res;
        }
        want = &ref_o;
    }
    double err2 = 0, ref2 = 0, max_err = 0, max_ref = 0, lse_err = 0;
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t h = 0; h < s.heads_q; ++h)
            for (int64_t r = 0; r < s.nq; ++r) {
                const int64_t row = (b * s.heads_q + h) * s.nq + r;
                for (int i = 0; i < kD; ++i) {
                    const double got =
                        attngen_reference_load(o_host.data(), v.storage, b * ol.batch_stride + h * ol.head_stride +
                                                                              r * ol.row_stride + i);
                    const double ref = (*want)[row * kD + i];
                    if (!isfinite(got)) res.nan_count++;
                    err2 += (got - ref) * (got - ref);
                    ref2 += ref * ref;
                    max_err = std::max(max_err, fabs(got - ref));
                    max_ref = std::max(max_ref, fabs(ref));
                }
                if (reference_o == NULL) {
                    const double got = lse_host[row], ref = ref_lse[row];
                    if (isinf(ref) || isinf(got)) {
                        if (got != ref) lse_err = INFINITY;
                    } else {
                        lse_err = std::max(lse_err, fabs(got - ref) / std::max(1.0, fabs(ref)));
                    }
                }
            }
    for (int64_t i = o_elems; i < o_elems + guard; ++i) res.poison_outside += o_host[i] != 0x7fff;
    res.rel_l2 = ref2 > 0 ? sqrt(err2 / ref2) : sqrt(err2);
    res.rel_max = max_ref > 0 ? max_err / max_ref : max_err;
    res.lse_err = lse_err;
    return res;
}

/* ---- modes ---------------------------------------------------------------------------------- */

static int check(bool small) {
    static const shape shapes[] = {
        {2, 4, 2, 1, 1, 0, 0},       {1, 2, 2, 300, 1000, 1, 0}, {2, 2, 1, 1000, 300, 0, 1},
        {1, 1, 1, 128, 0, 0, 2},     {3, 2, 2, 17, 129, 1, 0},   {1, 8, 8, 2048, 2048, 0, 0},
        {2, 4, 1, 257, 4099, 0, 1},  {1, 2, 2, 1, 5000, 1, 2},
    };
    /* Under the sanitizers: a short key range (the narrow kernel) and one past 4096 keys (the wide one, where the
       variant has it), each with a partial last tile. */
    static const shape small_shapes[] = {{1, 2, 1, 130, 200, 1, 0}, {1, 1, 1, 70, 4200, 0, 0}};
    const int count = (int)(small ? sizeof small_shapes / sizeof small_shapes[0] : sizeof shapes / sizeof shapes[0]);
    int failures = 0;
    for (const variant &v : kVariants) {
        for (int i = 0; i < count; ++i) {
            const shape s = small ? small_shapes[i] : shapes[i];
            kD = v.d;
            inputs in;
            fill_gaussian(in, s, 0);
            const result r = run_case(v, in, NULL, 0);
            /* P goes to P·V in e4m3 (3 mantissa bits): O is within a few percent of the reference of the stored
               inputs; a wrong key order or layout is off by O(1). The LSE comes from fp32 P. */
            const bool ok = r.status == 0 && r.rel_l2 <= 4e-2 && r.rel_max <= 0.2 && r.lse_err <= 1e-3 &&
                            r.nan_count == 0 && r.poison_outside == 0;
            failures += ok ? 0 : 1;
            printf("CHECK %s b=%lld hq=%lld hkv=%lld nq=%lld nk=%lld %s descale=%s status=%d rel_l2=%.3e rel_max=%.3e "
                   "lse_err=%.2e nan=%ld guard=%ld %s\n",
                   v.name, (long long)s.batch, (long long)s.heads_q, (long long)s.heads_kv, (long long)s.nq,
                   (long long)s.nk, s.bshd ? "bshd" : "bhsd",
                   s.descale_kind == 0 ? "per-head" : (s.descale_kind == 1 ? "per-tensor" : "null"), r.status,
                   r.rel_l2, r.rel_max, r.lse_err, r.nan_count, r.poison_outside, ok ? "ok" : "FAIL");
        }
        if (!small) {
            /* A layout TMA cannot address (Q's rows d + 8 bytes apart: not a multiple of 16): refused. */
            const int64_t d = v.d, q_row = d + 8;
            attngen_forward_params p;
            memset(&p, 0, sizeof p);
            p.struct_size = sizeof p;
            p.batch = 1;
            p.seqlen_q = p.seqlen_k = 64;
            p.heads_q = p.heads_kv = 1;
            void *buffer = NULL;
            uint16_t *o = NULL;
            CUDA_CHECK(cudaMalloc(&buffer, 64 * q_row + 2 * 64 * d));
            CUDA_CHECK(cudaMemset(buffer, 0, 64 * q_row + 2 * 64 * d));
            CUDA_CHECK(cudaMalloc(&o, 64 * d * 2));
            CUDA_CHECK(cudaMemset(o, 0x7f, 64 * d * 2));
            p.q = buffer;
            p.k = (char *)buffer + 64 * q_row;
            p.v = (char *)buffer + 64 * q_row + 64 * d;
            p.o = o;
            float *lse = NULL;
            CUDA_CHECK(cudaMalloc(&lse, 64 * 4));
            p.lse = lse;
            p.q_layout = attngen_layout{64 * q_row, 64 * q_row, q_row};
            p.k_layout = p.v_layout = attngen_layout{64 * d, 64 * d, d};
            p.o_layout = attngen_layout{64 * d, 64 * d, d};
            p.lse_layout = attngen_layout{64, 64, 1};
            const int status = (int)v.launch(&p, 0);
            std::vector<uint16_t> back(64 * d);
            CUDA_CHECK(cudaMemcpy(back.data(), o, back.size() * 2, cudaMemcpyDeviceToHost));
            long touched = 0;
            for (uint16_t x : back) touched += x != 0x7f7f;
            const bool ok = status == ATTNGEN_ERROR_UNSUPPORTED && touched == 0;
            failures += ok ? 0 : 1;
            printf("CHECK %s unaligned-rows status=%d (want %d) touched=%ld %s\n", v.name, status,
                   (int)ATTNGEN_ERROR_UNSUPPORTED, touched, ok ? "ok" : "FAIL");
            cudaFree(buffer);
            cudaFree(o);
            cudaFree(lse);
        }
    }
    printf("CHECK-SUMMARY failures=%d\n", failures);
    return failures == 0 ? 0 : 1;
}

/* The error of each path against the float64 reference of the unquantized inputs. */
static int accuracy(void) {
    printf("ACCURACY d=128 b=1 h=4 n=2048, O against the float64 reference of the unquantized inputs (rel_l2, rel_max)\n");
    for (int outliers = 0; outliers < 2; ++outliers) {
        const shape s = {1, 4, 4, 2048, 2048, 0, 0};
        kD = 128;
        inputs in;
        fill_gaussian(in, s, outliers ? 100.0 : 0.0);
        /* Scores of Gaussian inputs at scale 1/sqrt(d) are ~N(0, 1); outlier channels make them large, so scale Q down
           to keep the softmax from collapsing onto one key (as trained models' logits are). */
        if (outliers) for (double &x : in.q) x *= 0.02;
        /* The reference of the unquantized inputs, through fp32 storage. */
        attngen_reference_spec spec;
        attngen_reference_spec_init(&spec, kD, kD, ATTNGEN_REFERENCE_FP32);
        std::vector<float> q32(in.q.begin(), in.q.end()), k32(in.k.begin(), in.k.end()), v32(in.v.begin(), in.v.end());
        attngen_forward_params hp;
        memset(&hp, 0, sizeof hp);
        hp.struct_size = sizeof hp;
        hp.batch = s.batch;
        hp.seqlen_q = s.nq;
        hp.seqlen_k = s.nk;
        hp.heads_q = (int32_t)s.heads_q;
        hp.heads_kv = (int32_t)s.heads_kv;
        hp.q = q32.data();
        hp.k = k32.data();
        hp.v = v32.data();
        hp.q_layout = layout_of(s, s.heads_q, s.nq, kD);
        hp.k_layout = hp.v_layout = layout_of(s, s.heads_kv, s.nk, kD);
        std::vector<double> truth(in.q.size()), lse(s.batch * s.heads_q * s.nq);
        if (attngen_reference_forward(&hp, &spec, truth.data(), lse.data(), NULL) != 0) return 1;
        const result plain = run_case(kVariants[0], in, &truth, 0);
        inputs rotated = in;
        std::vector<double> signs(kD);
        for (double &x : signs) x = (rng_next() & 1) ? 1.0 : -1.0;
        rotate(rotated.q, signs);
        rotate(rotated.k, signs);
        const result hadamard = run_case(kVariants[0], rotated, &truth, 0);
        const result bf16 = run_case(kBf16[0][0], in, &truth, 0);
        const char *kind = outliers ? "outlier channels (4 of 128 channels of Q and K 20-100x)" : "gaussian";
        printf("ACCURACY %-56s fp8 plain rel_l2=%.3e rel_max=%.3e | fp8 hadamard rel_l2=%.3e rel_max=%.3e "
               "(plain/hadamard %.2fx) | bf16 rel_l2=%.3e rel_max=%.3e\n",
               kind, plain.rel_l2, plain.rel_max, hadamard.rel_l2, hadamard.rel_max, plain.rel_l2 / hadamard.rel_l2,
               bf16.rel_l2, bf16.rel_max);
    }
    return 0;
}

static int bench(void) {
    printf("BENCH 16k tokens, hidden 2048 (16 heads at d = 128, 8 at d = 256), median of 20 calls; TFLOP/s = 4 b h nq "
           "nk d / t (x 1/2 causal)\n");
    const int64_t lengths[] = {4096, 16384};
    for (int wide = 0; wide < 2; ++wide) {
        for (int causal = 0; causal < 2; ++causal) {
            for (int64_t n : lengths) {
                const variant &f8 = kVariants[wide ? 3 + causal : causal];
                const variant &b16 = kBf16[wide][causal];
                kD = f8.d;
                const int64_t heads = 2048 / kD;
                const shape s = {16384 / n, heads, heads, n, n, 0, 0};
                inputs in;
                fill_gaussian(in, s, 0);
                /* No reference: the error against zeros is not reported. */
                std::vector<double> none(in.q.size(), 0.0);
                const result r8 = run_case(f8, in, &none, 20);
                const result r16 = run_case(b16, in, &none, 20);
                const double flops = 4.0 * s.batch * s.heads_q * (double)n * (double)n * kD * (causal ? 0.5 : 1.0);
                printf("BENCH d=%d n=%lld causal=%d fp8 %.3f ms %.0f TFLOP/s | bf16 %.3f ms %.0f TFLOP/s | fp8/bf16 "
                       "%.2fx\n",
                       kD, (long long)n, causal, r8.ms, flops / r8.ms * 1e-9, r16.ms, flops / r16.ms * 1e-9,
                       r16.ms / r8.ms);
            }
        }
    }
    return 0;
}

/* For a profiler (ncu): d = 128, N = 16k, no mask: the fp8 kernel twice, then the bf16 one twice (the first call of
   each is the plain one of run_case, the second the one timed call). */
static int profile(void) {
    kD = 128;
    const shape s = {1, 16, 16, 16384, 16384, 0, 0};
    inputs in;
    fill_gaussian(in, s, 0);
    std::vector<double> none(in.q.size(), 0.0);
    const result r8 = run_case(kVariants[0], in, &none, 1);
    const result r16 = run_case(kBf16[0][0], in, &none, 1);
    printf("PROFILE d=128 n=16384 fp8 %.3f ms | bf16 %.3f ms\n", r8.ms, r16.ms);
    return 0;
}

int main(int argc, char **argv) {
    e4m3_init();
    rng_state = (uint64_t)time(NULL) * 0x2545F4914F6CDD1Dull;
    printf("SEED %llu\n", (unsigned long long)rng_state);
    const char *mode = argc > 1 ? argv[1] : "check";
    if (strcmp(mode, "check") == 0) return check(false);
    if (strcmp(mode, "check-small") == 0) return check(true);
    if (strcmp(mode, "accuracy") == 0) return accuracy();
    if (strcmp(mode, "bench") == 0) return bench();
    if (strcmp(mode, "profile") == 0) return profile();
    fprintf(stderr, "usage: fp8_driver check|check-small|accuracy|bench|profile\n");
    return 64;
}
