{{banner}}
#ifndef ATTNGEN_CHECKS_H
#define ATTNGEN_CHECKS_H

/*
 * The argument checks of the C ABI, written once for every backend: the C kernels (attngen_runtime.h) and the
 * CUDA launchers (attngen_runtime_cuda.cuh, host side) include this header and call attngen_check_forward or
 * attngen_check_backward with what their variant requires (attngen_variant_rules). The order of the checks is
 * the one attngen_abi.h documents; nothing is read or written before they all pass. Plain C, valid C++,
 * static inline only.
 */

#include "attngen_abi.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The size checks every entry point starts with: no negative size or head count, and batch and sequence
   lengths within ATTNGEN_MAX_BATCH and ATTNGEN_MAX_SEQLEN. */
static inline attngen_status attngen_check_sizes(int64_t batch, int64_t seqlen_q, int64_t seqlen_k, int32_t heads_q,
                                                 int32_t heads_kv)
{
    if (batch < 0 || seqlen_q < 0 || seqlen_k < 0 || heads_q < 0 || heads_kv < 0) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (batch > ATTNGEN_MAX_BATCH || seqlen_q > ATTNGEN_MAX_SEQLEN || seqlen_k > ATTNGEN_MAX_SEQLEN) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    return ATTNGEN_OK;
}

/* Query heads must be a multiple of key/value heads (when both are given). */
static inline attngen_status attngen_check_head_groups(int32_t heads_q, int32_t heads_kv)
{
    if (heads_q > 0 && heads_kv > 0 && heads_q % heads_kv != 0) {
        return ATTNGEN_ERROR_INVALID_HEADS;
    }
    return ATTNGEN_OK;
}

/*
 * Whether a non-empty tensor of `count` strided dimensions (extents[i] elements, strides[i] apart, all
 * non-negative) and a contiguous innermost one ends within ATTNGEN_MAX_TENSOR_BYTES of its base: its furthest
 * element, at sum((extents[i]-1)*strides[i]) + inner-1, plus one, times `element_bytes`. Each partial sum is
 * bounded before it is formed, so nothing overflows here, and every offset a kernel computes inside the tensor
 * fits in int64_t.
 */
static inline int attngen_strides_fit(const int64_t *strides, const int64_t *extents, int count, int64_t inner,
                                      int64_t element_bytes)
{
    const int64_t limit = ATTNGEN_MAX_TENSOR_BYTES / element_bytes; /* elements */
    if (inner > limit) {
        return 0;
    }
    int64_t span = inner; /* one past the furthest element of the dimensions added so far */
    for (int i = 0; i < count; ++i) {
        if (extents[i] > 1 && strides[i] > (limit - span) / (extents[i] - 1)) {
            return 0;
        }
        span += strides[i] * (extents[i] - 1);
    }
    return 1;
}

/* attngen_strides_fit of a [batch, heads, rows, inner] tensor. */
static inline int attngen_layout_fits(attngen_layout layout, int64_t batch, int64_t heads, int64_t rows,
                                      int64_t inner, int64_t element_bytes)
{
    const int64_t strides[3] = {layout.batch_stride, layout.head_stride, layout.row_stride};
    const int64_t extents[3] = {batch, heads, rows};
    return attngen_strides_fit(strides, extents, 3, inner, element_bytes);
}

/*
 * Whether a [batch, heads, rows, inner] tensor with these strides (elements; inner is contiguous) gives
 * every element its own address: taken by increasing stride, each dimension of more than one element must
 * step past everything the smaller ones span. For a tensor attngen_layout_fits accepts (no overflow).
 */
