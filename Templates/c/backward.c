{{banner}}
#include "{{name}}_backward.h"
#include "attngen_runtime.h"

#include <math.h>
#include <stdlib.h>

/*
 * FlashAttention backward pass on the CPU.
 *
 *   pre-pass   D[q] = sum_i dO[q,i] * O[q,i]                       (one float per query row)
 *   per tile   S = scale * Q K^T, P = exp(S - LSE) (masked: 0)      (recomputed, never stored whole)
 *              Z = dropout keep mask / (1 - p)                      (regenerated from seed and offset)
 *              dV += (P * Z)^T dO
 *              dP = (dO V^T) * Z
 *              dS = P * (dP - D)
 *              dK += scale * dS^T Q,   dQ += scale * dS K
 *
 * One task owns a tile of TILE_COLUMNS keys of one (batch, key/value head): it accumulates dK and dV
 * for those keys over every query head of its group (GQA/MQA) and every query tile that the masks leave,
 * then writes them once. dQ gathers contributions from every key tile: it is accumulated in fp32 in the
 * caller's workspace and converted at the end. In deterministic mode a task owns all key tiles of its
 * (batch, key/value head) and visits them in order, so every dQ element receives its additions in one
 * fixed order; in fast mode key tiles are separate tasks that add into dQ atomically.
 */

#ifdef _OPENMP
#define ATTNGEN_OMP(directive) _Pragma(#directive)
#else
#define ATTNGEN_OMP(directive)
#endif

enum {
    HEAD_DIM = {{head_dim}},
    VALUE_HEAD_DIM = {{value_head_dim}},
    TILE_ROWS = {{tile_rows}},      /* query rows per inner step */
    TILE_COLUMNS = {{tile_columns}}, /* keys per task, a multiple of 4 */

    /* Per-thread scratch, in floats. */
    K_ROWS_FLOATS = TILE_COLUMNS * HEAD_DIM,        /* K tile, row-major:       [key][i] */
    K_COLUMNS_FLOATS = HEAD_DIM * TILE_COLUMNS,     /* K tile, transposed:      [i][key] */
    V_COLUMNS_FLOATS = VALUE_HEAD_DIM * TILE_COLUMNS, /* V tile, transposed:    [i][key] */
    DK_FLOATS = TILE_COLUMNS * HEAD_DIM,            /* dK accumulator:          [key][i] */
    DV_FLOATS = TILE_COLUMNS * VALUE_HEAD_DIM,      /* dV accumulator:          [key][i] */
    ROW_FLOATS = 4 * TILE_COLUMNS + HEAD_DIM + VALUE_HEAD_DIM, /* S/P, Z, dS, dP per key; Q and dO rows */
    SCRATCH_FLOATS = K_ROWS_FLOATS + K_COLUMNS_FLOATS + V_COLUMNS_FLOATS + DK_FLOATS + DV_FLOATS + ROW_FLOATS
};

/* The softmax scale, and scale * log2(e) for scores kept in base-2 units. */
static const float SOFTMAX_SCALE = {{softmax_scale}};
static const float SCORE_SCALE_LOG2E = {{score_scale_log2e}};

/* ---- storage type ------------------------------------------------------------------------------- */

{{storage}}

/* ---- masks and dropout -------------------------------------------------------------------------- */

{{mask_helpers}}

{{dropout_constants}}

/* ---- argument checks ---------------------------------------------------------------------------- */

static size_t round_up_64(size_t bytes)
{
    return (bytes + 63u) & ~(size_t)63u;
}

/* Bytes of the fp32 dQ accumulator; the row sums D follow it. */
static size_t dq_accumulator_bytes(const attngen_backward_params *params)
{
    return round_up_64((size_t)params->batch * (size_t)params->heads_q * (size_t)params->seqlen_q
                       * (size_t)HEAD_DIM * sizeof(float));
}

size_t attngen_{{name}}_backward_workspace_size(const attngen_backward_params *params)
{
    if (params == NULL || params->batch <= 0 || params->seqlen_q <= 0 || params->heads_q <= 0) {
        return 0;
    }
    const size_t rows = (size_t)params->batch * (size_t)params->heads_q * (size_t)params->seqlen_q;
    return dq_accumulator_bytes(params) + round_up_64(rows * sizeof(float));
}

