
/* ---- decode: calls with few query rows (CPUDecodePlan) -------------------------------------------- */

/*
 * A call whose packed rows (the query heads that share a key/value head, times the query rows) number at most
 * DECODE_ROWS runs here instead of the tiles above, whose query rows live in vector lanes and would leave most of
 * them idle. One task is one (batch, key/value head, split of the keys): its packed rows read each K and V row
 * once, and the vectors run along the head dimension. Keys come DECODE_KEYS at a time (one vector of scores per
 * row, so the online softmax is vector-wide): K and V rows are found through the page table where there is one,
 * converted to fp32 into the workspace (fp32 rows of whole vectors are read where they are stored, and bf16 rows
 * too under DECODE_BF16_DOT), each row's scores are dot products with one horizontal sum, the masks set the scores they
 * remove to -inf, and O += P V runs with the row's output held in registers. When batch x heads_kv tasks cannot
 * occupy the threads, the keys are split into ranges of at least DECODE_MIN_SPLIT_KEYS and the partial results
 * (O normalised, LSE in natural-log units, fp32) are merged by attngen_{{name}}_combine.
 */

enum {
    DECODE_ROWS = {{decode_rows}},                       /* packed rows per task, at most */
    DECODE_MIN_SPLIT_KEYS = {{decode_min_split_keys}},   /* keys per split, at least */
    DECODE_KEYS = ATTNGEN_LANES,                         /* keys per step: one vector of scores per row */
    DECODE_HAS_PREDICATES = {{decode_has_predicates}},   /* masks tested key by key (else ranges only) */
    /* Rows of Q, K, V and O in the workspace, padded with zeros to whole vectors. */
    D_VECTORS = (HEAD_DIM + ATTNGEN_LANES - 1) / ATTNGEN_LANES,
    DV_VECTORS = (VALUE_HEAD_DIM + ATTNGEN_LANES - 1) / ATTNGEN_LANES,
    D_PAD = D_VECTORS * ATTNGEN_LANES,
    DV_PAD = DV_VECTORS * ATTNGEN_LANES,
    /* Output vectors of one row held in registers at a time (dividing DV_VECTORS, at most 8). */
    DV_GROUP = DV_VECTORS % 8 == 0 ? 8 : DV_VECTORS % 4 == 0 ? 4 : DV_VECTORS % 2 == 0 ? 2 : 1,
    /* fp32 K and V rows of whole vectors are read where they are stored (no copy into the workspace) by tasks of at
       least DECODE_IN_PLACE_ROWS packed rows; with fewer, the copy's burst of loads streams faster than loads spread
       through the little compute of a row (benchmarks/cpu/NOTES.md 20) */
    DECODE_READS_IN_PLACE = INPUTS_ARE_FLOAT && HEAD_DIM % ATTNGEN_LANES == 0 && VALUE_HEAD_DIM % ATTNGEN_LANES == 0,
    DECODE_IN_PLACE_ROWS = 4,
    DECODE_WORKSPACE_FLOATS = DECODE_ROWS * D_PAD + DECODE_KEYS * D_PAD + DECODE_KEYS * DV_PAD
                              + DECODE_ROWS * DECODE_KEYS + DECODE_ROWS * DV_PAD + 2 * DECODE_ROWS
};

/* bf16 storage on a CPU with AVX512_BF16 (ATTNGEN_BF16_DOT, as the tiles' SCORES_USE_BF16_DOT) and head dims of
   whole 32-element vectors: a step's products run on vdpbf16ps straight from the stored K and V rows, with no fp32
   copies of them (benchmarks/cpu/NOTES.md 19). S = Q Kᵀ holds Q as its stored bf16 pairs (exact) and applies the
   scale · log2(e) to the sums; O += P V rounds P to bf16 (as the GPU kernels' P·V does) and interleaves the V rows
   of each pair of keys into pairs (V[j][c], V[j + 1][c]) with vpunpck{l,h}wd, which keeps O's columns in a fixed
   order inside each 32 (decode_output_column). */
#if defined(ATTNGEN_BF16_DOT) && ELEMENT_IS_BF16 && !INPUTS_ARE_FP8 && HEAD_DIM_LITERAL % 32 == 0 \
    && VALUE_HEAD_DIM_LITERAL % 32 == 0
#define DECODE_BF16_DOT 1
#else
#define DECODE_BF16_DOT 0
#endif

