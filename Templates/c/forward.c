{{banner}}
#include "{{name}}.h"
#include "attngen_runtime.h"

#include <math.h>
#include <stdlib.h>

/*
 * FlashAttention-2 forward pass on the CPU. One task is one tile of TILE_ROWS query rows of one
 * (batch, query head); it keeps its Q tile, output accumulator and softmax statistics in a per-thread
 * workspace and streams K and V through it in tiles of TILE_COLUMNS keys, skipping key tiles that the
 * masks remove entirely. Scores live only as one TILE_ROWS x TILE_COLUMNS tile: there is no N x N buffer.
 */

/* OpenMP directives, which vanish (without "unknown pragma" warnings) when OpenMP is off. */
#ifdef _OPENMP
#define ATTNGEN_OMP(directive) _Pragma(#directive)
#else
#define ATTNGEN_OMP(directive)
#endif

/* ---- compile-time shape: the spec fixes the head dimensions, the tile plan the tile sizes ------ */

enum {
    HEAD_DIM = {{head_dim}}, /* d: Q and K */
    VALUE_HEAD_DIM = {{value_head_dim}}, /* dv: V and O */
    TILE_ROWS = {{tile_rows}}, /* Br: query rows per task */
    TILE_COLUMNS = {{tile_columns}}, /* Bc: keys per step, a multiple of 4 */
    REDUCTION_LANES = {{reduction_lanes}}, /* independent partial maxima and sums per row (vectorizable) */
    SCORE_CHUNK = {{score_chunk}}, /* keys whose scores stay in registers while summing over d */
    OUTPUT_CHUNK = {{output_chunk}}, /* outputs that stay in registers while summing over keys */

    /* Per-thread workspace, in floats (the plan's byte account). */
    Q_TILE_FLOATS = TILE_ROWS * HEAD_DIM,
    K_TILE_FLOATS = HEAD_DIM * TILE_COLUMNS,
    V_TILE_FLOATS = TILE_COLUMNS * VALUE_HEAD_DIM,
    S_TILE_FLOATS = TILE_ROWS * TILE_COLUMNS,
    O_TILE_FLOATS = TILE_ROWS * VALUE_HEAD_DIM,
    WORKSPACE_FLOATS = Q_TILE_FLOATS + K_TILE_FLOATS + V_TILE_FLOATS + S_TILE_FLOATS + O_TILE_FLOATS + 2 * TILE_ROWS
};

/* scale * log2(e): scores are kept in base-2 units so that the softmax uses exp2. */
static const float SCORE_SCALE_LOG2E = {{score_scale_log2e}};

/* ---- storage type ------------------------------------------------------------------------------- */

{{storage}}

/* ---- row kernels: loops of compile-time length over restrict pointers, which gcc and clang vectorize -- */

/* One row of S = Q K^T over the tile's keys, SCORE_CHUNK keys at a time held in registers. */
static inline void compute_score_row(float *restrict s_row, const float *restrict q_row, const float *restrict kt_tile)
{
    for (int j0 = 0; j0 < TILE_COLUMNS; j0 += SCORE_CHUNK) {
        float acc[SCORE_CHUNK];
        for (int c = 0; c < SCORE_CHUNK; ++c) {
            acc[c] = 0.0f;
        }
        for (int i = 0; i < HEAD_DIM; ++i) {
            const float qi = q_row[i];
            const float *restrict kt_row = kt_tile + i * TILE_COLUMNS + j0;
            for (int c = 0; c < SCORE_CHUNK; ++c) {
                acc[c] += qi * kt_row[c];
            }
        }
        for (int c = 0; c < SCORE_CHUNK; ++c) {
            s_row[j0 + c] = acc[c];
        }
    }
}

/* The largest score of a row (-inf when all are masked), in REDUCTION_LANES independent lanes. */
static inline float score_row_max(const float *restrict s_row)
{
    float lane_max[REDUCTION_LANES];
    for (int lane = 0; lane < REDUCTION_LANES; ++lane) {
        lane_max[lane] = -INFINITY;
    }
    for (int j = 0; j < TILE_COLUMNS; j += REDUCTION_LANES) {
        for (int lane = 0; lane < REDUCTION_LANES; ++lane) {
            const float s = s_row[j + lane];
            lane_max[lane] = s > lane_max[lane] ? s : lane_max[lane];
        }
    }
    float result = -INFINITY;
    for (int lane = 0; lane < REDUCTION_LANES; ++lane) {
        result = lane_max[lane] > result ? lane_max[lane] : result;
    }
    return result;
}