static inline int attngen_layout_is_disjoint(attngen_layout layout, int64_t batch, int64_t heads, int64_t rows,
                                             int64_t inner)
{
    int64_t strides[3] = {layout.batch_stride, layout.head_stride, layout.row_stride};
    int64_t extents[3] = {batch, heads, rows};
    for (int i = 1; i < 3; ++i) {
        for (int j = i; j > 0 && strides[j - 1] > strides[j]; --j) {
            const int64_t stride = strides[j];
            const int64_t extent = extents[j];
            strides[j] = strides[j - 1];
            extents[j] = extents[j - 1];
            strides[j - 1] = stride;
            extents[j - 1] = extent;
        }
    }
    int64_t span = inner;
    for (int i = 0; i < 3; ++i) {
        if (extents[i] <= 1) {
            continue;
        }
        if (strides[i] < span) {
            return 0;
        }
        span += strides[i] * (extents[i] - 1);
    }
    return 1;
}

/*
 * The layout check of every tensor a call reads (written = 0) or writes (written = 1), sizes already checked
 * non-negative: a tensor with no element is never addressed, so any strides do; otherwise no stride may be
 * negative, the tensor must end within ATTNGEN_MAX_TENSOR_BYTES (attngen_layout_fits), and an output must
 * give every element its own address (attngen_layout_is_disjoint).
 */
static inline int attngen_layout_is_valid(attngen_layout layout, int64_t batch, int64_t heads, int64_t rows,
                                          int64_t inner, int64_t element_bytes, int written)
{
    if (batch == 0 || heads == 0 || rows == 0 || inner == 0) {
        return 1;
    }
    if (layout.batch_stride < 0 || layout.head_stride < 0 || layout.row_stride < 0
        || !attngen_layout_fits(layout, batch, heads, rows, inner, element_bytes)) {
        return 0;
    }
    return !written || attngen_layout_is_disjoint(layout, batch, heads, rows, inner);
}

/* a * b for sizes in bytes or elements, SIZE_MAX when the product does not fit in size_t (and SIZE_MAX stays
   SIZE_MAX): a size no allocation can satisfy. */
