/*
 * Correctness check and timing of the Hopper forward kernel (Templates/hopper/forward.cu), one build of it per
 * variant of benchmarks/hopper-dev/.variants (run.sh compiles and links them). On the GPU:
 *
 *   hopper_check                 probes, status checks, the shape x layout matrix, then the timings
 *   hopper_check --no-timing     without the timings
 *   hopper_check --sanitize      a small matrix (for compute-sanitizer), no timings
 *   hopper_check --only A,B      only the variants named (substring match)
 *   hopper_check --seed N        another input seed (the default is fixed, so runs repeat)
 *   hopper_check --max-len N     skip matrix shapes with Nq or Nk above N (the mock build's CPU kernels are slow)
 *
 * Every random case fills Q, K, V with values in ±[0.05, 1] (never zero), poisons O and the LSE (and the gaps
 * of padded layouts, and guard words past the end) with NaN bit patterns, runs the kernel and compares with a
 * float64 CPU reference written here (masks per README.md: top-left causal keeps k <= q, bottom-right keeps
 * k <= q + nk - nq; windows, block-sparse and the predicate likewise), on every row or, for large cases, on all
 * rows of the first, last and one middle query tile of every (batch, head). Printed per case: rel_l2, rel_max,
 * the LSE error, NaNs, fully masked rows that are not O = 0 / LSE = -inf, writes outside the logical O / LSE,
 * then PASS or FAIL; a FAIL also prints the worst elements and histograms of the bad elements over the kernel's
 * structure (consumer warpgroup and warp, row within the warp's 16, column group of 8, column within it),
 * which is where a fragment-layout or descriptor mistake shows its pattern.
 *
 * The one-hot probes (dense variants) come first: Q row q and K row k are 16·e_i vectors so that row q attends to
 * exactly one key, sigma(q); with V[k][j] = k the output says which key each row picked (the S = Q·Kᵀ path, Q and
 * K descriptors and swizzle), with V[k][j] = j it says which column of V landed in each output column (the
 * P·V path, V's MN-major descriptor).
 *
 * Built with a host compiler against benchmarks/hopper-dev/mock (attngen's C kernels behind the same entry points
 * and a host stand-in for the few CUDA runtime calls used here), it checks itself without a GPU (no timings).
 *
 * A kernel that does not finish within 30 s is reported as HANG and the program exits with status 3 (run.sh
 * then rebuilds with the in-kernel mbarrier timeout, which names the barrier).
 */

#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "attngen_abi.h"

/* ------------------------------------------------------------------------------------------------------------
 * The variants (run.sh builds Templates/hopper/forward.cu once per name; regen_variants.sh has their flags).
 * ---------------------------------------------------------------------------------------------------------- */

typedef attngen_status (*forward_fn)(const attngen_forward_params *, cudaStream_t);

#define DECLARE(name) extern "C" attngen_status attngen_##name##_forward_cuda(const attngen_forward_params *, cudaStream_t);
DECLARE(hop_dense_d128_bf16)
DECLARE(hop_causal_d128_bf16)
DECLARE(hop_causal_br_d128_bf16)
DECLARE(hop_causal_d128_fp16)
DECLARE(hop_dense_d64_bf16)
DECLARE(hop_causal_d64_bf16)
DECLARE(hop_window_br_d64_fp16)
DECLARE(hop_sparse_d128_bf16)
DECLARE(hop_pred_d64_bf16)
DECLARE(hop_dense_d256_bf16)
DECLARE(hop_causal_d256_bf16)
DECLARE(hop_causal_br_d256_fp16)
DECLARE(hop_sparse_d256_bf16)
DECLARE(hop_dense_d192v128_bf16)
DECLARE(hop_causal_d192v128_bf16)
DECLARE(hop_pred_d192_fp16)
DECLARE(hop_window_br_d128v64_bf16)

enum Storage { BF16, FP16 };
enum Causal { NO_CAUSAL, TOP_LEFT, BOTTOM_RIGHT };

struct Variant {
    const char *name;
    forward_fn fn;
    int d, dv;
    Storage storage;
    bool lse;
    Causal causal;
    bool window;
    int64_t window_left, window_right; /* kept: q' - left <= k <= q' + right */
    bool window_bottom_right;          /* q' = q + nk - nq, else q' = q */
    int sparse_rows, sparse_cols;      /* block-sparse block, 0 = none */
    bool predicate;                    /* (q + 2k) mod 5 != 0 */
};

static const Variant kVariants[] = {
    {"hop_dense_d128_bf16", attngen_hop_dense_d128_bf16_forward_cuda, 128, 128, BF16, true, NO_CAUSAL, false, 0, 0, false, 0, 0, false},
    {"hop_causal_d128_bf16", attngen_hop_causal_d128_bf16_forward_cuda, 128, 128, BF16, true, TOP_LEFT, false, 0, 0, false, 0, 0, false},
    {"hop_causal_br_d128_bf16", attngen_hop_causal_br_d128_bf16_forward_cuda, 128, 128, BF16, true, BOTTOM_RIGHT, false, 0, 0, false, 0, 0, false},
    {"hop_causal_d128_fp16", attngen_hop_causal_d128_fp16_forward_cuda, 128, 128, FP16, true, TOP_LEFT, false, 0, 0, false, 0, 0, false},
    {"hop_dense_d64_bf16", attngen_hop_dense_d64_bf16_forward_cuda, 64, 64, BF16, false, NO_CAUSAL, false, 0, 0, false, 0, 0, false},
    {"hop_causal_d64_bf16", attngen_hop_causal_d64_bf16_forward_cuda, 64, 64, BF16, false, TOP_LEFT, false, 0, 0, false, 0, 0, false},
    {"hop_window_br_d64_fp16", attngen_hop_window_br_d64_fp16_forward_cuda, 64, 64, FP16, true, NO_CAUSAL, true, 200, 0, true, 0, 0, false},
    {"hop_sparse_d128_bf16", attngen_hop_sparse_d128_bf16_forward_cuda, 128, 128, BF16, true, NO_CAUSAL, false, 0, 0, false, 128, 128, false},
    {"hop_pred_d64_bf16", attngen_hop_pred_d64_bf16_forward_cuda, 64, 64, BF16, true, NO_CAUSAL, false, 0, 0, false, 0, 0, true},
    /* Head dims past 128 (key tiles of 64 at d = 256, 112 at d = dv = 192) and dv != d. */
    {"hop_dense_d256_bf16", attngen_hop_dense_d256_bf16_forward_cuda, 256, 256, BF16, true, NO_CAUSAL, false, 0, 0, false, 0, 0, false},
    {"hop_causal_d256_bf16", attngen_hop_causal_d256_bf16_forward_cuda, 256, 256, BF16, true, TOP_LEFT, false, 0, 0, false, 0, 0, false},
    {"hop_causal_br_d256_fp16", attngen_hop_causal_br_d256_fp16_forward_cuda, 256, 256, FP16, false, BOTTOM_RIGHT, false, 0, 0, false, 0, 0, false},
    {"hop_sparse_d256_bf16", attngen_hop_sparse_d256_bf16_forward_cuda, 256, 256, BF16, true, NO_CAUSAL, false, 0, 0, false, 128, 128, false},
    {"hop_dense_d192v128_bf16", attngen_hop_dense_d192v128_bf16_forward_cuda, 192, 128, BF16, true, NO_CAUSAL, false, 0, 0, false, 0, 0, false},
    {"hop_causal_d192v128_bf16", attngen_hop_causal_d192v128_bf16_forward_cuda, 192, 128, BF16, false, TOP_LEFT, false, 0, 0, false, 0, 0, false},
    {"hop_pred_d192_fp16", attngen_hop_pred_d192_fp16_forward_cuda, 192, 192, FP16, true, NO_CAUSAL, false, 0, 0, false, 0, 0, true},
    {"hop_window_br_d128v64_bf16", attngen_hop_window_br_d128v64_bf16_forward_cuda, 128, 64, BF16, true, NO_CAUSAL, true, 200, 0, true, 0, 0, false},
};