/* P = exp2(S - m) in place (masked scores give 0); returns the row's sum of P. */
static inline float exponentiate_score_row(float *restrict s_row, float m)
{
    float lane_sum[REDUCTION_LANES];
    for (int lane = 0; lane < REDUCTION_LANES; ++lane) {
        lane_sum[lane] = 0.0f;
    }
    for (int j = 0; j < TILE_COLUMNS; j += REDUCTION_LANES) {
        for (int lane = 0; lane < REDUCTION_LANES; ++lane) {
            const float p = attngen_exp2(s_row[j + lane] - m);
            s_row[j + lane] = p;
            lane_sum[lane] += p;
        }
    }
    float result = 0.0f;
    for (int lane = 0; lane < REDUCTION_LANES; ++lane) {
        result += lane_sum[lane];
    }
    return result;
}

/* o_row *= alpha. */
static inline void scale_output_row(float *restrict o_row, float alpha)
{
    for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
        o_row[i] *= alpha;
    }
}

/* o_row += p_row V over the tile's first `cols` keys, OUTPUT_CHUNK outputs at a time held in registers. */
static inline void accumulate_output_row(float *restrict o_row, const float *restrict p_row,
                                         const float *restrict v_tile, int64_t cols)
{
    for (int i0 = 0; i0 + OUTPUT_CHUNK <= VALUE_HEAD_DIM; i0 += OUTPUT_CHUNK) {
        float acc[OUTPUT_CHUNK];
        for (int c = 0; c < OUTPUT_CHUNK; ++c) {
            acc[c] = o_row[i0 + c];
        }
        for (int64_t j = 0; j < cols; ++j) {
            const float p = p_row[j];
            const float *restrict v_row = v_tile + j * VALUE_HEAD_DIM + i0;
            for (int c = 0; c < OUTPUT_CHUNK; ++c) {
                acc[c] += p * v_row[c];
            }
        }
        for (int c = 0; c < OUTPUT_CHUNK; ++c) {
            o_row[i0 + c] = acc[c];
        }
    }
    /* The last VALUE_HEAD_DIM % OUTPUT_CHUNK outputs, if any. */
    for (int i = VALUE_HEAD_DIM - VALUE_HEAD_DIM % OUTPUT_CHUNK; i < VALUE_HEAD_DIM; ++i) {
        float acc = o_row[i];
        for (int64_t j = 0; j < cols; ++j) {
            acc += p_row[j] * v_tile[j * VALUE_HEAD_DIM + i];
        }
        o_row[i] = acc;
    }
}

/* ---- masks and dropout -------------------------------------------------------------------------- */

{{mask_helpers}}

{{dropout_constants}}

/* ---- argument checks ---------------------------------------------------------------------------- */

/*
 * Whether a [batch, heads, rows, inner] tensor with these strides (elements; inner is contiguous) gives
 * every element its own address: taken by increasing stride, each dimension of more than one element must
 * step past everything the smaller ones span.
 */
static int layout_is_disjoint(attngen_layout layout, int64_t batch, int64_t heads, int64_t rows, int64_t inner)
{
    int64_t strides[3] = {layout.batch_stride, layout.head_stride, layout.row_stride};
    int64_t extents[3] = {batch, heads, rows};
    /* Insertion sort of the three dimensions by stride. */
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
    int64_t span = inner; /* elements from the first to one past the last of the dimensions so far */
    for (int i = 0; i < 3; ++i) {
        if (extents[i] <= 1) {
            continue;
        }
        if (strides[i] < span || strides[i] > (INT64_MAX - span) / (extents[i] - 1)) {
            return 0;
        }
        span += strides[i] * (extents[i] - 1);
    }
    return 1;
}

static int layout_is_negative(attngen_layout layout)
{
    return layout.batch_stride < 0 || layout.head_stride < 0 || layout.row_stride < 0;
}

/*
 * Checks everything before anything is written. Sets *has_work to 0 for a problem with no query rows
 * (which is valid and does nothing).
 */
