/*
 * argument_cases.h: the invalid (and the valid but empty) calls of the C ABI, one list for every backend.
 *
 * The C drivers (driver.c and backward_driver.c, `errors` mode) run these calls on real buffers and check the
 * status and that a failing call writes nothing; the CUDA launcher check (cuda_arguments.cu) runs the same calls
 * on the host, where the launchers must refuse them before any CUDA call. So both backends are held to the same
 * statuses in the same order (attngen_abi.h, README "Status codes").
 *
 *   harness_forward_cases(&valid, &traits, visit, context)     visit(context, name, &params, expected, works)
 *   harness_backward_cases(&valid, &traits, visit, context)    likewise for attngen_backward_params
 *   harness_workspace_cases(&valid, visit, context)            visit(context, name, &params, expected_kind)
 *
 * `valid` is a valid call with batch 2, 9 query rows, 13 keys and at least 2 query and key/value heads; each case
 * is a copy of it with one or two fields changed. `works` is 1 for a case that is valid and has elements to write
 * (its status is ATTNGEN_OK); 0 for a case the entry point must settle from its arguments alone. Plain C that
 * also compiles as C++ (nvcc).
 */
#ifndef ATTNGEN_HARNESS_ARGUMENT_CASES_H
#define ATTNGEN_HARNESS_ARGUMENT_CASES_H

#include <stdint.h>
#include <stdio.h>

#include "attngen_abi.h"

typedef struct harness_traits {
    int head_dim;
    int value_head_dim;
    int fixed_heads_q;   /* 0 and 0 for run-time heads */
    int fixed_heads_kv;
    int saves_lse;       /* forward: the variant writes the log-sum-exp */
    int block_sparse;
    int element_bytes;   /* 4 (fp32) or 2 */
    int page_size;       /* paged K/V cache: keys per page (K and V rows per page); 0 when contiguous */
    int score_parameter_count; /* run-time arrays of the score modifiers (score_parameters required when > 0) */
    int sinks;           /* attention sinks (sinks required) */
    int input_bytes;     /* forward: bytes of a Q, K or V element (1: fp8, with descale factors); 0: element_bytes */
} harness_traits;

/* A descale factor the argument cases point at (fp8 inputs). */
static const float harness_unit_descale = 1.0f;

/* Workspace sizes: 0, SIZE_MAX, or a size in between. */
enum { HARNESS_WORKSPACE_ZERO = 0, HARNESS_WORKSPACE_MAX = 1, HARNESS_WORKSPACE_FINITE = 2 };

static inline int harness_workspace_kind(size_t bytes)
{
    return bytes == 0 ? HARNESS_WORKSPACE_ZERO : bytes == SIZE_MAX ? HARNESS_WORKSPACE_MAX : HARNESS_WORKSPACE_FINITE;
}

typedef void (*harness_forward_visit)(void *context, const char *name, const attngen_forward_params *params,
                                      int expected, int works);
typedef void (*harness_backward_visit)(void *context, const char *name, const attngen_backward_params *params,
                                       int expected, int works);
typedef void (*harness_workspace_visit)(void *context, const char *name, const attngen_backward_params *params,
                                        int expected_kind);

/* A stride of `limit_bytes / element_bytes / (extent - 1) + 1` elements: `extent` rows of it span just more than
   ATTNGEN_MAX_TENSOR_BYTES. */
static inline int64_t harness_stride_past_limit(int64_t extent, int element_bytes)
{
    return ATTNGEN_MAX_TENSOR_BYTES / element_bytes / (extent - 1) + 1;
}

#define HARNESS_CASE(name, change, expected, works)                                                              \
    do {                                                                                                      \
        c = *valid;                                                                                           \
        change;                                                                                               \
        visit(context, name, &c, expected, works);                                                            \
    } while (0)

