{{banner}}
#include "{{name}}.h"
#include "{{name}}_variant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
/* From the OpenMP runtime (declared here so that no omp.h is needed, which some compilers lack). */
int omp_get_thread_num(void);
int omp_get_max_threads(void);
#endif

/*
 * FlashAttention-2 forward pass on the CPU. One task is one tile of TILE_ROWS query rows of one
 * (batch, query head); it keeps its Q tile, output accumulator and softmax statistics in a per-thread
 * workspace and streams K and V through it in tiles of TILE_COLUMNS keys, skipping key tiles that the
 * masks remove entirely. Scores live only as one TILE_COLUMNS x TILE_ROWS tile: there is no N x N buffer.
 *
 * The query rows of a task live in vector lanes: Q, S, P and O are kept transposed ([i][row], [key][row]),
 * so that K and V are read row by row as stored, the online softmax is elementwise across lanes (no
 * horizontal reductions), and the two products are register-tiled outer products:
 *     S^T[j][r]  = sum_i K[j][i] * Q^T[i][r]      (one K element broadcast times a vector of rows)
 *     O^T[c][r] += sum_j V[j][c] * P^T[j][r]      (one V element broadcast times a vector of rows)
 * with KEY_BLOCK keys (VALUE_BLOCK outputs) x CHUNK_VECTORS vectors of accumulators held in registers.
 * The vectors are attngen_vf (attngen_runtime.h): AVX-512F, AVX2 + FMA or SSE2 as the file is compiled
 * for (-march=native picks the best), or portable C11. Threads share nothing but the read-only inputs:
 * one parallel region, with no barrier before its end.
 */

/* OpenMP directives, which vanish (without "unknown pragma" warnings) when OpenMP is off. */
#ifdef _OPENMP
#define ATTNGEN_OMP(directive) _Pragma(#directive)
#else
#define ATTNGEN_OMP(directive)
#endif

/* ---- compile-time shape: {{name}}_variant.h fixes the head dimensions, the tile plan the tile sizes -- */

/* COPIES_FLOAT_ROWS below: the bytes of a head's fp32 K and V rows above which AVX2 builds copy each key tile into the
   workspace (README.md, "The C ABI"; 0 copies always). */
#ifndef ATTNGEN_FLOAT_ROWS_COPY_BYTES
#define ATTNGEN_FLOAT_ROWS_COPY_BYTES (1 << 20)
#endif

enum {
    TILE_ROWS = {{tile_rows}}, /* Br: query rows per task */
    TILE_COLUMNS = {{tile_columns}}, /* Bc: keys per step */

    /* Lanes per row of the transposed tiles: TILE_ROWS rounded up to 16 (padding lanes compute unused values). */
    LANES = (TILE_ROWS + 15) / 16 * 16,
    ROW_VECTORS = LANES / ATTNGEN_LANES,
    /* Register tiles: KEY_BLOCK keys (VALUE_BLOCK outputs) x CHUNK_VECTORS vectors of rows. The rows of a tile are
       taken CHUNK_VECTORS vectors at a time (dividing ROW_VECTORS), so that each broadcast K or V element meets at
       least two vectors of rows. AVX-512 (32 registers) runs 4 x 4 blocks of 16 accumulators in 64-row tiles (8
       loads per 16 FMAs, where 32-row tiles' 2 x 8 blocks need 10; benchmarks/cpu/NOTES.md, 8). AVX2 (16
       registers) runs 6 keys x 2 vectors: 12 accumulators, 2 row vectors and a broadcast, 8 loads per 12 FMAs,
       the accumulators a 4-cycle FMA latency needs at two FMAs a cycle with room to spare (4 x 2 blocks, 8
       accumulators, ran 8-19 % slower on an AMD EPYC; NOTES.md, 16). SSE and portable C keep 4 x 2. */
    AVX2_BLOCKS = ATTNGEN_LANES == 8 && ROW_VECTORS % 2 == 0,
    ACCUMULATORS = ATTNGEN_LANES == 16 ? 16 : AVX2_BLOCKS ? 12 : 8,
    CHUNK_VECTORS = AVX2_BLOCKS ? 2
                    : ROW_VECTORS % 4 == 0 ? 4 : ROW_VECTORS % 3 == 0 ? 3 : ROW_VECTORS % 2 == 0 ? 2 : 1,
    KEY_BLOCK = AVX2_BLOCKS ? ACCUMULATORS / CHUNK_VECTORS
                : ACCUMULATORS / CHUNK_VECTORS >= 8 ? 8 : ACCUMULATORS / CHUNK_VECTORS >= 4 ? 4
                : ACCUMULATORS / CHUNK_VECTORS >= 2 ? 2 : 1,
    VALUE_BLOCK = KEY_BLOCK,
    /* The outputs past the last whole VALUE_BLOCK, taken in one narrower block (1 when there are none). */
    VALUE_REST = VALUE_HEAD_DIM % VALUE_BLOCK,
    VALUE_REST_BLOCK = VALUE_REST > 0 ? VALUE_REST : 1,
    /* Score rows computed: TILE_COLUMNS rounded up to whole key blocks (the extra rows are never read). */
    SCORE_ROWS = (TILE_COLUMNS + KEY_BLOCK - 1) / KEY_BLOCK * KEY_BLOCK,