static int tensor_ok(attngen_layout layout, int64_t batch, int64_t heads, int64_t rows, int64_t inner, int written)
{
    if (attngen_layout_is_negative(layout)) {
        return 0;
    }
    return !written || attngen_layout_is_disjoint(layout, batch, heads, rows, inner);
}

static attngen_status check_params(const attngen_backward_params *params, int *has_work)
{
    *has_work = 0;
    if (params == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    if (params->struct_size != sizeof(attngen_backward_params)) {
        return ATTNGEN_ERROR_ABI_MISMATCH;
    }
    if (params->batch < 0 || params->seqlen_q < 0 || params->seqlen_k < 0 || params->heads_q < 0
        || params->heads_kv < 0) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    {{heads_check}}
    if (params->heads_q > 0 && params->heads_kv > 0 && params->heads_q % params->heads_kv != 0) {
        return ATTNGEN_ERROR_INVALID_HEADS;
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
        || params->d_o == NULL || params->dq == NULL || params->dk == NULL || params->dv == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    {{block_mask_check}}
    const int64_t nb = params->batch, hq = params->heads_q, hkv = params->heads_kv;
    const int64_t nq = params->seqlen_q, nk = params->seqlen_k;
    if (!tensor_ok(params->q_layout, nb, hq, nq, HEAD_DIM, 0) || !tensor_ok(params->k_layout, nb, hkv, nk, HEAD_DIM, 0)
        || !tensor_ok(params->v_layout, nb, hkv, nk, VALUE_HEAD_DIM, 0)
        || !tensor_ok(params->o_layout, nb, hq, nq, VALUE_HEAD_DIM, 0)
        || !tensor_ok(params->d_o_layout, nb, hq, nq, VALUE_HEAD_DIM, 0)
        || !tensor_ok(params->lse_layout, nb, hq, nq, 1, 0)
        || !tensor_ok(params->dq_layout, nb, hq, nq, HEAD_DIM, 1)
        || !tensor_ok(params->dk_layout, nb, hkv, nk, HEAD_DIM, 1)
        || !tensor_ok(params->dv_layout, nb, hkv, nk, VALUE_HEAD_DIM, 1)) {
        return ATTNGEN_ERROR_INVALID_LAYOUT;
    }
    if (nq > 0 && (params->workspace == NULL || params->workspace_size < attngen_{{name}}_backward_workspace_size(params)
                   || ((uintptr_t)params->workspace & 15u) != 0)) {
        return ATTNGEN_ERROR_WORKSPACE_TOO_SMALL;
    }
    *has_work = 1;
    return ATTNGEN_OK;
}

/* ---- pre-pass: D = rowsum(dO * O), and dQ accumulator = 0 ------------------------------------- */

static void prepare_rows(const attngen_backward_params *params, float *dq_accumulator, float *row_dot, int64_t bh)
{
    const int64_t b = bh / params->heads_q, h = bh % params->heads_q;
    const element_t *o_head = (const element_t *)params->o + b * params->o_layout.batch_stride
                              + h * params->o_layout.head_stride;
    const element_t *do_head = (const element_t *)params->d_o + b * params->d_o_layout.batch_stride
                               + h * params->d_o_layout.head_stride;
    for (int64_t q = 0; q < params->seqlen_q; ++q) {
        const element_t *o_row = o_head + q * params->o_layout.row_stride;
        const element_t *do_row = do_head + q * params->d_o_layout.row_stride;
        float dot = 0.0f;
        for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
            dot += load_element(do_row[i]) * load_element(o_row[i]);
        }
        row_dot[bh * params->seqlen_q + q] = dot;
        float *dq_row = dq_accumulator + (bh * params->seqlen_q + q) * HEAD_DIM;
        for (int i = 0; i < HEAD_DIM; ++i) {
            dq_row[i] = 0.0f;
        }
    }
}

/* ---- one key tile of one (batch, key/value head) ------------------------------------------------ */

static void add_to_dq(float *target, float value, int atomic)
{
    if (atomic) {
        ATTNGEN_OMP(omp atomic update)
        *target += value;
    } else {
        *target += value;
    }
}

static void backward_key_tile(const attngen_backward_params *params, int64_t b, int64_t h_kv, int64_t col0,
                              float *dq_accumulator, const float *row_dot, float *scratch, int atomic)
{
    const int64_t nq = params->seqlen_q;
    const int64_t nk = params->seqlen_k;
    const int64_t cols = attngen_min_i64(TILE_COLUMNS, nk - col0);
    const int64_t group = params->heads_q / params->heads_kv;

    float *restrict k_rows = scratch;
    float *restrict k_columns = k_rows + K_ROWS_FLOATS;
    float *restrict v_columns = k_columns + K_COLUMNS_FLOATS;
    float *restrict dk_tile = v_columns + V_COLUMNS_FLOATS;
    float *restrict dv_tile = dk_tile + DK_FLOATS;
    float *restrict s_row = dv_tile + DV_FLOATS;      /* scores, then P */
    float *restrict z_row = s_row + TILE_COLUMNS;     /* dropout: 0 or 1/(1-p) per key */
    float *restrict ds_row = z_row + TILE_COLUMNS;    /* dS */
    float *restrict q_row = ds_row + TILE_COLUMNS;    /* Q row, unscaled */
    float *restrict do_row = q_row + HEAD_DIM;        /* dO row */
    float *restrict dp_row = do_row + VALUE_HEAD_DIM; /* dP = dO V^T, per key */

    /* Load K and V for the tile (zero past the last key), clear the accumulators. */
    const element_t *k_head = (const element_t *)params->k + b * params->k_layout.batch_stride
                              + h_kv * params->k_layout.head_stride;
    const element_t *v_head = (const element_t *)params->v + b * params->v_layout.batch_stride
                              + h_kv * params->v_layout.head_stride;
    for (int j = 0; j < TILE_COLUMNS; ++j) {
        const element_t *k_src = j < cols ? k_head + (col0 + j) * params->k_layout.row_stride : NULL;
        const element_t *v_src = j < cols ? v_head + (col0 + j) * params->v_layout.row_stride : NULL;
        for (int i = 0; i < HEAD_DIM; ++i) {
            const float value = k_src != NULL ? load_element(k_src[i]) : 0.0f;
            k_rows[j * HEAD_DIM + i] = value;
            k_columns[i * TILE_COLUMNS + j] = value;
            dk_tile[j * HEAD_DIM + i] = 0.0f;
        }
        for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
            v_columns[i * TILE_COLUMNS + j] = v_src != NULL ? load_element(v_src[i]) : 0.0f;
            dv_tile[j * VALUE_HEAD_DIM + i] = 0.0f;
        }
    }

    for (int64_t h = h_kv * group; h < (h_kv + 1) * group; ++h) {
        const element_t *q_head = (const element_t *)params->q + b * params->q_layout.batch_stride
                                  + h * params->q_layout.head_stride;
        const element_t *do_head = (const element_t *)params->d_o + b * params->d_o_layout.batch_stride
                                   + h * params->d_o_layout.head_stride;
        const float *lse_head = params->lse + b * params->lse_layout.batch_stride + h * params->lse_layout.head_stride;
        for (int64_t row0 = 0; row0 < nq; row0 += TILE_ROWS) {
            const int64_t rows = attngen_min_i64(TILE_ROWS, nq - row0);
            /* The keys some row of this query tile keeps; skip the query tile if it misses this key tile. */
            int64_t key_begin = 0;
            int64_t key_end = nk;
            {{tile_key_range}}
            if (key_end <= col0 || key_begin >= col0 + cols) {
                continue;
            }
            {{tile_skip}}
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t q = row0 + r;
                const float lse = lse_head[q * params->lse_layout.row_stride];
                if (lse == -INFINITY) {
                    continue; /* a fully masked row: P = 0, nothing flows back */
                }
                const float lse_base2 = lse * 1.44269504088896341f;
                const element_t *q_src = q_head + q * params->q_layout.row_stride;
                const element_t *do_src = do_head + q * params->d_o_layout.row_stride;
                for (int i = 0; i < HEAD_DIM; ++i) {
                    q_row[i] = load_element(q_src[i]);
                }
                for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                    do_row[i] = load_element(do_src[i]);
                }

                /* S (base 2) = scale * log2(e) * q . k, and dP = dO . v, for every key of the tile. */
                for (int j = 0; j < TILE_COLUMNS; ++j) {
                    s_row[j] = 0.0f;
                    dp_row[j] = 0.0f;
                }
                for (int i = 0; i < HEAD_DIM; ++i) {
                    const float qi = q_row[i] * SCORE_SCALE_LOG2E;
                    const float *restrict k_column = k_columns + i * TILE_COLUMNS;
                    for (int j = 0; j < TILE_COLUMNS; ++j) {
                        s_row[j] += qi * k_column[j];
                    }
                }
                for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                    const float doi = do_row[i];
                    const float *restrict v_column = v_columns + i * TILE_COLUMNS;
                    for (int j = 0; j < TILE_COLUMNS; ++j) {
                        dp_row[j] += doi * v_column[j];
                    }
                }

                /* Masks: keys outside [keep_begin, keep_end) (tile-relative) get P = 0. */
                int64_t keep_begin = 0;
                int64_t keep_end = cols;
                {{row_key_range}}
                keep_begin = attngen_max_i64(0, attngen_min_i64(keep_begin, TILE_COLUMNS));
                keep_end = attngen_max_i64(keep_begin, attngen_min_i64(keep_end, TILE_COLUMNS));
                for (int64_t j = 0; j < keep_begin; ++j) {
                    s_row[j] = -INFINITY;
                }
                for (int64_t j = keep_end; j < TILE_COLUMNS; ++j) {
                    s_row[j] = -INFINITY;
                }
                {{element_mask}}

                /* P = exp2(S - LSE) (masked scores give 0), and the dropout factors Z. */
                for (int j = 0; j < TILE_COLUMNS; ++j) {
                    s_row[j] = attngen_exp2(s_row[j] - lse_base2);
                    z_row[j] = 1.0f;
                }
                {{dropout}}

                /* dS = P * (dP * Z - D); dV += (P * Z) dO; dK += scale * dS q; dQ += scale * dS K. */
                const float d_row = row_dot[(b * params->heads_q + h) * nq + q];
                for (int j = 0; j < TILE_COLUMNS; ++j) {
                    ds_row[j] = s_row[j] * (dp_row[j] * z_row[j] - d_row);
                }
                for (int64_t j = keep_begin; j < keep_end; ++j) {
                    const float pz = s_row[j] * z_row[j];
                    float *restrict dv_key = dv_tile + j * VALUE_HEAD_DIM;
                    for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                        dv_key[i] += pz * do_row[i];
                    }
                    const float ds = ds_row[j] * SOFTMAX_SCALE;
                    float *restrict dk_key = dk_tile + j * HEAD_DIM;
                    for (int i = 0; i < HEAD_DIM; ++i) {
                        dk_key[i] += ds * q_row[i];
                    }
                }
                float *dq_row = dq_accumulator + ((b * params->heads_q + h) * nq + q) * HEAD_DIM;
                for (int i = 0; i < HEAD_DIM; ++i) {
                    float sum = 0.0f;
                    for (int64_t j = keep_begin; j < keep_end; ++j) {
                        sum += ds_row[j] * k_rows[j * HEAD_DIM + i];
                    }
                    add_to_dq(&dq_row[i], sum * SOFTMAX_SCALE, atomic);
                }
            }
        }
    }

    /* Write dK and dV of the tile once, in the storage type. */
    element_t *dk_head = (element_t *)params->dk + b * params->dk_layout.batch_stride + h_kv * params->dk_layout.head_stride;
    element_t *dv_head = (element_t *)params->dv + b * params->dv_layout.batch_stride + h_kv * params->dv_layout.head_stride;
    for (int64_t j = 0; j < cols; ++j) {
        element_t *dk_dst = dk_head + (col0 + j) * params->dk_layout.row_stride;
        element_t *dv_dst = dv_head + (col0 + j) * params->dv_layout.row_stride;
        for (int i = 0; i < HEAD_DIM; ++i) {
            dk_dst[i] = store_element(dk_tile[j * HEAD_DIM + i]);
        }
        for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
            dv_dst[i] = store_element(dv_tile[j * VALUE_HEAD_DIM + i]);
        }
    }
}

