{{banner}}
#include "{{name}}_backward.h"
#include "{{name}}_variant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
 * fixed order; in fast mode, when those groups are fewer than the threads, key tiles are separate tasks that add
 * into dQ atomically (with enough groups fast mode runs the deterministic schedule, the faster one here).
 *
 * Keys lie in vector lanes (attngen_vf, ATTNGEN_LANES floats; the key tile is padded to KEY_LANES with zero
 * keys, which the masks remove). Every product is then one register-tiled kernel, rank_update:
 *     C[m][lanes] (+)= sum_k A(m, k) * B[k][lanes]
 * with A read by broadcasts from a small row-major tile and B, C rows of vectors:
 *     S    = Q    . K^T     A = Q tile,        B = K^T (per task)
 *     dP   = dO   . V^T     A = dO tile,       B = V^T (per task)
 *     dV^T += dO^T . (P*Z)  A = dO tile read transposed, B = P*Z,   C = dV^T (per task)
 *     dK^T += Q^T  . dS     A = Q tile read transposed,  B = dS,    C = dK^T (per task)
 *     dQ   += dS   . K      A = dS,            B = K rows (per task), C = the query tile's dQ
 * The pre-pass converts Q and dO once into fp32 rows (padded with zero rows to whole query tiles, in a buffer
 * the call allocates, as large as Q and dO in fp32), so the products read query tiles in place whatever the
 * storage type; K and V are loaded once per task; dK and dV are transposed once when the task writes them.
 */

#ifdef _OPENMP
#define ATTNGEN_OMP(directive) _Pragma(#directive)
int omp_get_num_threads(void);
#else
#define ATTNGEN_OMP(directive)
#endif

/* The threads of the team running the passes (1 without OpenMP). */
static int team_size(void)
{
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}


/* {{name}}_variant.h fixes the head dimensions, the backward plan the tile sizes. */
enum {
    TILE_ROWS = {{tile_rows}},      /* query rows per inner step */
    TILE_COLUMNS = {{tile_columns}}, /* keys per task, a multiple of 4 */

    /* Keys of a tile in vector lanes, and head dimensions rounded up to whole vectors (zero padded). */
    KEY_LANES = (TILE_COLUMNS + ATTNGEN_LANES - 1) / ATTNGEN_LANES * ATTNGEN_LANES,
    HEAD_LANES = (HEAD_DIM + ATTNGEN_LANES - 1) / ATTNGEN_LANES * ATTNGEN_LANES,
    /* Register tile of rank_update: M_BLOCK rows of A times N_BLOCK vectors: 16 accumulators of 32 registers with
       AVX-512, 12 of 16 with AVX2 (as BLIS's 6 x 16 sgemm kernel; 4 x 2 ran slower on an AMD EPYC, benchmarks/cpu/
       NOTES.md, 16), 8 otherwise. */
    N_BLOCK = 2,
    M_BLOCK = ATTNGEN_LANES == 16 ? 8 : ATTNGEN_LANES == 8 ? 6 : 4,

    /* Per-thread scratch, in floats. Key side (one task): */
    KT_FLOATS = HEAD_DIM * KEY_LANES,        /* K^T:     [i][key] */
    VT_FLOATS = VALUE_HEAD_DIM * KEY_LANES,  /* V^T:     [i][key] */
    KR_FLOATS = KEY_LANES * HEAD_LANES,      /* K rows:  [key][i] */
    DKT_FLOATS = HEAD_DIM * KEY_LANES,       /* dK^T accumulator */
    DVT_FLOATS = VALUE_HEAD_DIM * KEY_LANES, /* dV^T accumulator */
    /* Query side (one pair of tiles): */
    S_FLOATS = TILE_ROWS * KEY_LANES,        /* S, then P * Z */
    DP_FLOATS = TILE_ROWS * KEY_LANES,       /* dP, then scale * dS */
    DQ_FLOATS = TILE_ROWS * HEAD_LANES,      /* this pair's dQ */
    SCRATCH_FLOATS = KT_FLOATS + VT_FLOATS + KR_FLOATS + DKT_FLOATS + DVT_FLOATS + S_FLOATS
                     + DP_FLOATS + DQ_FLOATS + 4 * KEY_LANES + 2 * TILE_ROWS
};