    /* Per-thread workspace, in floats (the plan's byte account, with rows rounded up to LANES). */
    QT_TILE_FLOATS = HEAD_DIM * LANES,            /* Q^T, scaled to base 2 */
    /* fp32 K and V rows evenly spaced are read in place, except on AVX2 when a head's K and V exceed
       FLOAT_ROWS_COPY_BYTES: there the 2 x 6 blocks' broadcasts from six rows ran 5-17 % faster from a copy in the
       workspace (AMD EPYC, Zen 3, 2 threads, d = 64 and 128, N = 2048-4096), and up to 10 % slower where K and V
       stay in the core's L2 (d = 64, N = 1024): benchmarks/cpu/NOTES.md 17. ATTNGEN_FLOAT_ROWS_COPY_BYTES. */
    COPIES_FLOAT_ROWS = INPUTS_ARE_FLOAT && PAGE_SIZE == 0 && AVX2_BLOCKS,
    /* K and V in fp32 (16-bit storage, a paged cache, whose rows are not evenly spaced, or COPIES_FLOAT_ROWS) */
    K_TILE_FLOATS = INPUTS_ARE_FLOAT && PAGE_SIZE == 0 && !COPIES_FLOAT_ROWS ? 0 : TILE_COLUMNS * HEAD_DIM,
    V_TILE_FLOATS = INPUTS_ARE_FLOAT && PAGE_SIZE == 0 && !COPIES_FLOAT_ROWS ? 0 : TILE_COLUMNS * VALUE_HEAD_DIM,
    ST_TILE_FLOATS = SCORE_ROWS * LANES,          /* S^T, then P^T */
    OT_TILE_FLOATS = VALUE_HEAD_DIM * LANES,      /* O^T, unnormalised */
    ROW_STATE_FLOATS = 3 * LANES,                 /* m, l, and the per-tile rescale factors */
    WORKSPACE_FLOATS = QT_TILE_FLOATS + K_TILE_FLOATS + V_TILE_FLOATS + ST_TILE_FLOATS + OT_TILE_FLOATS
                       + ROW_STATE_FLOATS,
    /* Where each tile starts in the workspace: Q^T, K, V, S^T, O^T, the row state; with COPIES_FLOAT_ROWS the K and V
       copies go last, so that a call that reads K and V in place has its tiles where a build without them has. */
    K_TILE_OFFSET = COPIES_FLOAT_ROWS ? QT_TILE_FLOATS + ST_TILE_FLOATS + OT_TILE_FLOATS + ROW_STATE_FLOATS
                                      : QT_TILE_FLOATS,
    V_TILE_OFFSET = K_TILE_OFFSET + K_TILE_FLOATS,
    ST_TILE_OFFSET = COPIES_FLOAT_ROWS ? QT_TILE_FLOATS : V_TILE_OFFSET + V_TILE_FLOATS,
    OT_TILE_OFFSET = ST_TILE_OFFSET + ST_TILE_FLOATS,
    ROW_STATE_OFFSET = OT_TILE_OFFSET + OT_TILE_FLOATS
};

/* bf16 storage on a CPU with AVX512_BF16 (ATTNGEN_BF16_DOT), an even head dim and evenly spaced K rows: S^T = K Q^T
   runs on vdpbf16ps, two products per lane and instruction, with K read in place and Q^T held as the stored bf16
   pairs (d, d + 1) of each row (exact); the scale * log2(e) is applied to the sums. */
#if defined(ATTNGEN_BF16_DOT) && ELEMENT_IS_BF16 && !INPUTS_ARE_FP8 && HEAD_DIM_LITERAL % 2 == 0 && PAGE_SIZE == 0
#define SCORES_USE_BF16_DOT 1
#else
#define SCORES_USE_BF16_DOT 0
#endif

/* ---- micro-kernels for the two products ---------------------------------------------------------- */

#if !SCORES_USE_BF16_DOT
/*
 * KEY_BLOCK rows of S^T: st[jj][r] = sum_i K[key0 + jj][i] * qt[i][r], K rows `k_stride` floats apart, for the
 * CHUNK_VECTORS vectors of rows from `chunk`. Keys at or past `cols` (in the tile's last block) repeat the last key:
 * their scores are computed but never read.
 */
