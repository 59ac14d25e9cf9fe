{{banner}}
#ifndef ATTNGEN_ABI_H
#define ATTNGEN_ABI_H

/*
 * The C ABI shared by every kernel attngen generates, for the C and the CUDA backends.
 *
 * Every variant `NAME` exports
 *     attngen_status attngen_NAME_forward(const attngen_forward_params *params);                    (C)
 *     attngen_status attngen_NAME_forward_cuda(const attngen_forward_params *params, cudaStream_t); (CUDA)
 * taking one parameter struct. Fields a variant does not use are ignored (and may be zero or NULL).
 * Variants generated with a backward pass also export (C)
 *     size_t attngen_NAME_backward_workspace_size(const attngen_backward_params *params);
 *     attngen_status attngen_NAME_backward(const attngen_backward_params *params);
 * or (CUDA) attngen_NAME_backward_workspace_size_cuda and attngen_NAME_backward_cuda(params, stream).
 * The workspace size is 0 when the call needs no workspace (no query rows), and SIZE_MAX, which no
 * allocation can satisfy, when params is NULL, its struct_size is wrong or a size is negative or above
 * the limits below (the call refuses those parameters anyway).
 *
 * Tensors: Q is [batch, heads_q, seqlen_q, head_dim], K is [batch, heads_kv, seqlen_k, head_dim],
 * V is [batch, heads_kv, seqlen_k, value_head_dim], O is [batch, heads_q, seqlen_q, value_head_dim],
 * LSE is [batch, heads_q, seqlen_q] in fp32. Each is addressed through an attngen_layout: element
 * (b, h, s, i) is at  base + b*batch_stride + h*head_stride + s*row_stride + i, strides counted in
 * elements, so the last dimension is contiguous and any order of the other three works
 * (BSHD: row_stride = heads*dim, head_stride = dim; BHSD: head_stride = seqlen*dim, row_stride = dim).
 * A tensor with no element (a size of 0) is never addressed: any strides are valid for it.
 * Storage: fp32 is `float`; fp16 and bf16 are passed as raw 16-bit patterns (`uint16_t`).
 *
 * Limits, checked by every entry point before anything is read or written (see ATTNGEN_MAX_* below):
 * batch and sequence lengths above ATTNGEN_MAX_BATCH / ATTNGEN_MAX_SEQLEN return ATTNGEN_ERROR_INVALID_SIZE;
 * a tensor whose furthest element ends more than ATTNGEN_MAX_TENSOR_BYTES bytes past its base returns
 * ATTNGEN_ERROR_INVALID_LAYOUT. Within them no offset, size or count a kernel computes can overflow.
 *
 * The functions hold no global state and may be called from several threads at once.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the layout of a struct below changes. */
#define ATTNGEN_ABI_VERSION 1

/* The largest batch and the largest seqlen_q / seqlen_k a call accepts (heads are int32_t already);
   larger sizes return ATTNGEN_ERROR_INVALID_SIZE. */
#define ATTNGEN_MAX_BATCH 2147483647
#define ATTNGEN_MAX_SEQLEN 2147483647
/* The most bytes any tensor a call reads or writes (Q, K, V, O, LSE, dO, dQ, dK, dV, the block mask) may span:
   (highest element offset + 1) * element size, the highest offset of a non-empty tensor being
   (batch-1)*batch_stride + (heads-1)*head_stride + (rows-1)*row_stride + inner-1. A larger span returns
   ATTNGEN_ERROR_INVALID_LAYOUT. */
#define ATTNGEN_MAX_TENSOR_BYTES ((int64_t)1 << 62)

typedef enum attngen_status {
    ATTNGEN_OK = 0,
    /* A required pointer (q, k, v, o, lse when saved, block_mask when block-sparse) is NULL. */
    ATTNGEN_ERROR_NULL_POINTER = 1,
    /* batch, seqlen_q, seqlen_k or a head count is negative, batch or a sequence length is above
       ATTNGEN_MAX_BATCH / ATTNGEN_MAX_SEQLEN, or heads are zero while sizes are not. */
    ATTNGEN_ERROR_INVALID_SIZE = 2,
    /* heads_q is not a multiple of heads_kv, or differs from the counts fixed in the spec. */
    ATTNGEN_ERROR_INVALID_HEADS = 3,
    /* A layout of a tensor with elements is unusable: a negative stride, a span above
       ATTNGEN_MAX_TENSOR_BYTES, or rows/heads/batches of an output overlapping one another
       (row_stride < dim, and so on). */
    ATTNGEN_ERROR_INVALID_LAYOUT = 4,
    /* struct_size does not match this header's sizeof(attngen_forward_params). */
    ATTNGEN_ERROR_ABI_MISMATCH = 5,
    /* The C kernel could not allocate its per-call workspace. */
    ATTNGEN_ERROR_OUT_OF_MEMORY = 6,
    /* A CUDA call failed (the launcher returns before or right after the launch). */
    ATTNGEN_ERROR_CUDA = 7,
    /* Backward: the caller's workspace is NULL or smaller than ..._backward_workspace_size() says. */
    ATTNGEN_ERROR_WORKSPACE_TOO_SMALL = 8,
    /* Backward: dq_mode is not one of attngen_dq_mode. */
    ATTNGEN_ERROR_INVALID_MODE = 9
} attngen_status;