static bool is_dense(const Variant &v) {
    return v.causal == NO_CAUSAL && !v.window && v.sparse_rows == 0 && !v.predicate;
}

/* ------------------------------------------------------------------------------------------------------------
 * Helpers.
 * ---------------------------------------------------------------------------------------------------------- */

#define CUDA_CHECK(call)                                                                                  \
    do {                                                                                                  \
        cudaError_t error_ = (call);                                                                      \
        if (error_ != cudaSuccess) {                                                                      \
            fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorName(error_), __FILE__, __LINE__, \
                    cudaGetErrorString(error_));                                                          \
            exit(2);                                                                                      \
        }                                                                                                 \
    } while (0)

static float to_float(uint16_t bits, Storage s) {
    if (s == BF16) {
        __nv_bfloat16_raw r;
        r.x = bits;
        return __bfloat162float(__nv_bfloat16(r));
    }
    __half_raw r;
    r.x = bits;
    return __half2float(__half(r));
}
static uint16_t from_float(float x, Storage s) {
    if (s == BF16) {
        __nv_bfloat16_raw r = __float2bfloat16_rn(x);
        return r.x;
    }
    __half_raw r = __float2half_rn(x);
    return r.x;
}

static const uint16_t kPoison16 = 0xFFFFu; /* a NaN in both bf16 and fp16 */
static const uint32_t kPoison32 = 0xFFFFFFFFu;
static const int64_t kGuard = 256; /* poisoned elements past the end of O and the LSE */

/* Waits for the stream; a kernel still running after `seconds` is reported and the program exits (status 3). */
static cudaError_t wait_or_die(cudaStream_t stream, double seconds, const char *what) {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        const cudaError_t e = cudaStreamQuery(stream);
        if (e != cudaErrorNotReady) return e;
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) {
            printf("HANG: %s did not finish within %.0f s\n", what, seconds);
            fflush(stdout);
            _exit(3);
        }
        usleep(200);
    }
}

enum LayoutKind { BHSD, BSHD, PADDED };
static const char *layout_name(LayoutKind k) { return k == BHSD ? "BHSD" : k == BSHD ? "BSHD" : "padded"; }

static attngen_layout make_layout(LayoutKind kind, int64_t heads, int64_t rows, int64_t dim) {
    attngen_layout l;
    if (kind == BHSD) {
        l.row_stride = dim;
        l.head_stride = rows * dim;
        l.batch_stride = heads * rows * dim;
    } else if (kind == BSHD) {
        l.head_stride = dim;
        l.row_stride = heads * dim;
        l.batch_stride = rows * heads * dim;
    } else { /* gaps after every row, head and batch; strides stay multiples of 8 elements (16 bytes) */
        l.row_stride = dim + 24;
        l.head_stride = rows * l.row_stride + 40;
        l.batch_stride = heads * l.head_stride + 8;
    }
    return l;
}
static attngen_layout make_lse_layout(LayoutKind kind, int64_t heads, int64_t rows) {
    attngen_layout l;
    if (kind == BSHD) { /* [b][s][h] */
        l.head_stride = 1;
        l.row_stride = heads;
        l.batch_stride = rows * heads;
    } else if (kind == BHSD) {
        l.row_stride = 1;
        l.head_stride = rows;
        l.batch_stride = heads * rows;
    } else {
        l.row_stride = 1;
        l.head_stride = rows + 3;
        l.batch_stride = heads * (rows + 3) + 5;
    }
    return l;
}
/* Elements from the base to one past the last element (0 when a size is 0). */
static int64_t span_of(const attngen_layout &l, int64_t batch, int64_t heads, int64_t rows, int64_t dim) {
    if (batch == 0 || heads == 0 || rows == 0) return 0;
    return (batch - 1) * l.batch_stride + (heads - 1) * l.head_stride + (rows - 1) * l.row_stride + dim;
}

/* ------------------------------------------------------------------------------------------------------------
 * The reference (float64).
 * ---------------------------------------------------------------------------------------------------------- */

struct Problem {
    const Variant *v;
    int64_t batch, heads_q, heads_kv, nq, nk;
    attngen_layout q_layout, k_layout, v_layout, o_layout, lse_layout, mask_layout;
    std::vector<uint16_t> q, k, val;  /* host copies of the inputs */
    std::vector<float> qf, kf, vf;    /* the same, decoded once for the reference */
    std::vector<uint8_t> block_mask; /* block-sparse variants */
    double scale;
};

static bool kept(const Problem &P, int64_t b, int64_t h, int64_t q, int64_t k) {
    const Variant &v = *P.v;
    if (k >= P.nk) return false;
    if (v.causal == TOP_LEFT && k > q) return false;
    if (v.causal == BOTTOM_RIGHT && k > q + P.nk - P.nq) return false;
    if (v.window) {
        const int64_t qq = v.window_bottom_right ? q + P.nk - P.nq : q;
        if (k < qq - v.window_left || k > qq + v.window_right) return false;
    }
    if (v.sparse_rows > 0) {
        const uint8_t byte = P.block_mask[b * P.mask_layout.batch_stride + h * P.mask_layout.head_stride +
                                          (q / v.sparse_rows) * P.mask_layout.row_stride + k / v.sparse_cols];
        if (byte == 0) return false;
    }
    if (v.predicate && (q + 2 * k) % 5 == 0) return false;
    return true;
}

struct RowResult {
    std::vector<double> o; /* dv values */
    double lse;            /* -inf when nothing is kept */
    double logit_bound;    /* max over kept keys of scale · sum_i |q_i k_i| (the LSE error's yardstick) */
};