#if !DECODE_BF16_DOT
/* One score: the dot product of a query row and a key row, both D_PAD floats (padding zero). */
static inline float decode_score(const float *restrict q_row, const float *restrict k_row)
{
    attngen_vf a = attngen_vf_set(0.0f);
    ATTNGEN_UNROLL
    for (int c = 0; c < D_VECTORS; ++c) {
        a = attngen_vf_fma(attngen_vf_load(k_row + c * ATTNGEN_LANES), attngen_vf_load(q_row + c * ATTNGEN_LANES), a);
    }
    return attngen_vf_sum(a);
}

/* One row's scores against the step's `count` keys, K row j at k_rows[j] (D_PAD floats, base-2 units); the keys
   past `count` get -inf. Four keys at a time share each load of the query row. */
static inline void decode_scores(float *restrict s_row, const float *restrict q_row, const float *const *k_rows,
                                 int64_t count)
{
    int64_t j = 0;
    for (; j + 4 <= count; j += 4) {
        attngen_vf a0 = attngen_vf_set(0.0f), a1 = a0, a2 = a0, a3 = a0;
        ATTNGEN_UNROLL
        for (int c = 0; c < D_VECTORS; ++c) {
            const attngen_vf q = attngen_vf_load(q_row + c * ATTNGEN_LANES);
            a0 = attngen_vf_fma(attngen_vf_load(k_rows[j + 0] + c * ATTNGEN_LANES), q, a0);
            a1 = attngen_vf_fma(attngen_vf_load(k_rows[j + 1] + c * ATTNGEN_LANES), q, a1);
            a2 = attngen_vf_fma(attngen_vf_load(k_rows[j + 2] + c * ATTNGEN_LANES), q, a2);
            a3 = attngen_vf_fma(attngen_vf_load(k_rows[j + 3] + c * ATTNGEN_LANES), q, a3);
        }
        attngen_vf_sum4(s_row + j, a0, a1, a2, a3);
    }
    for (; j < count; ++j) {
        s_row[j] = decode_score(q_row, k_rows[j]);
    }
    for (; j < DECODE_KEYS; ++j) {
        s_row[j] = -INFINITY;
    }
}

/* Four rows' scores against the step's `count` keys: a block of 4 rows x 4 keys in 16 accumulators, so that each
   load of a K or Q vector feeds four products. */