static inline void score_block(float *restrict st, const float *restrict qt_tile, const float *restrict k_rows,
                               int64_t k_stride, int64_t key0, int64_t cols, int chunk)
{
    const float *k[KEY_BLOCK];
    ATTNGEN_UNROLL
    for (int jj = 0; jj < KEY_BLOCK; ++jj) {
        k[jj] = k_rows + attngen_min_i64(key0 + jj, cols - 1) * k_stride;
    }
    const float *restrict q_lanes = qt_tile + chunk * ATTNGEN_LANES;
    attngen_vf acc[KEY_BLOCK][CHUNK_VECTORS];
    ATTNGEN_UNROLL
    for (int jj = 0; jj < KEY_BLOCK; ++jj) {
        ATTNGEN_UNROLL
        for (int v = 0; v < CHUNK_VECTORS; ++v) {
            acc[jj][v] = attngen_vf_set(0.0f);
        }
    }
    for (int i = 0; i < HEAD_DIM; ++i) {
        attngen_vf q[CHUNK_VECTORS];
        ATTNGEN_UNROLL
        for (int v = 0; v < CHUNK_VECTORS; ++v) {
            q[v] = attngen_vf_load(q_lanes + i * LANES + v * ATTNGEN_LANES);
        }
        ATTNGEN_UNROLL
        for (int jj = 0; jj < KEY_BLOCK; ++jj) {
            const attngen_vf key = attngen_vf_set(k[jj][i]);
            ATTNGEN_UNROLL
            for (int v = 0; v < CHUNK_VECTORS; ++v) {
                acc[jj][v] = attngen_vf_fma(key, q[v], acc[jj][v]);
            }
        }
    }
    float *restrict st_lanes = st + chunk * ATTNGEN_LANES;
    ATTNGEN_UNROLL
    for (int jj = 0; jj < KEY_BLOCK; ++jj) {
        ATTNGEN_UNROLL
        for (int v = 0; v < CHUNK_VECTORS; ++v) {
            attngen_vf_store(st_lanes + jj * LANES + v * ATTNGEN_LANES, acc[jj][v]);
        }
    }
}
#endif

#if SCORES_USE_BF16_DOT
/* score_block on bf16 pairs: st[jj][r] = scale * log2(e) * sum_i K[key0 + jj][i] * Q[r][i], with qt_pairs[i][r] the
   pair (Q[r][2i], Q[r][2i + 1]) and K rows (bf16, `k_stride` elements apart) read in place two elements at a time. */
static inline void score_block_bf16(float *restrict st, const uint32_t *restrict qt_pairs,
                                    const element_t *restrict k_rows, int64_t k_stride, int64_t key0, int64_t cols,
                                    int chunk)
{
    const element_t *k[KEY_BLOCK];
    ATTNGEN_UNROLL
    for (int jj = 0; jj < KEY_BLOCK; ++jj) {
        k[jj] = k_rows + attngen_min_i64(key0 + jj, cols - 1) * k_stride;
    }
    const uint32_t *restrict q_lanes = qt_pairs + chunk * ATTNGEN_LANES;
    attngen_vf acc[KEY_BLOCK][CHUNK_VECTORS];
    ATTNGEN_UNROLL
    for (int jj = 0; jj < KEY_BLOCK; ++jj) {
        ATTNGEN_UNROLL
        for (int v = 0; v < CHUNK_VECTORS; ++v) {
            acc[jj][v] = attngen_vf_set(0.0f);
        }
    }
    for (int i = 0; i < HEAD_DIM / 2; ++i) {
        attngen_vbf16_pairs q[CHUNK_VECTORS];
        ATTNGEN_UNROLL
        for (int v = 0; v < CHUNK_VECTORS; ++v) {
            q[v] = attngen_vbf16_pairs_load(q_lanes + i * LANES + v * ATTNGEN_LANES);
        }
        ATTNGEN_UNROLL
        for (int jj = 0; jj < KEY_BLOCK; ++jj) {
            uint32_t pair;
            memcpy(&pair, k[jj] + 2 * i, sizeof pair);
            ATTNGEN_UNROLL
            for (int v = 0; v < CHUNK_VECTORS; ++v) {
                acc[jj][v] = attngen_vf_dot_bf16(acc[jj][v], q[v], pair);
            }
        }
    }
    const attngen_vf scale = attngen_vf_set(SCORE_SCALE_LOG2E);
    float *restrict st_lanes = st + chunk * ATTNGEN_LANES;
    ATTNGEN_UNROLL
    for (int jj = 0; jj < KEY_BLOCK; ++jj) {
        ATTNGEN_UNROLL
        for (int v = 0; v < CHUNK_VECTORS; ++v) {
            attngen_vf_store(st_lanes + jj * LANES + v * ATTNGEN_LANES, attngen_vf_mul(acc[jj][v], scale));
        }
    }
}

/* compute_scores on bf16 pairs (score_block_bf16). */
static void compute_scores_bf16(float *restrict st_tile, const uint32_t *restrict qt_pairs,
                                const element_t *restrict k_rows, int64_t k_stride, int64_t cols)
{
    for (int64_t key0 = 0; key0 < cols; key0 += KEY_BLOCK) {
        for (int chunk = 0; chunk < ROW_VECTORS; chunk += CHUNK_VECTORS) {
            score_block_bf16(st_tile + key0 * LANES, qt_pairs, k_rows, k_stride, key0, cols, chunk);
        }
    }
}