static void reference_row(const Problem &P, int64_t b, int64_t h, int64_t q, RowResult &out,
                          std::vector<double> &scores) {
    const Variant &v = *P.v;
    const int64_t kvh = h / (P.heads_q / P.heads_kv);
    std::vector<double> qrow(v.d);
    const float *qp = &P.qf[b * P.q_layout.batch_stride + h * P.q_layout.head_stride + q * P.q_layout.row_stride];
    for (int i = 0; i < v.d; ++i) qrow[i] = qp[i];
    scores.assign(P.nk, -INFINITY);
    double m = -INFINITY, bound = 0.0;
    for (int64_t k = 0; k < P.nk; ++k) {
        if (!kept(P, b, h, q, k)) continue;
        const float *kp = &P.kf[b * P.k_layout.batch_stride + kvh * P.k_layout.head_stride + k * P.k_layout.row_stride];
        double dot = 0.0, absdot = 0.0;
        for (int i = 0; i < v.d; ++i) {
            const double x = qrow[i] * (double)kp[i];
            dot += x;
            absdot += fabs(x);
        }
        scores[k] = P.scale * dot;
        m = std::max(m, scores[k]);
        bound = std::max(bound, P.scale * absdot);
    }
    out.o.assign(v.dv, 0.0);
    out.logit_bound = bound;
    if (m == -INFINITY) {
        out.lse = -INFINITY;
        return;
    }
    double sum = 0.0;
    for (int64_t k = 0; k < P.nk; ++k) {
        if (scores[k] == -INFINITY) continue;
        const double w = exp(scores[k] - m);
        sum += w;
        const float *vp = &P.vf[b * P.v_layout.batch_stride + kvh * P.v_layout.head_stride + k * P.v_layout.row_stride];
        for (int j = 0; j < v.dv; ++j) out.o[j] += w * (double)vp[j];
    }
    for (int j = 0; j < v.dv; ++j) out.o[j] /= sum;
    out.lse = m + log(sum);
}

/* ------------------------------------------------------------------------------------------------------------
 * One random case.
 * ---------------------------------------------------------------------------------------------------------- */

struct Totals {
    int cases = 0, failed = 0;
    std::vector<std::string> failures;
    double worst_rel_max[2] = {0, 0}; /* bf16, fp16 */
    double worst_lse = 0;
};

static void fill_inputs(std::vector<uint16_t> &buffer, Storage s, std::mt19937_64 &rng) {
    std::uniform_real_distribution<float> magnitude(0.05f, 1.0f);
    for (auto &x : buffer) {
        const float m = magnitude(rng);
        x = from_float((rng() & 1) ? m : -m, s);
    }
}

static void *device_copy(const void *host, size_t bytes) {
    void *p = NULL;
    CUDA_CHECK(cudaMalloc(&p, bytes > 0 ? bytes : 16));
    if (bytes > 0) CUDA_CHECK(cudaMemcpy(p, host, bytes, cudaMemcpyHostToDevice));
    return p;
}

/* Rows checked against the reference: every row, or (large cases) all rows of the first, a middle and the last
   query tile of 128 of every (batch, head) -- every consumer warpgroup, warp and lane position, the diagonal
   tiles of the causal masks and the partial last tile. */
static std::vector<int64_t> rows_to_check(int64_t nq, int64_t nk, int d, int64_t heads_total, std::mt19937_64 &rng,
                                          bool *all) {
    const double budget = 6.0e9; /* multiply-adds of the reference per case */
    std::vector<int64_t> rows;
    if ((double)heads_total * nq * std::max<int64_t>(nk, 1) * 2 * d <= budget || nq <= 384) {
        for (int64_t q = 0; q < nq; ++q) rows.push_back(q);
        *all = true;
        return rows;
    }
    *all = false;
    const int64_t tiles = (nq + 127) / 128;
    const int64_t middle = 1 + (int64_t)(rng() % (uint64_t)std::max<int64_t>(tiles - 2, 1));
    for (int64_t t : {(int64_t)0, middle, tiles - 1}) {
        for (int64_t q = t * 128; q < std::min(nq, t * 128 + 128); ++q) rows.push_back(q);
    }
    return rows;
}

struct Histogram {
    const char *name;
    std::vector<long> bins;
};

static void print_histogram(const Histogram &h) {
    printf("      bad by %-22s:", h.name);
    for (size_t i = 0; i < h.bins.size(); ++i) printf(" %ld", h.bins[i]);
    printf("\n");
}

