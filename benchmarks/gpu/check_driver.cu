/*
 * The GPU check of the attngen CUDA backend (run by benchmarks/gpu/check.sh on a machine with a GPU).
 *
 * For every variant of kernels/check_variants.inc (written by Tests/AttnGenTests/CUDACompileTests.swift)
 * and a matrix of shapes (GQA at run time, Nq != Nk both ways, N = 1, Nk = 0, strided BSHD layouts,
 * several tiles), it draws fresh random inputs, runs the generated kernel, and compares O and the LSE with
 * the float64 reference of Tests/AttnGenTests/Fixtures/reference.c (its own Philox, its own masks). Outputs
 * are poisoned with NaN first, so an unwritten element fails. Dropout variants are also checked bit for bit:
 * with V one-hot, O[q][k] is zero exactly where the element was dropped (or masked), and that pattern must
 * equal the reference's attngen_reference_dropout_keeps for every (q, k). Decoding shapes (at most 16 query
 * rows: the decode kernel) run without and with the forward workspace (keys split across blocks, merged by the
 * combine kernel); the public combine call is checked on random partials against a double-precision merge.
 * Variable-length batches (README.md, "Variable-length batches") pack the queries, the keys or both of ragged
 * sequences (the longest, an empty one, one of one row or key, one of a random length; query and key counts differ
 * in every sequence), with rows before the first sequence and after the last that the kernels must leave poisoned,
 * through the tiled kernel and the decode kernel (with and without split keys). It also checks the Philox known
 * answer on the device and the launcher's argument errors.
 *
 *   check_driver [--quick] [--only NAME[,NAME...]] [--seed N] [--bench]
 *
 * --quick runs two small shapes (for compute-sanitizer); --bench times the bench_* variants at the shapes of
 * ANCHORS.md (16k tokens, hidden 2048) with CUDA events. Exit status 0 when every check passes.
 */
#include <cuda_runtime.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "attngen_runtime_cuda.cuh"
#include "reference.h"

typedef attngen_status (*check_launcher)(const attngen_forward_params *, cudaStream_t);
typedef size_t (*check_workspace_size)(const attngen_forward_params *);
typedef attngen_status (*check_combine)(const attngen_combine_params *, cudaStream_t);
typedef void (*check_setup)(attngen_reference_spec *);

typedef struct check_variant {
    const char *name;
    check_launcher launch;
    check_workspace_size workspace_size;
    check_combine combine;
    check_setup setup;
    int storage;
    int head_dim;
    int value_head_dim;
    int fixed_heads_q;
    int fixed_heads_kv;
    int saves_lse;
    int sparse_rows;
    int sparse_columns;
    double dropout;
    int masked;
    int tile_rows;
    int tile_columns;
    int decodes; /* 1: the variant has a decode kernel (which also runs calls with seqlens_k) */
    int page_size; /* > 0: K and V come from a paged cache */
    int score_parameters; /* run-time arrays of the score modifiers (heads_q fp32 values each) */
    int sinks;            /* 1: attention sinks (heads_q fp32 logits) */
} check_variant;

#include "check_variants.inc"

#define CUDA_CHECK(call)                                                                          \
    do {                                                                                          \
        cudaError_t status_ = (call);                                                             \
        if (status_ != cudaSuccess) {                                                             \
            fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorName(status_), __FILE__, \
                    __LINE__, cudaGetErrorString(status_));                                       \
            exit(2);                                                                              \
        }                                                                                         \
    } while (0)

/* ---------------------------------------------------------------------------------------------- */
/* Random inputs (splitmix64 + Box-Muller), quantized to the storage type.                           */

static uint64_t rng_state = 0;