/* The size and head cases both passes share (`c` is the params being built). */
#define HARNESS_SIZE_AND_HEAD_CASES()                                                                          \
    HARNESS_CASE("struct_size_small", c.struct_size -= 8, ATTNGEN_ERROR_ABI_MISMATCH, 0);                     \
    HARNESS_CASE("struct_size_large", c.struct_size += 8, ATTNGEN_ERROR_ABI_MISMATCH, 0);                     \
    HARNESS_CASE("struct_size_zero", c.struct_size = 0, ATTNGEN_ERROR_ABI_MISMATCH, 0);                       \
    HARNESS_CASE("abi_before_sizes", c.struct_size = 0; c.batch = -1, ATTNGEN_ERROR_ABI_MISMATCH, 0);          \
    HARNESS_CASE("negative_batch", c.batch = -1, ATTNGEN_ERROR_INVALID_SIZE, 0);                              \
    HARNESS_CASE("negative_seqlen_q", c.seqlen_q = -1, ATTNGEN_ERROR_INVALID_SIZE, 0);                        \
    HARNESS_CASE("negative_seqlen_k", c.seqlen_k = -5, ATTNGEN_ERROR_INVALID_SIZE, 0);                        \
    HARNESS_CASE("int64_min_seqlen_q", c.seqlen_q = INT64_MIN, ATTNGEN_ERROR_INVALID_SIZE, 0);                \
    HARNESS_CASE("negative_heads_q", c.heads_q = -4, ATTNGEN_ERROR_INVALID_SIZE, 0);                          \
    HARNESS_CASE("negative_heads_kv", c.heads_kv = -2, ATTNGEN_ERROR_INVALID_SIZE, 0);                        \
    HARNESS_CASE("batch_above_limit", c.batch = (int64_t)ATTNGEN_MAX_BATCH + 1, ATTNGEN_ERROR_INVALID_SIZE, 0); \
    HARNESS_CASE("batch_2e62", c.batch = (int64_t)1 << 62, ATTNGEN_ERROR_INVALID_SIZE, 0);                    \
    HARNESS_CASE("seqlen_q_above_limit", c.seqlen_q = (int64_t)ATTNGEN_MAX_SEQLEN + 1,                        \
                 ATTNGEN_ERROR_INVALID_SIZE, 0);                                                              \
    HARNESS_CASE("seqlen_q_2e62_plus_1", c.seqlen_q = ((int64_t)1 << 62) + 1, ATTNGEN_ERROR_INVALID_SIZE, 0); \
    HARNESS_CASE("seqlen_q_int64_max", c.seqlen_q = INT64_MAX, ATTNGEN_ERROR_INVALID_SIZE, 0);                \
    HARNESS_CASE("seqlen_k_above_limit", c.seqlen_k = (int64_t)ATTNGEN_MAX_SEQLEN + 1,                        \
                 ATTNGEN_ERROR_INVALID_SIZE, 0);                                                              \
    /* the probe's hours-long call: 2^62 keys of one broadcast K/V row */                                     \
    HARNESS_CASE("seqlen_k_2e62_broadcast",                                                                   \
                 c.seqlen_k = (int64_t)1 << 62; c.k_layout.batch_stride = c.k_layout.head_stride = 0;         \
                 c.k_layout.row_stride = 0; c.v_layout = c.k_layout,                                          \
                 ATTNGEN_ERROR_INVALID_SIZE, 0);                                                              \
    HARNESS_CASE("sizes_before_pointers", c.batch = -1; c.q = NULL, ATTNGEN_ERROR_INVALID_SIZE, 0);           \
    HARNESS_CASE("sizes_before_heads", c.seqlen_k = -1; c.heads_q = 3, ATTNGEN_ERROR_INVALID_SIZE, 0);        \
    if (traits->fixed_heads_q == 0) {                                                                         \
        HARNESS_CASE("zero_heads_kv", c.heads_kv = 0, ATTNGEN_ERROR_INVALID_SIZE, 0);                         \
        HARNESS_CASE("zero_heads_q", c.heads_q = 0, ATTNGEN_ERROR_INVALID_SIZE, 0);                           \
        HARNESS_CASE("heads_not_multiple", c.heads_q = 3; c.heads_kv = 2, ATTNGEN_ERROR_INVALID_HEADS, 0);    \
        HARNESS_CASE("heads_kv_above_heads_q", c.heads_q = 2; c.heads_kv = 4, ATTNGEN_ERROR_INVALID_HEADS, 0); \
        HARNESS_CASE("heads_before_pointers", c.heads_q = 3; c.heads_kv = 2; c.q = NULL,                      \
                     ATTNGEN_ERROR_INVALID_HEADS, 0);                                                         \
    } else {                                                                                                  \
        HARNESS_CASE("heads_differ_from_spec", c.heads_q *= 2; c.heads_kv *= 2, ATTNGEN_ERROR_INVALID_HEADS, 0); \
        if ((valid->heads_kv > 1 ? 1 : valid->heads_q) != valid->heads_kv) {                                  \
            HARNESS_CASE("kv_heads_differ_from_spec", c.heads_kv = c.heads_kv > 1 ? 1 : c.heads_q,           \
                         ATTNGEN_ERROR_INVALID_HEADS, 0);                                                     \
        }                                                                                                     \
        HARNESS_CASE("fixed_heads_before_pointers", c.heads_q *= 2; c.heads_kv *= 2; c.q = NULL,              \
                     ATTNGEN_ERROR_INVALID_HEADS, 0);                                                         \
    }                                                                                                         \
    HARNESS_CASE("zero_batch", c.batch = 0, ATTNGEN_OK, 0);                                                   \
    HARNESS_CASE("zero_batch_null_tensors", c.batch = 0; c.q = NULL; c.k = NULL; c.v = NULL,                  \
                 ATTNGEN_OK, 0)