/* ---- the passes, run by each thread of the team (or once, without OpenMP) ---------------------- */

static void run_backward(const attngen_backward_params *params, int *out_of_memory)
{
    float *dq_accumulator = (float *)params->workspace;
    float *row_dot = (float *)((char *)params->workspace + dq_accumulator_bytes(params));
    const int64_t bh_count = params->batch * params->heads_q;
    const int64_t key_tiles = (params->seqlen_k + TILE_COLUMNS - 1) / TILE_COLUMNS;
    const int64_t groups = params->batch * params->heads_kv;
    const int fast = params->dq_mode == ATTNGEN_DQ_FAST;

    ATTNGEN_OMP(omp for schedule(static))
    for (int64_t bh = 0; bh < bh_count; ++bh) {
        prepare_rows(params, dq_accumulator, row_dot, bh);
    }

    float *scratch = (float *)malloc((size_t)SCRATCH_FLOATS * sizeof(float));
    if (scratch == NULL) {
        ATTNGEN_OMP(omp atomic write)
        *out_of_memory = 1;
    }
    ATTNGEN_OMP(omp barrier)
    int failed;
    ATTNGEN_OMP(omp atomic read)
    failed = *out_of_memory;
    if (!failed) {
        if (fast) {
            ATTNGEN_OMP(omp for schedule(dynamic, 1))
            for (int64_t task = 0; task < groups * key_tiles; ++task) {
                const int64_t group = task / key_tiles;
                backward_key_tile(params, group / params->heads_kv, group % params->heads_kv,
                                  (task % key_tiles) * TILE_COLUMNS, dq_accumulator, row_dot, scratch, 1);
            }
        } else {
            ATTNGEN_OMP(omp for schedule(dynamic, 1))
            for (int64_t group = 0; group < groups; ++group) {
                for (int64_t tile = 0; tile < key_tiles; ++tile) {
                    backward_key_tile(params, group / params->heads_kv, group % params->heads_kv, tile * TILE_COLUMNS,
                                      dq_accumulator, row_dot, scratch, 0);
                }
            }
        }
    }
    free(scratch);
    if (failed) {
        return;
    }

    /* dQ from the fp32 accumulator to the storage type (zero rows when there are no keys). */
    ATTNGEN_OMP(omp for schedule(static))
    for (int64_t bh = 0; bh < bh_count; ++bh) {
        const int64_t b = bh / params->heads_q, h = bh % params->heads_q;
        element_t *dq_head = (element_t *)params->dq + b * params->dq_layout.batch_stride
                             + h * params->dq_layout.head_stride;
        for (int64_t q = 0; q < params->seqlen_q; ++q) {
            const float *src = dq_accumulator + (bh * params->seqlen_q + q) * HEAD_DIM;
            element_t *dst = dq_head + q * params->dq_layout.row_stride;
            for (int i = 0; i < HEAD_DIM; ++i) {
                dst[i] = store_element(src[i]);
            }
        }
    }
}

attngen_status attngen_{{name}}_backward(const attngen_backward_params *params)
{
    int has_work = 0;
    const attngen_status status = check_params(params, &has_work);
    if (status != ATTNGEN_OK || !has_work) {
        return status;
    }
    int out_of_memory = 0;
#ifdef _OPENMP
    if (params->num_threads > 0) {
        ATTNGEN_OMP(omp parallel num_threads(params->num_threads))
        run_backward(params, &out_of_memory);
    } else {
        ATTNGEN_OMP(omp parallel)
        run_backward(params, &out_of_memory);
    }
#else
    run_backward(params, &out_of_memory);
#endif
    return out_of_memory ? ATTNGEN_ERROR_OUT_OF_MEMORY : ATTNGEN_OK;
}