/* ---- the product kernel ------------------------------------------------------------------------- */

/*
 * C[m][n] (+)= sum_{k < K} A(m, k) * B[k][n] for m < M and n < N_VECTORS * ATTNGEN_LANES, where
 * A(m, k) = a[m * A_M + k * A_K] is broadcast and B, C are rows of LDB and LDC floats. Sizes and strides are
 * compile-time constants, so the M_BLOCK x N_BLOCK accumulators stay in registers: whole register tiles, then the
 * rows past the last whole one in one narrower tile, then (where N_VECTORS is odd) the last vector row by row.
 */
/* One register tile of MB rows from m0 and N_BLOCK vectors from n0 (m0, n0, a, b, c and accumulate in scope). */
#define RANK_UPDATE_TILE(MB, K, A_M, A_K, LDB, LDC)                                                           \
    {                                                                                                         \
        attngen_vf acc[MB][N_BLOCK];                                                                          \
        ATTNGEN_UNROLL                                                                                        \
        for (int mm = 0; mm < (MB); ++mm) {                                                                   \
            ATTNGEN_UNROLL                                                                                    \
            for (int v = 0; v < N_BLOCK; ++v) {                                                               \
                float *c_lanes = c + (m0 + mm) * (LDC) + (n0 + v) * ATTNGEN_LANES;                            \
                acc[mm][v] = accumulate ? attngen_vf_load(c_lanes) : attngen_vf_set(0.0f);                    \
            }                                                                                                 \
        }                                                                                                     \
        for (int k = 0; k < (K); ++k) {                                                                       \
            attngen_vf bv[N_BLOCK];                                                                           \
            ATTNGEN_UNROLL                                                                                    \
            for (int v = 0; v < N_BLOCK; ++v) {                                                               \
                bv[v] = attngen_vf_load(b + k * (LDB) + (n0 + v) * ATTNGEN_LANES);                            \
            }                                                                                                 \
            ATTNGEN_UNROLL                                                                                    \
            for (int mm = 0; mm < (MB); ++mm) {                                                               \
                const attngen_vf x = attngen_vf_set(a[(m0 + mm) * (A_M) + k * (A_K)]);                        \
                ATTNGEN_UNROLL                                                                                \
                for (int v = 0; v < N_BLOCK; ++v) {                                                           \
                    acc[mm][v] = attngen_vf_fma(x, bv[v], acc[mm][v]);                                        \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
        ATTNGEN_UNROLL                                                                                        \
        for (int mm = 0; mm < (MB); ++mm) {                                                                   \
            ATTNGEN_UNROLL                                                                                    \
            for (int v = 0; v < N_BLOCK; ++v) {                                                               \
                attngen_vf_store(c + (m0 + mm) * (LDC) + (n0 + v) * ATTNGEN_LANES, acc[mm][v]);               \
            }                                                                                                 \
        }                                                                                                     \
    }

#define DEFINE_RANK_UPDATE(function, M, K, N_VECTORS, A_M, A_K, LDB, LDC)                                     \
    static void function(float *restrict c, const float *restrict a, const float *restrict b, int accumulate)  \
    {                                                                                                         \
        enum { WHOLE_ROWS = (M) / M_BLOCK * M_BLOCK, REST = (M) % M_BLOCK, REST_BLOCK = REST > 0 ? REST : 1 };   \
        for (int n0 = 0; n0 < (N_VECTORS); n0 += N_BLOCK) {                                                   \
            const int nv = (N_VECTORS) - n0 < N_BLOCK ? (N_VECTORS) - n0 : N_BLOCK;                           \
            if (nv == N_BLOCK) {                                                                              \
                for (int m0 = 0; m0 < WHOLE_ROWS; m0 += M_BLOCK) {                                            \
                    RANK_UPDATE_TILE(M_BLOCK, K, A_M, A_K, LDB, LDC)                                          \
                }                                                                                             \
                if (REST > 0) {                                                                               \
                    const int m0 = WHOLE_ROWS;                                                                \
                    RANK_UPDATE_TILE(REST_BLOCK, K, A_M, A_K, LDB, LDC)                                       \
                }                                                                                             \
                continue;                                                                                     \
            }                                                                                                 \
            for (int m = 0; m < (M); ++m) {                                                                   \
                for (int v = 0; v < nv; ++v) {                                                                \
                    float *c_lanes = c + m * (LDC) + (n0 + v) * ATTNGEN_LANES;                                \
                    attngen_vf sum = accumulate ? attngen_vf_load(c_lanes) : attngen_vf_set(0.0f);            \
                    for (int k = 0; k < (K); ++k) {                                                           \
                        sum = attngen_vf_fma(attngen_vf_set(a[m * (A_M) + k * (A_K)]),                        \
                                             attngen_vf_load(b + k * (LDB) + (n0 + v) * ATTNGEN_LANES), sum); \
                    }                                                                                         \
                    attngen_vf_store(c_lanes, sum);                                                           \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    }

/* S = Q K^T and dP = dO V^T: rows of the query tile times the key lanes. */
DEFINE_RANK_UPDATE(scores_product, TILE_ROWS, HEAD_DIM, KEY_LANES / ATTNGEN_LANES, HEAD_DIM, 1, KEY_LANES, KEY_LANES)
DEFINE_RANK_UPDATE(value_scores_product, TILE_ROWS, VALUE_HEAD_DIM, KEY_LANES / ATTNGEN_LANES, VALUE_HEAD_DIM, 1,
                   KEY_LANES, KEY_LANES)
/* dV^T += dO^T (P * Z) and dK^T += Q^T dS: head channels times the key lanes, summed over the tile's rows. */
DEFINE_RANK_UPDATE(value_gradient_product, VALUE_HEAD_DIM, TILE_ROWS, KEY_LANES / ATTNGEN_LANES, 1, VALUE_HEAD_DIM,
                   KEY_LANES, KEY_LANES)
DEFINE_RANK_UPDATE(key_gradient_product, HEAD_DIM, TILE_ROWS, KEY_LANES / ATTNGEN_LANES, 1, HEAD_DIM, KEY_LANES,
                   KEY_LANES)
/* dQ = dS K: rows of the query tile times the head channels, summed over the keys. */
DEFINE_RANK_UPDATE(query_gradient_product, TILE_ROWS, KEY_LANES, HEAD_LANES / ATTNGEN_LANES, KEY_LANES, 1, HEAD_LANES,
                   HEAD_LANES)
#undef DEFINE_RANK_UPDATE
#undef RANK_UPDATE_TILE

/* ---- argument checks ---------------------------------------------------------------------------- */

/* batch * heads_q * rows (query rows, or padded query rows), SIZE_MAX when that does not fit in size_t. */
static size_t query_rows(const attngen_backward_params *params, int64_t rows)
{
    return attngen_size_mul(attngen_size_mul((size_t)params->batch, (size_t)params->heads_q), (size_t)rows);
}

/* Bytes of the fp32 dQ accumulator, rounded up to 64; the row sums D follow it. */
static size_t dq_accumulator_bytes(const attngen_backward_params *params)
{
    return attngen_size_add_aligned(attngen_size_mul(query_rows(params, params->seqlen_q), HEAD_DIM * sizeof(float)),
                                    0, 64);
}

size_t attngen_{{name}}_backward_workspace_size(const attngen_backward_params *params)
{
    if (params == NULL || params->struct_size != sizeof(attngen_backward_params)
        || attngen_check_sizes(params->batch, params->seqlen_q, params->seqlen_k, params->heads_q, params->heads_kv)
               != ATTNGEN_OK) {
        return SIZE_MAX; /* parameters the call refuses: no allocation can satisfy it */
    }
    if (params->batch == 0 || params->seqlen_q == 0 || params->heads_q == 0) {
        return 0;
    }
    /* Saturates at SIZE_MAX (sizes whose tensors exceed ATTNGEN_MAX_TENSOR_BYTES, which the call refuses). */
    return attngen_size_add_aligned(dq_accumulator_bytes(params),
                                    attngen_size_mul(query_rows(params, params->seqlen_q), sizeof(float)), 64);
}

/* ---- pre-pass: D = rowsum(dO * O), and dQ accumulator = 0 ------------------------------------- */

static void prepare_rows(const attngen_backward_params *params, float *dq_accumulator, float *row_dot, float *q_rows,
                         float *do_rows, int64_t padded_rows, int64_t bh)
{
    const int64_t b = bh / params->heads_q, h = bh % params->heads_q;
    /* The sequence's query rows (packed by cu_seqlens_q, or batch_stride apart). */
    const attngen_sequence_rows sequence = attngen_sequence_rows_of(params->cu_seqlens_q, b, params->seqlen_q,
                                                                    params->total_q);
    const element_t *o_head = (const element_t *)params->o + attngen_sequence_row_offset(sequence, &params->o_layout, 0)
                              + h * params->o_layout.head_stride;
    const element_t *do_head = (const element_t *)params->d_o
                               + attngen_sequence_row_offset(sequence, &params->d_o_layout, 0)
                               + h * params->d_o_layout.head_stride;
    const element_t *q_head = (const element_t *)params->q + attngen_sequence_row_offset(sequence, &params->q_layout, 0)
                              + h * params->q_layout.head_stride;
    for (int64_t q = 0; q < padded_rows; ++q) {
        float *restrict q_dst = q_rows + (bh * padded_rows + q) * HEAD_DIM;
        float *restrict do_dst = do_rows + (bh * padded_rows + q) * VALUE_HEAD_DIM;
        if (q >= sequence.count) {
            /* Rows past the end, up to a whole query tile: zero, so that tile products may read them. */
            memset(q_dst, 0, sizeof(float) * HEAD_DIM);
            memset(do_dst, 0, sizeof(float) * VALUE_HEAD_DIM);
            if (q < params->seqlen_q) {
                /* Past a shorter sequence of a variable-length batch: D and dQ of rows no one reads. */
                row_dot[bh * params->seqlen_q + q] = 0.0f;
                memset(dq_accumulator + (bh * params->seqlen_q + q) * HEAD_DIM, 0, sizeof(float) * HEAD_DIM);
            }
            continue;
        }
        const element_t *o_row = o_head + q * params->o_layout.row_stride;
        const element_t *do_row = do_head + q * params->d_o_layout.row_stride;
        const element_t *q_row = q_head + q * params->q_layout.row_stride;
        float dot = 0.0f;
        for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
            const float d_o = load_element(do_row[i]);
            dot += d_o * load_element(o_row[i]);
            do_dst[i] = d_o;
        }
        for (int i = 0; i < HEAD_DIM; ++i) {
            q_dst[i] = load_element(q_row[i]);
        }
        row_dot[bh * params->seqlen_q + q] = dot;
        float *dq_row = dq_accumulator + (bh * params->seqlen_q + q) * HEAD_DIM;
        for (int i = 0; i < HEAD_DIM; ++i) {
            dq_row[i] = 0.0f;
        }
    }
}

/* ---- one key tile of one (batch, key/value head) ------------------------------------------------ */

static void backward_key_tile(const attngen_backward_params *params, int64_t b, int64_t h_kv, int64_t col0,
                              float *dq_accumulator, const float *row_dot, const float *q_rows, const float *do_rows,
                              int64_t padded_rows, float *scratch, int atomic, double *parameter_partials)
{
    /* The sequence's query rows and keys (packed by cu_seqlens_q / cu_seqlens_k, or batch_stride apart), and the
       lengths dropout counts with (README.md, "Variable-length batches"). */
    const attngen_sequence_rows query_rows = attngen_sequence_rows_of(params->cu_seqlens_q, b, params->seqlen_q,
                                                                      params->total_q);
    const attngen_sequence_rows key_rows = attngen_sequence_rows_of(params->cu_seqlens_k, b, params->seqlen_k,
                                                                    params->total_k);
    const int64_t nq = query_rows.count;
    const int64_t nk = key_rows.count;
    if (col0 >= nk) {
        return; /* a key tile past this sequence's keys (the tiles of a variable-length batch cover the longest) */
    }
    const int64_t dropout_nq = params->seqlen_q;
    const int64_t dropout_nk = params->seqlen_k;
    (void)dropout_nq;
    (void)dropout_nk;
    const int64_t cols = attngen_min_i64(TILE_COLUMNS, nk - col0);
    const int64_t group = params->heads_q / params->heads_kv;

    float *restrict k_columns = scratch;                  /* K^T  [HEAD_DIM][KEY_LANES] */
    float *restrict v_columns = k_columns + KT_FLOATS;    /* V^T  [VALUE_HEAD_DIM][KEY_LANES] */
    float *restrict k_rows = v_columns + VT_FLOATS;       /* K    [KEY_LANES][HEAD_LANES] */
    float *restrict dk_columns = k_rows + KR_FLOATS;      /* dK^T [HEAD_DIM][KEY_LANES] */
    float *restrict dv_columns = dk_columns + DKT_FLOATS; /* dV^T [VALUE_HEAD_DIM][KEY_LANES] */
    float *restrict s_tile = dv_columns + DVT_FLOATS;     /* S, then P * Z  [TILE_ROWS][KEY_LANES] */
    float *restrict dp_tile = s_tile + S_FLOATS;          /* dP, then scale * dS  [TILE_ROWS][KEY_LANES] */
    float *restrict dq_tile = dp_tile + DP_FLOATS;        /* dQ   [TILE_ROWS][HEAD_LANES] */
    float *restrict z_row = dq_tile + DQ_FLOATS;          /* dropout: 0 or 1/(1-p) per key */
    float *restrict g_row = z_row + KEY_LANES;            /* score modifier: its derivative per key */
    float *restrict lse_rows = g_row + KEY_LANES;         /* LSE in base 2 per row (-inf: nothing flows back) */
    float *restrict d_rows = lse_rows + TILE_ROWS;        /* D per row */
    float *restrict x_row = d_rows + TILE_ROWS;           /* score parameters' gradient: a row's raw scores */
    float *restrict dm_row = x_row + KEY_LANES;           /* ... and its dL/dm (dS before the modifier's derivative) */
    (void)x_row;
    (void)dm_row;
    (void)parameter_partials;

    /* Load K and V for the tile in three layouts (zero past the last key), clear the accumulators. */
    const element_t *k_head = (const element_t *)params->k + attngen_sequence_row_offset(key_rows, &params->k_layout, 0)
                              + h_kv * params->k_layout.head_stride;
    const element_t *v_head = (const element_t *)params->v + attngen_sequence_row_offset(key_rows, &params->v_layout, 0)
                              + h_kv * params->v_layout.head_stride;
    for (int j = 0; j < KEY_LANES; ++j) {
        const element_t *k_src = j < cols ? k_head + (col0 + j) * params->k_layout.row_stride : NULL;
        const element_t *v_src = j < cols ? v_head + (col0 + j) * params->v_layout.row_stride : NULL;
        for (int i = 0; i < HEAD_LANES; ++i) {
            const float value = k_src != NULL && i < HEAD_DIM ? load_element(k_src[i]) : 0.0f;
            k_rows[j * HEAD_LANES + i] = value;
            if (i < HEAD_DIM) {
                k_columns[i * KEY_LANES + j] = value;
            }
        }
        for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
            v_columns[i * KEY_LANES + j] = v_src != NULL ? load_element(v_src[i]) : 0.0f;
        }
    }
    memset(dk_columns, 0, sizeof(float) * DKT_FLOATS);
    memset(dv_columns, 0, sizeof(float) * DVT_FLOATS);

    for (int64_t h = h_kv * group; h < (h_kv + 1) * group; ++h) {
        const float *lse_head = params->lse + attngen_sequence_row_offset(query_rows, &params->lse_layout, 0)
                                + h * params->lse_layout.head_stride;
        {{score_modifier_state}}
        {{parameter_gradient_head_begin}}
        for (int64_t row0 = 0; row0 < nq; row0 += TILE_ROWS) {
            const int64_t rows = attngen_min_i64(TILE_ROWS, nq - row0);
            /* The keys some row of this query tile keeps; skip the query tile if it misses this key tile. */
            int64_t key_begin = 0;
            int64_t key_end = nk;
            visible_key_range(row0, row0 + rows, nq, nk, &key_begin, &key_end);
            if (key_end <= col0 || key_begin >= col0 + cols) {
                continue;
            }
            if (key_tile_is_skipped(params->block_mask, &params->block_mask_layout, b, h, row0, col0)) {
                continue; /* the whole tile lies in a block that is off */
            }

            /* The query tile: Q and dO rows in fp32 (converted by the pre-pass; rows past the end are zero),
               LSE in base 2 and D (padding rows count as fully masked). */
            const float *q_tile = q_rows + ((b * params->heads_q + h) * padded_rows + row0) * HEAD_DIM;
            const float *do_tile = do_rows + ((b * params->heads_q + h) * padded_rows + row0) * VALUE_HEAD_DIM;
            for (int64_t r = 0; r < TILE_ROWS; ++r) {
                if (r < rows) {
                    const int64_t q = row0 + r;
                    const float lse = lse_head[q * params->lse_layout.row_stride];
                    lse_rows[r] = lse == -INFINITY ? -INFINITY : lse * 1.44269504088896341f;
                    d_rows[r] = row_dot[(b * params->heads_q + h) * params->seqlen_q + q];
                } else {
                    lse_rows[r] = -INFINITY;
                    d_rows[r] = 0.0f;
                }
            }

            /* S = Q K^T (unscaled) and dP = dO V^T over the key lanes. */
            scores_product(s_tile, q_tile, k_columns, 0);
            value_scores_product(dp_tile, do_tile, v_columns, 0);

            for (int64_t r = 0; r < TILE_ROWS; ++r) {
                float *restrict s_row = s_tile + r * KEY_LANES;
                float *restrict dp_row = dp_tile + r * KEY_LANES;
                if (r >= rows || lse_rows[r] == -INFINITY) {
                    /* A padding row or a fully masked row: P = 0, nothing flows back. */
                    memset(s_row, 0, sizeof(float) * KEY_LANES);
                    memset(dp_row, 0, sizeof(float) * KEY_LANES);
                    continue;
                }
                const int64_t q = row0 + r;
                {{parameter_gradient_scores}}
                {{score_modifier}}

                /* Masks: keys outside [keep_begin, keep_end) (tile-relative; padding keys included) get P = 0. */
                int64_t first_key = 0;
                int64_t end_key = nk;
                row_key_bounds(q, nq, nk, &first_key, &end_key);
                const int64_t keep_begin = attngen_max_i64(0, attngen_min_i64(first_key - col0, cols));
                const int64_t keep_end = attngen_max_i64(keep_begin, attngen_min_i64(end_key - col0, cols));
                for (int64_t j = 0; j < keep_begin; ++j) {
                    s_row[j] = -INFINITY;
                }
                for (int64_t j = keep_end; j < KEY_LANES; ++j) {
                    s_row[j] = -INFINITY;
                }
                {{element_mask}}

                /* The dropout factors Z (1 without dropout). */
                for (int j = 0; j < KEY_LANES; ++j) {
                    z_row[j] = 1.0f;
                }
                {{dropout}}

                /* P = exp2(S * scale * log2(e) - LSE) (masked scores give 0; a score modifier's S is in base 2
                   already); dS = P * (dP * Z - D), scaled by
                   the softmax scale for dK and dQ; S becomes P * Z for dV, dP becomes scale * dS. */
                const attngen_vf score_scale = attngen_vf_set(SCORE_TO_LOG2);
                const attngen_vf lse = attngen_vf_set(lse_rows[r]);
                const attngen_vf d_row = attngen_vf_set(d_rows[r]);
                const attngen_vf softmax_scale = attngen_vf_set(SOFTMAX_SCALE);
                for (int j = 0; j < KEY_LANES; j += ATTNGEN_LANES) {
                    const attngen_vf p = attngen_vf_exp2(attngen_vf_sub(attngen_vf_mul(attngen_vf_load(s_row + j), score_scale),
                                                                        lse));
                    const attngen_vf z = attngen_vf_load(z_row + j);
                    const attngen_vf dp = attngen_vf_load(dp_row + j);
                    attngen_vf ds = attngen_vf_mul(p, attngen_vf_sub(attngen_vf_mul(dp, z), d_row));
                    {{parameter_gradient_store}}
                    {{score_modifier_gradient}}
                    attngen_vf_store(s_row + j, attngen_vf_mul(p, z));
                    attngen_vf_store(dp_row + j, attngen_vf_mul(ds, softmax_scale));
                }
                {{parameter_gradient_accumulate}}
            }

            /* dV^T += dO^T (P * Z), dK^T += Q^T (scale * dS), dQ = (scale * dS) K. */
            value_gradient_product(dv_columns, do_tile, s_tile, 1);
            key_gradient_product(dk_columns, q_tile, dp_tile, 1);
            query_gradient_product(dq_tile, dp_tile, k_rows, 0);
            for (int64_t r = 0; r < rows; ++r) {
                float *dq_row = dq_accumulator + ((b * params->heads_q + h) * params->seqlen_q + row0 + r) * HEAD_DIM;
                const float *restrict dq_src = dq_tile + r * HEAD_LANES;
                if (atomic) {
                    for (int i = 0; i < HEAD_DIM; ++i) {
                        ATTNGEN_OMP(omp atomic update)
                        dq_row[i] += dq_src[i];
                    }
                } else {
                    for (int i = 0; i < HEAD_DIM; ++i) {
                        dq_row[i] += dq_src[i];
                    }
                }
            }
        }
        {{parameter_gradient_head_end}}
    }

    /* Write dK and dV of the tile once, in the storage type. */
    element_t *dk_head = (element_t *)params->dk + attngen_sequence_row_offset(key_rows, &params->dk_layout, 0)
                         + h_kv * params->dk_layout.head_stride;
    element_t *dv_head = (element_t *)params->dv + attngen_sequence_row_offset(key_rows, &params->dv_layout, 0)
                         + h_kv * params->dv_layout.head_stride;
    for (int64_t j = 0; j < cols; ++j) {
        element_t *dk_dst = dk_head + (col0 + j) * params->dk_layout.row_stride;
        element_t *dv_dst = dv_head + (col0 + j) * params->dv_layout.row_stride;
        for (int i = 0; i < HEAD_DIM; ++i) {
            dk_dst[i] = store_element(dk_columns[i * KEY_LANES + j]);
        }
        for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
            dv_dst[i] = store_element(dv_columns[i * KEY_LANES + j]);
        }
    }
}

/* ---- the passes, run by each thread of the team (or once, without OpenMP) ---------------------- */

static void run_backward(const attngen_backward_params *params, float *q_rows, float *do_rows, int64_t padded_rows,
                         double *parameter_partials, int *out_of_memory)
{
    /* No workspace without query rows (Nq = 0): nothing then reads it. */
    float *dq_accumulator = (float *)params->workspace;
    float *row_dot = params->workspace == NULL ? NULL
                                               : (float *)((char *)params->workspace + dq_accumulator_bytes(params));
    const int64_t bh_count = params->batch * params->heads_q;
    const int64_t key_tiles = (params->seqlen_k + TILE_COLUMNS - 1) / TILE_COLUMNS;
    const int64_t groups = params->batch * params->heads_kv;
    /* Fast mode splits the work by key tile, adding into dQ atomically, only when the (batch, key/value head) groups
       cannot occupy the team: otherwise the groups run as in deterministic mode, which is faster on a CPU (no
       atomics; benchmarks/cpu/NOTES.md, 14) and gives the same dQ. */
    const int fast = params->dq_mode == ATTNGEN_DQ_FAST && groups < team_size();

    ATTNGEN_OMP(omp for schedule(static))
    for (int64_t bh = 0; bh < bh_count; ++bh) {
        prepare_rows(params, dq_accumulator, row_dot, q_rows, do_rows, padded_rows, bh);
    }
    {{sink_gradient}}

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
                                  (task % key_tiles) * TILE_COLUMNS, dq_accumulator, row_dot, q_rows, do_rows, padded_rows,
                                  scratch, 1, parameter_partials);
            }
        } else {
            ATTNGEN_OMP(omp for schedule(dynamic, 1))
            for (int64_t group = 0; group < groups; ++group) {
                for (int64_t tile = 0; tile < key_tiles; ++tile) {
                    backward_key_tile(params, group / params->heads_kv, group % params->heads_kv, tile * TILE_COLUMNS,
                                      dq_accumulator, row_dot, q_rows, do_rows, padded_rows, scratch, 0,
                                      parameter_partials);
                }
            }
        }
    }
    free(scratch);
    if (failed) {
        return;
    }
    {{parameter_gradient_reduce}}

    /* dQ from the fp32 accumulator to the storage type (zero rows when there are no keys). */
    ATTNGEN_OMP(omp for schedule(static))
    for (int64_t bh = 0; bh < bh_count; ++bh) {
        const int64_t b = bh / params->heads_q, h = bh % params->heads_q;
        const attngen_sequence_rows sequence = attngen_sequence_rows_of(params->cu_seqlens_q, b, params->seqlen_q,
                                                                        params->total_q);
        element_t *dq_head = (element_t *)params->dq + attngen_sequence_row_offset(sequence, &params->dq_layout, 0)
                             + h * params->dq_layout.head_stride;
        for (int64_t q = 0; q < sequence.count; ++q) {
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
    const attngen_status status = attngen_check_backward(params, &VARIANT_RULES, attngen_{{name}}_backward_workspace_size,
                                                         &has_work);
    if (status != ATTNGEN_OK || !has_work) {
        return status;
    }
    if ((params->cu_seqlens_q != NULL
         && !attngen_prefix_sums_are_valid(params->cu_seqlens_q, params->batch, params->seqlen_q, params->total_q))
        || (params->cu_seqlens_k != NULL
            && !attngen_prefix_sums_are_valid(params->cu_seqlens_k, params->batch, params->seqlen_k, params->total_k))) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    /* Strides of tensors without elements, and the batch strides of packed ones, become zeros
       (attngen_backward_layouts_in_use, in attngen_checks.h: the same rule as the CUDA launcher's). */
    const attngen_backward_params p = attngen_backward_layouts_in_use(params);
    /* Q and dO in fp32, each head's rows padded with zero rows to whole query tiles (the pre-pass fills them). */
    const int64_t padded_rows = (p.seqlen_q + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS;
    const size_t head_rows = query_rows(&p, padded_rows);
    const size_t q_bytes = attngen_size_add_aligned(attngen_size_mul(head_rows, HEAD_DIM * sizeof(float)), 1, 64);
    const size_t do_bytes =
        attngen_size_add_aligned(attngen_size_mul(head_rows, VALUE_HEAD_DIM * sizeof(float)), 1, 64);
    /* At least 64 bytes (no malloc(0) when Nq = 0); SIZE_MAX, more than any allocation (tensors near
       ATTNGEN_MAX_TENSOR_BYTES), is not even asked of malloc. */
    float *q_rows = q_bytes < SIZE_MAX ? (float *)malloc(q_bytes) : NULL;
    float *do_rows = do_bytes < SIZE_MAX ? (float *)malloc(do_bytes) : NULL;
    /* The score parameters' gradient: a partial sum per (batch, query head, key tile), zero where a tile is skipped. */
    double *parameter_partials = NULL;
    int out_of_memory = q_rows == NULL || do_rows == NULL;
    {{parameter_gradient_allocate}}
    if (!out_of_memory) {
#ifdef _OPENMP
        if (p.num_threads > 0) {
            ATTNGEN_OMP(omp parallel num_threads(p.num_threads))
            run_backward(&p, q_rows, do_rows, padded_rows, parameter_partials, &out_of_memory);
        } else {
            ATTNGEN_OMP(omp parallel)
            run_backward(&p, q_rows, do_rows, padded_rows, parameter_partials, &out_of_memory);
        }
#else
        run_backward(&p, q_rows, do_rows, padded_rows, parameter_partials, &out_of_memory);
#endif
    }
    free(q_rows);
    free(do_rows);
    free(parameter_partials);
    return out_of_memory ? ATTNGEN_ERROR_OUT_OF_MEMORY : ATTNGEN_OK;
}