static bool run_case(const Variant &v, int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t nq, int64_t nk,
                     LayoutKind layout, uint64_t seed, Totals &totals, bool sparse_shared_layout = false) {
    std::mt19937_64 rng(seed);
    Problem P;
    P.v = &v;
    P.batch = batch;
    P.heads_q = heads_q;
    P.heads_kv = heads_kv;
    P.nq = nq;
    P.nk = nk;
    P.scale = (double)(float)(1.0 / sqrt((double)v.d)); /* the variant's kScale, a float */
    P.q_layout = make_layout(layout, heads_q, nq, v.d);
    P.k_layout = make_layout(layout, heads_kv, nk, v.d);
    P.v_layout = make_layout(layout, heads_kv, nk, v.dv);
    P.o_layout = make_layout(layout, heads_q, nq, v.dv);
    P.lse_layout = make_lse_layout(layout, heads_q, nq);
    const int64_t q_span = span_of(P.q_layout, batch, heads_q, nq, v.d);
    const int64_t k_span = span_of(P.k_layout, batch, heads_kv, nk, v.d);
    const int64_t v_span = span_of(P.v_layout, batch, heads_kv, nk, v.dv);
    const int64_t o_span = span_of(P.o_layout, batch, heads_q, nq, v.dv);
    const int64_t lse_span = span_of(P.lse_layout, batch, heads_q, nq, 1);
    P.q.resize(q_span);
    P.k.resize(k_span);
    P.val.resize(v_span);
    fill_inputs(P.q, v.storage, rng);
    fill_inputs(P.k, v.storage, rng);
    fill_inputs(P.val, v.storage, rng);
    auto decode = [&](const std::vector<uint16_t> &in, std::vector<float> &out) {
        out.resize(in.size());
        for (size_t i = 0; i < in.size(); ++i) out[i] = to_float(in[i], v.storage);
    };
    decode(P.q, P.qf);
    decode(P.k, P.kf);
    decode(P.val, P.vf);

    /* Block mask: about 60 % of the blocks on, block row 1 all off (fully masked rows), and block column 0 off
       for even block rows (a row's first key tile skipped). Per-head layout, or one layout shared (strides 0). */
    void *d_mask = NULL;
    if (v.sparse_rows > 0) {
        const int64_t block_rows = (nq + v.sparse_rows - 1) / v.sparse_rows;
        const int64_t block_cols = std::max<int64_t>((nk + v.sparse_cols - 1) / v.sparse_cols, 1);
        const int64_t copies = sparse_shared_layout ? 1 : batch * heads_q;
        P.mask_layout.row_stride = block_cols;
        P.mask_layout.head_stride = sparse_shared_layout ? 0 : block_rows * block_cols;
        P.mask_layout.batch_stride = sparse_shared_layout ? 0 : heads_q * block_rows * block_cols;
        P.block_mask.resize(std::max<int64_t>(copies * block_rows * block_cols, 1));
        for (int64_t c = 0; c < copies; ++c) {
            for (int64_t i = 0; i < block_rows; ++i) {
                for (int64_t j = 0; j < block_cols; ++j) {
                    uint8_t on = (rng() % 10) < 6 ? 1 : 0;
                    if (i == 1) on = 0;
                    if (i % 2 == 0 && j == 0 && block_cols > 1) on = 0;
                    P.block_mask[(c * block_rows + i) * block_cols + j] = on;
                }
            }
        }
        d_mask = device_copy(P.block_mask.data(), P.block_mask.size());
    } else {
        P.mask_layout.row_stride = P.mask_layout.head_stride = P.mask_layout.batch_stride = 0;
    }

    void *d_q = device_copy(P.q.data(), P.q.size() * 2);
    void *d_k = device_copy(P.k.data(), P.k.size() * 2);
    void *d_v = device_copy(P.val.data(), P.val.size() * 2);
    std::vector<uint16_t> o_host(o_span + kGuard, kPoison16);
    std::vector<uint32_t> lse_host(lse_span + kGuard, kPoison32);
    void *d_o = device_copy(o_host.data(), o_host.size() * 2);
    void *d_lse = device_copy(lse_host.data(), lse_host.size() * 4);

    attngen_forward_params params;
    memset(&params, 0, sizeof(params));
    params.struct_size = sizeof(params);
    params.batch = batch;
    params.seqlen_q = nq;
    params.seqlen_k = nk;
    params.heads_q = (int32_t)heads_q;
    params.heads_kv = (int32_t)heads_kv;
    params.q = d_q;
    params.k = d_k;
    params.v = d_v;
    params.o = d_o;
    params.lse = (float *)d_lse;
    params.q_layout = P.q_layout;
    params.k_layout = P.k_layout;
    params.v_layout = P.v_layout;
    params.o_layout = P.o_layout;
    params.lse_layout = P.lse_layout;
    params.block_mask = (const uint8_t *)d_mask;
    params.block_mask_layout = P.mask_layout;

    char label[256];
    snprintf(label, sizeof(label), "%-24s B=%lld Hq=%lld Hkv=%lld nq=%-5lld nk=%-5lld %-6s%s", v.name,
             (long long)batch, (long long)heads_q, (long long)heads_kv, (long long)nq, (long long)nk,
             layout_name(layout), sparse_shared_layout ? " shared-mask" : "");

    const attngen_status status = v.fn(&params, 0);
    cudaError_t launch_error = status == ATTNGEN_OK ? wait_or_die(0, 30.0, label) : cudaSuccess;
    if (status != ATTNGEN_OK || launch_error != cudaSuccess) {
        printf("CASE %s  status=%d cuda=%s  FAIL\n", label, (int)status, cudaGetErrorString(launch_error));
        totals.cases++;
        totals.failed++;
        totals.failures.push_back(label);
        if (launch_error != cudaSuccess) {
            printf("  (the CUDA context is unusable after this error; stopping)\n");
            exit(2);
        }
        cudaFree(d_q); cudaFree(d_k); cudaFree(d_v); cudaFree(d_o); cudaFree(d_lse); if (d_mask) cudaFree(d_mask);
        return false;
    }
    CUDA_CHECK(cudaMemcpy(o_host.data(), d_o, o_host.size() * 2, cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaMemcpy(lse_host.data(), d_lse, lse_host.size() * 4, cudaMemcpyDeviceToHost));
    cudaFree(d_q); cudaFree(d_k); cudaFree(d_v); cudaFree(d_o); cudaFree(d_lse); if (d_mask) cudaFree(d_mask);

    /* Logical positions of O and the LSE; everything else must still hold the poison. */
    std::vector<uint8_t> o_logical(o_span + kGuard, 0), lse_logical(lse_span + kGuard, 0);
    long nan_o = 0, nan_lse = 0;
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t h = 0; h < heads_q; ++h) {
            for (int64_t q = 0; q < nq; ++q) {
                const int64_t row = b * P.o_layout.batch_stride + h * P.o_layout.head_stride + q * P.o_layout.row_stride;
                for (int j = 0; j < v.dv; ++j) {
                    o_logical[row + j] = 1;
                    if (!std::isfinite(to_float(o_host[row + j], v.storage))) ++nan_o;
                }
                const int64_t li = b * P.lse_layout.batch_stride + h * P.lse_layout.head_stride + q * P.lse_layout.row_stride;
                lse_logical[li] = 1;
                float x;
                memcpy(&x, &lse_host[li], 4);
                if (std::isnan(x) || x == INFINITY) ++nan_lse; /* -inf is legitimate (fully masked rows) */
            }
        }
    }
    long outside = 0;
    for (size_t i = 0; i < o_host.size(); ++i) outside += !o_logical[i] && o_host[i] != kPoison16;
    if (v.lse) {
        for (size_t i = 0; i < lse_host.size(); ++i) outside += !lse_logical[i] && lse_host[i] != kPoison32;
    } else {
        for (size_t i = 0; i < lse_host.size(); ++i) outside += lse_host[i] != kPoison32; /* must not be written */
        nan_lse = 0;
    }

    /* Reference on the checked rows, on all cores. */
    bool all_rows = false;
    const std::vector<int64_t> rows = rows_to_check(nq, nk, v.d, batch * heads_q, rng, &all_rows);
    struct Item {
        int64_t b, h, q;
    };
    std::vector<Item> items;
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < heads_q; ++h)
            for (int64_t q : rows) items.push_back({b, h, q});
    std::vector<RowResult> ref(items.size());
    {
        const unsigned workers = std::max(1u, std::min(32u, std::thread::hardware_concurrency()));
        std::vector<std::thread> pool;
        for (unsigned w = 0; w < workers; ++w) {
            pool.emplace_back([&, w]() {
                std::vector<double> scores;
                for (size_t i = w; i < items.size(); i += workers) reference_row(P, items[i].b, items[i].h, items[i].q, ref[i], scores);
            });
        }
        for (auto &t : pool) t.join();
    }

    /* Compare. */
    double err2 = 0, ref2 = 0, max_err = 0, max_ref = 0, lse_err = 0;
    long masked_bad = 0, lse_inf_mismatch = 0;
    for (size_t i = 0; i < items.size(); ++i) {
        const Item &it = items[i];
        const int64_t row = it.b * P.o_layout.batch_stride + it.h * P.o_layout.head_stride + it.q * P.o_layout.row_stride;
        const bool fully_masked = ref[i].lse == -INFINITY;
        for (int j = 0; j < v.dv; ++j) {
            const double got = to_float(o_host[row + j], v.storage), want = ref[i].o[j];
            if (fully_masked && got != 0.0) ++masked_bad;
            if (!std::isfinite(got)) continue; /* counted as NaN above */
            err2 += (got - want) * (got - want);
            ref2 += want * want;
            max_err = std::max(max_err, fabs(got - want));
            max_ref = std::max(max_ref, fabs(want));
        }
        if (v.lse) {
            float x;
            memcpy(&x, &lse_host[it.b * P.lse_layout.batch_stride + it.h * P.lse_layout.head_stride + it.q * P.lse_layout.row_stride], 4);
            if (fully_masked || x == -INFINITY) {
                if (!(fully_masked && x == -INFINITY)) ++lse_inf_mismatch;
            } else if (std::isfinite(x)) {
                lse_err = std::max(lse_err, fabs((double)x - ref[i].lse) / std::max(1.0, ref[i].logit_bound));
            }
        }
    }
    const double rel_l2 = ref2 > 0 ? sqrt(err2 / ref2) : sqrt(err2);
    const double rel_max = max_ref > 0 ? max_err / max_ref : max_err;
    /* README.md's tolerances (the reference reads the same rounded inputs), growing with sqrt(nk / 1537) past
       1537 keys as random rounding errors of long sums do. */
    const double growth = std::max(1.0, sqrt((double)nk / 1537.0));
    const double tol_o = (v.storage == BF16 ? 1.5e-2 : 2e-3) * growth;
    const double tol_lse = 5e-6 * growth;
    const bool ok = rel_l2 <= tol_o && rel_max <= tol_o && lse_err <= tol_lse && nan_o == 0 && nan_lse == 0 &&
                    masked_bad == 0 && lse_inf_mismatch == 0 && outside == 0;
    printf("CASE %s  rel_l2=%.2e rel_max=%.2e lse=%.2e nan=%ld/%ld masked_bad=%ld lse_inf=%ld outside=%ld rows=%s  %s\n",
           label, rel_l2, rel_max, lse_err, nan_o, nan_lse, masked_bad, lse_inf_mismatch, outside,
           all_rows ? "all" : "3 tiles", ok ? "PASS" : "FAIL");
    totals.cases++;
    totals.worst_rel_max[v.storage] = std::max(totals.worst_rel_max[v.storage], rel_max);
    totals.worst_lse = std::max(totals.worst_lse, lse_err);
    if (!ok) {
        totals.failed++;
        totals.failures.push_back(label);
        /* Where: the worst elements, then histograms of the bad ones over the kernel's structure. */
        const double bad_threshold = tol_o * std::max(max_ref, 1e-30);
        Histogram by_warp{"consumer*4+warp (q%128/16)", std::vector<long>(8, 0)};
        Histogram by_row{"row in warp (q%16)", std::vector<long>(16, 0)};
        Histogram by_colgroup{"column group (j/8)", std::vector<long>(v.dv / 8, 0)};
        Histogram by_col{"column in group (j%8)", std::vector<long>(8, 0)};
        Histogram by_tile{"query tile (q/128, 16 max)", std::vector<long>(16, 0)};
        struct Bad {
            double err;
            int64_t b, h, q;
            int j;
            double got, want;
        };
        std::vector<Bad> worst;
        for (size_t i = 0; i < items.size(); ++i) {
            const Item &it = items[i];
            const int64_t row = it.b * P.o_layout.batch_stride + it.h * P.o_layout.head_stride + it.q * P.o_layout.row_stride;
            for (int j = 0; j < v.dv; ++j) {
                const double got = to_float(o_host[row + j], v.storage), want = ref[i].o[j];
                const double e = std::isfinite(got) ? fabs(got - want) : INFINITY;
                if (e > bad_threshold || (ref[i].lse == -INFINITY && got != 0.0)) {
                    by_warp.bins[(it.q % 128) / 16]++;
                    by_row.bins[it.q % 16]++;
                    by_colgroup.bins[j / 8]++;
                    by_col.bins[j % 8]++;
                    by_tile.bins[std::min<int64_t>(it.q / 128, 15)]++;
                    worst.push_back({e, it.b, it.h, it.q, j, got, want});
                }
            }
        }
        std::sort(worst.begin(), worst.end(), [](const Bad &a, const Bad &b) { return a.err > b.err; });
        if (!worst.empty()) printf("      %zu bad O elements (|err| > %.2e); worst:\n", worst.size(), bad_threshold);
        for (size_t i = 0; i < worst.size() && i < 8; ++i) {
            printf("        b=%lld h=%lld q=%lld col=%d  got %.6g want %.6g\n", (long long)worst[i].b,
                   (long long)worst[i].h, (long long)worst[i].q, worst[i].j, worst[i].got, worst[i].want);
        }
        if (!worst.empty()) {
            print_histogram(by_warp);
            print_histogram(by_row);
            print_histogram(by_colgroup);
            print_histogram(by_col);
            print_histogram(by_tile);
        }
        if (v.lse && (lse_err > tol_lse || lse_inf_mismatch > 0)) {
            int shown = 0;
            for (size_t i = 0; i < items.size() && shown < 6; ++i) {
                const Item &it = items[i];
                float x;
                memcpy(&x, &lse_host[it.b * P.lse_layout.batch_stride + it.h * P.lse_layout.head_stride + it.q * P.lse_layout.row_stride], 4);
                const bool bad = (ref[i].lse == -INFINITY) != (x == -INFINITY) ||
                                 (std::isfinite(x) && ref[i].lse != -INFINITY &&
                                  fabs((double)x - ref[i].lse) / std::max(1.0, ref[i].logit_bound) > tol_lse);
                if (bad) {
                    printf("        lse b=%lld h=%lld q=%lld got %.9g want %.9g\n", (long long)it.b, (long long)it.h,
                           (long long)it.q, x, ref[i].lse);
                    ++shown;
                }
            }
        }
        if (outside > 0) {
            int shown = 0;
            for (size_t i = 0; i < o_host.size() && shown < 4; ++i) {
                if (!o_logical[i] && o_host[i] != kPoison16) {
                    printf("        O written outside the tensor at element %zu (of span %lld + guard)\n", i, (long long)o_span);
                    ++shown;
                }
            }
        }
    }
    fflush(stdout);
    return ok;
}