static attngen_status check_params(const attngen_forward_params *params, int *has_work)
{
    *has_work = 0;
    if (params == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    if (params->struct_size != sizeof(attngen_forward_params)) {
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
    if (params->batch == 0 || params->seqlen_q == 0) {
        return ATTNGEN_OK; /* no query rows: nothing to compute or write */
    }
    if (params->heads_q == 0 || params->heads_kv == 0) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (params->q == NULL || params->k == NULL || params->v == NULL || params->o == NULL) {
        return ATTNGEN_ERROR_NULL_POINTER;
    }
    {{pointer_checks}}
    if (layout_is_negative(params->q_layout) || layout_is_negative(params->k_layout)
        || layout_is_negative(params->v_layout) || layout_is_negative(params->o_layout)) {
        return ATTNGEN_ERROR_INVALID_LAYOUT;
    }
    if (!layout_is_disjoint(params->o_layout, params->batch, params->heads_q, params->seqlen_q, VALUE_HEAD_DIM)) {
        return ATTNGEN_ERROR_INVALID_LAYOUT;
    }
    {{layout_checks}}
    *has_work = 1;
    return ATTNGEN_OK;
}

/* ---- one task: a tile of query rows of one (batch, query head) ----------------------------------- */

static void forward_tile(const attngen_forward_params *params, int64_t b, int64_t h, int64_t row0,
                         float *workspace)
{
    const int64_t nq = params->seqlen_q;
    const int64_t nk = params->seqlen_k;
    const int64_t rows = attngen_min_i64(TILE_ROWS, nq - row0);
    const int64_t h_kv = h / (params->heads_q / params->heads_kv); /* GQA: query heads share a kv head */

    const element_t *q_head = (const element_t *)params->q + b * params->q_layout.batch_stride
                              + h * params->q_layout.head_stride;
    const element_t *k_head = (const element_t *)params->k + b * params->k_layout.batch_stride
                              + h_kv * params->k_layout.head_stride;
    const element_t *v_head = (const element_t *)params->v + b * params->v_layout.batch_stride
                              + h_kv * params->v_layout.head_stride;
    element_t *o_head = (element_t *)params->o + b * params->o_layout.batch_stride
                        + h * params->o_layout.head_stride;

    float *restrict q_tile = workspace;               /* [TILE_ROWS][HEAD_DIM], scaled to base 2 */
    float *restrict kt_tile = q_tile + Q_TILE_FLOATS;  /* [HEAD_DIM][TILE_COLUMNS]: K transposed */
    float *restrict v_tile = kt_tile + K_TILE_FLOATS;  /* [TILE_COLUMNS][VALUE_HEAD_DIM] */
    float *restrict s_tile = v_tile + V_TILE_FLOATS;   /* [TILE_ROWS][TILE_COLUMNS]: scores, then P */
    float *restrict o_tile = s_tile + S_TILE_FLOATS;   /* [TILE_ROWS][VALUE_HEAD_DIM]: unnormalised O */
    float *restrict row_max = o_tile + O_TILE_FLOATS;  /* [TILE_ROWS]: running max m (base 2) */
    float *restrict row_sum = row_max + TILE_ROWS;     /* [TILE_ROWS]: running sum l */

    /* Load the Q tile in fp32 with scale * log2(e) folded in; start m = -inf, l = 0, O = 0. */
    for (int64_t r = 0; r < rows; ++r) {
        const element_t *q_row = q_head + (row0 + r) * params->q_layout.row_stride;
        float *restrict q_dst = q_tile + r * HEAD_DIM;
        for (int i = 0; i < HEAD_DIM; ++i) {
            q_dst[i] = load_element(q_row[i]) * SCORE_SCALE_LOG2E;
        }
        float *restrict o_row = o_tile + r * VALUE_HEAD_DIM;
        for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
            o_row[i] = 0.0f;
        }
        row_max[r] = -INFINITY;
        row_sum[r] = 0.0f;
    }

    /* The keys [key_begin, key_end) that the diagonal masks leave to at least one row of the tile;
       key tiles outside it are skipped without reading K or V. */
    int64_t key_begin = 0;
    int64_t key_end = nk;
    {{tile_key_range}}

    for (int64_t col0 = key_begin - key_begin % TILE_COLUMNS; col0 < key_end; col0 += TILE_COLUMNS) {
        const int64_t cols = attngen_min_i64(TILE_COLUMNS, nk - col0);
        {{tile_skip}}

        /* Load K (transposed) and V in fp32; K columns past the last key are zero. */
        for (int64_t j = 0; j < cols; ++j) {
            const element_t *k_row = k_head + (col0 + j) * params->k_layout.row_stride;
            for (int i = 0; i < HEAD_DIM; ++i) {
                kt_tile[i * TILE_COLUMNS + j] = load_element(k_row[i]);
            }
            const element_t *v_row = v_head + (col0 + j) * params->v_layout.row_stride;
            float *restrict v_dst = v_tile + j * VALUE_HEAD_DIM;
            for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                v_dst[i] = load_element(v_row[i]);
            }
        }
        for (int i = 0; i < HEAD_DIM; ++i) {
            for (int64_t j = cols; j < TILE_COLUMNS; ++j) {
                kt_tile[i * TILE_COLUMNS + j] = 0.0f;
            }
        }

        for (int64_t r = 0; r < rows; ++r) {
            {{row_index}}
            float *restrict s_row = s_tile + r * TILE_COLUMNS;

            /* S = Q K^T for this row (base-2 units), accumulated over d in fp32. */
            compute_score_row(s_row, q_tile + r * HEAD_DIM, kt_tile);

            /* Masks: keys outside [keep_begin, keep_end) (tile-relative) are masked for this row. */
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

            /* Online softmax: new running max, rescale factor exp2(m_old - m_new). */
            const float tile_max = score_row_max(s_row);
            const float m_old = row_max[r];
            const float m_new = tile_max > m_old ? tile_max : m_old;
            if (m_new == -INFINITY) {
                /* Every key so far is masked: P is zero, m and l stay (-inf, 0). */
                for (int j = 0; j < TILE_COLUMNS; ++j) {
                    s_row[j] = 0.0f;
                }
                continue;
            }
            /* m_old = -inf (first kept key) gives 0: O and l are still zero then. */
            const float alpha = attngen_exp2(m_old - m_new);

            /* P = exp2(S - m_new); l takes P before dropout. */
            const float tile_sum = exponentiate_score_row(s_row, m_new);
            row_sum[r] = row_sum[r] * alpha + tile_sum;
            row_max[r] = m_new;
            scale_output_row(o_tile + r * VALUE_HEAD_DIM, alpha);
            {{dropout}}
        }

        /* O += P V. */
        for (int64_t r = 0; r < rows; ++r) {
            accumulate_output_row(o_tile + r * VALUE_HEAD_DIM, s_tile + r * TILE_COLUMNS, v_tile, cols);
        }
    }

    /* O = O / l (0 for a fully masked row); the log-sum-exp in natural-log units. */
    for (int64_t r = 0; r < rows; ++r) {
        const float l = row_sum[r];
        const float *restrict o_row = o_tile + r * VALUE_HEAD_DIM;
        element_t *o_dst = o_head + (row0 + r) * params->o_layout.row_stride;
        if (l > 0.0f) {
            for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                o_dst[i] = store_element(o_row[i] / l);
            }
        } else {
            for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                o_dst[i] = store_element(0.0f);
            }
        }
        {{lse_store}}
    }
}