static inline size_t attngen_size_mul(size_t a, size_t b)
{
    return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/* a + b rounded up to a multiple of `align` (a power of two), SIZE_MAX when that does not fit in size_t. */
static inline size_t attngen_size_add_aligned(size_t a, size_t b, size_t align)
{
    if (a > SIZE_MAX - b || a + b > SIZE_MAX - (align - 1)) {
        return SIZE_MAX;
    }
    return (a + b + (align - 1)) & ~(align - 1);
}

/* ---- variable-length batches: the rows of one sequence, for the checks and for every kernel ---------------- */

#if defined(__CUDACC__)
#define ATTNGEN_HOST_DEVICE __host__ __device__
#else
#define ATTNGEN_HOST_DEVICE
#endif

/* The rows of sequence b on one side of a call (its queries, or its keys): the batch index the layouts' batch_stride
   multiplies (b, or 0 for packed rows), the packed row of the sequence's row 0 (0 without prefix sums) and how many
   rows the sequence has. */
typedef struct attngen_sequence_rows {
    int64_t batch;
    int64_t first;
    int64_t count;
} attngen_sequence_rows;

/* The rows of sequence b from the prefix sums `cu` (cu_seqlens_q or cu_seqlens_k; NULL: `bound` rows at batch index b),
   clamped into 0 ... total and to at most `bound` rows, so that no row outside the tensors is addressed whatever the
   prefix sums hold (the C backend refuses bad ones first: attngen_prefix_sums_are_valid). */
static inline ATTNGEN_HOST_DEVICE attngen_sequence_rows attngen_sequence_rows_of(const int32_t *cu, int64_t b,
                                                                                 int64_t bound, int64_t total)
{
    attngen_sequence_rows rows;
    if (cu == NULL) {
        rows.batch = b;
        rows.first = 0;
        rows.count = bound;
        return rows;
    }
    int64_t first = cu[b];
    int64_t end = cu[b + 1];
    first = first < 0 ? 0 : (first > total ? total : first);
    end = end < first ? first : (end > total ? total : end);
    rows.batch = 0;
    rows.first = first;
    rows.count = end - first < bound ? end - first : bound;
    return rows;
}

/* The offset, in elements, of row `row` of the sequence in a tensor with this layout (the head's offset aside). */
static inline ATTNGEN_HOST_DEVICE int64_t attngen_sequence_row_offset(attngen_sequence_rows rows,
                                                                      const attngen_layout *layout, int64_t row)
{
    return rows.batch * layout->batch_stride + (rows.first + row) * layout->row_stride;
}

/* The keys sequence b uses: seqlens_k[b] when given (clamped into 0 ... available), else all `available` keys. */
static inline ATTNGEN_HOST_DEVICE int64_t attngen_sequence_key_count(const int32_t *seqlens_k, int64_t b,
                                                                     int64_t available)
{
    if (seqlens_k == NULL) {
        return available;
    }
    const int64_t keys = seqlens_k[b];
    return keys < 0 ? 0 : (keys > available ? available : keys);
}

/* Whether prefix sums (host memory, batch + 1 entries) start at 0 or above, never decrease, give no sequence more than
   `bound` rows and end at or below `total`. */
static inline int attngen_prefix_sums_are_valid(const int32_t *cu, int64_t batch, int64_t bound, int64_t total)
{
    if (cu[0] < 0) {
        return 0;
    }
    for (int64_t b = 0; b < batch; ++b) {
        if (cu[b + 1] < cu[b] || (int64_t)cu[b + 1] - cu[b] > bound) {
            return 0;
        }
    }
    return cu[batch] <= total;
}

/* What a variant requires of its arguments beyond the ABI's own rules (its headers define one). */
typedef struct attngen_variant_rules {
    int64_t head_dim;             /* d of Q and K */
    int64_t value_head_dim;       /* dv of V and O */
    int64_t element_bytes;        /* bytes of one stored element of Q, K, V, O and the gradients */
    int32_t fixed_heads_q;        /* the spec's head counts, or 0 and 0 when they come from the parameters */
    int32_t fixed_heads_kv;
    int32_t saves_lse;            /* the forward pass writes the log-sum-exp (lse required) */
    int32_t sparse_block_rows;    /* block-sparse: the block (block_mask required); 0 and 0 when not */
    int32_t sparse_block_columns;
    int32_t page_size;            /* paged K/V cache: keys per page (page_table required); 0 when contiguous */
    int32_t score_parameter_count; /* run-time arrays of the score modifiers (score_parameters required when > 0) */
    int32_t has_sinks;            /* attention sinks (sinks required) */
    int32_t input_bytes;          /* forward: bytes of one stored element of Q, K and V (1: fp8, with descale factors) */
} attngen_variant_rules;

/* The packed row count of a variable-length side: 0 ... ATTNGEN_MAX_SEQLEN when prefix sums are given (else unused). */
static inline int attngen_packed_rows_are_valid(const int32_t *cu, int64_t total)
{
    return cu == NULL || (total >= 0 && total <= ATTNGEN_MAX_SEQLEN);
}

/* The checks that open both passes: sizes, heads. Returns ATTNGEN_OK when they pass. */
static inline attngen_status attngen_check_sizes_and_heads(int64_t batch, int64_t seqlen_q, int64_t seqlen_k,
                                                           int32_t heads_q, int32_t heads_kv,
                                                           const attngen_variant_rules *rules)
{
    if (attngen_check_sizes(batch, seqlen_q, seqlen_k, heads_q, heads_kv) != ATTNGEN_OK) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (rules->fixed_heads_q > 0 && (heads_q != rules->fixed_heads_q || heads_kv != rules->fixed_heads_kv)) {
        return ATTNGEN_ERROR_INVALID_HEADS;
    }
    return attngen_check_head_groups(heads_q, heads_kv);
}

/* The block mask's layout: batch x heads_q x ceil(Nq / block rows) rows of ceil(Nk / block columns) bytes. */
static inline int attngen_block_mask_is_valid(attngen_layout layout, int64_t batch, int64_t heads_q, int64_t seqlen_q,
                                              int64_t seqlen_k, const attngen_variant_rules *rules)
{
    const int64_t rows = (seqlen_q + rules->sparse_block_rows - 1) / rules->sparse_block_rows;
    const int64_t columns = (seqlen_k + rules->sparse_block_columns - 1) / rules->sparse_block_columns;
    return attngen_layout_is_valid(layout, batch, heads_q, rows, columns, 1, 0);
}

/*
 * Every check of a forward call, in the documented order. Sets *has_work to 1 when there are query rows to
 * compute (0 and ATTNGEN_OK for a problem with none, which is valid and does nothing).
 */
static inline attngen_status attngen_check_forward(const attngen_forward_params *params,
                                                   const attngen_variant_rules *rules, int *has_work)
{
    *has_work = 0;
    if (params == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    if (params->struct_size != sizeof(attngen_forward_params)) {
        return ATTNGEN_ERROR_ABI_MISMATCH;
    }
    const attngen_status sizes = attngen_check_sizes_and_heads(params->batch, params->seqlen_q, params->seqlen_k,
                                                               params->heads_q, params->heads_kv, rules);
    if (sizes != ATTNGEN_OK) {
        return sizes;
    }
    const int paged = rules->page_size > 0 && params->seqlen_k > 0;
    if (rules->page_size > 0 && (params->num_pages < 0 || params->num_pages > ATTNGEN_MAX_SEQLEN)) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (params->batch == 0 || params->seqlen_q == 0) {
        return ATTNGEN_OK; /* no query rows: nothing to compute or write */
    }
    if (params->heads_q == 0 || params->heads_kv == 0 || (paged && params->num_pages == 0)) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (params->q == NULL || params->k == NULL || params->v == NULL || params->o == NULL
        || (rules->saves_lse && params->lse == NULL) || (rules->sparse_block_rows > 0 && params->block_mask == NULL)
        || (paged && params->page_table == NULL)
        || (rules->score_parameter_count > 0 && params->score_parameters == NULL)
        || (rules->has_sinks && params->sinks == NULL)) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    if (rules->page_size > 0 && params->cu_seqlens_k != NULL) {
        return ATTNGEN_ERROR_UNSUPPORTED; /* a paged cache takes its key counts from seqlens_k */
    }
    if (!attngen_packed_rows_are_valid(params->cu_seqlens_q, params->total_q)
        || !attngen_packed_rows_are_valid(params->cu_seqlens_k, params->total_k)) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    /* Every tensor read or written: strides, span (ATTNGEN_MAX_TENSOR_BYTES), and outputs without overlaps. */
    const int64_t nb = params->batch, hq = params->heads_q, hkv = params->heads_kv;
    const int64_t nq = params->seqlen_q, nk = params->seqlen_k, bytes = rules->element_bytes;
    /* Q, O and LSE: [batch, heads_q, seqlen_q] rows, or packed (cu_seqlens_q) [1, heads_q, total_q]. */
    const int64_t q_outer = params->cu_seqlens_q != NULL ? 1 : nb;
    const int64_t q_rows = params->cu_seqlens_q != NULL ? params->total_q : nq;
    /* K and V: [batch, heads_kv, seqlen_k] rows, packed [1, heads_kv, total_k], or for a paged cache [num_pages,
       heads_kv, page_size] rows and a page table of ceil(seqlen_k / page_size) int32 entries per sequence,
       page_table_stride apart. */
    const int64_t kv_outer = paged ? params->num_pages : (params->cu_seqlens_k != NULL ? 1 : nb);
    const int64_t kv_rows = paged ? rules->page_size : (params->cu_seqlens_k != NULL ? params->total_k : nk);
    const int64_t pages_per_sequence = paged ? (nk + rules->page_size - 1) / rules->page_size : 0;
    const attngen_layout page_table_layout = {params->page_table_stride, 0, 1};
    const int64_t input_bytes = rules->input_bytes;
    /* fp8 inputs: each descale factor array given, [batch, heads_kv] floats (strides 0: one factor). */
    const attngen_layout descale_layout = {params->descale_batch_stride, params->descale_head_stride, 0};
    const int descales_valid = input_bytes != 1
        || ((params->q_descale == NULL && params->k_descale == NULL && params->v_descale == NULL)
            || attngen_layout_is_valid(descale_layout, nb, hkv, 1, 1, (int64_t)sizeof(float), 0));
    if (!attngen_layout_is_valid(params->q_layout, q_outer, hq, q_rows, rules->head_dim, input_bytes, 0)
        || !attngen_layout_is_valid(params->k_layout, kv_outer, hkv, kv_rows, rules->head_dim, input_bytes, 0)
        || !attngen_layout_is_valid(params->v_layout, kv_outer, hkv, kv_rows, rules->value_head_dim, input_bytes, 0)
        || !descales_valid
        || (paged && !attngen_layout_is_valid(page_table_layout, nb, 1, 1, pages_per_sequence, 4, 0))
        || !attngen_layout_is_valid(params->o_layout, q_outer, hq, q_rows, rules->value_head_dim, bytes, 1)
        || (rules->saves_lse
            && !attngen_layout_is_valid(params->lse_layout, q_outer, hq, q_rows, 1, (int64_t)sizeof(float), 1))
        || (rules->sparse_block_rows > 0
            && !attngen_block_mask_is_valid(params->block_mask_layout, nb, hq, nq, nk, rules))) {
        return ATTNGEN_ERROR_INVALID_LAYOUT;
    }
    *has_work = 1;
    return ATTNGEN_OK;
}

/*
 * Every check of a backward call, in the documented order; `workspace_size` is the variant's own
 * attngen_NAME_backward_workspace_size(_cuda). Sets *has_work to 1 when there is anything to compute.
 */
static inline attngen_status attngen_check_backward(const attngen_backward_params *params,
                                                    const attngen_variant_rules *rules,
                                                    size_t (*workspace_size)(const attngen_backward_params *),
                                                    int *has_work)
{
    *has_work = 0;
    if (params == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    if (params->struct_size != sizeof(attngen_backward_params)) {
        return ATTNGEN_ERROR_ABI_MISMATCH;
    }
    const attngen_status sizes = attngen_check_sizes_and_heads(params->batch, params->seqlen_q, params->seqlen_k,
                                                               params->heads_q, params->heads_kv, rules);
    if (sizes != ATTNGEN_OK) {
        return sizes;
    }
    if (params->dq_mode != ATTNGEN_DQ_DETERMINISTIC && params->dq_mode != ATTNGEN_DQ_FAST) {
        return ATTNGEN_ERROR_INVALID_MODE;
    }
    if (params->batch == 0 || (params->seqlen_q == 0 && params->seqlen_k == 0)) {
        return ATTNGEN_OK;
    }
    if (params->heads_q == 0 || params->heads_kv == 0) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (params->q == NULL || params->k == NULL || params->v == NULL || params->o == NULL || params->lse == NULL
        || params->d_o == NULL || params->dq == NULL || params->dk == NULL || params->dv == NULL
        || (rules->sparse_block_rows > 0 && params->block_mask == NULL)
        || (rules->score_parameter_count > 0 && params->score_parameters == NULL)
        || (rules->has_sinks && params->sinks == NULL)) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    if (!attngen_packed_rows_are_valid(params->cu_seqlens_q, params->total_q)
        || !attngen_packed_rows_are_valid(params->cu_seqlens_k, params->total_k)) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    /* Every tensor read or written: strides, span (ATTNGEN_MAX_TENSOR_BYTES), and gradients without overlaps.
       A tensor with no element (Nq = 0 or Nk = 0) is never addressed: any strides do. Packed tensors (cu_seqlens_q,
       cu_seqlens_k) are [1, heads, total] rows. */
    const int64_t nb = params->batch, hq = params->heads_q, hkv = params->heads_kv;
    const int64_t nq = params->seqlen_q, nk = params->seqlen_k, bytes = rules->element_bytes;
    const int64_t d = rules->head_dim, dv = rules->value_head_dim;
    const int64_t qb = params->cu_seqlens_q != NULL ? 1 : nb, qr = params->cu_seqlens_q != NULL ? params->total_q : nq;
    const int64_t kb = params->cu_seqlens_k != NULL ? 1 : nb, kr = params->cu_seqlens_k != NULL ? params->total_k : nk;
    if (!attngen_layout_is_valid(params->q_layout, qb, hq, qr, d, bytes, 0)
        || !attngen_layout_is_valid(params->k_layout, kb, hkv, kr, d, bytes, 0)
        || !attngen_layout_is_valid(params->v_layout, kb, hkv, kr, dv, bytes, 0)
        || !attngen_layout_is_valid(params->o_layout, qb, hq, qr, dv, bytes, 0)
        || !attngen_layout_is_valid(params->d_o_layout, qb, hq, qr, dv, bytes, 0)
        || !attngen_layout_is_valid(params->lse_layout, qb, hq, qr, 1, (int64_t)sizeof(float), 0)
        || !attngen_layout_is_valid(params->dq_layout, qb, hq, qr, d, bytes, 1)
        || !attngen_layout_is_valid(params->dk_layout, kb, hkv, kr, d, bytes, 1)
        || !attngen_layout_is_valid(params->dv_layout, kb, hkv, kr, dv, bytes, 1)
        || (rules->sparse_block_rows > 0
            && !attngen_block_mask_is_valid(params->block_mask_layout, nb, hq, nq, nk, rules))) {
        return ATTNGEN_ERROR_INVALID_LAYOUT;
    }
    if (nq > 0 && (params->workspace == NULL || params->workspace_size < workspace_size(params)
                   || ((uintptr_t)params->workspace & 15u) != 0)) {
        return ATTNGEN_ERROR_WORKSPACE_TOO_SMALL;
    }
    *has_work = 1;
    return ATTNGEN_OK;
}

/* Whether every entry of a forward call's seqlens_k (host memory, `batch` entries) lies in 0 ... seqlen_k, and within
   the sequence's keys when cu_seqlens_k (checked first) packs them. */
static inline int attngen_sequence_keys_are_valid(const attngen_forward_params *params)
{
    for (int64_t b = 0; b < params->batch; ++b) {
        const int64_t available = params->cu_seqlens_k != NULL
                                      ? (int64_t)params->cu_seqlens_k[b + 1] - params->cu_seqlens_k[b] : params->seqlen_k;
        if (params->seqlens_k[b] < 0 || params->seqlens_k[b] > available) {
            return 0;
        }
    }
    return 1;
}

/* Whether every page a paged forward call reads (host memory: ceil(keys / page_size) entries of each sequence's row
   of the page table, the keys being seqlens_k[b] or seqlen_k) lies in 0 ... num_pages - 1. */
static inline int attngen_pages_are_valid(const attngen_forward_params *params, int64_t page_size)
{
    for (int64_t b = 0; b < params->batch; ++b) {
        const int64_t keys = params->seqlens_k != NULL ? params->seqlens_k[b] : params->seqlen_k;
        const int32_t *row = params->page_table + b * params->page_table_stride;
        for (int64_t i = 0; i < (keys + page_size - 1) / page_size; ++i) {
            if (row[i] < 0 || row[i] >= params->num_pages) {
                return 0;
            }
        }
    }
    return 1;
}

/* A checked forward call's parameters as every backend's kernels take them: the strides of tensors without elements
   (K and V when no sequence has keys: seqlen_k = 0, or cu_seqlens_k with total_k = 0; the block mask without keys),
   which the checks leave unbounded, become zeros so that no offset is formed from them; and the batch strides of
   packed tensors (cu_seqlens_q: Q, O, LSE; cu_seqlens_k: K, V), which no element uses, become zeros so that they
   neither enter an offset nor fail a 16-byte alignment test (README.md, "Variable-length batches"). */
static inline attngen_forward_params attngen_forward_layouts_in_use(const attngen_forward_params *checked)
{
    attngen_forward_params p = *checked;
    const attngen_layout none = {0, 0, 0};
    if (p.cu_seqlens_q != NULL) {
        p.q_layout.batch_stride = p.o_layout.batch_stride = p.lse_layout.batch_stride = 0;
    }
    if (p.cu_seqlens_k != NULL) {
        p.k_layout.batch_stride = p.v_layout.batch_stride = 0;
    }
    if (p.seqlen_k == 0 || (p.cu_seqlens_k != NULL && p.total_k == 0)) {
        p.k_layout = p.v_layout = none;
    }
    if (p.seqlen_k == 0) {
        p.block_mask_layout = none;
    }
    return p;
}

/* The same for a checked backward call: the query side (Q, O, dO, LSE, dQ) without rows (seqlen_q = 0, or
   cu_seqlens_q with total_q = 0), the key side (K, V, dK, dV) without keys, the block mask when either is empty, and
   the batch strides of packed tensors. */
static inline attngen_backward_params attngen_backward_layouts_in_use(const attngen_backward_params *checked)
{
    attngen_backward_params p = *checked;
    const attngen_layout none = {0, 0, 0};
    if (p.cu_seqlens_q != NULL) {
        p.q_layout.batch_stride = p.o_layout.batch_stride = p.d_o_layout.batch_stride = 0;
        p.lse_layout.batch_stride = p.dq_layout.batch_stride = 0;
    }
    if (p.cu_seqlens_k != NULL) {
        p.k_layout.batch_stride = p.v_layout.batch_stride = p.dk_layout.batch_stride = p.dv_layout.batch_stride = 0;
    }
    if (p.seqlen_q == 0 || (p.cu_seqlens_q != NULL && p.total_q == 0)) {
        p.q_layout = p.o_layout = p.d_o_layout = p.lse_layout = p.dq_layout = none;
    }
    if (p.seqlen_k == 0 || (p.cu_seqlens_k != NULL && p.total_k == 0)) {
        p.k_layout = p.v_layout = p.dk_layout = p.dv_layout = none;
    }
    if (p.seqlen_q == 0 || p.seqlen_k == 0) {
        p.block_mask_layout = none;
    }
    return p;
}

/* A [splits, batch, heads, rows, inner] tensor read by the combine call: no negative stride, and its span within
   ATTNGEN_MAX_TENSOR_BYTES (attngen_strides_fit). Sizes are checked positive. */
static inline int attngen_split_layout_is_valid(attngen_layout layout, int64_t split_stride, int64_t splits,
                                                int64_t batch, int64_t heads, int64_t rows, int64_t inner,
                                                int64_t element_bytes)
{
    const int64_t strides[4] = {split_stride, layout.batch_stride, layout.head_stride, layout.row_stride};
    const int64_t extents[4] = {splits, batch, heads, rows};
    for (int i = 0; i < 4; ++i) {
        if (strides[i] < 0) {
            return 0;
        }
    }
    return attngen_strides_fit(strides, extents, 4, inner, element_bytes);
}

/*
 * Every check of a combine call, in the order attngen_abi.h documents; `value_head_dim` and `element_bytes`
 * describe the variant's O. Sets *has_work to 1 when there are rows to merge.
 */
static inline attngen_status attngen_check_combine(const attngen_combine_params *params, int64_t value_head_dim,
                                                   int64_t element_bytes, int *has_work)
{
    *has_work = 0;
    if (params == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    if (params->struct_size != sizeof(attngen_combine_params)) {
        return ATTNGEN_ERROR_ABI_MISMATCH;
    }
    if (params->splits < 0 || params->splits > ATTNGEN_MAX_SEQLEN
        || attngen_check_sizes(params->batch, params->seqlen_q, 0, params->heads_q, 0) != ATTNGEN_OK) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (params->batch == 0 || params->seqlen_q == 0) {
        return ATTNGEN_OK;
    }
    if (params->splits == 0 || params->heads_q == 0) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (params->o_partial == NULL || params->lse_partial == NULL || params->o == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    const int64_t s = params->splits, nb = params->batch, hq = params->heads_q, nq = params->seqlen_q;
    const int64_t fp32 = (int64_t)sizeof(float);
    if (!attngen_split_layout_is_valid(params->o_partial_layout, params->o_partial_split_stride, s, nb, hq, nq,
                                       value_head_dim, fp32)
        || !attngen_split_layout_is_valid(params->lse_partial_layout, params->lse_partial_split_stride, s, nb, hq, nq,
                                          1, fp32)
        || !attngen_layout_is_valid(params->o_layout, nb, hq, nq, value_head_dim, element_bytes, 1)
        || (params->lse != NULL && !attngen_layout_is_valid(params->lse_layout, nb, hq, nq, 1, fp32, 1))) {
        return ATTNGEN_ERROR_INVALID_LAYOUT;
    }
    *has_work = 1;
    return ATTNGEN_OK;
}

/*
 * Every check of a quantize call (variants with fp8 inputs), in the order attngen_abi.h documents; `head_dim`,
 * `value_head_dim` and `element_bytes` describe the variant. Sets *columns to the operand's head dim and *has_work
 * to 1 when there are elements to quantize.
 */
static inline attngen_status attngen_check_quantize(const attngen_quantize_params *params, int64_t head_dim,
                                                    int64_t value_head_dim, int64_t element_bytes, int64_t *columns,
                                                    int *has_work)
{
    *has_work = 0;
    if (params == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    if (params->struct_size != sizeof(attngen_quantize_params)) {
        return ATTNGEN_ERROR_ABI_MISMATCH;
    }
    if (attngen_check_sizes(params->batch, params->seqlen, 0, params->heads, params->heads_kv) != ATTNGEN_OK) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    const int32_t operand = params->operand;
    if (attngen_check_head_groups(params->heads, params->heads_kv) != ATTNGEN_OK
        || ((operand == ATTNGEN_QUANTIZE_K || operand == ATTNGEN_QUANTIZE_V) && params->heads != params->heads_kv)) {
        return ATTNGEN_ERROR_INVALID_HEADS;
    }
    if ((operand != ATTNGEN_QUANTIZE_Q && operand != ATTNGEN_QUANTIZE_K && operand != ATTNGEN_QUANTIZE_V)
        || (params->rotate != 0 && params->rotate != 1) || (params->rotate && operand == ATTNGEN_QUANTIZE_V)) {
        return ATTNGEN_ERROR_INVALID_MODE;
    }
    *columns = operand == ATTNGEN_QUANTIZE_V ? value_head_dim : head_dim;
    if (params->batch == 0 || params->seqlen == 0) {
        return ATTNGEN_OK;
    }
    if (params->heads == 0 || params->heads_kv == 0) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (params->x == NULL || params->x8 == NULL || params->descale == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    const int64_t nb = params->batch, nh = params->heads, ns = params->seqlen;
    const attngen_layout factors = {params->descale_batch_stride, params->descale_head_stride, 0};
    const int shared = factors.batch_stride == 0 && factors.head_stride == 0;
    if (!attngen_layout_is_valid(params->x_layout, nb, nh, ns, *columns, element_bytes, 0)
        || !attngen_layout_is_valid(params->x8_layout, nb, nh, ns, *columns, 1, 1)
        || !attngen_layout_is_valid(factors, nb, params->heads_kv, 1, 1, (int64_t)sizeof(float), !shared)) {
        return ATTNGEN_ERROR_INVALID_LAYOUT;
    }
    *has_work = 1;
    return ATTNGEN_OK;
}

/* The sign of column `column` of the quantize call's rotation (attngen_quantize_params): -1 where bit 63 of
   splitmix64(seed + (column + 1) * 0x9E3779B97F4A7C15) is set, else +1. */
static inline float attngen_rotation_sign(uint64_t seed, int64_t column)
{
    uint64_t z = seed + (uint64_t)(column + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (z >> 63) ? -1.0f : 1.0f;
}

#ifdef __cplusplus
}
#endif

#endif /* ATTNGEN_CHECKS_H */