/* ------------------------------------------------------------------------------------------------------------
 * The one-hot probe (dense variants): isolates the S = Q·Kᵀ path from the P·V path.
 * ---------------------------------------------------------------------------------------------------------- */

static bool run_probe(const Variant &v, Totals &totals) {
    const int64_t nq = 128, nk = v.d; /* one query tile; keys 0 .. d-1, each a distinct one-hot vector */
    auto sigma = [&](int64_t q) { return (q * 37 + 11) % nk; };
    std::vector<uint16_t> q(nq * v.d), k(nk * v.d), val(nk * v.dv);
    const uint16_t zero = from_float(0.0f, v.storage), sixteen = from_float(16.0f, v.storage);
    for (int64_t r = 0; r < nq; ++r)
        for (int i = 0; i < v.d; ++i) q[r * v.d + i] = i == sigma(r) ? sixteen : zero;
    for (int64_t r = 0; r < nk; ++r)
        for (int i = 0; i < v.d; ++i) k[r * v.d + i] = i == r ? sixteen : zero;
    bool ok = true;
    for (int which = 0; which < 2; ++which) {
        /* which 0: V[k][j] = k (which key each row picked); which 1: V[k][j] = j (which V column landed where) */
        for (int64_t r = 0; r < nk; ++r)
            for (int j = 0; j < v.dv; ++j) val[r * v.dv + j] = from_float((float)(which == 0 ? r : j), v.storage);
        void *d_q = device_copy(q.data(), q.size() * 2), *d_k = device_copy(k.data(), k.size() * 2);
        void *d_v = device_copy(val.data(), val.size() * 2);
        std::vector<uint16_t> o(nq * v.dv, kPoison16);
        std::vector<float> lse(nq, NAN);
        void *d_o = device_copy(o.data(), o.size() * 2), *d_lse = device_copy(lse.data(), lse.size() * 4);
        attngen_forward_params p;
        memset(&p, 0, sizeof(p));
        p.struct_size = sizeof(p);
        p.batch = 1;
        p.seqlen_q = nq;
        p.seqlen_k = nk;
        p.heads_q = p.heads_kv = 1;
        p.q = d_q;
        p.k = d_k;
        p.v = d_v;
        p.o = d_o;
        p.lse = (float *)d_lse;
        p.q_layout = make_layout(BHSD, 1, nq, v.d);
        p.k_layout = make_layout(BHSD, 1, nk, v.d);
        p.v_layout = make_layout(BHSD, 1, nk, v.dv);
        p.o_layout = make_layout(BHSD, 1, nq, v.dv);
        p.lse_layout = make_lse_layout(BHSD, 1, nq);
        char label[128];
        snprintf(label, sizeof(label), "%s probe (V = %s)", v.name, which == 0 ? "key index" : "column index");
        const attngen_status status = v.fn(&p, 0);
        const cudaError_t e = status == ATTNGEN_OK ? wait_or_die(0, 30.0, label) : cudaSuccess;
        if (status != ATTNGEN_OK || e != cudaSuccess) {
            printf("PROBE %s: status %d, %s  FAIL\n", label, (int)status, cudaGetErrorString(e));
            if (e != cudaSuccess) exit(2);
            ok = false;
        } else {
            CUDA_CHECK(cudaMemcpy(o.data(), d_o, o.size() * 2, cudaMemcpyDeviceToHost));
            long bad = 0;
            int shown = 0;
            for (int64_t r = 0; r < nq; ++r) {
                for (int j = 0; j < v.dv; ++j) {
                    const float got = to_float(o[r * v.dv + j], v.storage);
                    const float want = which == 0 ? (float)sigma(r) : (float)j;
                    if (!(fabsf(got - want) <= 0.25f)) {
                        ++bad;
                        if (shown < 6) {
                            printf("  probe %s: row %lld (consumer %lld, warp %lld, row-in-warp %lld) col %d: got %g want %g%s\n",
                                   label, (long long)r, (long long)(r / 64), (long long)((r % 64) / 16),
                                   (long long)(r % 16), j, got, want,
                                   which == 0 ? "  [the row picked the key of that value: S path]"
                                              : "  [V column of that value landed here: P·V path]");
                            ++shown;
                        }
                    }
                }
            }
            printf("PROBE %s: %ld bad of %lld  %s\n", label, bad, (long long)(nq * v.dv), bad == 0 ? "PASS" : "FAIL");
            ok = ok && bad == 0;
        }
        cudaFree(d_q); cudaFree(d_k); cudaFree(d_v); cudaFree(d_o); cudaFree(d_lse);
    }
    totals.cases++;
    if (!ok) {
        totals.failed++;
        totals.failures.push_back(std::string("probe ") + v.name);
    }
    fflush(stdout);
    return ok;
}