static inline void decode_scores_4(float *restrict s_rows, const float *restrict q_rows, const float *const *k_rows,
                                   int64_t count)
{
    int64_t j = 0;
    for (; j + 4 <= count; j += 4) {
        attngen_vf acc[4][4];
        ATTNGEN_UNROLL
        for (int r = 0; r < 4; ++r) {
            ATTNGEN_UNROLL
            for (int jj = 0; jj < 4; ++jj) {
                acc[r][jj] = attngen_vf_set(0.0f);
            }
        }
        ATTNGEN_UNROLL
        for (int c = 0; c < D_VECTORS; ++c) {
            attngen_vf k[4];
            ATTNGEN_UNROLL
            for (int jj = 0; jj < 4; ++jj) {
                k[jj] = attngen_vf_load(k_rows[j + jj] + c * ATTNGEN_LANES);
            }
            ATTNGEN_UNROLL
            for (int r = 0; r < 4; ++r) {
                const attngen_vf q = attngen_vf_load(q_rows + r * D_PAD + c * ATTNGEN_LANES);
                ATTNGEN_UNROLL
                for (int jj = 0; jj < 4; ++jj) {
                    acc[r][jj] = attngen_vf_fma(k[jj], q, acc[r][jj]);
                }
            }
        }
        ATTNGEN_UNROLL
        for (int r = 0; r < 4; ++r) {
            attngen_vf_sum4(s_rows + r * DECODE_KEYS + j, acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
        }
    }
    for (int r = 0; r < 4; ++r) {
        for (int64_t jj = j; jj < count; ++jj) {
            s_rows[r * DECODE_KEYS + jj] = decode_score(q_rows + r * D_PAD, k_rows[jj]);
        }
        for (int64_t jj = count; jj < DECODE_KEYS; ++jj) {
            s_rows[r * DECODE_KEYS + jj] = -INFINITY;
        }
    }
}

/* Four rows of O += P V (each row's O first scaled by its alpha): 4 rows x DV_GROUP_4 vectors of outputs in
   registers, so that each V vector loaded feeds four products. */
enum { DV_GROUP_4 = DV_VECTORS % 4 == 0 ? 4 : DV_VECTORS % 2 == 0 ? 2 : 1 };
static inline void decode_accumulate_4(float *restrict o_rows, const float *restrict p_rows,
                                       const float *const *v_rows, int64_t count, const float *restrict alpha)
{
    for (int c0 = 0; c0 < DV_VECTORS; c0 += DV_GROUP_4) {
        attngen_vf acc[4][DV_GROUP_4];
        ATTNGEN_UNROLL
        for (int r = 0; r < 4; ++r) {
            ATTNGEN_UNROLL
            for (int g = 0; g < DV_GROUP_4; ++g) {
                acc[r][g] = attngen_vf_mul(attngen_vf_load(o_rows + r * DV_PAD + (c0 + g) * ATTNGEN_LANES),
                                           attngen_vf_set(alpha[r]));
            }
        }
        for (int64_t j = 0; j < count; ++j) {
            attngen_vf v[DV_GROUP_4];
            ATTNGEN_UNROLL
            for (int g = 0; g < DV_GROUP_4; ++g) {
                v[g] = attngen_vf_load(v_rows[j] + (c0 + g) * ATTNGEN_LANES);
            }
            ATTNGEN_UNROLL
            for (int r = 0; r < 4; ++r) {
                const attngen_vf p = attngen_vf_set(p_rows[r * DECODE_KEYS + j]);
                ATTNGEN_UNROLL
                for (int g = 0; g < DV_GROUP_4; ++g) {
                    acc[r][g] = attngen_vf_fma(p, v[g], acc[r][g]);
                }
            }
        }
        ATTNGEN_UNROLL
        for (int r = 0; r < 4; ++r) {
            ATTNGEN_UNROLL
            for (int g = 0; g < DV_GROUP_4; ++g) {
                attngen_vf_store(o_rows + r * DV_PAD + (c0 + g) * ATTNGEN_LANES, acc[r][g]);
            }
        }
    }
}

/* o_row = o_row * alpha + sum over the step's `count` keys of p_row[j] * V[j], DV_GROUP output vectors in registers
   at a time. */
static inline void decode_accumulate(float *restrict o_row, const float *restrict p_row,
                                     const float *const *v_rows, int64_t count, float alpha)
{
    for (int c0 = 0; c0 < DV_VECTORS; c0 += DV_GROUP) {
        attngen_vf acc[DV_GROUP];
        ATTNGEN_UNROLL
        for (int g = 0; g < DV_GROUP; ++g) {
            acc[g] = attngen_vf_mul(attngen_vf_load(o_row + (c0 + g) * ATTNGEN_LANES), attngen_vf_set(alpha));
        }
        for (int64_t j = 0; j < count; ++j) {
            const attngen_vf p = attngen_vf_set(p_row[j]);
            ATTNGEN_UNROLL
            for (int g = 0; g < DV_GROUP; ++g) {
                acc[g] = attngen_vf_fma(p, attngen_vf_load(v_rows[j] + (c0 + g) * ATTNGEN_LANES), acc[g]);
            }
        }
        ATTNGEN_UNROLL
        for (int g = 0; g < DV_GROUP; ++g) {
            attngen_vf_store(o_row + (c0 + g) * ATTNGEN_LANES, acc[g]);
        }
    }
}
#endif

#if DECODE_BF16_DOT
enum {
    DECODE_PAIR_VECTORS = HEAD_DIM / 32,        /* vectors of 16 bf16 pairs in a K row */
    DECODE_VALUE_VECTORS = VALUE_HEAD_DIM / 32, /* vectors of 32 bf16 in a V row */
    /* V vectors whose pairs' outputs (two vectors of O each) a row holds in registers at a time */
    DECODE_VALUE_GROUP = DECODE_VALUE_VECTORS % 2 == 0 ? 2 : 1
};

/* Where column `column` of O sits in a row of o_rows: vpunpcklwd of V vector c (columns 32c .. 32c + 31) pairs the
   first 4 columns of each 8 (output vector 2c), vpunpckhwd the last 4 (output vector 2c + 1). */
static inline int decode_output_column(int column)
{
    const int within = column % 32;
    return (column / 32 * 2 + within % 8 / 4) * 16 + within / 8 * 4 + within % 4;
}

/* R rows' scores (R = 4 or 1, a constant at each call) against the step's `count` keys, K row j at k_rows[j] as
   stored: vdpbf16ps of the row's stored Q pairs (q_pairs, R rows of HEAD_DIM) and K's, four keys at a time, the
   sums times `scale`; -inf past count. */
static inline __attribute__((always_inline)) void decode_scores_bf16(float *restrict s_rows,
                                                                     const input_t *restrict q_pairs,
                                                                     const input_t *const *k_rows, int64_t count,
                                                                     float scale, const int R)
{
    int64_t j = 0;
    for (; j + 4 <= count; j += 4) {
        __m512 acc[4][4];
        for (int r = 0; r < R; ++r) {
            for (int jj = 0; jj < 4; ++jj) {
                acc[r][jj] = _mm512_setzero_ps();
            }
        }
        ATTNGEN_UNROLL
        for (int c = 0; c < DECODE_PAIR_VECTORS; ++c) {
            __m512i k[4];
            for (int jj = 0; jj < 4; ++jj) {
                k[jj] = _mm512_loadu_si512((const void *)(k_rows[j + jj] + c * 32));
            }
            for (int r = 0; r < R; ++r) {
                const __m512bh q = (__m512bh)_mm512_loadu_si512((const void *)(q_pairs + r * HEAD_DIM + c * 32));
                for (int jj = 0; jj < 4; ++jj) {
                    acc[r][jj] = _mm512_dpbf16_ps(acc[r][jj], (__m512bh)k[jj], q);
                }
            }
        }
        for (int r = 0; r < R; ++r) {
            attngen_vf_sum4(s_rows + r * DECODE_KEYS + j, acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
        }
    }
    for (; j < count; ++j) {
        for (int r = 0; r < R; ++r) {
            __m512 acc = _mm512_setzero_ps();
            for (int c = 0; c < DECODE_PAIR_VECTORS; ++c) {
                acc = _mm512_dpbf16_ps(acc, (__m512bh)_mm512_loadu_si512((const void *)(k_rows[j] + c * 32)),
                                       (__m512bh)_mm512_loadu_si512((const void *)(q_pairs + r * HEAD_DIM + c * 32)));
            }
            s_rows[r * DECODE_KEYS + j] = attngen_vf_sum(acc);
        }
    }
    for (int r = 0; r < R; ++r) {
        float *restrict s_row = s_rows + r * DECODE_KEYS;
        attngen_vf_store(s_row, attngen_vf_mul(attngen_vf_load(s_row), attngen_vf_set(scale)));
        for (int64_t jj = count; jj < DECODE_KEYS; ++jj) {
            s_row[jj] = -INFINITY;
        }
    }
}

/* R rows of O = O * alpha + P V (R = 4 or 1), V row j at v_rows[j] as stored: P rounded to bf16 pairs of keys
   (j, j + 1) against the interleaved pairs of their V rows (a zero row past `count`), O in o_rows' order
   (decode_output_column), DECODE_VALUE_GROUP V vectors of every row in registers at a time. */
static inline __attribute__((always_inline)) void decode_accumulate_bf16(float *restrict o_rows,
                                                                         const float *restrict p_rows,
                                                                         const input_t *const *v_rows, int64_t count,
                                                                         const float *restrict alpha, const int R)
{
    uint16_t p_bf16[4][DECODE_KEYS]; /* past count: P = 0 */
    for (int r = 0; r < R; ++r) {
        const __m256bh rounded = _mm512_cvtneps_pbh(attngen_vf_load(p_rows + r * DECODE_KEYS));
        _mm256_storeu_si256((__m256i *)p_bf16[r], (__m256i)rounded);
    }
    for (int c0 = 0; c0 < DECODE_VALUE_VECTORS; c0 += DECODE_VALUE_GROUP) {
        __m512 acc[4][2 * DECODE_VALUE_GROUP];
        for (int r = 0; r < R; ++r) {
            for (int g = 0; g < 2 * DECODE_VALUE_GROUP; ++g) {
                acc[r][g] = attngen_vf_mul(attngen_vf_load(o_rows + r * DV_PAD + (2 * c0 + g) * 16),
                                           attngen_vf_set(alpha[r]));
            }
        }
        for (int64_t j = 0; j < count; j += 2) {
            __m512bh p[4];
            for (int r = 0; r < R; ++r) {
                uint32_t pair;
                memcpy(&pair, &p_bf16[r][j], sizeof pair);
                p[r] = (__m512bh)_mm512_set1_epi32((int)pair);
            }
            for (int g = 0; g < DECODE_VALUE_GROUP; ++g) {
                const __m512i first = _mm512_loadu_si512((const void *)(v_rows[j] + (c0 + g) * 32));
                const __m512i second = j + 1 < count ? _mm512_loadu_si512((const void *)(v_rows[j + 1] + (c0 + g) * 32))
                                                     : _mm512_setzero_si512();
                const __m512bh low = (__m512bh)_mm512_unpacklo_epi16(first, second);
                const __m512bh high = (__m512bh)_mm512_unpackhi_epi16(first, second);
                for (int r = 0; r < R; ++r) {
                    acc[r][2 * g] = _mm512_dpbf16_ps(acc[r][2 * g], low, p[r]);
                    acc[r][2 * g + 1] = _mm512_dpbf16_ps(acc[r][2 * g + 1], high, p[r]);
                }
            }
        }
        for (int r = 0; r < R; ++r) {
            for (int g = 0; g < 2 * DECODE_VALUE_GROUP; ++g) {
                attngen_vf_store(o_rows + r * DV_PAD + (2 * c0 + g) * 16, acc[r][g]);
            }
        }
    }
}
#else
/* O's columns in o_rows' order: as they are. */
static inline int decode_output_column(int column)
{
    return column;
}
#endif

/* One task: the packed rows of key/value head h_kv of sequence b against keys [split * split_keys, + split_keys).
   With one split it writes O (and LSE); with more, its partial result into o_partial and lse_partial. */
static void decode_task(const attngen_forward_params *params, int64_t b, int64_t h_kv, int64_t split,
                        int64_t split_keys, int64_t splits, float *workspace, float *o_partial, float *lse_partial)
{
    /* The sequence's query rows and keys (README.md, "Variable-length batches"; seqlens_k checked by the entry point). */
    const attngen_sequence_rows query_rows = attngen_sequence_rows_of(params->cu_seqlens_q, b, params->seqlen_q,
                                                                      params->total_q);
    const attngen_sequence_rows key_rows = attngen_sequence_rows_of(params->cu_seqlens_k, b, params->seqlen_k,
                                                                    params->total_k);
    const int64_t nq = query_rows.count;
    const int64_t nk = attngen_sequence_key_count(params->seqlens_k, b, key_rows.count);
    const int64_t group = params->heads_q / params->heads_kv;
    const int64_t rows = group * nq; /* packed row r: query head h_kv * group + r / nq, query r % nq */

    float *restrict q_rows = workspace; /* [DECODE_ROWS][D_PAD], scaled to base 2 (DECODE_BF16_DOT: the stored bf16) */
    float *restrict k_block = q_rows + DECODE_ROWS * D_PAD;  /* [DECODE_KEYS][D_PAD] */
    float *restrict v_block = k_block + DECODE_KEYS * D_PAD; /* [DECODE_KEYS][DV_PAD] */
    float *restrict scores = v_block + DECODE_KEYS * DV_PAD; /* [DECODE_ROWS][DECODE_KEYS]: S, then P */
    float *restrict o_rows = scores + DECODE_ROWS * DECODE_KEYS; /* [DECODE_ROWS][DV_PAD], unnormalised */
    float *restrict row_max = o_rows + DECODE_ROWS * DV_PAD; /* [DECODE_ROWS]: m (base 2) */
    float *restrict row_sum = row_max + DECODE_ROWS;         /* [DECODE_ROWS]: l */
    memset(workspace, 0, sizeof(float) * DECODE_WORKSPACE_FLOATS); /* the padding of every row stays zero */

    const input_t *k_head = (const input_t *)params->k + h_kv * params->k_layout.head_stride;
    const input_t *v_head = (const input_t *)params->v + h_kv * params->v_layout.head_stride;
    const input_descales descales = input_descales_of(params, b, h_kv);
    const float score_scale = descales.qk * SCORE_SCALE_LOG2E; /* a dot product of Q and K to base-2 units */
    const int64_t split_begin = split * split_keys;
    const int64_t split_end = attngen_min_i64(nk, split_begin + split_keys);
    /* Each row's keys in this split (causal and window masks), and the union over the rows. */
    int64_t key_lo[DECODE_ROWS];
    int64_t key_hi[DECODE_ROWS];
    float alpha[DECODE_ROWS] = {0.0f}; /* each step's rescale factors of O, exp2(m_old - m_new) */
#if HAS_SCORE_MODIFIER
    score_modifier_state modifier_states[DECODE_ROWS]; /* per packed row: its query head's state */
#endif
    int64_t begin = split_end;
    int64_t end = split_begin;
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t h = h_kv * group + r / nq;
        const int64_t q = r % nq;
        const input_t *q_row = (const input_t *)params->q + attngen_sequence_row_offset(query_rows, &params->q_layout, q)
                               + h * params->q_layout.head_stride;
#if DECODE_BF16_DOT
        memcpy((input_t *)q_rows + r * HEAD_DIM, q_row, HEAD_DIM * sizeof(input_t)); /* the stored pairs */
#else
        for (int i = 0; i < HEAD_DIM; ++i) {
            q_rows[r * D_PAD + i] = load_input(q_row[i]) * score_scale;
        }
#endif
        int64_t lo = 0;
        int64_t hi = nk;
        row_key_bounds(q, nq, nk, &lo, &hi);
        key_lo[r] = attngen_max_i64(lo, split_begin);
        key_hi[r] = attngen_min_i64(hi, split_end);
        if (key_lo[r] < key_hi[r]) {
            begin = attngen_min_i64(begin, key_lo[r]);
            end = attngen_max_i64(end, key_hi[r]);
        }
        row_max[r] = -INFINITY;
        row_sum[r] = 0.0f;
#if HAS_SCORE_MODIFIER
        modifier_states[r] = score_modifier_prepare(b, h, nq, nk, params->heads_q, params->score_parameters);
#endif
    }

#if !DECODE_BF16_DOT
    const int in_place = DECODE_READS_IN_PLACE && rows >= DECODE_IN_PLACE_ROWS;
#endif
    for (int64_t key0 = begin; key0 < end; key0 += DECODE_KEYS) {
        const int64_t count = attngen_min_i64(DECODE_KEYS, end - key0);
        const int64_t whole = rows - rows % 4;
#if DECODE_BF16_DOT
        /* The step's K and V rows where they are stored (pages included). */
        const input_t *k_step[DECODE_KEYS];
        const input_t *v_step[DECODE_KEYS];
        for (int64_t j = 0; j < count; ++j) {
            k_step[j] = k_head + key_row_offset(params, &params->k_layout, key_rows, b, key0 + j);
            v_step[j] = v_head + key_row_offset(params, &params->v_layout, key_rows, b, key0 + j);
        }
        /* S: four rows at a time, then the rest one by one. */
        for (int64_t r = 0; r < whole; r += 4) {
            decode_scores_bf16(scores + r * DECODE_KEYS, (const input_t *)q_rows + r * HEAD_DIM, k_step, count,
                               score_scale, 4);
        }
        for (int64_t r = whole; r < rows; ++r) {
            decode_scores_bf16(scores + r * DECODE_KEYS, (const input_t *)q_rows + r * HEAD_DIM, k_step, count,
                               score_scale, 1);
        }
#else
        /* The step's K and V rows in fp32: read where they are stored (DECODE_READS_IN_PLACE), else converted (and
           padded) into the workspace. */
        const float *k_step[DECODE_KEYS];
        const float *v_step[DECODE_KEYS];
        for (int64_t j = 0; j < count; ++j) {
            const input_t *k_row = k_head + key_row_offset(params, &params->k_layout, key_rows, b, key0 + j);
            const input_t *v_row = v_head + key_row_offset(params, &params->v_layout, key_rows, b, key0 + j);
            if (in_place) {
                k_step[j] = (const float *)(const void *)k_row;
                v_step[j] = (const float *)(const void *)v_row;
            } else {
                load_input_row(k_block + j * D_PAD, k_row, HEAD_DIM);
                load_input_row(v_block + j * DV_PAD, v_row, VALUE_HEAD_DIM);
                k_step[j] = k_block + j * D_PAD;
                v_step[j] = v_block + j * DV_PAD;
            }
        }
        /* S: four rows at a time, then the rest one by one. */
        for (int64_t r = 0; r < whole; r += 4) {
            decode_scores_4(scores + r * DECODE_KEYS, q_rows + r * D_PAD, k_step, count);
        }
        for (int64_t r = whole; r < rows; ++r) {
            decode_scores(scores + r * DECODE_KEYS, q_rows + r * D_PAD, k_step, count);
        }
#endif
        for (int64_t r = 0; r < rows; ++r) {
            float *restrict s_row = scores + r * DECODE_KEYS;
            /* The masks: keys outside the row's range, and predicates element by element. */
            const int64_t h = h_kv * group + r / nq;
            const int64_t q = r % nq;
#if HAS_SCORE_MODIFIER
            /* The score modifier (README.md, "Score modifiers"), base 2 in and out; the masks below override it. */
            for (int64_t j = 0; j < count; ++j) {
                s_row[j] = score_modifier_log2_from_log2(s_row[j], (float)q, (float)(key0 + j), &modifier_states[r]);
            }
#endif
            if (DECODE_HAS_PREDICATES || key0 < key_lo[r] || key0 + count > key_hi[r]) {
                for (int64_t j = 0; j < count; ++j) {
                    const int64_t k = key0 + j;
                    if (k < key_lo[r] || k >= key_hi[r] || !element_predicate_holds(b, h, q, k, nq, nk)) {
                        s_row[j] = -INFINITY;
                    }
                }
            }
            /* The online softmax of the step, vector-wide over its keys (as online_softmax above). */
            const attngen_vf s = attngen_vf_load(s_row);
            const float m_old = row_max[r];
            const float step_max = attngen_vf_max_all(s);
            const float m_new = step_max > m_old ? step_max : m_old;
            const float m_used = m_new > -3.40282347e+38f ? m_new : -3.40282347e+38f;
            /* A step that leaves the maximum where it was rescales by exactly 1 (also for rows with nothing kept
               yet, whose O and l are 0): no exp2. */
            alpha[r] = m_new == m_old ? 1.0f : attngen_exp2(m_old - m_used);
            const attngen_vf p = attngen_vf_exp2(attngen_vf_sub(s, attngen_vf_set(m_used)));
            attngen_vf_store(s_row, p);
            row_max[r] = m_new;
            row_sum[r] = row_sum[r] * alpha[r] + attngen_vf_sum(p);
        }
        /* O = O * alpha + P V: four rows at a time, then the rest one by one. */
#if DECODE_BF16_DOT
        for (int64_t r = 0; r < whole; r += 4) {
            decode_accumulate_bf16(o_rows + r * DV_PAD, scores + r * DECODE_KEYS, v_step, count, alpha + r, 4);
        }
        for (int64_t r = whole; r < rows; ++r) {
            decode_accumulate_bf16(o_rows + r * DV_PAD, scores + r * DECODE_KEYS, v_step, count, alpha + r, 1);
        }
#else
        for (int64_t r = 0; r < whole; r += 4) {
            decode_accumulate_4(o_rows + r * DV_PAD, scores + r * DECODE_KEYS, v_step, count, alpha + r);
        }
        for (int64_t r = whole; r < rows; ++r) {
            decode_accumulate(o_rows + r * DV_PAD, scores + r * DECODE_KEYS, v_step, count, alpha[r]);
        }
#endif
    }

    for (int64_t r = 0; r < rows; ++r) {
        const int64_t h = h_kv * group + r / nq;
        const int64_t q = r % nq;
#if HAS_SINKS
        /* The sink joins the row's denominator once: in the first split (the combine adds the splits' sums). */
        if (split == 0) {
            const float sink_scale = join_sink(params->sinks[h], &row_max[r], &row_sum[r]);
            for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                o_rows[r * DV_PAD + i] *= sink_scale;
            }
        }
#endif
        const float l = row_sum[r];
        const float scale = l > 0.0f ? descales.v / l : 0.0f; /* descales.v: 1 unless fp8 */
        const float lse = l > 0.0f ? (float)(((double)row_max[r] + log2((double)l)) * 0.69314718055994531) : -INFINITY;
        if (splits == 1) {
            element_t *o_dst = (element_t *)params->o + attngen_sequence_row_offset(query_rows, &params->o_layout, q)
                               + h * params->o_layout.head_stride;
            for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                o_dst[i] = store_element(o_rows[r * DV_PAD + decode_output_column(i)] * scale);
            }
            if (VARIANT_RULES.saves_lse) {
                params->lse[attngen_sequence_row_offset(query_rows, &params->lse_layout, q)
                            + h * params->lse_layout.head_stride] = lse;
            }
        } else {
            /* Partials [splits][batch][heads_q][seqlen_q] (x VALUE_HEAD_DIM for O). */
            const int64_t at = ((split * params->batch + b) * params->heads_q + h) * params->seqlen_q + q;
            for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
                o_partial[at * VALUE_HEAD_DIM + i] = o_rows[r * DV_PAD + decode_output_column(i)] * scale;
            }
            lse_partial[at] = lse;
        }
    }
}

