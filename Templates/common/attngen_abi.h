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
 * Every variant also exports the merge of partial results (attngen_combine_params below)
 *     attngen_status attngen_NAME_combine(const attngen_combine_params *params);                    (C)
 *     attngen_status attngen_NAME_combine_cuda(const attngen_combine_params *params, cudaStream_t); (CUDA)
 * Variants with fp8 inputs also export the quantize call (attngen_quantize_params below)
 *     attngen_status attngen_NAME_quantize(const attngen_quantize_params *params);                  (C)
 *     attngen_status attngen_NAME_quantize_cuda(const attngen_quantize_params *params, cudaStream_t); (CUDA)
 * and CUDA variants the size of the optional forward workspace (split-KV decoding)
 *     size_t attngen_NAME_forward_workspace_size_cuda(const attngen_forward_params *params);
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
 * Storage: fp32 is `float`; fp16 and bf16 are passed as raw 16-bit patterns (`uint16_t`); fp8 e4m3 inputs (Q, K
 * and V of variants with ATTNGEN_NAME_INPUT_BYTES 1) as raw bytes (`uint8_t`), times q_descale / k_descale / v_descale.
 *
 * Limits, checked by every entry point before anything is read or written (see ATTNGEN_MAX_* below):
 * batch and sequence lengths above ATTNGEN_MAX_BATCH / ATTNGEN_MAX_SEQLEN return ATTNGEN_ERROR_INVALID_SIZE;
 * a tensor whose furthest element ends more than ATTNGEN_MAX_TENSOR_BYTES bytes past its base returns
 * ATTNGEN_ERROR_INVALID_LAYOUT. Within them no offset, size or count a kernel computes can overflow.
 *
 * Arguments are checked in this order before anything is read or written; the first problem is returned:
{{check_order}}
 *
 * The combine call checks, in this order: params NULL (ATTNGEN_ERROR_NULL_POINTER); struct_size
 * (ATTNGEN_ERROR_ABI_MISMATCH); a negative size, batch / seqlen_q above the limits, or splits above
 * ATTNGEN_MAX_SEQLEN (ATTNGEN_ERROR_INVALID_SIZE); no rows (ATTNGEN_OK, nothing read); splits or heads_q 0
 * (ATTNGEN_ERROR_INVALID_SIZE); o_partial, lse_partial or o NULL (ATTNGEN_ERROR_NULL_POINTER); a layout or
 * split stride negative, a span above ATTNGEN_MAX_TENSOR_BYTES, or an output overlapping itself
 * (ATTNGEN_ERROR_INVALID_LAYOUT).
 *
 * The quantize call checks, in this order: params NULL (ATTNGEN_ERROR_NULL_POINTER); struct_size
 * (ATTNGEN_ERROR_ABI_MISMATCH); a negative size, batch / seqlen above the limits (ATTNGEN_ERROR_INVALID_SIZE);
 * heads not a multiple of heads_kv, or heads_kv != heads for K and V (ATTNGEN_ERROR_INVALID_HEADS); operand or
 * rotate invalid (ATTNGEN_ERROR_INVALID_MODE); no element (ATTNGEN_OK, nothing read or written); a head count 0
 * (ATTNGEN_ERROR_INVALID_SIZE); x, x8 or descale NULL (ATTNGEN_ERROR_NULL_POINTER); a layout or descale stride
 * negative, a span above ATTNGEN_MAX_TENSOR_BYTES, x8 overlapping itself, or the factors overlapping one another
 * while not all shared (ATTNGEN_ERROR_INVALID_LAYOUT).
 *
 * The functions hold no global state and may be called from several threads at once.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the layout of a struct below changes. */
#define ATTNGEN_ABI_VERSION {{version}}

{{limits}}

{{status}}

{{layout}}

{{forward_params}}

{{dq_mode}}

{{backward_params}}

{{combine_params}}

{{quantize_operand}}

{{quantize_params}}

#ifdef __cplusplus
}
#endif

#endif /* ATTNGEN_ABI_H */