/* ------------------------------------------------------------------------------------------------------------
 * Status checks: the ABI's order, the TMA refusals, and that a refused call writes nothing.
 * ---------------------------------------------------------------------------------------------------------- */

static void run_status_checks(const Variant &v, Totals &totals) {
    const int64_t B = 2, H = 4, HKV = 2, N = 64;
    const size_t elems = (size_t)B * H * N * 136 + 64; /* room for the padded Q rows below */
    std::vector<uint16_t> host(elems, from_float(0.5f, v.storage));
    void *d_in = device_copy(host.data(), host.size() * 2);
    std::vector<uint16_t> poison(elems, kPoison16);
    void *d_o = device_copy(poison.data(), poison.size() * 2);
    std::vector<float> lpoison(B * H * N + 64, NAN);
    void *d_lse = device_copy(lpoison.data(), lpoison.size() * 4);
    auto base = [&]() {
        attngen_forward_params p;
        memset(&p, 0, sizeof(p));
        p.struct_size = sizeof(p);
        p.batch = B;
        p.seqlen_q = N;
        p.seqlen_k = N;
        p.heads_q = (int32_t)H;
        p.heads_kv = (int32_t)HKV;
        p.q = p.k = p.v = d_in;
        p.o = d_o;
        p.lse = (float *)d_lse;
        p.q_layout = make_layout(BHSD, H, N, v.d);
        p.k_layout = make_layout(BHSD, HKV, N, v.d);
        p.v_layout = make_layout(BHSD, HKV, N, v.dv);
        p.o_layout = make_layout(BHSD, H, N, v.dv);
        p.lse_layout = make_lse_layout(BHSD, H, N);
        p.block_mask = (const uint8_t *)d_in; /* any non-NULL bytes */
        p.block_mask_layout.row_stride = 1;
        return p;
    };
    struct Check {
        const char *what;
        attngen_status expected;
        attngen_forward_params p;
        bool null_params;
    };
    std::vector<Check> checks;
    checks.push_back({"NULL params", ATTNGEN_ERROR_NULL_POINTER, base(), true});
    { auto p = base(); p.struct_size = 8; checks.push_back({"wrong struct_size", ATTNGEN_ERROR_ABI_MISMATCH, p, false}); }
    { auto p = base(); p.seqlen_k = -1; checks.push_back({"negative seqlen_k", ATTNGEN_ERROR_INVALID_SIZE, p, false}); }
    { auto p = base(); p.heads_kv = 3; checks.push_back({"heads 4:3", ATTNGEN_ERROR_INVALID_HEADS, p, false}); }
    { auto p = base(); p.batch = 0; p.q = NULL; checks.push_back({"batch 0 (no pointer read)", ATTNGEN_OK, p, false}); }
    { auto p = base(); p.heads_q = 0; p.heads_kv = 0; checks.push_back({"heads 0", ATTNGEN_ERROR_INVALID_SIZE, p, false}); }
    { auto p = base(); p.v = NULL; checks.push_back({"NULL v", ATTNGEN_ERROR_NULL_POINTER, p, false}); }
    { auto p = base(); p.o_layout.row_stride = 1; checks.push_back({"overlapping O rows", ATTNGEN_ERROR_INVALID_LAYOUT, p, false}); }
    /* Layouts TMA cannot address: the launcher runs them on the variant's mma.sync kernel (NAME_mma.cu). */
    { auto p = base(); p.q_layout.row_stride = v.d + 1; p.q_layout.head_stride = N * (v.d + 1); p.q_layout.batch_stride = H * N * (v.d + 1);
      checks.push_back({"TMA fallback: Q rows not 16-byte multiples", ATTNGEN_OK, p, false}); }
    { auto p = base(); p.k_layout.batch_stride = 0; checks.push_back({"TMA fallback: K broadcast over batches (stride 0)", ATTNGEN_OK, p, false}); }
    { auto p = base(); p.v = (const char *)d_in + 2; checks.push_back({"TMA fallback: V base not 16-byte aligned", ATTNGEN_OK, p, false}); }
    { auto p = base(); p.seqlen_k = 0; p.k = (const char *)d_in + 2; checks.push_back({"nk = 0 with unaligned K (never read)", ATTNGEN_OK, p, false}); }
    bool all_ok = true;
    for (auto &c : checks) {
        const bool writes_expected = c.expected == ATTNGEN_OK && c.p.batch > 0;
        CUDA_CHECK(cudaMemcpy(d_o, poison.data(), poison.size() * 2, cudaMemcpyHostToDevice));
        const attngen_status got = v.fn(c.null_params ? NULL : &c.p, 0);
        const std::string what = std::string(v.name) + " status check: " + c.what;
        CUDA_CHECK(wait_or_die(0, 30.0, what.c_str()));
        std::vector<uint16_t> o(poison.size());
        CUDA_CHECK(cudaMemcpy(o.data(), d_o, o.size() * 2, cudaMemcpyDeviceToHost));
        bool untouched = true;
        for (auto x : o) untouched = untouched && x == kPoison16;
        const bool ok = got == c.expected && (writes_expected || untouched);
        if (!ok) {
            printf("STATUS %-24s %-44s got %d want %d%s  FAIL\n", v.name, c.what, (int)got, (int)c.expected,
                   (!writes_expected && !untouched) ? " (and O was written)" : "");
        }
        all_ok = all_ok && ok;
    }
    printf("STATUS %-24s %zu checks  %s\n", v.name, checks.size(), all_ok ? "PASS" : "FAIL");
    totals.cases++;
    if (!all_ok) {
        totals.failed++;
        totals.failures.push_back(std::string("status ") + v.name);
    }
    cudaFree(d_in); cudaFree(d_o); cudaFree(d_lse);
}