/* Strides, in elements, of one tensor; the innermost dimension is contiguous. */
typedef struct attngen_layout {
    int64_t batch_stride;
    int64_t head_stride;
    int64_t row_stride;
} attngen_layout;

typedef struct attngen_forward_params {
    /* Must be sizeof(attngen_forward_params): guards against a header/library mismatch. */
    size_t struct_size;

    /* Sizes. Zero-sized problems are valid and do nothing. */
    int64_t batch;
    int64_t seqlen_q;
    int64_t seqlen_k;
    int32_t heads_q;
    int32_t heads_kv;

    /* Tensors (device pointers for CUDA). */
    const void *q;
    const void *k;
    const void *v;
    void *o;
    float *lse;                 /* written when the variant saves the log-sum-exp, else ignored */

    attngen_layout q_layout;
    attngen_layout k_layout;
    attngen_layout v_layout;
    attngen_layout o_layout;
    attngen_layout lse_layout;  /* row_stride is normally 1 */

    /* Block-sparse variants: one byte per (query block, key block), non-zero = computed.
       Byte (b, h, i, j) is at block_mask + b*batch_stride + h*head_stride + i*row_stride + j;
       batch_stride = head_stride = 0 shares one layout across all batches and heads. */
    const uint8_t *block_mask;
    attngen_layout block_mask_layout;

    /* Dropout variants: the Philox4x32-10 key is the seed; the offset selects the stream
       (README.md, "Dropout", gives the exact mapping). */
    uint64_t dropout_seed;
    uint64_t dropout_offset;

    /* C backend: worker threads when built with OpenMP; 0 = the OpenMP default. Ignored by CUDA. */
    int32_t num_threads;
} attngen_forward_params;

/* How the backward pass accumulates dQ, which every key tile contributes to. */
typedef enum attngen_dq_mode {
    /* Each worker owns whole (batch, key/value head) groups and visits tiles in a fixed order:
       results are bit-identical from run to run, whatever the thread count. */
    ATTNGEN_DQ_DETERMINISTIC = 0,
    /* Workers split key tiles too and add into dQ atomically: more parallelism, and the order of
       floating-point additions (so the last bits of dQ) may change from run to run. */
    ATTNGEN_DQ_FAST = 1
} attngen_dq_mode;

typedef struct attngen_backward_params {
    /* Must be sizeof(attngen_backward_params). */
    size_t struct_size;

    int64_t batch;
    int64_t seqlen_q;
    int64_t seqlen_k;
    int32_t heads_q;
    int32_t heads_kv;

    /* Forward inputs and outputs: Q, K, V, O and the fp32 log-sum-exp the forward pass saved. */
    const void *q;
    const void *k;
    const void *v;
    const void *o;
    const float *lse;
    /* The incoming gradient dL/dO, shaped like O. */
    const void *d_o;
    /* The gradients written, in the storage type: dQ like Q, dK like K, dV like V. For GQA/MQA,
       dK and dV sum over the query heads that share a key/value head. */
    void *dq;
    void *dk;
    void *dv;

    attngen_layout q_layout;
    attngen_layout k_layout;
    attngen_layout v_layout;
    attngen_layout o_layout;
    attngen_layout lse_layout;
    attngen_layout d_o_layout;
    attngen_layout dq_layout;
    attngen_layout dk_layout;
    attngen_layout dv_layout;

    /* Same meaning as in attngen_forward_params; must match the forward call. */
    const uint8_t *block_mask;
    attngen_layout block_mask_layout;
    uint64_t dropout_seed;
    uint64_t dropout_offset;

    /* An attngen_dq_mode. */
    int32_t dq_mode;
    /* C backend: worker threads when built with OpenMP; 0 = the OpenMP default. */
    int32_t num_threads;

    /* Scratch memory of at least attngen_NAME_backward_workspace_size(params) bytes, 16-byte aligned;
       the call owns it until it returns. Holds dQ in fp32 and the row sums D = rowsum(dO * O). */
    void *workspace;
    size_t workspace_size;
} attngen_backward_params;

#ifdef __cplusplus
}
#endif

#endif /* ATTNGEN_ABI_H */