#else
/* S^T = K Q^T for the tile's `cols` keys: row j of st_tile holds key j's scores for every lane (query row). */
static void compute_scores(float *restrict st_tile, const float *restrict qt_tile, const float *restrict k_rows,
                           int64_t k_stride, int64_t cols)
{
    for (int64_t key0 = 0; key0 < cols; key0 += KEY_BLOCK) {
        for (int chunk = 0; chunk < ROW_VECTORS; chunk += CHUNK_VECTORS) {
            score_block(st_tile + key0 * LANES, qt_tile, k_rows, k_stride, key0, cols, chunk);
        }
    }
}
#endif

/* BLOCK rows of O^T: ot[c][r] += sum_{j < cols} v_rows[j][c] * pt[j][r], V rows `v_stride` floats apart, for the
   CHUNK_VECTORS vectors of rows from `chunk`. */
#define DEFINE_OUTPUT_KERNEL(function, BLOCK)                                                                 \
    static inline void function(float *restrict ot, const float *restrict pt_tile, const float *restrict v_rows,  \
                                int64_t v_stride, int64_t cols, int chunk)                                   \
    {                                                                                                         \
        float *restrict o_lanes = ot + chunk * ATTNGEN_LANES;                                                 \
        const float *restrict p_lanes = pt_tile + chunk * ATTNGEN_LANES;                                      \
        attngen_vf acc[BLOCK][CHUNK_VECTORS];                                                                 \
        ATTNGEN_UNROLL                                                                                        \
        for (int c = 0; c < BLOCK; ++c) {                                                                     \
            ATTNGEN_UNROLL                                                                                    \
            for (int v = 0; v < CHUNK_VECTORS; ++v) {                                                         \
                acc[c][v] = attngen_vf_load(o_lanes + c * LANES + v * ATTNGEN_LANES);                         \
            }                                                                                                 \
        }                                                                                                     \
        for (int64_t j = 0; j < cols; ++j) {                                                                  \
            attngen_vf p[CHUNK_VECTORS];                                                                      \
            ATTNGEN_UNROLL                                                                                    \
            for (int v = 0; v < CHUNK_VECTORS; ++v) {                                                         \
                p[v] = attngen_vf_load(p_lanes + j * LANES + v * ATTNGEN_LANES);                              \
            }                                                                                                 \
            const float *restrict v_row = v_rows + j * v_stride;                                              \
            ATTNGEN_UNROLL                                                                                    \
            for (int c = 0; c < BLOCK; ++c) {                                                                 \
                const attngen_vf x = attngen_vf_set(v_row[c]);                                                \
                ATTNGEN_UNROLL                                                                                \
                for (int v = 0; v < CHUNK_VECTORS; ++v) {                                                     \
                    acc[c][v] = attngen_vf_fma(x, p[v], acc[c][v]);                                           \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
        ATTNGEN_UNROLL                                                                                        \
        for (int c = 0; c < BLOCK; ++c) {                                                                     \
            ATTNGEN_UNROLL                                                                                    \
            for (int v = 0; v < CHUNK_VECTORS; ++v) {                                                         \
                attngen_vf_store(o_lanes + c * LANES + v * ATTNGEN_LANES, acc[c][v]);                         \
            }                                                                                                 \
        }                                                                                                     \
    }
DEFINE_OUTPUT_KERNEL(accumulate_output_block, VALUE_BLOCK)
DEFINE_OUTPUT_KERNEL(accumulate_output_rest, VALUE_REST_BLOCK)
#undef DEFINE_OUTPUT_KERNEL

/* O^T += V^T P^T over the tile's `cols` keys: row c of ot_tile holds output c for every lane. */
static void accumulate_output(float *restrict ot_tile, const float *restrict pt_tile, const float *restrict v_rows,
                              int64_t v_stride, int64_t cols)
{
    enum { WHOLE_BLOCKS_END = VALUE_HEAD_DIM - VALUE_REST };
    for (int chunk = 0; chunk < ROW_VECTORS; chunk += CHUNK_VECTORS) {
        for (int c = 0; c < WHOLE_BLOCKS_END; c += VALUE_BLOCK) {
            accumulate_output_block(ot_tile + c * LANES, pt_tile, v_rows + c, v_stride, cols, chunk);
        }
        if (VALUE_REST > 0) {
            accumulate_output_rest(ot_tile + WHOLE_BLOCKS_END * LANES, pt_tile, v_rows + WHOLE_BLOCKS_END, v_stride, cols,
                                   chunk);
        }
    }
}

/*
 * The online softmax of one key tile, elementwise across the lanes (query rows): new running maxima,
 * P^T = exp2(S^T - m) in place, l = l * exp2(m_old - m_new) + sum of P; the factors exp2(m_old - m_new)
 * that O must be scaled by are left in `alpha`. Rows whose keys are all masked so far keep m = -inf and
 * l = 0: their maxima are replaced by 0 in the exponents, so that no -inf - -inf (NaN) arises.
 */
static void online_softmax(float *restrict st_tile, int64_t cols, float *restrict row_max, float *restrict row_sum,
                           float *restrict alpha)
{
    for (int v = 0; v < ROW_VECTORS; ++v) {
        float *restrict st_lanes = st_tile + v * ATTNGEN_LANES;
        attngen_vf tile_max = attngen_vf_set(-INFINITY);
        for (int64_t j = 0; j < cols; ++j) {
            tile_max = attngen_vf_max(tile_max, attngen_vf_load(st_lanes + j * LANES));
        }
        const attngen_vf m_old = attngen_vf_load(row_max + v * ATTNGEN_LANES);
        const attngen_vf m_new = attngen_vf_max(m_old, tile_max);
        attngen_vf_store(row_max + v * ATTNGEN_LANES, m_new);
        /* m_used = m_new, or 0 where it is -inf: max(m_new, -FLT_MAX) is -FLT_MAX there, and S - (-FLT_MAX)
           is -inf for the masked scores such a row has, as 0 would give. */
        const attngen_vf m_used = attngen_vf_max(m_new, attngen_vf_set(-3.40282347e+38f));
        const attngen_vf rescale = attngen_vf_exp2(attngen_vf_sub(m_old, m_used));
        attngen_vf_store(alpha + v * ATTNGEN_LANES, rescale);
        attngen_vf tile_sum = attngen_vf_set(0.0f);
        for (int64_t j = 0; j < cols; ++j) {
            const attngen_vf p = attngen_vf_exp2(attngen_vf_sub(attngen_vf_load(st_lanes + j * LANES), m_used));
            attngen_vf_store(st_lanes + j * LANES, p);
            tile_sum = attngen_vf_add(tile_sum, p);
        }
        attngen_vf_store(row_sum + v * ATTNGEN_LANES,
                         attngen_vf_fma(attngen_vf_load(row_sum + v * ATTNGEN_LANES), rescale, tile_sum));
    }
}

{{sink_join}}
/* O^T *= alpha, lane by lane. */
static void rescale_output(float *restrict ot_tile, const float *restrict alpha)
{
    for (int v = 0; v < ROW_VECTORS; ++v) {
        const attngen_vf factor = attngen_vf_load(alpha + v * ATTNGEN_LANES);
        for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
            float *restrict o_lanes = ot_tile + i * LANES + v * ATTNGEN_LANES;
            attngen_vf_store(o_lanes, attngen_vf_mul(attngen_vf_load(o_lanes), factor));
        }
    }
}

/* ---- one task: a tile of query rows of one (batch, query head) ----------------------------------- */

/* COPIES_FLOAT_ROWS: whether a head of `keys` keys has K and V rows past ATTNGEN_FLOAT_ROWS_COPY_BYTES, so that its key
   tiles are copied into the workspace. */
static int copies_float_rows(int64_t keys)
{
    return COPIES_FLOAT_ROWS
           && keys * (int64_t)(HEAD_DIM + VALUE_HEAD_DIM) * (int64_t)sizeof(float) > (int64_t)ATTNGEN_FLOAT_ROWS_COPY_BYTES;
}

/* The workspace floats of a call whose longest sequence has `keys` keys: without the K and V copies (the last tiles)
   where no head copies them, so that small calls allocate what they did before COPIES_FLOAT_ROWS. */
static size_t workspace_floats(int64_t keys)
{
    return COPIES_FLOAT_ROWS && !copies_float_rows(keys) ? (size_t)(WORKSPACE_FLOATS - K_TILE_FLOATS - V_TILE_FLOATS)
                                                         : (size_t)WORKSPACE_FLOATS;
}

static void forward_tile(const attngen_forward_params *params, int64_t b, int64_t h, int64_t row0,
                         float *workspace)
{
    /* The sequence's query rows and keys (packed by cu_seqlens_q / cu_seqlens_k, or batch_stride apart; the keys it
       uses: seqlens_k, checked by the entry point), and the lengths dropout counts with (README.md, "Variable-length
       batches"). */
    const attngen_sequence_rows query_rows = attngen_sequence_rows_of(params->cu_seqlens_q, b, params->seqlen_q,
                                                                      params->total_q);
    const attngen_sequence_rows key_rows = attngen_sequence_rows_of(params->cu_seqlens_k, b, params->seqlen_k,
                                                                    params->total_k);
    const int64_t nq = query_rows.count;
    const int64_t nk = attngen_sequence_key_count(params->seqlens_k, b, key_rows.count);
    if (row0 >= nq) {
        return; /* a tile past this sequence's rows (the grid of a variable-length batch covers the longest) */
    }
    const int64_t dropout_nq = params->seqlen_q;
    const int64_t dropout_nk = params->seqlens_k != NULL ? nk : params->seqlen_k;
    (void)dropout_nq;
    (void)dropout_nk;
    const int64_t rows = attngen_min_i64(TILE_ROWS, nq - row0);
    const int64_t h_kv = h / (params->heads_q / params->heads_kv); /* GQA: query heads share a kv head */

    const input_t *q_head = (const input_t *)params->q + attngen_sequence_row_offset(query_rows, &params->q_layout, 0)
                            + h * params->q_layout.head_stride;
    /* K and V of the head (key_row_offset adds the sequence and the key). */
    const input_t *k_head = (const input_t *)params->k + h_kv * params->k_layout.head_stride;
    const input_t *v_head = (const input_t *)params->v + h_kv * params->v_layout.head_stride;
    const input_descales descales = input_descales_of(params, b, h_kv);
    (void)descales; /* not read by the bf16 dot products (16-bit inputs only) */
    element_t *o_head = (element_t *)params->o + attngen_sequence_row_offset(query_rows, &params->o_layout, 0)
                        + h * params->o_layout.head_stride;

    float *restrict qt_tile = workspace;                   /* [HEAD_DIM][LANES] */
    float *restrict k_tile = workspace + K_TILE_OFFSET;    /* [TILE_COLUMNS][HEAD_DIM] */
    float *restrict v_tile = workspace + V_TILE_OFFSET;    /* [TILE_COLUMNS][VALUE_HEAD_DIM] */
    float *restrict st_tile = workspace + ST_TILE_OFFSET;  /* [TILE_COLUMNS][LANES]: S^T, then P^T */
    float *restrict ot_tile = workspace + OT_TILE_OFFSET;  /* [VALUE_HEAD_DIM][LANES] */
    float *restrict row_max = workspace + ROW_STATE_OFFSET; /* [LANES]: running max m (base 2) */
    float *restrict row_sum = row_max + LANES;          /* [LANES]: running sum l */
    float *restrict alpha = row_sum + LANES;            /* [LANES]: per-tile rescale factors */
    (void)k_tile; /* fp32 variants read K and V in place (or copy them: COPIES_FLOAT_ROWS) */
    (void)v_tile;

#if SCORES_USE_BF16_DOT
    /* Load Q^T as bf16 pairs [HEAD_DIM / 2][LANES] (padding lanes zero), in the first half of qt_tile. */
    uint32_t *restrict qt_pairs = (uint32_t *)qt_tile;
    for (int i = 0; i < HEAD_DIM / 2; ++i) {
        for (int64_t r = rows; r < LANES; ++r) {
            qt_pairs[i * LANES + r] = 0u;
        }
    }
    for (int64_t r = 0; r < rows; ++r) {
        const input_t *q_row = q_head + (row0 + r) * params->q_layout.row_stride;
        for (int i = 0; i < HEAD_DIM / 2; ++i) {
            qt_pairs[i * LANES + r] = (uint32_t)q_row[2 * i] | (uint32_t)q_row[2 * i + 1] << 16;
        }
    }
#else
    /* Load Q^T in fp32 with scale * log2(e) (and fp8's descale factors of Q and K) folded in (padding lanes zero). */
    for (int i = 0; i < HEAD_DIM; ++i) {
        for (int64_t r = rows; r < LANES; ++r) {
            qt_tile[i * LANES + r] = 0.0f;
        }
    }
    for (int64_t r = 0; r < rows; ++r) {
        const input_t *q_row = q_head + (row0 + r) * params->q_layout.row_stride;
        for (int i = 0; i < HEAD_DIM; ++i) {
            qt_tile[i * LANES + r] = load_input(q_row[i]) * (descales.qk * SCORE_SCALE_LOG2E);
        }
    }
#endif
    /* Start m = -inf, l = 0, O = 0. */
    for (int i = 0; i < VALUE_HEAD_DIM * LANES; ++i) {
        ot_tile[i] = 0.0f;
    }
    for (int r = 0; r < LANES; ++r) {
        row_max[r] = -INFINITY;
        row_sum[r] = 0.0f;
    }

    /* The keys [key_begin, key_end) that the diagonal masks leave to at least one row of the tile;
       key tiles outside it are skipped without reading K or V. */
    int64_t key_begin = 0;
    int64_t key_end = nk;
    visible_key_range(row0, row0 + rows, nq, nk, &key_begin, &key_end);
    /* COPIES_FLOAT_ROWS: whether this head's K and V rows outgrow a core's L2, so that they are copied (nk is at most
       seqlen_k, by which the workspace was sized). */
    const int copies_rows = copies_float_rows(nk);
    (void)copies_rows;
    {{score_modifier_state}}

    for (int64_t col0 = key_begin - key_begin % TILE_COLUMNS; col0 < key_end; col0 += TILE_COLUMNS) {
        /* Keys at or past key_end are masked for every row of the tile: the last tile stops there. */
        const int64_t cols = attngen_min_i64(TILE_COLUMNS, key_end - col0);
        if (key_tile_is_skipped(params->block_mask, &params->block_mask_layout, b, h, row0, col0)) {
            continue; /* the whole tile lies in a block that is off */
        }

        /* K and V rows in fp32: read in place when stored as fp32 in evenly spaced rows, else converted (or gathered
           from their pages) into the workspace. */
#if INPUTS_ARE_FLOAT && PAGE_SIZE == 0
        const float *k_rows = k_head + key_row_offset(params, &params->k_layout, key_rows, b, col0);
        const float *v_rows = v_head + key_row_offset(params, &params->v_layout, key_rows, b, col0);
        int64_t k_stride = params->k_layout.row_stride;
        int64_t v_stride = params->v_layout.row_stride;
        if (COPIES_FLOAT_ROWS && copies_rows) {
            for (int64_t j = 0; j < cols; ++j) {
                load_input_row(k_tile + j * HEAD_DIM, k_rows + j * k_stride, HEAD_DIM);
                load_input_row(v_tile + j * VALUE_HEAD_DIM, v_rows + j * v_stride, VALUE_HEAD_DIM);
            }
            k_rows = k_tile;
            v_rows = v_tile;
            k_stride = HEAD_DIM;
            v_stride = VALUE_HEAD_DIM;
        }
#elif SCORES_USE_BF16_DOT
        /* K read in place by the bf16 dot products; V in fp32. */
        const input_t *k_rows = k_head + key_row_offset(params, &params->k_layout, key_rows, b, col0);
        const int64_t k_stride = params->k_layout.row_stride;
        for (int64_t j = 0; j < cols; ++j) {
            load_input_row(v_tile + j * VALUE_HEAD_DIM,
                           v_head + key_row_offset(params, &params->v_layout, key_rows, b, col0 + j), VALUE_HEAD_DIM);
        }
        const float *v_rows = v_tile;
        const int64_t v_stride = VALUE_HEAD_DIM;
#else
        for (int64_t j = 0; j < cols; ++j) {
            load_input_row(k_tile + j * HEAD_DIM, k_head + key_row_offset(params, &params->k_layout, key_rows, b, col0 + j),
                           HEAD_DIM);
            load_input_row(v_tile + j * VALUE_HEAD_DIM,
                           v_head + key_row_offset(params, &params->v_layout, key_rows, b, col0 + j), VALUE_HEAD_DIM);
        }
        const float *k_rows = k_tile;
        const float *v_rows = v_tile;
        const int64_t k_stride = HEAD_DIM;
        const int64_t v_stride = VALUE_HEAD_DIM;
#endif

        /* S^T = K Q^T (base-2 units), accumulated over d in fp32. */
#if SCORES_USE_BF16_DOT
        compute_scores_bf16(st_tile, qt_pairs, k_rows, k_stride, cols);
#else
        compute_scores(st_tile, qt_tile, k_rows, k_stride, cols);
#endif
        {{score_modifier}}
        {{masks}}

        /* Online softmax; l takes P before dropout. */
        online_softmax(st_tile, cols, row_max, row_sum, alpha);
        {{dropout}}

        /* O^T = O^T * alpha + V^T P^T. */
        rescale_output(ot_tile, alpha);
        accumulate_output(ot_tile, st_tile, v_rows, v_stride, cols);
    }

    /* O = O / l (0 for a fully masked row); the log-sum-exp in natural-log units. */
    for (int64_t r = 0; r < rows; ++r) {
        {{sink}}
        const float l = row_sum[r];
        element_t *o_dst = o_head + (row0 + r) * params->o_layout.row_stride;
        if (l > 0.0f) {
            for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                o_dst[i] = store_element(ot_tile[i * LANES + r] * descales.v / l);
            }
        } else {
            for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                o_dst[i] = store_element(0.0f);
            }
        }
        {{lse_store}}
    }
}

