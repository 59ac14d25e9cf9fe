
/* ---- quantize: Q, K or V to e4m3 with descale factors (attngen_quantize_params in attngen_abi.h) ------------ */

/* The rotation of Q and K (rotate = 1): x * diag(signs) * H / sqrt(b) on each block of QUANTIZE_ROTATION_BLOCK
   columns, H the Walsh-Hadamard matrix, applied as log2(b) butterfly passes and one multiplication by 1/sqrt(b)
   rounded to fp32 (the planner's QuantizePlan). */
#define QUANTIZE_ROTATION_BLOCK {{rotation_block}}
#define QUANTIZE_ROTATION_NORM {{rotation_norm}}
#define QUANTIZE_MAX_COLUMNS (HEAD_DIM > VALUE_HEAD_DIM ? HEAD_DIM : VALUE_HEAD_DIM)

/* One row of x as fp32 in y[0 ... columns), rotated when `signs` is not NULL. */
static void quantize_load_row(float *restrict y, const element_t *restrict x, int64_t columns,
                              const float *restrict signs)
{
    load_row(y, x, columns);
    if (signs == NULL) {
        return;
    }
    for (int64_t i = 0; i < columns; ++i) {
        y[i] *= signs[i];
    }
    for (int64_t block = 0; block < columns; block += QUANTIZE_ROTATION_BLOCK) {
        float *restrict z = y + block;
        for (int span = 1; span < QUANTIZE_ROTATION_BLOCK; span *= 2) {
            for (int start = 0; start < QUANTIZE_ROTATION_BLOCK; start += 2 * span) {
                for (int r = start; r < start + span; ++r) {
                    const float a = z[r], b = z[r + span];
                    z[r] = a + b;
                    z[r + span] = a - b;
                }
            }
        }
    }
    for (int64_t i = 0; i < columns; ++i) {
        y[i] *= QUANTIZE_ROTATION_NORM;
    }
}

/* Row s of head h of batch b of a [batch, heads, seqlen, *] tensor. */
static inline int64_t quantize_row_offset(attngen_layout layout, int64_t b, int64_t h, int64_t s)
{
    return b * layout.batch_stride + h * layout.head_stride + s * layout.row_stride;
}

/* Pass 1 (store = 0): the bits of max |y| over group `group` (batch b, key/value head g), compared as unsigned
   integers, which orders non-negative floats and puts NaN above them all. Pass 2 (store = 1): x8 = e4m3(y / descale). */
static uint32_t quantize_group(const attngen_quantize_params *p, int64_t columns, const float *signs, int64_t group,
                               int store, float descale)
{
    const int64_t heads_per_group = p->heads / p->heads_kv;
    const int64_t b = group / p->heads_kv, g = group % p->heads_kv;
    float y[QUANTIZE_MAX_COLUMNS];
    uint32_t maximum = 0;
    for (int64_t h = g * heads_per_group; h < (g + 1) * heads_per_group; ++h) {
        for (int64_t s = 0; s < p->seqlen; ++s) {
            quantize_load_row(y, (const element_t *)p->x + quantize_row_offset(p->x_layout, b, h, s), columns, signs);
            if (!store) {
                for (int64_t i = 0; i < columns; ++i) {
                    const uint32_t bits = attngen_float_bits(fabsf(y[i]));
                    maximum = bits > maximum ? bits : maximum;
                }
                continue;
            }
            uint8_t *x8 = (uint8_t *)p->x8 + quantize_row_offset(p->x8_layout, b, h, s);
            for (int64_t i = 0; i < columns; ++i) {
                x8[i] = attngen_float_to_e4m3(y[i] / descale);
            }
        }
    }
    return maximum;
}

attngen_status attngen_{{name}}_quantize(const attngen_quantize_params *params)
{
    int64_t columns = 0;
    int has_work = 0;
    const attngen_status status =
        attngen_check_quantize(params, HEAD_DIM, VALUE_HEAD_DIM, (int64_t)sizeof(element_t), &columns, &has_work);
    if (status != ATTNGEN_OK || !has_work) {
        return status;
    }
    const attngen_quantize_params *p = params;
    const int64_t groups = p->batch * p->heads_kv;
    const int per_tensor = p->descale_batch_stride == 0 && p->descale_head_stride == 0;
    float signs[QUANTIZE_MAX_COLUMNS];
    for (int64_t i = 0; i < columns; ++i) {
        signs[i] = attngen_rotation_sign(p->rotation_seed, i);
    }
    const float *rotation = p->rotate ? signs : NULL;
    /* The maxima of every group, then (per tensor) of all of them, then the factors; the stores read them. */
    uint32_t *maxima = (uint32_t *)malloc((size_t)groups * sizeof(uint32_t));
    float *factors = (float *)malloc((size_t)groups * sizeof(float));
    if (maxima == NULL || factors == NULL) {
        free(maxima);
        free(factors);
        return ATTNGEN_ERROR_OUT_OF_MEMORY;
    }
#ifdef _OPENMP
    const int threads = p->num_threads > 0 ? p->num_threads : omp_get_max_threads();
#endif
    ATTNGEN_OMP(omp parallel for schedule(dynamic, 1) num_threads(threads))
    for (int64_t group = 0; group < groups; ++group) {
        maxima[group] = quantize_group(p, columns, rotation, group, 0, 0.0f);
    }
    uint32_t all = 0;
    for (int64_t group = 0; group < groups; ++group) {
        all = maxima[group] > all ? maxima[group] : all;
    }
    for (int64_t group = 0; group < groups; ++group) {
        const float maximum = attngen_bits_float(per_tensor ? all : maxima[group]);
        factors[group] = maximum > 0.0f ? maximum / {{e4m3_largest}}.0f : 1.0f; /* zeros (or NaN): 1 */
    }
    ATTNGEN_OMP(omp parallel for schedule(dynamic, 1) num_threads(threads))
    for (int64_t group = 0; group < groups; ++group) {
        (void)quantize_group(p, columns, rotation, group, 1, factors[group]);
    }
    for (int64_t group = 0; group < groups; ++group) {
        p->descale[(group / p->heads_kv) * p->descale_batch_stride + (group % p->heads_kv) * p->descale_head_stride] =
            factors[group];
    }
    free(maxima);
    free(factors);
    return ATTNGEN_OK;
}