/* A stride change of one tensor's layout: `field` of `layout` set to `value`. */
#define HARNESS_LAYOUT_CASE(name, layout, field, value)                                                         \
    HARNESS_CASE(name, c.layout.field = (value), ATTNGEN_ERROR_INVALID_LAYOUT, 0)

/* Prefix sums of a variable-length batch in which every sequence is empty (valid calls have at most 64 sequences). */
static const int32_t harness_zero_prefix[65] = {0};

/* Variable-length batches (README, "Variable-length batches"), both passes: the packed row counts are sizes, the
   packed tensors' layouts are checked over them, and a batch of empty sequences needs no valid stride (the forward
   then has nothing to do; the backward still writes dK = dV = 0: `empty_works`). */
#define HARNESS_PACKED_CASES(empty_works, q_bytes)                                                                                      \
    HARNESS_CASE("packed_total_q_negative", c.cu_seqlens_q = harness_zero_prefix; c.total_q = -1,                 \
                 ATTNGEN_ERROR_INVALID_SIZE, 0);                                                                  \
    HARNESS_CASE("packed_total_q_above_limit", c.cu_seqlens_q = harness_zero_prefix;                              \
                 c.total_q = (int64_t)ATTNGEN_MAX_SEQLEN + 1, ATTNGEN_ERROR_INVALID_SIZE, 0);                     \
    HARNESS_CASE("packed_q_row_stride_past_limit", c.cu_seqlens_q = harness_zero_prefix;                          \
                 c.total_q = c.batch * c.seqlen_q;                                                                \
                 c.q_layout.row_stride = harness_stride_past_limit(c.total_q, q_bytes),                            \
                 ATTNGEN_ERROR_INVALID_LAYOUT, 0);                                                                \
    if (valid->batch <= 64) {                                                                                     \
        HARNESS_CASE("packed_empty_any_strides", c.cu_seqlens_q = harness_zero_prefix; c.total_q = 0;             \
                     c.q_layout.row_stride = -1; c.o_layout.batch_stride = INT64_MAX, ATTNGEN_OK, empty_works);   \
    }