/* ---- the task loop, run by each thread of the team (or once, without OpenMP) ------------------ */

static void run_tasks(const attngen_forward_params *params, int64_t row_tiles, int64_t tasks, int *out_of_memory)
{
    float *workspace = (float *)malloc((size_t)WORKSPACE_FLOATS * sizeof(float));
    if (workspace == NULL) {
        ATTNGEN_OMP(omp atomic write)
        *out_of_memory = 1;
    }
    /* Every thread has its workspace (or has failed) before any output is written. */
    ATTNGEN_OMP(omp barrier)
    int failed;
    ATTNGEN_OMP(omp atomic read)
    failed = *out_of_memory;
    if (!failed) {
        ATTNGEN_OMP(omp for schedule(dynamic, 1))
        for (int64_t task = 0; task < tasks; ++task) {
            const int64_t tile = task % row_tiles;
            const int64_t bh = task / row_tiles;
            forward_tile(params, bh / params->heads_q, bh % params->heads_q, tile * TILE_ROWS, workspace);
        }
    }
    free(workspace);
}

attngen_status attngen_{{name}}_forward(const attngen_forward_params *params)
{
    int has_work = 0;
    const attngen_status status = check_params(params, &has_work);
    if (status != ATTNGEN_OK || !has_work) {
        return status;
    }
    const int64_t row_tiles = (params->seqlen_q + TILE_ROWS - 1) / TILE_ROWS;
    const int64_t tasks = params->batch * params->heads_q * row_tiles;
    int out_of_memory = 0;
#ifdef _OPENMP
    if (params->num_threads > 0) {
        ATTNGEN_OMP(omp parallel num_threads(params->num_threads))
        run_tasks(params, row_tiles, tasks, &out_of_memory);
    } else {
        ATTNGEN_OMP(omp parallel)
        run_tasks(params, row_tiles, tasks, &out_of_memory);
    }
#else
    run_tasks(params, row_tiles, tasks, &out_of_memory);
#endif
    return out_of_memory ? ATTNGEN_ERROR_OUT_OF_MEMORY : ATTNGEN_OK;
}
