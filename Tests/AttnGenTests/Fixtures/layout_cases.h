/*
 * layout_cases.h: tensors at the edges of the ABI's layout rules, with the answer attngen_layout_is_valid must
 * give (attngen_abi.h: a tensor with no element is valid whatever its strides; otherwise strides are non-negative,
 * (furthest element offset + 1) * element bytes <= ATTNGEN_MAX_TENSOR_BYTES, and an output gives every element its
 * own address). Shared by layout_check.c (the C runtime's helper) and cuda_arguments.cu (the CUDA runtime's), so
 * both are held to the same answers. Plain C that also compiles as C++.
 */
#ifndef ATTNGEN_HARNESS_LAYOUT_CASES_H
#define ATTNGEN_HARNESS_LAYOUT_CASES_H

#include <stdint.h>

#include "attngen_abi.h"

typedef struct harness_layout_case {
    const char *name;
    int64_t batch_stride, head_stride, row_stride;
    int64_t batch, heads, rows, inner;
    int64_t element_bytes;
    int written;
    int valid;
} harness_layout_case;

#define HARNESS_E60 ((int64_t)1 << 60)
#define HARNESS_E61 ((int64_t)1 << 61)
#define HARNESS_E62 ((int64_t)1 << 62)

static const harness_layout_case harness_layout_cases[] = {
    /* name                              strides (b, h, s)                    extents (b, h, s, inner) bytes out valid */
    {"bhsd",                             2 * 9 * 64, 9 * 64, 64,              2, 2, 9, 64,   2, 1, 1},
    {"bshd",                             9 * 2 * 64, 64, 2 * 64,              2, 2, 9, 64,   2, 1, 1},
    {"broadcast_input",                  0, 0, 0,                             2, 2, 9, 64,   2, 0, 1},
    {"broadcast_output",                 0, 0, 64,                            2, 2, 9, 64,   2, 1, 0},
    {"rows_overlap",                     2 * 9 * 64, 9 * 64, 63,              2, 2, 9, 64,   4, 1, 0},
    {"rows_overlap_input",               2 * 9 * 64, 9 * 64, 63,              2, 2, 9, 64,   4, 0, 1},
    {"negative_stride",                  -1, 9 * 64, 64,                      2, 2, 9, 64,   4, 0, 0},
    {"negative_stride_extent_1",         -1, 9 * 64, 64,                      1, 2, 9, 64,   4, 0, 0},
    /* empty tensors: any strides (torch.empty(B, H, 0, D) has batch and head strides 0) */
    {"empty_rows_torch_strides",         0, 0, 64,                            2, 4, 0, 64,   2, 1, 1},
    {"empty_rows_bshd_torch_strides",    0, 64, 4 * 64,                       2, 4, 0, 64,   2, 1, 1},
    {"empty_batch_negative_strides",     -5, -7, -9,                          0, 4, 9, 64,   4, 1, 1},
    {"empty_heads_huge_strides",         INT64_MAX, INT64_MAX, INT64_MAX,     2, 0, 9, 64,   4, 1, 1},
    {"empty_inner",                      INT64_MIN, 1, 1,                     2, 2, 9, 0,    1, 0, 1},
    /* the limit: (offset + 1) * bytes <= 2^62 */
    {"fp32_at_limit",                    0, 0, HARNESS_E60 - 1,               1, 1, 2, 1,    4, 0, 1},
    {"fp32_past_limit",                  0, 0, HARNESS_E60,                   1, 1, 2, 1,    4, 0, 0},
    {"fp16_at_limit",                    HARNESS_E60 - 1, 0, 0,               3, 1, 1, 1,    2, 1, 1},
    {"fp16_past_limit",                  HARNESS_E60, 0, 0,                   3, 1, 1, 1,    2, 1, 0},
    {"bytes_inner_at_limit",             0, 0, 0,                             1, 1, 1, HARNESS_E62, 1, 0, 1},
    {"bytes_inner_past_limit",           0, 0, 0,                             1, 1, 1, HARNESS_E62 + 1, 1, 0, 0},
    {"fp32_inner_past_limit",            0, 0, 0,                             1, 1, 1, HARNESS_E60 + 1, 4, 0, 0},
    {"three_strides_sum_past_limit",     HARNESS_E61, HARNESS_E61, HARNESS_E61, 2, 2, 2, 1,  1, 0, 0},
    {"three_strides_sum_at_limit",       HARNESS_E61, HARNESS_E60, HARNESS_E60 - 1, 2, 2, 2, 1, 1, 0, 1},
    /* strides whose products overflow int64_t */
    {"row_stride_int64_max",             0, 0, INT64_MAX,                     1, 1, 2, 64,   4, 0, 0},
    {"row_stride_int64_max_half",        0, 0, INT64_MAX / 2,                 1, 1, 9, 64,   2, 0, 0},
    {"batch_stride_int64_max",           INT64_MAX, 64, 64,                   2, 1, 1, 64,   2, 0, 0},
    {"batch_stride_int64_max_extent_1",  INT64_MAX, 64 * 9, 64,               1, 2, 9, 64,   2, 1, 1},
    {"huge_extents",                     1, 1, 1,                             INT64_MAX, INT64_MAX, INT64_MAX, 1, 1, 0, 0},
    {"stride_times_extent_wraps",        (int64_t)1 << 33, 0, 0,              (int64_t)1 << 31, 1, 1, 1, 1, 0, 0},
};

#define HARNESS_LAYOUT_CASE_COUNT ((int)(sizeof harness_layout_cases / sizeof harness_layout_cases[0]))

static inline attngen_layout harness_layout_of(const harness_layout_case *c)
{
    attngen_layout layout;
    layout.batch_stride = c->batch_stride;
    layout.head_stride = c->head_stride;
    layout.row_stride = c->row_stride;
    return layout;
}

#undef HARNESS_E60
#undef HARNESS_E61
#undef HARNESS_E62

#endif /* ATTNGEN_HARNESS_LAYOUT_CASES_H */