/* Whether the call takes the decode path: its packed rows fit one task. */
static int decode_takes(const attngen_forward_params *params)
{
    return (int64_t)(params->heads_q / params->heads_kv) * params->seqlen_q <= DECODE_ROWS;
}

/* Merges the decode partials ([splits][batch][heads_q][seqlen_q], x VALUE_HEAD_DIM for O) into O and LSE: of every
   sequence (b < 0), or of sequence b alone, whose rows cu_seqlens_q packs. */
static attngen_status merge_decode_partials(const attngen_forward_params *params, const float *o_partial,
                                            const float *lse_partial, int64_t splits, int64_t b)
{
    const int64_t nq = params->seqlen_q;
    attngen_combine_params merge;
    memset(&merge, 0, sizeof merge);
    merge.struct_size = sizeof merge;
    merge.batch = params->batch;
    merge.heads_q = params->heads_q;
    merge.seqlen_q = nq;
    merge.splits = splits;
    merge.o_partial = o_partial;
    merge.o_partial_layout.batch_stride = params->heads_q * nq * VALUE_HEAD_DIM;
    merge.o_partial_layout.head_stride = nq * VALUE_HEAD_DIM;
    merge.o_partial_layout.row_stride = VALUE_HEAD_DIM;
    merge.o_partial_split_stride = params->batch * params->heads_q * nq * VALUE_HEAD_DIM;
    merge.lse_partial = lse_partial;
    merge.lse_partial_layout.batch_stride = params->heads_q * nq;
    merge.lse_partial_layout.head_stride = nq;
    merge.lse_partial_layout.row_stride = 1;
    merge.lse_partial_split_stride = params->batch * params->heads_q * nq;
    merge.o = params->o;
    merge.o_layout = params->o_layout;
    if (VARIANT_RULES.saves_lse) {
        merge.lse = params->lse;
        merge.lse_layout = params->lse_layout;
    }
    if (b >= 0) {
        const attngen_sequence_rows query_rows = attngen_sequence_rows_of(params->cu_seqlens_q, b, params->seqlen_q,
                                                                          params->total_q);
        if (query_rows.count == 0) {
            return ATTNGEN_OK;
        }
        merge.batch = 1;
        merge.seqlen_q = query_rows.count;
        merge.o_partial += b * merge.o_partial_layout.batch_stride;
        merge.lse_partial += b * merge.lse_partial_layout.batch_stride;
        merge.o = (element_t *)params->o + attngen_sequence_row_offset(query_rows, &params->o_layout, 0);
        if (merge.lse != NULL) {
            merge.lse = params->lse + attngen_sequence_row_offset(query_rows, &params->lse_layout, 0);
        }
    }
    return attngen_{{name}}_combine(&merge);
}