{{decode}}
/* ---- the task loop, run by each thread of the team (or once, without OpenMP) ------------------ */

static void run_tasks(const attngen_forward_params *params, float *workspaces, int64_t row_tiles)
{
#ifdef _OPENMP
    float *workspace = workspaces + (size_t)omp_get_thread_num() * workspace_floats(params->seqlen_k);
#else
    float *workspace = workspaces;
#endif
    const int64_t bh_count = params->batch * params->heads_q;
    /* Tasks from the last query tile down: under top-left causal masks the longest come first. */
    ATTNGEN_OMP(omp for schedule(dynamic, 1) nowait)
    for (int64_t task = 0; task < bh_count * row_tiles; ++task) {
        const int64_t tile = row_tiles - 1 - task / bh_count;
        const int64_t bh = task % bh_count;
        forward_tile(params, bh / params->heads_q, bh % params->heads_q, tile * TILE_ROWS, workspace);
    }
}

attngen_status attngen_{{name}}_forward(const attngen_forward_params *params)
{
    int has_work = 0;
    const attngen_status status = attngen_check_forward(params, &VARIANT_RULES, &has_work);
    if (status != ATTNGEN_OK || !has_work) {
        return status;
    }
    if ((params->cu_seqlens_q != NULL
         && !attngen_prefix_sums_are_valid(params->cu_seqlens_q, params->batch, params->seqlen_q, params->total_q))
        || (params->cu_seqlens_k != NULL
            && !attngen_prefix_sums_are_valid(params->cu_seqlens_k, params->batch, params->seqlen_k, params->total_k))
        || (params->seqlens_k != NULL && !attngen_sequence_keys_are_valid(params))) {
        return ATTNGEN_ERROR_INVALID_SIZE;
    }
    if (PAGE_SIZE > 0 && params->seqlen_k > 0 && !attngen_pages_are_valid(params, PAGE_SIZE)) {
        return ATTNGEN_ERROR_INVALID_LAYOUT;
    }
    /* Strides of tensors without elements, and the batch strides of packed ones, become zeros
       (attngen_forward_layouts_in_use, in attngen_checks.h: the same rule as the CUDA launchers'). */
    const attngen_forward_params p = attngen_forward_layouts_in_use(params);
    if (p.cu_seqlens_q != NULL && p.total_q == 0) {
        return ATTNGEN_OK; /* every sequence is empty */
    }
    const int64_t row_tiles = (p.seqlen_q + TILE_ROWS - 1) / TILE_ROWS;
    /* One workspace per thread, allocated before the threads start: no thread can fail alone, and no
       barrier is needed before the tasks. */
#ifdef _OPENMP
    const int threads = p.num_threads > 0 ? p.num_threads : omp_get_max_threads();
#else
    const int threads = 1;
#endif
    {{decode_dispatch}}
    float *workspaces = (float *)malloc((size_t)threads * workspace_floats(p.seqlen_k) * sizeof(float));
    if (workspaces == NULL) {
        return ATTNGEN_ERROR_OUT_OF_MEMORY;
    }
#ifdef _OPENMP
    ATTNGEN_OMP(omp parallel num_threads(threads))
    run_tasks(&p, workspaces, row_tiles);
#else
    run_tasks(&p, workspaces, row_tiles);
#endif
    free(workspaces);
    return ATTNGEN_OK;
}