static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_uniform(void) { return ((rng_next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }

static double rng_normal(void) {
    double u = rng_uniform(), v = rng_uniform();
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static size_t element_bytes(int storage) { return storage == ATTNGEN_REFERENCE_FP32 ? 4 : 2; }

static void store_element(void *base, int storage, int64_t index, float value) {
    if (storage == ATTNGEN_REFERENCE_FP32) {
        ((float *)base)[index] = value;
    } else if (storage == ATTNGEN_REFERENCE_FP16) {
        ((uint16_t *)base)[index] = attngen_reference_float_to_half(value);
    } else {
        ((uint16_t *)base)[index] = attngen_reference_float_to_bfloat(value);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Shapes.                                                                                           */

typedef struct check_shape {
    int64_t batch, heads_q, heads_kv, seqlen_q, seqlen_k;
    int bshd; /* 1: [B, S, H, D] layouts (strided rows), 0: [B, H, S, D] */
    int o_misaligned; /* 1: O starts one element past a 16-byte boundary (the kernels' unaligned store path) */
    int workspace;    /* WORKSPACE_ASKED: pass the forward workspace the variant asks for (split-KV decoding), filled
                         with 0xFF, and run the call three times: plainly, then twice as a replayed CUDA graph;
                         WORKSPACE_SHORT: 8 bytes less than asked (the launcher splits the keys fewer ways) */
    int used_keys;    /* 1: per-sequence key counts (seqlens_k): sequence 0 all keys, 1 none, the others random */
    int packed;       /* variable-length batch: PACK_QUERIES (cu_seqlens_q) and / or PACK_KEYS (cu_seqlens_k); seqlen_q
                         and seqlen_k are the longest sequence's (sequence_length) */
} check_shape;

enum { PACK_QUERIES = 1, PACK_KEYS = 2 };
enum { WORKSPACE_ASKED = 1, WORKSPACE_SHORT = 2 };

/* The length of sequence b of a variable-length batch with the given longest length: the longest, none, one, a
   random one, in turn (rotated by `shift`, so that the query and key counts of a sequence differ). */
static int64_t sequence_length(int64_t b, int64_t longest, int shift) {
    switch ((b + shift) % 4) {
        case 0: return longest;
        case 1: return 0;
        case 2: return std::min<int64_t>(1, longest);
        default: return longest > 1 ? 1 + (int64_t)(rng_next() % (uint64_t)(longest - 1)) : longest;
    }
}

static const check_shape full_shapes[] = {
    {2, 4, 2, 128, 128, 0},   /* GQA at run time, whole tiles */
    {1, 2, 2, 77, 203, 1},    /* Nq < Nk, partial tiles, BSHD */
    {1, 2, 1, 203, 77, 0},    /* Nq > Nk: bottom-right rows with no key */
    {1, 1, 1, 1, 1, 0},       /* N = 1 */
    {1, 2, 2, 1, 300, 1},     /* decoding: one query against many keys */
    {1, 2, 2, 5, 0, 0},       /* Nk = 0: O = 0, LSE = -inf */
    {1, 3, 3, 517, 389, 0},   /* several tiles through the cp.async ring */
    {1, 2, 2, 150, 150, 0, 1}, /* O not 16-byte aligned */
    /* Decoding (at most 16 query rows: the decode kernel), unsplit and with the workspace (split keys). */
    {2, 8, 2, 1, 5000, 0, 0, 0},   /* GQA 4:1, one query row, unsplit */
    {2, 8, 2, 1, 5000, 0, 0, 1},   /* the same, keys split */
    {1, 4, 1, 7, 1000, 1, 0, 1},   /* MQA, 7 query rows (speculative decoding): 28 packed rows, 2 row tiles */
    {3, 6, 3, 16, 777, 1, 1, 1},   /* 16 query rows, partial tiles, O unaligned */
    {1, 32, 8, 1, 20011, 1, 0, 1}, /* GQA 32/8, long cache */
    {2, 3, 3, 3, 40, 0, 0, 1},     /* MHA, fewer keys than one tile */
    {4, 8, 2, 1, 3000, 1, 0, 1, 1}, /* decoding with per-sequence cache lengths (seqlens_k), keys split */
    {2, 8, 2, 1, 5000, 1, 1, WORKSPACE_SHORT}, /* a workspace short of the asked size: fewer splits */
    {4, 4, 4, 37, 500, 0, 0, 0, 1}, /* the tiled kernel with per-sequence key counts */
    /* More (batch, key/value head) units than block slots: several waves of decode blocks (partial last tiles, and
       units without keys among them). */
    {40, 8, 8, 1, 1000, 0, 0, 0},     /* MHA, 320 units */
    {36, 16, 4, 1, 2500, 1, 0, 1, 1}, /* GQA 4:1, 144 units, per-sequence key counts (some none), workspace given */
    {80, 8, 2, 9, 600, 0, 1, 0},      /* 36 packed rows (the wide shape), 160 units, O unaligned */
    /* Variable-length batches: packed queries, keys or both, ragged (an empty sequence, one of one row). */
    {4, 4, 2, 203, 150, 0, 0, 0, 0, PACK_QUERIES | PACK_KEYS}, /* GQA, partial tiles, BHSD packing */
    {5, 2, 2, 130, 301, 1, 1, 0, 0, PACK_QUERIES | PACK_KEYS}, /* BSHD packing, O unaligned */
    {4, 3, 3, 257, 190, 0, 0, 0, 0, PACK_QUERIES},             /* queries packed, keys batch_stride apart */
    {4, 2, 1, 66, 333, 1, 0, 0, 0, PACK_KEYS},                 /* keys packed, MQA */
    {8, 8, 2, 5, 3000, 1, 0, 0, 0, PACK_QUERIES | PACK_KEYS},  /* the decode kernel, unsplit */
    {8, 8, 2, 5, 3000, 1, 0, 1, 0, PACK_QUERIES | PACK_KEYS},  /* the decode kernel, keys split and merged */
    {4, 4, 4, 3, 700, 0, 1, 1, 1, PACK_QUERIES},               /* the decode kernel with seqlens_k, split */
};
static const check_shape quick_shapes[] = {
    {1, 2, 2, 77, 203, 1},
    {1, 4, 1, 7, 300, 1, 0, 1}, /* the decode kernel with split keys */
    {1, 2, 1, 130, 130, 0},
    {1, 2, 2, 77, 203, 1, 1},
    {4, 2, 2, 90, 70, 1, 0, 0, 0, PACK_QUERIES | PACK_KEYS}, /* a variable-length batch */
    {4, 4, 2, 3, 300, 0, 0, 1, 0, PACK_QUERIES | PACK_KEYS}, /* the same through the decode kernel, split */
};

/* ---------------------------------------------------------------------------------------------- */
/* One run of one variant on one shape.                                                              */

typedef struct check_result {
    double rel_error;      /* ||O - ref|| / ||ref|| (0 when ref is 0) */
    double max_abs_error;  /* max |O - ref| */
    double lse_error;      /* max |LSE - ref| over finite entries */
    int bad;               /* NaN/unwritten elements, -inf mismatches, launch errors */
} check_result;

static void fill_layout(attngen_layout *layout, const check_shape &s, int64_t heads, int64_t rows, int64_t dim) {
    if (s.bshd) {
        layout->row_stride = heads * dim;
        layout->head_stride = dim;
        layout->batch_stride = rows * heads * dim;
    } else {
        layout->row_stride = dim;
        layout->head_stride = rows * dim;
        layout->batch_stride = heads * rows * dim;
    }
}

/* v_one_hot: V[b][h][k][j] = (j == k) (the dropout pattern check); q_scale shrinks Q. */
static check_result run_case(const check_variant &variant, check_shape shape, int v_one_hot, double q_scale,
                             uint64_t seed, uint64_t offset, std::vector<uint8_t> *dropped_pattern) {
    check_result result = {0, 0, 0, 0};
    if (variant.fixed_heads_q > 0) {
        shape.heads_q = variant.fixed_heads_q;
        shape.heads_kv = variant.fixed_heads_kv;
    }
    const int d = variant.head_dim, dv = variant.value_head_dim, st = variant.storage;
    const size_t eb = element_bytes(st);
    const int64_t nq_elems = shape.batch * shape.heads_q * shape.seqlen_q; /* rows of the dense reference */
    /* A variable-length batch: the prefix sums of the packed sides, the first sequence at row 3 (Q, O, LSE) or 2
       (K, V) and rows after the last, which belong to no sequence (O and LSE there must stay poisoned). */
    const bool packs_q = (shape.packed & PACK_QUERIES) != 0, packs_k = (shape.packed & PACK_KEYS) != 0;
    std::vector<int32_t> cu_q, cu_k;
    if (packs_q) {
        cu_q.push_back(3);
        for (int64_t b = 0; b < shape.batch; ++b) cu_q.push_back(cu_q.back() + (int32_t)sequence_length(b, shape.seqlen_q, 0));
    }
    if (packs_k) {
        cu_k.push_back(2);
        for (int64_t b = 0; b < shape.batch; ++b) cu_k.push_back(cu_k.back() + (int32_t)sequence_length(b, shape.seqlen_k, 1));
    }
    const int64_t total_q = packs_q ? cu_q.back() + 5 : 0, total_k = packs_k ? cu_k.back() + 4 : 0;
    /* A paged variant: K and V are pools of pages (each sequence's pages shuffled, one spare page). */
    const int64_t page = variant.page_size;
    const int64_t pages_per_sequence = page > 0 ? (shape.seqlen_k + page - 1) / page : 0;
    const int64_t num_pages = page > 0 ? shape.batch * pages_per_sequence + 1 : 0;
    const int64_t kv_outer = page > 0 ? num_pages : (packs_k ? 1 : shape.batch);
    const int64_t kv_rows = page > 0 ? page : (packs_k ? total_k : shape.seqlen_k);
    const int64_t nk_elems = kv_outer * shape.heads_kv * kv_rows;
    /* Rows of Q, O and LSE: [batch][heads_q][seqlen_q], or packed [heads_q][total_q]. */
    const int64_t q_outer = packs_q ? 1 : shape.batch, q_rows = packs_q ? total_q : shape.seqlen_q;
    const int64_t q_side = q_outer * shape.heads_q * q_rows;
    const size_t q_bytes = (size_t)(q_side * d) * eb, k_bytes = (size_t)(nk_elems * d) * eb;
    const size_t v_bytes = (size_t)(nk_elems * dv) * eb, o_bytes = (size_t)(q_side * dv) * eb;
    std::vector<uint8_t> hq(q_bytes + 16), hk(k_bytes + 16), hv(v_bytes + 16), ho(o_bytes + 16);
    std::vector<float> hlse((size_t)q_side + 1);

    attngen_forward_params p;
    memset(&p, 0, sizeof(p));
    p.struct_size = sizeof(p);
    p.batch = shape.batch;
    p.seqlen_q = shape.seqlen_q;
    p.seqlen_k = shape.seqlen_k;
    p.heads_q = (int32_t)shape.heads_q;
    p.heads_kv = (int32_t)shape.heads_kv;
    fill_layout(&p.q_layout, shape, shape.heads_q, q_rows, d);
    fill_layout(&p.k_layout, shape, shape.heads_kv, kv_rows, d);
    fill_layout(&p.v_layout, shape, shape.heads_kv, kv_rows, dv);
    std::vector<int32_t> hpages;
    if (page > 0) {
        std::vector<int32_t> order((size_t)num_pages);
        for (int64_t i = 0; i < num_pages; ++i) order[(size_t)i] = (int32_t)i;
        for (int64_t i = num_pages - 1; i > 0; --i) std::swap(order[(size_t)i], order[(size_t)(rng_next() % (uint64_t)(i + 1))]);
        hpages.assign((size_t)(shape.batch * (pages_per_sequence + 1)), -7); /* one unused entry per row */
        for (int64_t b = 0; b < shape.batch; ++b)
            for (int64_t i = 0; i < pages_per_sequence; ++i)
                hpages[(size_t)(b * (pages_per_sequence + 1) + i)] = order[(size_t)(b * pages_per_sequence + i)];
        p.page_table_stride = pages_per_sequence + 1;
        p.num_pages = num_pages;
    }
    fill_layout(&p.o_layout, shape, shape.heads_q, q_rows, dv);
    p.lse_layout.row_stride = 1;
    p.lse_layout.head_stride = q_rows;
    p.lse_layout.batch_stride = shape.heads_q * q_rows;
    p.dropout_seed = seed;
    p.dropout_offset = offset;
    /* Packed tensors: batch_stride is not used; an odd value shows any kernel that reads it. */
    if (packs_q) {
        p.total_q = total_q;
        p.q_layout.batch_stride = p.o_layout.batch_stride = p.lse_layout.batch_stride = 1000003;
    }
    if (packs_k) {
        p.total_k = total_k;
        p.k_layout.batch_stride = p.v_layout.batch_stride = 1000003;
    }

    for (int64_t i = 0; i < q_side * d; ++i) store_element(hq.data(), st, i, (float)(q_scale * rng_normal()));
    for (int64_t i = 0; i < nk_elems * d; ++i) store_element(hk.data(), st, i, (float)rng_normal());
    if (v_one_hot) {
        /* element (b, h, k, j) = (j == k), through the V layout */
        memset(hv.data(), 0, v_bytes);
        for (int64_t b = 0; b < shape.batch; ++b)
            for (int64_t h = 0; h < shape.heads_kv; ++h)
                for (int64_t k = 0; k < shape.seqlen_k && k < dv; ++k)
                    store_element(hv.data(), st,
                                  b * p.v_layout.batch_stride + h * p.v_layout.head_stride + k * p.v_layout.row_stride + k,
                                  1.0f);
    } else {
        for (int64_t i = 0; i < nk_elems * dv; ++i) store_element(hv.data(), st, i, (float)rng_normal());
    }

    /* Block-sparse layout: one byte per (b, h, block row, block column), about 60% kept. */
    std::vector<uint8_t> hmask;
    if (variant.sparse_rows > 0) {
        const int64_t rows = (shape.seqlen_q + variant.sparse_rows - 1) / variant.sparse_rows;
        const int64_t cols = (shape.seqlen_k + variant.sparse_columns - 1) / variant.sparse_columns;
        hmask.resize((size_t)std::max<int64_t>(1, shape.batch * shape.heads_q * rows * cols));
        for (auto &byte : hmask) byte = rng_uniform() < 0.6 ? (uint8_t)(1 + rng_next() % 200) : 0;
        p.block_mask_layout.row_stride = cols;
        p.block_mask_layout.head_stride = rows * cols;
        p.block_mask_layout.batch_stride = shape.heads_q * rows * cols;
    }

    /* The score modifiers' run-time arrays: values in [0.25, 1), on the host for the reference and on the device. */
    std::vector<float> hparameters((size_t)(variant.score_parameters * shape.heads_q) + 1);
    for (auto &value : hparameters) value = (float)(0.25 + 0.75 * rng_uniform());
    float *dparameters = NULL;
    CUDA_CHECK(cudaMalloc((void **)&dparameters, hparameters.size() * sizeof(float)));
    CUDA_CHECK(cudaMemcpy(dparameters, hparameters.data(), hparameters.size() * sizeof(float), cudaMemcpyHostToDevice));
    if (variant.score_parameters > 0) p.score_parameters = hparameters.data(); /* the device copy goes to dp */
    /* Sink logits: in [-1, 3), -inf (no sink) for every fourth head; host copy for the reference, device for dp. */
    std::vector<float> hsinks((size_t)shape.heads_q + 1);
    for (size_t h = 0; h < hsinks.size(); ++h) hsinks[h] = h % 4 == 3 ? -INFINITY : (float)(-1.0 + 4.0 * rng_uniform());
    float *dsinks = NULL;
    CUDA_CHECK(cudaMalloc((void **)&dsinks, hsinks.size() * sizeof(float)));
    CUDA_CHECK(cudaMemcpy(dsinks, hsinks.data(), hsinks.size() * sizeof(float), cudaMemcpyHostToDevice));
    if (variant.sinks) p.sinks = hsinks.data();

    /* Device copies; O and LSE poisoned with NaN (all bits set). */
    void *dq = NULL, *dk = NULL, *dvv = NULL, *dout = NULL;
    float *dlse = NULL;
    uint8_t *dmask = NULL;
    CUDA_CHECK(cudaMalloc(&dq, q_bytes + 16));
    CUDA_CHECK(cudaMalloc(&dk, k_bytes + 16));
    CUDA_CHECK(cudaMalloc(&dvv, v_bytes + 16));
    CUDA_CHECK(cudaMalloc(&dout, o_bytes + 16));
    CUDA_CHECK(cudaMalloc((void **)&dlse, ((size_t)q_side + 1) * sizeof(float)));
    CUDA_CHECK(cudaMemcpy(dq, hq.data(), q_bytes, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemcpy(dk, hk.data(), k_bytes, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemcpy(dvv, hv.data(), v_bytes, cudaMemcpyHostToDevice));
    /* O (and the 16 bytes past it) and LSE poisoned before a launch: an element the kernel did not write shows. */
    auto poison_outputs = [&](cudaStream_t stream) {
        CUDA_CHECK(cudaMemsetAsync(dout, 0xFF, o_bytes + 16, stream));
        CUDA_CHECK(cudaMemsetAsync(dlse, 0xFF, ((size_t)q_side + 1) * sizeof(float), stream));
    };
    poison_outputs(0);
    if (!hmask.empty()) {
        CUDA_CHECK(cudaMalloc((void **)&dmask, hmask.size()));
        CUDA_CHECK(cudaMemcpy(dmask, hmask.data(), hmask.size(), cudaMemcpyHostToDevice));
    }
    /* Per-sequence key counts: a host copy for the reference, a device copy for the kernel. */
    std::vector<int32_t> hseqlens;
    int32_t *dseqlens = NULL;
    if (shape.used_keys) {
        for (int64_t b = 0; b < shape.batch; ++b) {
            hseqlens.push_back(b == 0 ? (int32_t)shape.seqlen_k
                                      : (b == 1 ? 0 : (int32_t)(rng_next() % (uint64_t)(shape.seqlen_k + 1))));
        }
        CUDA_CHECK(cudaMalloc((void **)&dseqlens, hseqlens.size() * sizeof(int32_t)));
        CUDA_CHECK(cudaMemcpy(dseqlens, hseqlens.data(), hseqlens.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
    }
    /* The prefix sums of a variable-length batch, on the device. */
    int32_t *dcu_q = NULL, *dcu_k = NULL;
    if (packs_q) {
        CUDA_CHECK(cudaMalloc((void **)&dcu_q, cu_q.size() * sizeof(int32_t)));
        CUDA_CHECK(cudaMemcpy(dcu_q, cu_q.data(), cu_q.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
    }
    if (packs_k) {
        CUDA_CHECK(cudaMalloc((void **)&dcu_k, cu_k.size() * sizeof(int32_t)));
        CUDA_CHECK(cudaMemcpy(dcu_k, cu_k.data(), cu_k.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
    }
    int32_t *dpages = NULL;
    if (!hpages.empty()) {
        CUDA_CHECK(cudaMalloc((void **)&dpages, hpages.size() * sizeof(int32_t)));
        CUDA_CHECK(cudaMemcpy(dpages, hpages.data(), hpages.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
    }
    attngen_forward_params dp = p;
    dp.score_parameters = variant.score_parameters > 0 ? dparameters : NULL;
    dp.sinks = variant.sinks ? dsinks : NULL;
    dp.seqlens_k = dseqlens;
    dp.cu_seqlens_q = dcu_q;
    dp.cu_seqlens_k = dcu_k;
    dp.page_table = dpages;
    dp.q = dq;
    dp.k = dk;
    dp.v = dvv;
    const size_t o_offset = shape.o_misaligned ? eb : 0;
    dp.o = (uint8_t *)dout + o_offset;
    dp.lse = dlse;
    dp.block_mask = dmask;
    void *dworkspace = NULL;
    if (shape.workspace) {
        size_t bytes = variant.workspace_size(&dp);
        if (bytes == SIZE_MAX) result.bad++;
        if (shape.workspace == WORKSPACE_SHORT && bytes != SIZE_MAX) bytes = bytes > 8 ? bytes - 8 : 0;
        if (bytes > 0 && bytes != SIZE_MAX) {
            CUDA_CHECK(cudaMalloc(&dworkspace, bytes));
            CUDA_CHECK(cudaMemset(dworkspace, 0xFF, bytes)); /* NaN: a partial the kernel did not write shows */
            dp.workspace = dworkspace;
            dp.workspace_size = bytes;
        }
    }
    attngen_status status = variant.launch(&dp, 0);
    if (status == ATTNGEN_OK && shape.workspace == WORKSPACE_ASKED && dworkspace != NULL) {
        /* The same call captured in a CUDA graph (global capture mode, as torch.cuda.graph's default: the launcher's
           host calls must be legal there, and the combine kernel's programmatic dependent launch becomes a graph
           edge) and replayed twice on the workspace the first run left; O and LSE are poisoned before each replay,
           so the second replay's results are what is checked. */
        cudaStream_t stream;
        cudaGraph_t graph;
        cudaGraphExec_t executable;
        CUDA_CHECK(cudaDeviceSynchronize());
        CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
        CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
        status = variant.launch(&dp, stream);
        CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
        CUDA_CHECK(cudaGraphInstantiate(&executable, graph, 0));
        for (int replay = 0; replay < 2; ++replay) {
            poison_outputs(stream);
            CUDA_CHECK(cudaGraphLaunch(executable, stream));
            CUDA_CHECK(cudaStreamSynchronize(stream));
        }
        CUDA_CHECK(cudaGraphExecDestroy(executable));
        CUDA_CHECK(cudaGraphDestroy(graph));
        CUDA_CHECK(cudaStreamDestroy(stream));
    }
    if ((shape.used_keys && !variant.decodes) || (packs_k && page > 0)) {
        /* seqlens_k needs the decode kernel, and a paged cache takes no cu_seqlens_k: refused, and nothing written
           (O stays poisoned). */
        if (status != ATTNGEN_ERROR_UNSUPPORTED) result.bad++;
        CUDA_CHECK(cudaDeviceSynchronize());
        std::vector<uint8_t> untouched(o_bytes);
        CUDA_CHECK(cudaMemcpy(untouched.data(), (uint8_t *)dout + o_offset, o_bytes, cudaMemcpyDeviceToHost));
        for (uint8_t byte : untouched) result.bad += byte != 0xFF;
        cudaFree(dq); cudaFree(dk); cudaFree(dvv); cudaFree(dout); cudaFree(dlse);
        if (dmask) cudaFree(dmask);
        if (dworkspace) cudaFree(dworkspace);
        if (dseqlens) cudaFree(dseqlens);
        if (dcu_q) cudaFree(dcu_q);
        if (dcu_k) cudaFree(dcu_k);
        if (dpages) cudaFree(dpages);
        cudaFree(dparameters);
        cudaFree(dsinks);
        return result;
    }
    if (status != ATTNGEN_OK) {
        fprintf(stderr, "%s: launcher returned %d\n", variant.name, (int)status);
        result.bad++;
    }
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaDeviceSynchronize());
    CUDA_CHECK(cudaMemcpy(ho.data(), (uint8_t *)dout + o_offset, o_bytes + 16 - o_offset, cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaMemcpy(hlse.data(), dlse, ((size_t)q_side + 1) * sizeof(float), cudaMemcpyDeviceToHost));
    cudaFree(dq);
    cudaFree(dk);
    cudaFree(dvv);
    cudaFree(dout);
    cudaFree(dlse);
    if (dmask) cudaFree(dmask);
    if (dworkspace) cudaFree(dworkspace);
    if (dseqlens) cudaFree(dseqlens);
    if (dcu_q) cudaFree(dcu_q);
    if (dcu_k) cudaFree(dcu_k);
    if (dpages) cudaFree(dpages);
    cudaFree(dparameters);
    cudaFree(dsinks);

    /* The float64 reference on the host copies. */
    attngen_reference_spec spec;
    variant.setup(&spec);
    attngen_forward_params hp = p;
    hp.q = hq.data();
    hp.k = hk.data();
    hp.v = hv.data();
    hp.o = NULL;
    hp.lse = NULL;
    hp.block_mask = hmask.empty() ? NULL : hmask.data();
    hp.seqlens_k = hseqlens.empty() ? NULL : hseqlens.data();
    hp.cu_seqlens_q = packs_q ? cu_q.data() : NULL;
    hp.cu_seqlens_k = packs_k ? cu_k.data() : NULL;
    hp.page_table = hpages.empty() ? NULL : hpages.data();
    std::vector<double> ref_o((size_t)std::max<int64_t>(1, nq_elems * dv)), ref_lse((size_t)std::max<int64_t>(1, nq_elems));
    if (nq_elems > 0 && attngen_reference_forward(&hp, &spec, ref_o.data(), ref_lse.data(), NULL) != 0) {
        fprintf(stderr, "%s: the reference failed\n", variant.name);
        result.bad++;
        return result;
    }

    /* Compare: the reference is dense [b][h][q][j] (rows past a shorter sequence's end unused); the kernel's O goes
       through o_layout, row q of batch b or packed row cu_q[b] + q. Every element of O and LSE that belongs to no
       sequence's row must stay poisoned. */
    double diff2 = 0, ref2 = 0;
    std::vector<uint8_t> o_written((size_t)q_side * dv, 0), lse_written((size_t)q_side, 0);
    for (int64_t b = 0; b < shape.batch; ++b)
        for (int64_t h = 0; h < shape.heads_q; ++h)
            for (int64_t q = 0; q < (packs_q ? cu_q[(size_t)b + 1] - cu_q[(size_t)b] : shape.seqlen_q); ++q) {
                const int64_t row = (b * shape.heads_q + h) * shape.seqlen_q + q;
                const int64_t batch_index = packs_q ? 0 : b, packed_row = packs_q ? cu_q[(size_t)b] + q : q;
                for (int64_t j = 0; j < dv; ++j) {
                    const int64_t at = batch_index * p.o_layout.batch_stride + h * p.o_layout.head_stride +
                                       packed_row * p.o_layout.row_stride + j;
                    o_written[(size_t)at] = 1;
                    const double got = attngen_reference_load(ho.data(), st, at);
                    const double want = ref_o[(size_t)(row * dv + j)];
                    if (!isfinite(got)) {
                        result.bad++;
                        continue;
                    }
                    diff2 += (got - want) * (got - want);
                    ref2 += want * want;
                    result.max_abs_error = std::max(result.max_abs_error, fabs(got - want));
                    if (dropped_pattern && j < shape.seqlen_k && row < (int64_t)dropped_pattern->size() / std::max<int64_t>(1, shape.seqlen_k)) {
                        (*dropped_pattern)[(size_t)(row * shape.seqlen_k + j)] = got == 0.0 ? 1 : 0;
                    }
                }
                if (variant.saves_lse) {
                    const int64_t at = batch_index * p.lse_layout.batch_stride + h * p.lse_layout.head_stride + packed_row;
                    lse_written[(size_t)at] = 1;
                    const double got = hlse[(size_t)at];
                    const double want = ref_lse[(size_t)row];
                    if (isinf(want) || isinf(got)) {
                        if (!(isinf(want) && isinf(got) && want < 0 && got < 0)) result.bad++;
                    } else if (isnan(got)) {
                        result.bad++;
                    } else {
                        result.lse_error = std::max(result.lse_error, fabs(got - want));
                    }
                }
            }
    if (!isfinite(diff2)) result.bad++;
    result.rel_error = ref2 > 0 ? sqrt(diff2 / ref2) : sqrt(diff2);
    /* Poison past the end, and in a variable-length batch outside the sequences' rows, must be untouched. */
    for (size_t i = o_bytes; i < o_bytes + 16 - o_offset; ++i) if (ho[i] != 0xFF) result.bad++;
    if (packs_q) {
        int untouched_bad = 0;
        for (size_t i = 0; i < o_written.size(); ++i) {
            if (o_written[i]) continue;
            for (size_t byte = 0; byte < eb; ++byte) untouched_bad += ho[i * eb + byte] != 0xFF;
        }
        for (size_t i = 0; i < lse_written.size() && variant.saves_lse; ++i) {
            uint32_t bits;
            memcpy(&bits, &hlse[i], 4);
            untouched_bad += !lse_written[i] && bits != 0xFFFFFFFFu;
        }
        if (untouched_bad) fprintf(stderr, "%s: %d bytes outside the sequences' rows written\n", variant.name, untouched_bad);
        result.bad += untouched_bad;
    }
    return result;
}

/* Dropout bit check: V one-hot and tiny Q, then O[q][k] == 0 exactly where dropout (or a mask) drops. */
static int check_dropout_pattern(const check_variant &variant, uint64_t seed, uint64_t offset) {
    const int64_t nk = std::min<int64_t>(variant.value_head_dim, 100);
    check_shape shape = {2, 3, 3, 150, nk, 0};
    if (variant.fixed_heads_q > 0) {
        shape.heads_q = variant.fixed_heads_q;
        shape.heads_kv = variant.fixed_heads_kv;
    }
    std::vector<uint8_t> zero((size_t)(shape.batch * shape.heads_q * shape.seqlen_q * nk), 0);
    run_case(variant, shape, 1, 0.01, seed, offset, &zero);
    attngen_reference_spec spec;
    variant.setup(&spec);
    attngen_forward_params p;
    memset(&p, 0, sizeof(p));
    p.struct_size = sizeof(p);
    p.batch = shape.batch;
    p.seqlen_q = shape.seqlen_q;
    p.seqlen_k = nk;
    p.heads_q = (int32_t)shape.heads_q;
    p.heads_kv = (int32_t)shape.heads_kv;
    p.dropout_seed = seed;
    p.dropout_offset = offset;
    int mismatches = 0;
    int64_t dropped = 0;
    for (int64_t b = 0; b < shape.batch; ++b)
        for (int64_t h = 0; h < shape.heads_q; ++h)
            for (int64_t q = 0; q < shape.seqlen_q; ++q)
                for (int64_t k = 0; k < nk; ++k) {
                    const int kept = attngen_reference_keeps(&p, &spec, b, h, q, k) &&
                                     attngen_reference_dropout_keeps(&p, spec.dropout_threshold, b, h, q, k);
                    const int64_t row = (b * shape.heads_q + h) * shape.seqlen_q + q;
                    const int got_zero = zero[(size_t)(row * nk + k)];
                    if (got_zero == kept) mismatches++;
                    dropped += !kept;
                }
    printf("  dropout pattern %s: %lld of %lld elements dropped or masked, %d mismatches\n", variant.name,
           (long long)dropped, (long long)(shape.batch * shape.heads_q * shape.seqlen_q * nk), mismatches);
    return mismatches;
}

/* ---------------------------------------------------------------------------------------------- */
/* Philox known answer on the device.                                                                */

__global__ void philox_known_answer(uint32_t *out) {
    const attngen_philox_words words = attngen_philox4x32_10(0, 0, 0, 0, 0, 0);
    for (int i = 0; i < 4; ++i) out[i] = words.w[i];
}

static int check_philox(void) {
    uint32_t *d = NULL, h[4];
    CUDA_CHECK(cudaMalloc((void **)&d, sizeof(h)));
    philox_known_answer<<<1, 1>>>(d);
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaMemcpy(h, d, sizeof(h), cudaMemcpyDeviceToHost));
    cudaFree(d);
    const uint32_t want[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};
    const int ok = memcmp(h, want, sizeof(h)) == 0;
    printf("philox known answer on the device: %08x %08x %08x %08x: %s\n", h[0], h[1], h[2], h[3], ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}

/* ---------------------------------------------------------------------------------------------- */
/* The launcher's argument errors.                                                                   */

static int check_errors(const check_variant &variant) {
    void *buffer = NULL;
    float *lse = NULL;
    CUDA_CHECK(cudaMalloc(&buffer, 1 << 20));
    CUDA_CHECK(cudaMalloc((void **)&lse, 1 << 12));
    attngen_forward_params good;
    memset(&good, 0, sizeof(good));
    check_shape s = {1, 2, 2, 8, 8, 0};
    if (variant.fixed_heads_q > 0) {
        s.heads_q = variant.fixed_heads_q;
        s.heads_kv = variant.fixed_heads_kv;
    }
    good.struct_size = sizeof(good);
    good.batch = s.batch;
    good.seqlen_q = s.seqlen_q;
    good.seqlen_k = s.seqlen_k;
    good.heads_q = (int32_t)s.heads_q;
    good.heads_kv = (int32_t)s.heads_kv;
    good.q = good.k = good.v = buffer;
    good.o = buffer;
    good.lse = lse;
    good.block_mask = (const uint8_t *)buffer;
    good.score_parameters = (const float *)buffer;
    good.sinks = (const float *)buffer;
    fill_layout(&good.q_layout, s, s.heads_q, s.seqlen_q, variant.head_dim);
    fill_layout(&good.k_layout, s, s.heads_kv, s.seqlen_k, variant.head_dim);
    fill_layout(&good.v_layout, s, s.heads_kv, s.seqlen_k, variant.value_head_dim);
    fill_layout(&good.o_layout, s, s.heads_q, s.seqlen_q, variant.value_head_dim);
    good.lse_layout.row_stride = 1;
    good.lse_layout.head_stride = s.seqlen_q;
    good.lse_layout.batch_stride = s.heads_q * s.seqlen_q;
    int32_t *pages = NULL;
    if (variant.page_size > 0) {
        /* one page of page_size rows for K and V, every entry of the page table naming it */
        CUDA_CHECK(cudaMalloc((void **)&pages, 64 * sizeof(int32_t)));
        CUDA_CHECK(cudaMemset(pages, 0, 64 * sizeof(int32_t)));
        good.page_table = pages;
        good.page_table_stride = (s.seqlen_k + variant.page_size - 1) / variant.page_size;
        good.num_pages = 1;
        fill_layout(&good.k_layout, s, s.heads_kv, variant.page_size, variant.head_dim);
        fill_layout(&good.v_layout, s, s.heads_kv, variant.page_size, variant.value_head_dim);
    }
    int failures = 0;
    auto expect = [&](const char *what, const attngen_forward_params *p, attngen_status want) {
        const attngen_status got = variant.launch(p, 0);
        if (got != want) {
            printf("  %s: %s returned %d, expected %d\n", variant.name, what, (int)got, (int)want);
            failures++;
        }
    };
    attngen_forward_params p = good;
    expect("valid call", &p, ATTNGEN_OK);
    expect("NULL params", NULL, ATTNGEN_ERROR_NULL_POINTER);
    p = good; p.struct_size -= 8; expect("struct_size", &p, ATTNGEN_ERROR_ABI_MISMATCH);
    p = good; p.batch = -1; expect("negative batch", &p, ATTNGEN_ERROR_INVALID_SIZE);
    p = good; p.seqlen_k = -3; expect("negative seqlen_k", &p, ATTNGEN_ERROR_INVALID_SIZE);
    /* heads_q = 0 with fixed heads differs from the spec's counts (checked first, attngen_abi.h's order); with
       run-time heads it is a zero head count. */
    p = good; p.heads_q = 0;
    expect("zero heads", &p, variant.fixed_heads_q > 0 ? ATTNGEN_ERROR_INVALID_HEADS : ATTNGEN_ERROR_INVALID_SIZE);
    p = good; p.heads_q = 3; p.heads_kv = 2; expect("3 heads over 2", &p, ATTNGEN_ERROR_INVALID_HEADS);
    if (variant.fixed_heads_q > 0) {
        p = good; p.heads_q = variant.fixed_heads_q * 2; expect("other fixed heads", &p, ATTNGEN_ERROR_INVALID_HEADS);
    }
    p = good; p.q = NULL; expect("NULL q", &p, ATTNGEN_ERROR_NULL_POINTER);
    p = good; p.o = NULL; expect("NULL o", &p, ATTNGEN_ERROR_NULL_POINTER);
    if (variant.saves_lse) { p = good; p.lse = NULL; expect("NULL lse", &p, ATTNGEN_ERROR_NULL_POINTER); }
    if (variant.sparse_rows > 0) { p = good; p.block_mask = NULL; expect("NULL block_mask", &p, ATTNGEN_ERROR_NULL_POINTER); }
    if (variant.score_parameters > 0) {
        p = good; p.score_parameters = NULL; expect("NULL score_parameters", &p, ATTNGEN_ERROR_NULL_POINTER);
    }
    if (variant.sinks) { p = good; p.sinks = NULL; expect("NULL sinks", &p, ATTNGEN_ERROR_NULL_POINTER); }
    if (variant.page_size > 0) {
        p = good; p.page_table = NULL; expect("NULL page_table", &p, ATTNGEN_ERROR_NULL_POINTER);
        p = good; p.num_pages = 0; expect("no pages", &p, ATTNGEN_ERROR_INVALID_SIZE);
    }
    p = good; p.k_layout.row_stride = -1; expect("negative stride", &p, ATTNGEN_ERROR_INVALID_LAYOUT);
    p = good; p.o_layout.row_stride = variant.value_head_dim - 1; p.o_layout.head_stride = 1 << 12;
    p.o_layout.batch_stride = 1 << 14;
    if (variant.value_head_dim > 1) expect("overlapping O rows", &p, ATTNGEN_ERROR_INVALID_LAYOUT);
    p = good; p.batch = 0; p.q = NULL; expect("empty batch", &p, ATTNGEN_OK);
    /* Variable-length batches: prefix sums {0, 8} (one sequence of every row) on the device. */
    int32_t *prefix = NULL;
    const int32_t host_prefix[2] = {0, 8};
    CUDA_CHECK(cudaMalloc((void **)&prefix, sizeof(host_prefix)));
    CUDA_CHECK(cudaMemcpy(prefix, host_prefix, sizeof(host_prefix), cudaMemcpyHostToDevice));
    p = good; p.cu_seqlens_q = prefix; p.total_q = 8; expect("packed queries", &p, ATTNGEN_OK);
    p = good; p.cu_seqlens_q = prefix; p.total_q = -1; expect("negative total_q", &p, ATTNGEN_ERROR_INVALID_SIZE);
    p = good; p.cu_seqlens_q = prefix; p.total_q = 0; expect("no packed query rows", &p, ATTNGEN_OK);
    p = good; p.cu_seqlens_q = prefix; p.total_q = 1 << 20; expect("packed O rows over the next head", &p, ATTNGEN_ERROR_INVALID_LAYOUT);
    if (variant.page_size > 0) {
        p = good; p.cu_seqlens_k = prefix; p.total_k = 8; expect("paged with cu_seqlens_k", &p, ATTNGEN_ERROR_UNSUPPORTED);
    } else {
        p = good; p.cu_seqlens_k = prefix; p.total_k = 8; expect("packed keys", &p, ATTNGEN_OK);
        p = good; p.cu_seqlens_k = prefix; p.total_k = 0; expect("no packed keys", &p, ATTNGEN_OK);
        p = good; p.cu_seqlens_k = prefix; p.total_k = (int64_t)ATTNGEN_MAX_SEQLEN + 1;
        expect("total_k past the limit", &p, ATTNGEN_ERROR_INVALID_SIZE);
    }
    CUDA_CHECK(cudaDeviceSynchronize());
    cudaFree(prefix);
    cudaFree(buffer);
    cudaFree(lse);
    if (pages) cudaFree(pages);
    return failures;
}

/* ---------------------------------------------------------------------------------------------- */
/* The combine call: random fp32 partials (a fifth at LSE = -inf, every partial of some rows there, NaN in   */
/* the O of those), strided, against the merge in double precision. Returns the number of problems.         */

static int check_combine_call(const check_variant &variant, double *o_error) {
    const int64_t batch = 2, heads = 3, nq = 5, splits = 37, dv = variant.value_head_dim;
    const int64_t rows = batch * heads * nq, row_stride = dv + 3, split_stride = rows * row_stride + 7;
    const size_t eb = element_bytes(variant.storage);
    std::vector<float> o_partial((size_t)(splits * split_stride), NAN), lse_partial((size_t)(splits * rows));
    for (int64_t s = 0; s < splits; ++s)
        for (int64_t r = 0; r < rows; ++r) {
            const bool masked = r % 7 == 3 || rng_uniform() < 0.2;
            lse_partial[(size_t)(s * rows + r)] = masked ? -INFINITY : (float)(10.0 * rng_uniform() - 5.0);
            for (int64_t j = 0; j < dv && !masked; ++j) {
                o_partial[(size_t)(s * split_stride + r * row_stride + j)] = (float)(2.0 * rng_uniform() - 1.0);
            }
        }
    float *d_o_partial = NULL, *d_lse_partial = NULL, *d_lse = NULL;
    void *d_o = NULL;
    CUDA_CHECK(cudaMalloc((void **)&d_o_partial, o_partial.size() * 4));
    CUDA_CHECK(cudaMalloc((void **)&d_lse_partial, lse_partial.size() * 4));
    CUDA_CHECK(cudaMalloc(&d_o, (size_t)(rows * dv) * eb + 16));
    CUDA_CHECK(cudaMalloc((void **)&d_lse, (size_t)rows * 4 + 16));
    CUDA_CHECK(cudaMemcpy(d_o_partial, o_partial.data(), o_partial.size() * 4, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemcpy(d_lse_partial, lse_partial.data(), lse_partial.size() * 4, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemset(d_o, 0xFF, (size_t)(rows * dv) * eb + 16));
    CUDA_CHECK(cudaMemset(d_lse, 0xFF, (size_t)rows * 4 + 16));
    attngen_combine_params p = {};
    p.struct_size = sizeof(p);
    p.splits = splits;
    p.batch = batch;
    p.seqlen_q = nq;
    p.heads_q = (int32_t)heads;
    p.o_partial = d_o_partial;
    p.o_partial_layout = {heads * nq * row_stride, nq * row_stride, row_stride};
    p.o_partial_split_stride = split_stride;
    p.lse_partial = d_lse_partial;
    p.lse_partial_layout = {heads * nq, nq, 1};
    p.lse_partial_split_stride = rows;
    p.o = d_o;
    p.o_layout = {heads * nq * dv, nq * dv, dv};
    p.lse = d_lse;
    p.lse_layout = {heads * nq, nq, 1};
    int problems = variant.combine(&p, 0) != ATTNGEN_OK;
    attngen_combine_params bad = p;
    bad.splits = 0;
    problems += variant.combine(&bad, 0) != ATTNGEN_ERROR_INVALID_SIZE;
    CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<uint8_t> o((size_t)(rows * dv) * eb + 16);
    std::vector<float> lse((size_t)rows + 4);
    CUDA_CHECK(cudaMemcpy(o.data(), d_o, o.size(), cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaMemcpy(lse.data(), d_lse, lse.size() * 4, cudaMemcpyDeviceToHost));
    cudaFree(d_o_partial); cudaFree(d_lse_partial); cudaFree(d_o); cudaFree(d_lse);
    *o_error = 0;
    for (int64_t r = 0; r < rows; ++r) {
        double max_lse = -INFINITY, sum = 0;
        for (int64_t s = 0; s < splits; ++s) max_lse = std::max(max_lse, (double)lse_partial[(size_t)(s * rows + r)]);
        for (int64_t s = 0; s < splits && max_lse > -INFINITY; ++s) sum += exp(lse_partial[(size_t)(s * rows + r)] - max_lse);
        const double lse_ref = max_lse > -INFINITY ? max_lse + log(sum) : -INFINITY;
        if (isinf(lse_ref) != isinf(lse[(size_t)r]) || (!isinf(lse_ref) && fabs(lse[(size_t)r] - lse_ref) > 1e-4)) problems++;
        for (int64_t j = 0; j < dv; ++j) {
            double want = 0;
            for (int64_t s = 0; s < splits && max_lse > -INFINITY; ++s) {
                const double lse_s = lse_partial[(size_t)(s * rows + r)];
                if (lse_s > -INFINITY) want += exp(lse_s - lse_ref) * o_partial[(size_t)(s * split_stride + r * row_stride + j)];
            }
            const double got = attngen_reference_load(o.data(), variant.storage, r * dv + j);
            if (!isfinite(got)) problems++;
            *o_error = std::max(*o_error, fabs(got - want));
        }
    }
    for (size_t i = (size_t)(rows * dv) * eb; i < o.size(); ++i) problems += o[i] != 0xFF;
    return problems;
}

/* ---------------------------------------------------------------------------------------------- */
/* Timing at the ANCHORS shapes.                                                                     */

static void bench(const check_variant &variant) {
    const int d = variant.head_dim;
    const int64_t heads = 2048 / d;
    const int64_t lengths[] = {1024, 4096, 8192};
    for (int64_t n : lengths) {
        const int64_t batch = 16384 / n;
        const size_t elems = (size_t)(batch * heads * n * d);
        void *q, *k, *v, *o;
        CUDA_CHECK(cudaMalloc(&q, elems * 2));
        CUDA_CHECK(cudaMalloc(&k, elems * 2));
        CUDA_CHECK(cudaMalloc(&v, elems * 2));
        CUDA_CHECK(cudaMalloc(&o, elems * 2));
        std::vector<uint16_t> host(elems);
        for (size_t i = 0; i < elems; ++i) host[i] = attngen_reference_float_to_bfloat((float)rng_normal());
        CUDA_CHECK(cudaMemcpy(q, host.data(), elems * 2, cudaMemcpyHostToDevice));
        CUDA_CHECK(cudaMemcpy(k, host.data(), elems * 2, cudaMemcpyHostToDevice));
        CUDA_CHECK(cudaMemcpy(v, host.data(), elems * 2, cudaMemcpyHostToDevice));
        attngen_forward_params p;
        memset(&p, 0, sizeof(p));
        p.struct_size = sizeof(p);
        p.batch = batch;
        p.seqlen_q = p.seqlen_k = n;
        p.heads_q = p.heads_kv = (int32_t)heads;
        p.q = q; p.k = k; p.v = v; p.o = o;
        check_shape s = {batch, heads, heads, n, n, 0};
        fill_layout(&p.q_layout, s, heads, n, d);
        p.k_layout = p.v_layout = p.o_layout = p.q_layout;
        cudaEvent_t start, stop;
        CUDA_CHECK(cudaEventCreate(&start));
        CUDA_CHECK(cudaEventCreate(&stop));
        for (int i = 0; i < 3; ++i) variant.launch(&p, 0);
        CUDA_CHECK(cudaDeviceSynchronize());
        std::vector<float> times;
        for (int i = 0; i < 20; ++i) {
            CUDA_CHECK(cudaEventRecord(start));
            if (variant.launch(&p, 0) != ATTNGEN_OK) { printf("bench launch failed\n"); exit(2); }
            CUDA_CHECK(cudaEventRecord(stop));
            CUDA_CHECK(cudaEventSynchronize(stop));
            float ms = 0;
            CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
            times.push_back(ms);
        }
        std::sort(times.begin(), times.end());
        const double ms = times[times.size() / 2];
        double flops = 4.0 * batch * heads * (double)n * n * d;
        if (variant.masked) flops /= 2;
        printf("| %s | %lld | %lld x %lld | %.3f | %.1f |\n", variant.name, (long long)n, (long long)batch,
               (long long)heads, ms, flops / (ms * 1e-3) / 1e12);
        cudaFree(q); cudaFree(k); cudaFree(v); cudaFree(o);
        cudaEventDestroy(start);
        cudaEventDestroy(stop);
    }
}

/* ---------------------------------------------------------------------------------------------- */

static bool selected(const char *only, const char *name) {
    if (!only) return true;
    std::string list = std::string(",") + only + ",";
    return list.find(std::string(",") + name + ",") != std::string::npos;
}

int main(int argc, char **argv) {
    int quick = 0, do_bench = 0;
    const char *only = NULL;
    uint64_t seed = (uint64_t)time(NULL);
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--bench")) do_bench = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else { fprintf(stderr, "usage: %s [--quick] [--only A,B] [--seed N] [--bench]\n", argv[0]); return 2; }
    }
    rng_state = seed;
    cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s (sm_%d%d, %d SMs), seed %llu\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount,
           (unsigned long long)seed);

    if (do_bench) {
        printf("| variant | N | batch x heads | ms (median of 20) | TFLOP/s |\n|---|---|---|---|---|\n");
        for (const check_variant &variant : check_variants) {
            if (!strncmp(variant.name, "bench_", 6) && selected(only, variant.name)) bench(variant);
        }
        return 0;
    }

    int failures = check_philox();
    const check_shape *shapes = quick ? quick_shapes : full_shapes;
    const int shape_count = quick ? (int)(sizeof(quick_shapes) / sizeof(quick_shapes[0]))
                                  : (int)(sizeof(full_shapes) / sizeof(full_shapes[0]));
    printf("| variant | storage | d / dv | tile | shapes | max rel. error | max abs. error | max LSE error | tolerance | result |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    for (const check_variant &variant : check_variants) {
        if (!selected(only, variant.name)) continue;
        /* Normwise tolerance: fp16 P and O round at 2^-11, bf16 at 2^-8, tf32 operands at 2^-11. */
        const double tolerance = variant.storage == ATTNGEN_REFERENCE_BF16 ? 2e-2 : 4e-3;
        const double lse_tolerance = variant.storage == ATTNGEN_REFERENCE_FP32 ? 1e-2 : 2e-3;
        check_result worst = {0, 0, 0, 0};
        for (int i = 0; i < shape_count; ++i) {
            const check_result r = run_case(variant, shapes[i], 0, 1.0, rng_next(), rng_next(), NULL);
            worst.rel_error = std::max(worst.rel_error, r.rel_error);
            worst.max_abs_error = std::max(worst.max_abs_error, r.max_abs_error);
            worst.lse_error = std::max(worst.lse_error, r.lse_error);
            worst.bad += r.bad;
            if (r.bad || r.rel_error > tolerance) {
                printf("  %s shape %d (B%lld Hq%lld Hkv%lld Nq%lld Nk%lld %s%s%s): rel %.3g abs %.3g bad %d\n",
                       variant.name, i, (long long)shapes[i].batch, (long long)shapes[i].heads_q,
                       (long long)shapes[i].heads_kv, (long long)shapes[i].seqlen_q, (long long)shapes[i].seqlen_k,
                       shapes[i].bshd ? "BSHD" : "BHSD", shapes[i].packed & PACK_QUERIES ? ", packed Q" : "",
                       shapes[i].packed & PACK_KEYS ? ", packed K/V" : "", r.rel_error, r.max_abs_error, r.bad);
            }
        }
        int pattern = 0;
        if (variant.dropout > 0 && !quick) pattern = check_dropout_pattern(variant, rng_next(), rng_next());
        const int errors = quick ? 0 : check_errors(variant);
        double combine_error = 0;
        const double combine_tolerance = variant.storage == ATTNGEN_REFERENCE_BF16 ? 8e-3 : 1e-3;
        const int combine_problems = quick ? 0 : check_combine_call(variant, &combine_error);
        if (combine_problems || combine_error > combine_tolerance) {
            printf("  %s combine: %d problems, max |O - ref| %.3g\n", variant.name, combine_problems, combine_error);
        }
        const bool pass = worst.bad == 0 && worst.rel_error <= tolerance && worst.lse_error <= lse_tolerance &&
                          pattern == 0 && errors == 0 && combine_problems == 0 && combine_error <= combine_tolerance;
        failures += pass ? 0 : 1;
        char lse_text[32] = "-";
        if (variant.saves_lse) snprintf(lse_text, sizeof(lse_text), "%.2e", worst.lse_error);
        const char *storage = variant.storage == ATTNGEN_REFERENCE_FP32 ? "fp32 (tf32 mma)"
                              : variant.storage == ATTNGEN_REFERENCE_FP16 ? "fp16" : "bf16";
        printf("| %s | %s | %d / %d | %dx%d | %d | %.2e | %.2e | %s | %.0e | %s%s |\n", variant.name, storage,
               variant.head_dim, variant.value_head_dim, variant.tile_rows, variant.tile_columns, shape_count,
               worst.rel_error, worst.max_abs_error,
               lse_text, tolerance, pass ? "pass" : "FAIL",
               variant.dropout > 0 && !quick ? (pattern == 0 ? ", dropout bits identical" : ", DROPOUT BITS DIFFER") : "");
        fflush(stdout);
    }
    printf("\n%s: %d failing\n", failures == 0 ? "ALL PASS" : "FAILURES", failures);
    return failures == 0 ? 0 : 1;
}