/* ------------------------------------------------------------------------------------------------------------
 * Timing.
 * ---------------------------------------------------------------------------------------------------------- */

#ifdef __CUDACC__
__global__ void fill_random_kernel(uint16_t *p, size_t n, uint64_t seed, int bf16) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ull;
        x ^= x >> 29;
        const float u = (float)(x >> 40) * (1.0f / 16777216.0f); /* [0, 1) */
        const float value = (x & 1) ? 0.05f + 0.95f * u : -(0.05f + 0.95f * u);
        if (bf16) {
            __nv_bfloat16_raw r = __float2bfloat16_rn(value);
            p[i] = r.x;
        } else {
            __half_raw r = __float2half_rn(value);
            p[i] = r.x;
        }
    }
}

#endif

struct TimingResult {
    std::string label;
    double ms, tflops;
};

static void run_timing(std::vector<TimingResult> &results, const char *only) {
#ifndef __CUDACC__
    (void)results;
    (void)only;
    printf("TIME skipped: built without nvcc (mock build)\n");
#else
    /* The timed variants: bf16, d = 64, 128, 256 and d = 192 with dv = 128, causal or not. Hidden size 2048
       (H = 2048 / d heads, rounded down), 16384 tokens (B = 16384 / N), as FlashAttention-3's benchmarks; the same
       shapes as anchor_sdpa.py. FLOPs = 2 B H N^2 (d + dv), halved for causal. */
    const char *const timed[] = {"hop_dense_d128_bf16",     "hop_causal_d128_bf16",    "hop_dense_d64_bf16",
                                 "hop_causal_d64_bf16",     "hop_dense_d256_bf16",     "hop_causal_d256_bf16",
                                 "hop_dense_d192v128_bf16", "hop_causal_d192v128_bf16"};
    const int64_t tokens = 16384, hidden = 2048;
    const size_t elems = (size_t)tokens * hidden; /* per tensor, for every d */
    uint16_t *q, *k, *vv, *o;
    float *lse;
    CUDA_CHECK(cudaMalloc(&q, elems * 2));
    CUDA_CHECK(cudaMalloc(&k, elems * 2));
    CUDA_CHECK(cudaMalloc(&vv, elems * 2));
    CUDA_CHECK(cudaMalloc(&o, elems * 2));
    CUDA_CHECK(cudaMalloc(&lse, (size_t)tokens * (hidden / 64) * 4)); /* the most heads: d = 64 */
    fill_random_kernel<<<1024, 256>>>(q, elems, 1, 1);
    fill_random_kernel<<<1024, 256>>>(k, elems, 2, 1);
    fill_random_kernel<<<1024, 256>>>(vv, elems, 3, 1);
    CUDA_CHECK(cudaDeviceSynchronize());
    cudaEvent_t start, stop;
    CUDA_CHECK(cudaEventCreate(&start));
    CUDA_CHECK(cudaEventCreate(&stop));
    for (const char *name : timed) {
        const Variant *v = NULL;
        for (const auto &candidate : kVariants)
            if (!strcmp(candidate.name, name)) v = &candidate;
        if (v == NULL) continue;
        if (only && !strstr(only, v->name) && !strstr(v->name, only)) continue;
        const int64_t d = v->d, dv = v->dv, H = hidden / d;
        for (int64_t N : {(int64_t)1024, (int64_t)2048, (int64_t)4096, (int64_t)16384}) {
            const int64_t B = tokens / N;
            attngen_forward_params p;
            memset(&p, 0, sizeof(p));
            p.struct_size = sizeof(p);
            p.batch = B;
            p.seqlen_q = p.seqlen_k = N;
            p.heads_q = p.heads_kv = (int32_t)H;
            p.q = q;
            p.k = k;
            p.v = vv;
            p.o = o;
            p.lse = v->lse ? lse : NULL;
            p.q_layout = p.k_layout = make_layout(BSHD, H, N, d);
            p.v_layout = p.o_layout = make_layout(BSHD, H, N, dv);
            p.lse_layout = make_lse_layout(BHSD, H, N);
            char label[128];
            snprintf(label, sizeof(label), "%s B=%lld H=%lld N=%lld d=%lld BSHD", v->name, (long long)B, (long long)H,
                     (long long)N, (long long)d);
            for (int i = 0; i < 3; ++i) {
                const attngen_status s = v->fn(&p, 0);
                if (s != ATTNGEN_OK) {
                    printf("TIME %s: status %d\n", label, (int)s);
                    return;
                }
                CUDA_CHECK(wait_or_die(0, 30.0, label));
            }
            std::vector<float> times;
            for (int i = 0; i < 20; ++i) {
                CUDA_CHECK(cudaEventRecord(start));
                v->fn(&p, 0);
                CUDA_CHECK(cudaEventRecord(stop));
                CUDA_CHECK(wait_or_die(0, 30.0, label));
                float ms = 0;
                CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
                times.push_back(ms);
            }
            std::sort(times.begin(), times.end());
            const double ms = 0.5 * (times[9] + times[10]);
            const double flops = 2.0 * B * H * (double)N * N * (d + dv) * (v->causal != NO_CAUSAL ? 0.5 : 1.0);
            const double tflops = flops / (ms * 1e-3) / 1e12;
            printf("TIME %-56s median %8.3f ms  %7.1f TFLOP/s  (min %.3f max %.3f ms)\n", label, ms, tflops, times[0],
                   times[19]);
            fflush(stdout);
            results.push_back({label, ms, tflops});
        }
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    cudaFree(q); cudaFree(k); cudaFree(vv); cudaFree(o); cudaFree(lse);
#endif
}

/* ------------------------------------------------------------------------------------------------------------
 * main.
 * ---------------------------------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    bool timing = true, sanitize = false;
    const char *only = NULL;
    uint64_t seed = 20261128;
    int64_t max_len = INT64_MAX;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--no-timing")) timing = false;
        else if (!strcmp(argv[i], "--sanitize")) { sanitize = true; timing = false; }
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--max-len") && i + 1 < argc) max_len = strtoll(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [--no-timing] [--sanitize] [--only NAMES] [--seed N] [--max-len N]\n", argv[0]);
            return 2;
        }
    }
    int device = 0;
    cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    printf("device: %s, sm_%d%d, %d SMs, %zu KB shared memory per block (opt-in); seed %llu\n", prop.name, prop.major,
           prop.minor, prop.multiProcessorCount, prop.sharedMemPerBlockOptin / 1024, (unsigned long long)seed);
    if (prop.major != 9 || prop.minor != 0) printf("WARNING: the kernels are built for sm_90a only\n");

    auto selected = [&](const Variant &v) {
        if (!only) return true;
        std::string list = only;
        size_t start = 0;
        while (start <= list.size()) {
            size_t comma = list.find(',', start);
            if (comma == std::string::npos) comma = list.size();
            const std::string item = list.substr(start, comma - start);
            if (!item.empty() && strstr(v.name, item.c_str())) return true;
            start = comma + 1;
        }
        return false;
    };

    Totals totals;
    /* 1. One-hot probes (dense variants): the two GEMM paths in isolation. */
    for (const auto &v : kVariants)
        if (selected(v) && is_dense(v)) run_probe(v, totals);
    /* 2. Status codes. */
    if (!sanitize)
        for (const auto &v : kVariants)
            if (selected(v)) run_status_checks(v, totals);

    /* 3. The matrix: B = 2, Hq = 4, Hkv = 2 (GQA), mixed Nq / Nk from {1, 17, 128, 129, 1000, 4096} and 0, in BHSD,
       BSHD (both alternating) and a padded layout. */
    struct Shape {
        int64_t nq, nk;
    };
    const std::vector<Shape> shapes = sanitize ? std::vector<Shape>{{129, 200}, {17, 0}, {200, 129}, {1, 17}}
                                               : std::vector<Shape>{{1, 1},       {17, 17},    {128, 128},  {129, 129},
                                                                    {1000, 1000}, {17, 1000},  {1000, 17},  {129, 4096},
                                                                    {4096, 129},  {4096, 4096}, {1, 4096},  {128, 0},
                                                                    {1000, 128},  {129, 1}};
    uint64_t case_seed = seed;
    for (const auto &v : kVariants) {
        if (!selected(v)) continue;
        for (size_t i = 0; i < shapes.size(); ++i) {
            const LayoutKind layout = (i % 2 == 0) ? BHSD : BSHD;
            ++case_seed;
            if (shapes[i].nq > max_len || shapes[i].nk > max_len) continue;
            run_case(v, 2, 4, 2, shapes[i].nq, shapes[i].nk, layout, case_seed, totals);
        }
        if (!sanitize) {
            run_case(v, 2, 4, 2, 300, 700, PADDED, ++case_seed, totals);
            run_case(v, 1, 3, 1, 257, 383, BSHD, ++case_seed, totals); /* MQA, odd head count */
            if (v.sparse_rows > 0) run_case(v, 2, 4, 2, 1000, 1000, BHSD, ++case_seed, totals, true);
        } else {
            run_case(v, 1, 2, 1, 150, 150, PADDED, ++case_seed, totals);
        }
    }

    /* 4. Timing. */
    std::vector<TimingResult> times;
    if (timing) {
        if (totals.failed > 0) printf("TIME (note: there are correctness failures above)\n");
        run_timing(times, only);
    }

    printf("\n==== SUMMARY ====\n");
    printf("checks: %d, passed: %d, failed: %d\n", totals.cases, totals.cases - totals.failed, totals.failed);
    printf("worst rel_max: bf16 %.2e, fp16 %.2e; worst LSE error %.2e\n", totals.worst_rel_max[BF16],
           totals.worst_rel_max[FP16], totals.worst_lse);
    for (const auto &f : totals.failures) printf("FAILED: %s\n", f.c_str());
    for (const auto &t : times) printf("TFLOP/s %7.1f  %s\n", t.tflops, t.label.c_str());
    printf("%s\n", totals.failed == 0 ? "ALL PASS" : "SOME FAILED");
    return totals.failed == 0 ? 0 : 1;
}