/* ---- combine: the merge of partial results (attngen_combine_params in attngen_abi.h) ---------------- */

attngen_status attngen_{{name}}_combine(const attngen_combine_params *params)
{
    int has_work = 0;
    const attngen_status status =
        attngen_check_combine(params, VALUE_HEAD_DIM, (int64_t)sizeof(element_t), &has_work);
    if (status != ATTNGEN_OK || !has_work) {
        return status;
    }
    const attngen_combine_params *p = params;
    for (int64_t b = 0; b < p->batch; ++b) {
        for (int64_t h = 0; h < p->heads_q; ++h) {
            for (int64_t q = 0; q < p->seqlen_q; ++q) {
                const int64_t lse_at = b * p->lse_partial_layout.batch_stride + h * p->lse_partial_layout.head_stride
                                       + q * p->lse_partial_layout.row_stride;
                const int64_t o_at = b * p->o_partial_layout.batch_stride + h * p->o_partial_layout.head_stride
                                     + q * p->o_partial_layout.row_stride;
                /* LSE = max + log(sum exp(LSE_s - max)); partials at -inf weigh nothing. */
                float max_lse = -INFINITY;
                for (int64_t s = 0; s < p->splits; ++s) {
                    const float lse_s = p->lse_partial[s * p->lse_partial_split_stride + lse_at];
                    max_lse = lse_s > max_lse ? lse_s : max_lse;
                }
                float sum = 0.0f;
                if (max_lse != -INFINITY) {
                    for (int64_t s = 0; s < p->splits; ++s) {
                        sum += expf(p->lse_partial[s * p->lse_partial_split_stride + lse_at] - max_lse);
                    }
                }
                const int kept_any = max_lse != -INFINITY && sum > 0.0f;
                const float lse = kept_any ? max_lse + logf(sum) : -INFINITY;
                float merged[VALUE_HEAD_DIM];
                for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                    merged[i] = 0.0f;
                }
                for (int64_t s = 0; kept_any && s < p->splits; ++s) {
                    const float weight = expf(p->lse_partial[s * p->lse_partial_split_stride + lse_at] - lse);
                    if (weight > 0.0f) {
                        const float *o_s = p->o_partial + s * p->o_partial_split_stride + o_at;
                        for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                            merged[i] += weight * o_s[i];
                        }
                    }
                }
                element_t *o_dst = (element_t *)p->o + b * p->o_layout.batch_stride + h * p->o_layout.head_stride
                                   + q * p->o_layout.row_stride;
                for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                    o_dst[i] = store_element(merged[i]);
                }
                if (p->lse != NULL) {
                    p->lse[b * p->lse_layout.batch_stride + h * p->lse_layout.head_stride
                           + q * p->lse_layout.row_stride] = lse;
                }
            }
        }
    }
    return ATTNGEN_OK;
}
{{quantize}}