static inline void harness_forward_cases(const attngen_forward_params *valid, const harness_traits *traits,
                                         harness_forward_visit visit, void *context)
{
    attngen_forward_params c;
    const int eb = traits->element_bytes, ib = traits->input_bytes > 0 ? traits->input_bytes : eb;
    HARNESS_SIZE_AND_HEAD_CASES();
    HARNESS_CASE("zero_seqlen_q", c.seqlen_q = 0, ATTNGEN_OK, 0);
    HARNESS_CASE("zero_seqlen_q_any_strides", c.seqlen_q = 0; c.q_layout.row_stride = -1; c.o_layout.head_stride = 0,
                 ATTNGEN_OK, 0);
    if (traits->fixed_heads_q == 0) {
        HARNESS_CASE("zero_heads_zero_batch", c.batch = 0; c.heads_q = 0; c.heads_kv = 0, ATTNGEN_OK, 0);
    }

    HARNESS_CASE("null_q", c.q = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_k", c.k = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_v", c.v = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_o", c.o = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    if (traits->saves_lse) {
        HARNESS_CASE("null_lse", c.lse = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    }
    if (traits->block_sparse) {
        HARNESS_CASE("null_block_mask", c.block_mask = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    }
    if (traits->score_parameter_count > 0) {
        HARNESS_CASE("null_score_parameters", c.score_parameters = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    }
    if (traits->sinks) {
        HARNESS_CASE("null_sinks", c.sinks = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    }
    HARNESS_CASE("pointers_before_layouts", c.o = NULL; c.q_layout.row_stride = -1, ATTNGEN_ERROR_NULL_POINTER, 0);

    HARNESS_LAYOUT_CASE("negative_q_row_stride", q_layout, row_stride, -valid->q_layout.row_stride);
    HARNESS_LAYOUT_CASE("negative_k_batch_stride", k_layout, batch_stride, -1);
    HARNESS_LAYOUT_CASE("negative_v_head_stride", v_layout, head_stride, -valid->v_layout.head_stride);
    HARNESS_LAYOUT_CASE("negative_o_head_stride", o_layout, head_stride, -1);
    HARNESS_LAYOUT_CASE("o_rows_overlap", o_layout, row_stride, traits->value_head_dim - 1);
    HARNESS_LAYOUT_CASE("o_heads_overlap", o_layout, head_stride, 0);
    HARNESS_LAYOUT_CASE("q_row_stride_int64_max_half", q_layout, row_stride, INT64_MAX / 2);
    HARNESS_LAYOUT_CASE("q_batch_stride_int64_max", q_layout, batch_stride, INT64_MAX);
    /* K's rows: seqlen_k of them, or page_size per page of a paged cache (whose page stride takes the case when a
       page holds one row). */
    const int64_t k_rows = traits->page_size > 0 ? traits->page_size : valid->seqlen_k;
    if (k_rows > 1) {
        HARNESS_LAYOUT_CASE("k_row_stride_past_limit", k_layout, row_stride, harness_stride_past_limit(k_rows, ib));
    } else {
        HARNESS_LAYOUT_CASE("k_page_stride_past_limit", k_layout, batch_stride,
                            harness_stride_past_limit(valid->num_pages, ib));
    }
    if (ib == 1) {
        /* fp8 inputs: the descale factors' strides, checked when a factor array is given. */
        HARNESS_CASE("negative_descale_batch_stride", c.k_descale = &harness_unit_descale; c.descale_batch_stride = -1,
                     ATTNGEN_ERROR_INVALID_LAYOUT, 0);
        if (valid->heads_kv > 1) {
            HARNESS_CASE("descale_head_stride_past_limit", c.v_descale = &harness_unit_descale;
                         c.descale_head_stride = harness_stride_past_limit(valid->heads_kv, 4),
                         ATTNGEN_ERROR_INVALID_LAYOUT, 0);
        }
    }
    HARNESS_LAYOUT_CASE("v_batch_stride_2e62", v_layout, batch_stride, (int64_t)1 << 62);
    HARNESS_LAYOUT_CASE("o_batch_stride_int64_max", o_layout, batch_stride, INT64_MAX);
    HARNESS_LAYOUT_CASE("o_row_stride_past_limit", o_layout, row_stride, harness_stride_past_limit(valid->seqlen_q, eb));
    if (traits->saves_lse) {
        HARNESS_LAYOUT_CASE("negative_lse_head_stride", lse_layout, head_stride, -1);
        HARNESS_LAYOUT_CASE("lse_rows_overlap", lse_layout, row_stride, 0);
        HARNESS_LAYOUT_CASE("lse_row_stride_past_limit", lse_layout, row_stride, harness_stride_past_limit(valid->seqlen_q, 4));
    }
    if (traits->block_sparse) {
        HARNESS_LAYOUT_CASE("negative_block_mask_row_stride", block_mask_layout, row_stride, -1);
        HARNESS_LAYOUT_CASE("block_mask_batch_stride_2e62", block_mask_layout, batch_stride, (int64_t)1 << 62);
    }
    /* Empty K and V (no keys) are never read: any strides are valid, and every row is fully masked. */
    HARNESS_CASE("empty_keys_torch_strides", c.seqlen_k = 0; c.k_layout.batch_stride = c.k_layout.head_stride = 0;
                 c.k_layout.row_stride = traits->head_dim; c.v_layout.batch_stride = c.v_layout.head_stride = 0;
                 c.v_layout.row_stride = traits->value_head_dim, ATTNGEN_OK, 1);
    HARNESS_CASE("empty_keys_any_strides", c.seqlen_k = 0; c.k_layout.row_stride = -1; c.v_layout.batch_stride = INT64_MAX;
                 c.block_mask_layout.row_stride = -1, ATTNGEN_OK, 1);
    HARNESS_PACKED_CASES(0, ib);
    if (traits->page_size > 0) {
        HARNESS_CASE("paged_cu_seqlens_k", c.cu_seqlens_k = harness_zero_prefix; c.total_k = 0,
                     ATTNGEN_ERROR_UNSUPPORTED, 0);
    } else {
        HARNESS_CASE("packed_total_k_negative", c.cu_seqlens_k = harness_zero_prefix; c.total_k = -1,
                     ATTNGEN_ERROR_INVALID_SIZE, 0);
        HARNESS_CASE("packed_k_row_stride_past_limit", c.cu_seqlens_k = harness_zero_prefix;
                     c.total_k = c.batch * c.seqlen_k; c.k_layout.row_stride = harness_stride_past_limit(c.total_k, ib),
                     ATTNGEN_ERROR_INVALID_LAYOUT, 0);
    }
}

/* The nine tensors of a backward call: layout, rows (> 1 in the valid call), inner size, element bytes and whether
   it is written. */
typedef struct harness_backward_tensor {
    const char *name;
    attngen_layout *layout;
    int64_t rows, inner;
    int element_bytes;
    int written;
} harness_backward_tensor;

static inline void harness_backward_cases(const attngen_backward_params *valid, const harness_traits *traits,
                                          harness_backward_visit visit, void *context)
{
    attngen_backward_params c;
    HARNESS_SIZE_AND_HEAD_CASES();
    HARNESS_CASE("dq_mode_2", c.dq_mode = 2, ATTNGEN_ERROR_INVALID_MODE, 0);
    HARNESS_CASE("dq_mode_negative", c.dq_mode = -1, ATTNGEN_ERROR_INVALID_MODE, 0);
    HARNESS_CASE("heads_before_mode", c.dq_mode = 7; c.heads_q = 2 * valid->heads_q + 1; c.heads_kv = 2,
                 ATTNGEN_ERROR_INVALID_HEADS, 0);
    HARNESS_CASE("mode_before_empty", c.dq_mode = 7; c.batch = 0, ATTNGEN_ERROR_INVALID_MODE, 0);
    HARNESS_CASE("zero_sequences", c.seqlen_q = 0; c.seqlen_k = 0; c.q = NULL; c.dq = NULL, ATTNGEN_OK, 0);

    HARNESS_CASE("null_q", c.q = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_k", c.k = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_v", c.v = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_o", c.o = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_lse", c.lse = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_d_o", c.d_o = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_dq", c.dq = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_dk", c.dk = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_CASE("null_dv", c.dv = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    if (traits->block_sparse) {
        HARNESS_CASE("null_block_mask", c.block_mask = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    }
    if (traits->score_parameter_count > 0) {
        HARNESS_CASE("null_score_parameters", c.score_parameters = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    }
    if (traits->sinks) {
        HARNESS_CASE("null_sinks", c.sinks = NULL, ATTNGEN_ERROR_NULL_POINTER, 0);
    }
    HARNESS_CASE("pointers_before_layouts", c.dv = NULL; c.q_layout.row_stride = -1, ATTNGEN_ERROR_NULL_POINTER, 0);
    HARNESS_PACKED_CASES(1, traits->element_bytes);
    HARNESS_CASE("packed_total_k_negative", c.cu_seqlens_k = harness_zero_prefix; c.total_k = -1,
                 ATTNGEN_ERROR_INVALID_SIZE, 0);

    /* Every tensor: a negative stride, a stride that overflows, one past the limit; outputs: overlapping rows. */
    const int eb = traits->element_bytes, d = traits->head_dim, dv = traits->value_head_dim;
    for (int t = 0; t < 9; ++t) {
        c = *valid;
        const int64_t nq = c.seqlen_q, nk = c.seqlen_k;
        const harness_backward_tensor tensors[9] = {
            {"q", &c.q_layout, nq, d, eb, 0},       {"k", &c.k_layout, nk, d, eb, 0},
            {"v", &c.v_layout, nk, dv, eb, 0},      {"o", &c.o_layout, nq, dv, eb, 0},
            {"d_o", &c.d_o_layout, nq, dv, eb, 0},  {"lse", &c.lse_layout, nq, 1, 4, 0},
            {"dq", &c.dq_layout, nq, d, eb, 1},     {"dk", &c.dk_layout, nk, d, eb, 1},
            {"dv", &c.dv_layout, nk, dv, eb, 1},
        };
        const harness_backward_tensor *tensor = &tensors[t];
        const attngen_layout saved = *tensor->layout;
        char name[64];
        snprintf(name, sizeof name, "negative_%s_row_stride", tensor->name);
        tensor->layout->row_stride = -1;
        visit(context, name, &c, ATTNGEN_ERROR_INVALID_LAYOUT, 0);
        *tensor->layout = saved;
        snprintf(name, sizeof name, "%s_batch_stride_int64_max", tensor->name);
        tensor->layout->batch_stride = INT64_MAX;
        visit(context, name, &c, ATTNGEN_ERROR_INVALID_LAYOUT, 0);
        *tensor->layout = saved;
        snprintf(name, sizeof name, "%s_row_stride_int64_max_half", tensor->name);
        tensor->layout->row_stride = INT64_MAX / 2;
        visit(context, name, &c, ATTNGEN_ERROR_INVALID_LAYOUT, 0);
        *tensor->layout = saved;
        snprintf(name, sizeof name, "%s_row_stride_past_limit", tensor->name);
        tensor->layout->row_stride = harness_stride_past_limit(tensor->rows, tensor->element_bytes);
        visit(context, name, &c, ATTNGEN_ERROR_INVALID_LAYOUT, 0);
        *tensor->layout = saved;
        if (tensor->written) {
            snprintf(name, sizeof name, "%s_rows_overlap", tensor->name);
            tensor->layout->row_stride = tensor->inner - 1;
            visit(context, name, &c, ATTNGEN_ERROR_INVALID_LAYOUT, 0);
            *tensor->layout = saved;
        }
    }
    if (traits->block_sparse) {
        HARNESS_LAYOUT_CASE("negative_block_mask_row_stride", block_mask_layout, row_stride, -1);
        HARNESS_LAYOUT_CASE("block_mask_batch_stride_2e62", block_mask_layout, batch_stride, (int64_t)1 << 62);
    }

    HARNESS_CASE("null_workspace", c.workspace = NULL, ATTNGEN_ERROR_WORKSPACE_TOO_SMALL, 0);
    HARNESS_CASE("workspace_one_byte_short", c.workspace_size -= 1, ATTNGEN_ERROR_WORKSPACE_TOO_SMALL, 0);
    HARNESS_CASE("workspace_size_zero", c.workspace_size = 0, ATTNGEN_ERROR_WORKSPACE_TOO_SMALL, 0);
    HARNESS_CASE("workspace_unaligned", c.workspace = (char *)c.workspace + 8, ATTNGEN_ERROR_WORKSPACE_TOO_SMALL, 0);
    HARNESS_CASE("layouts_before_workspace", c.workspace = NULL; c.dk_layout.head_stride = -1,
                 ATTNGEN_ERROR_INVALID_LAYOUT, 0);

    /* Empty tensors (torch.empty(B, H, 0, D) strides: batch and head strides 0) are never addressed: Nq = 0 writes
       dK = dV = 0, Nk = 0 writes dQ = 0; no workspace is needed without query rows. */
    HARNESS_CASE("empty_queries_torch_strides",
                 c.seqlen_q = 0; c.q_layout.batch_stride = c.q_layout.head_stride = 0; c.q_layout.row_stride = d;
                 c.dq_layout = c.q_layout; c.o_layout.batch_stride = c.o_layout.head_stride = 0;
                 c.o_layout.row_stride = dv; c.d_o_layout = c.o_layout; c.lse_layout.batch_stride = 0;
                 c.lse_layout.head_stride = 0; c.workspace = NULL; c.workspace_size = 0,
                 ATTNGEN_OK, 1);
    HARNESS_CASE("empty_keys_torch_strides",
                 c.seqlen_k = 0; c.k_layout.batch_stride = c.k_layout.head_stride = 0; c.k_layout.row_stride = d;
                 c.dk_layout = c.k_layout; c.v_layout.batch_stride = c.v_layout.head_stride = 0;
                 c.v_layout.row_stride = dv; c.dv_layout = c.v_layout,
                 ATTNGEN_OK, 1);
    HARNESS_CASE("empty_keys_any_strides", c.seqlen_k = 0; c.k_layout.row_stride = -1; c.dv_layout.batch_stride = INT64_MAX;
                 c.block_mask_layout.head_stride = -1, ATTNGEN_OK, 1);
}

/* The workspace size of each case: 0 without query rows, SIZE_MAX for parameters the call refuses by their sizes
   (and for sizes whose byte count overflows size_t), a size in between otherwise. */
static inline void harness_workspace_cases(const attngen_backward_params *valid, harness_workspace_visit visit,
                                           void *context)
{
    attngen_backward_params c;
    visit(context, "null_params", NULL, HARNESS_WORKSPACE_MAX);
#define HARNESS_WORKSPACE_CASE(name, change, kind)                                                               \
    do {                                                                                                      \
        c = *valid;                                                                                           \
        change;                                                                                               \
        visit(context, name, &c, kind);                                                                       \
    } while (0)
    HARNESS_WORKSPACE_CASE("valid", (void)0, HARNESS_WORKSPACE_FINITE);
    HARNESS_WORKSPACE_CASE("valid_fast", c.dq_mode = ATTNGEN_DQ_FAST, HARNESS_WORKSPACE_FINITE);
    HARNESS_WORKSPACE_CASE("struct_size_small", c.struct_size -= 8, HARNESS_WORKSPACE_MAX);
    HARNESS_WORKSPACE_CASE("zero_batch", c.batch = 0, HARNESS_WORKSPACE_ZERO);
    HARNESS_WORKSPACE_CASE("zero_seqlen_q", c.seqlen_q = 0, HARNESS_WORKSPACE_ZERO);
    HARNESS_WORKSPACE_CASE("zero_seqlen_k", c.seqlen_k = 0, HARNESS_WORKSPACE_FINITE);
    HARNESS_WORKSPACE_CASE("negative_batch", c.batch = -1, HARNESS_WORKSPACE_MAX);
    HARNESS_WORKSPACE_CASE("negative_seqlen_q", c.seqlen_q = -1, HARNESS_WORKSPACE_MAX);
    HARNESS_WORKSPACE_CASE("negative_seqlen_k", c.seqlen_k = -1, HARNESS_WORKSPACE_MAX);
    HARNESS_WORKSPACE_CASE("negative_heads_q", c.heads_q = -1, HARNESS_WORKSPACE_MAX);
    HARNESS_WORKSPACE_CASE("batch_above_limit", c.batch = (int64_t)ATTNGEN_MAX_BATCH + 1, HARNESS_WORKSPACE_MAX);
    HARNESS_WORKSPACE_CASE("seqlen_q_above_limit", c.seqlen_q = (int64_t)ATTNGEN_MAX_SEQLEN + 1, HARNESS_WORKSPACE_MAX);
    /* the probe's wrapped sizes: 256 bytes and 0 before the checks */
    HARNESS_WORKSPACE_CASE("seqlen_q_2e62_plus_1", c.seqlen_q = ((int64_t)1 << 62) + 1, HARNESS_WORKSPACE_MAX);
    HARNESS_WORKSPACE_CASE("batch_2e62_heads_4", c.batch = (int64_t)1 << 62; c.heads_q = 4; c.heads_kv = 4,
                           HARNESS_WORKSPACE_MAX);
    /* within the limits, but more bytes than size_t counts */
    HARNESS_WORKSPACE_CASE("largest_sizes", c.batch = ATTNGEN_MAX_BATCH; c.seqlen_q = ATTNGEN_MAX_SEQLEN;
                           c.heads_q = INT32_MAX; c.heads_kv = 1, HARNESS_WORKSPACE_MAX);
    HARNESS_WORKSPACE_CASE("large_but_countable", c.batch = 1 << 20; c.seqlen_q = 1 << 20; c.heads_q = 1 << 10;
                           c.heads_kv = 1, HARNESS_WORKSPACE_FINITE);
#undef HARNESS_WORKSPACE_CASE
}

#undef HARNESS_LAYOUT_CASE
#undef HARNESS_SIZE_AND_HEAD_CASES
#undef HARNESS_CASE

#endif /* ATTNGEN_HARNESS_ARGUMENT_CASES_H */