/* The decode path of a checked call with work to do, on `threads` threads. */
static attngen_status run_decode(const attngen_forward_params *params, int threads)
{
    /* Splits: enough tasks for twice the threads, each split at least DECODE_MIN_SPLIT_KEYS keys. */
    const int64_t head_tasks = params->batch * params->heads_kv;
    int64_t splits = 1;
    if (head_tasks < 2 * (int64_t)threads && params->seqlen_k > DECODE_MIN_SPLIT_KEYS) {
        const int64_t wanted = (2 * (int64_t)threads + head_tasks - 1) / head_tasks;
        const int64_t most = params->seqlen_k / DECODE_MIN_SPLIT_KEYS;
        splits = attngen_max_i64(1, attngen_min_i64(wanted, most));
    }
    int64_t split_keys = (params->seqlen_k + splits - 1) / splits;
    split_keys = attngen_max_i64(DECODE_KEYS, (split_keys + DECODE_KEYS - 1) / DECODE_KEYS * DECODE_KEYS);
    splits = attngen_max_i64(1, (params->seqlen_k + split_keys - 1) / split_keys);

    const int64_t partial_rows = splits > 1 ? splits * params->batch * params->heads_q * params->seqlen_q : 0;
    float *workspaces = (float *)malloc((size_t)threads * DECODE_WORKSPACE_FLOATS * sizeof(float)
                                        + (size_t)partial_rows * (VALUE_HEAD_DIM + 1) * sizeof(float));
    if (workspaces == NULL) {
        return ATTNGEN_ERROR_OUT_OF_MEMORY;
    }
    float *o_partial = workspaces + (size_t)threads * DECODE_WORKSPACE_FLOATS;
    float *lse_partial = o_partial + (size_t)partial_rows * VALUE_HEAD_DIM;
    const int64_t tasks = head_tasks * splits;
    ATTNGEN_OMP(omp parallel num_threads(threads))
    {
#ifdef _OPENMP
        float *workspace = workspaces + (size_t)omp_get_thread_num() * DECODE_WORKSPACE_FLOATS;
#else
        float *workspace = workspaces;
#endif
        ATTNGEN_OMP(omp for schedule(dynamic, 1))
        for (int64_t task = 0; task < tasks; ++task) {
            const int64_t split = task % splits;
            const int64_t bh = task / splits;
            decode_task(params, bh / params->heads_kv, bh % params->heads_kv, split, split_keys, splits, workspace,
                        o_partial, lse_partial);
        }
    }
    attngen_status status = ATTNGEN_OK;
    if (splits > 1 && params->cu_seqlens_q != NULL) {
        /* Packed query rows: one merge per sequence, of its rows of the partials into its rows of O and LSE. */
        for (int64_t b = 0; b < params->batch && status == ATTNGEN_OK; ++b) {
            status = merge_decode_partials(params, o_partial, lse_partial, splits, b);
        }
    } else if (splits > 1) {
        status = merge_decode_partials(params, o_partial, lse_partial, splits, -1);
    }
    free(workspaces);
    return status;
}
