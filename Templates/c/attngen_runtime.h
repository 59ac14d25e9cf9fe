{{banner}}
#ifndef ATTNGEN_RUNTIME_H
#define ATTNGEN_RUNTIME_H

/*
 * Helpers shared by every C kernel attngen generates. Everything here is `static inline` and holds no
 * state, so several generated .c files of one program may include this header, and so may C++.
 *
 *   attngen_half_to_float / attngen_float_to_half   IEEE binary16 <-> fp32 (round to nearest even)
 *   attngen_bf16_to_float / attngen_float_to_bf16   bfloat16 <-> fp32 (round to nearest even)
 *   attngen_philox4x32_10                            the counter-based generator of README "Dropout"
 *   attngen_dropout_group / _value / _row / _calls   the 16-bit dropout values of README "Dropout"
 *   attngen_floor_div / attngen_floor_mod            integer division rounding toward -infinity
 *   attngen_min_i64 / attngen_max_i64 / attngen_abs_i64   64-bit minimum, maximum and absolute value
 *   attngen_alibi_slope                              the standard ALiBi slope of a query head (README "Score modifiers")
 *   attngen_sech2f                                   1 / cosh^2, the backward's derivative of tanh (README "Score modifiers")
 *   attngen_exp2                                     2^x for the softmax (x <= 0), 0 for -infinity
 *   attngen_select                                   branch-free choice between two floats
 *   attngen_vf, attngen_vf_*                         vectors of fp32 lanes (AVX-512F, AVX2 + FMA or portable C)
 *                                                    for the register-tiled kernels; ATTNGEN_ISA names the path
 */

#include "attngen_abi.h"
#include "attngen_checks.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- bit casts ---------------------------------------------------------------------------------- */

static inline uint32_t attngen_float_bits(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static inline float attngen_bits_float(uint32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* ---- IEEE binary16 (fp16) ----------------------------------------------------------------------- */

/* Exact: every binary16 value, subnormals, infinities and NaNs included, is an fp32 value. Written with
   selects rather than branches, so that conversion loops vectorize. */
static inline float attngen_half_to_float(uint16_t half)
{
    const uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    const uint32_t exponent = (uint32_t)half & 0x7c00u;
    const uint32_t mantissa = (uint32_t)half & 0x03ffu;
    const uint32_t shifted = ((uint32_t)half & 0x7fffu) << 13;
    /* Normal: rebias the exponent from 15 to 127. */
    const uint32_t normal = shifted + (112u << 23);
    /* Infinity, or a NaN keeping its payload (made quiet): exponent all ones. */
    const uint32_t special = (shifted + (224u << 23)) | ((uint32_t)(mantissa != 0) << 22);
    /* Zero or subnormal: mantissa * 2^-24, exact in fp32. */
    const uint32_t tiny = attngen_float_bits((float)(int32_t)mantissa * 5.9604644775390625e-8f);
    /* Choose through masks (a `?:` would let the compiler move the float product under a branch). */
    const uint32_t is_tiny = 0u - (uint32_t)(exponent == 0);
    const uint32_t is_special = 0u - (uint32_t)(exponent == 0x7c00u);
    const uint32_t magnitude = (tiny & is_tiny) | (special & is_special) | (normal & ~(is_tiny | is_special));
    return attngen_bits_float(sign | magnitude);
}

/* Rounds to the nearest binary16 value, ties to even; overflow gives infinity, NaN stays NaN. */
static inline uint16_t attngen_float_to_half(float value)
{
    const uint32_t bits = attngen_float_bits(value);
    const uint32_t sign = (bits >> 16) & 0x8000u;
    const uint32_t magnitude = bits & 0x7fffffffu;
    if (magnitude >= 0x7f800000u) {
        /* Infinity, or NaN: keep the top payload bits and make it quiet. */
        const uint32_t nan_bits = magnitude > 0x7f800000u ? 0x0200u | ((magnitude >> 13) & 0x3ffu) : 0u;
        return (uint16_t)(sign | 0x7c00u | nan_bits);
    }
    if (magnitude >= 0x477ff000u) {
        /* 65520 and above round to infinity (65504 is the largest finite binary16). */
        return (uint16_t)(sign | 0x7c00u);
    }
    if (magnitude < 0x38800000u) {
        /* Below 2^-14: a subnormal binary16 (units of 2^-24) or zero. */
        const uint32_t exponent = magnitude >> 23;
        if (exponent < 102u) {
            return (uint16_t)sign; /* below 2^-25: rounds to zero */
        }
        const uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126u - exponent; /* 14 ... 24 */
        const uint32_t halfway = 1u << (shift - 1u);
        const uint32_t remainder = significand & ((1u << shift) - 1u);
        uint32_t result = significand >> shift;
        if (remainder > halfway || (remainder == halfway && (result & 1u) != 0)) {
            result += 1u;
        }
        return (uint16_t)(sign | result);
    }
    /* Normal: round the 23-bit mantissa to 10 bits (a carry may step into the exponent), rebias. */
    const uint32_t rounded = (magnitude + 0x0fffu + ((magnitude >> 13) & 1u)) >> 13;
    return (uint16_t)(sign | (rounded - (112u << 10)));
}

/* ---- bfloat16 ----------------------------------------------------------------------------------- */

static inline float attngen_bf16_to_float(uint16_t value)
{
    return attngen_bits_float((uint32_t)value << 16);
}

/* Rounds to the nearest bfloat16 value, ties to even; overflow gives infinity, NaN stays NaN. */
static inline uint16_t attngen_float_to_bf16(float value)
{
    const uint32_t bits = attngen_float_bits(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return (uint16_t)((bits >> 16) | 0x0040u); /* quiet NaN */
    }
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

/* ---- fp8 e4m3 (OCP FP8 E4M3, torch.float8_e4m3fn) ------------------------------------------------ */

/* Exact: 1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits; exponent 0 is subnormal (m * 2^-9); S.1111.111
   is NaN (there are no infinities), so the largest finite magnitude is 448. */
static inline float attngen_e4m3_to_float(uint8_t value)
{
    const uint32_t sign = (uint32_t)(value & 0x80u) << 24;
    const uint32_t exponent = (uint32_t)(value >> 3) & 0xfu, mantissa = (uint32_t)value & 0x7u;
    if (exponent == 0xfu && mantissa == 0x7u) {
        return attngen_bits_float(sign | 0x7fc00000u);
    }
    if (exponent == 0) {
        return attngen_bits_float(sign | attngen_float_bits((float)mantissa * 0x1p-9f));
    }
    return attngen_bits_float(sign | ((exponent + 120u) << 23) | (mantissa << 20));
}

/* The e4m3 byte nearest to `value` (ties to even), saturated at +-448 (S.1111.110) as the quantize call stores it
   (PTX's cvt.rn.satfinite.e4m3x2.f32 on the GPU); NaN gives S.1111.111. */
static inline uint8_t attngen_float_to_e4m3(float value)
{
    const uint8_t sign = (uint8_t)((attngen_float_bits(value) >> 24) & 0x80u);
    const float magnitude = fabsf(value);
    if (magnitude != magnitude) {
        return (uint8_t)(sign | 0x7fu);
    }
    if (magnitude >= 448.0f) {
        return (uint8_t)(sign | 0x7eu);
    }
    if (magnitude < 0x1p-6f) { /* subnormal steps of 2^-9; 8 steps is the smallest normal, 0x08, as it should be */
        return (uint8_t)(sign | (uint8_t)rintf(magnitude * 0x1p9f));
    }
    int exponent = 0;
    (void)frexpf(magnitude, &exponent);         /* magnitude = f * 2^exponent, f in [0.5, 1) */
    const int unbiased = exponent - 1;          /* 2^unbiased <= magnitude < 2^(unbiased + 1), unbiased in -6 ... 8 */
    int steps = (int)rintf(ldexpf(magnitude, 3 - unbiased)); /* 8 ... 16: the significand in eighths */
    int biased = unbiased + 7;
    if (steps == 16) { /* rounded up to the next power of two (below 448: never past the largest finite value) */
        steps = 8;
        biased += 1;
    }
    return (uint8_t)(sign | (uint8_t)(biased << 3) | (uint8_t)(steps - 8));
}

/* ---- Philox4x32-10 and the dropout mapping (README.md, "Dropout") -------------------------------- */

/* Ten rounds of Philox4x32 on `counter` (updated in place to the four output words) with key (key0, key1). */
static inline void attngen_philox4x32_10(uint32_t counter[4], uint32_t key0, uint32_t key1)
{
    for (int round = 0; round < 10; ++round) {
        const uint64_t product0 = (uint64_t)0xD2511F53u * counter[0];
        const uint64_t product1 = (uint64_t)0xCD9E8D57u * counter[2];
        const uint32_t next0 = (uint32_t)(product1 >> 32) ^ counter[1] ^ key0;
        const uint32_t next1 = (uint32_t)product1;
        const uint32_t next2 = (uint32_t)(product0 >> 32) ^ counter[3] ^ key1;
        const uint32_t next3 = (uint32_t)product0;
        counter[0] = next0;
        counter[1] = next1;
        counter[2] = next2;
        counter[3] = next3;
        key0 += 0x9E3779B9u;
        key1 += 0xBB67AE85u;
    }
}

/*
 * The eight 16-bit dropout values of the group of keys 8*floor(k/8) ... 8*floor(k/8)+7 in score row `row`
 * (row = (b * heads_q + h) * seqlen_q + q) of a problem with `seqlen_k` keys: one Philox call, whose word
 * i holds the values of keys 8*floor(k/8) + 2i (low half) and + 2i + 1 (high half). values[j] belongs to
 * key 8*floor(k/8) + j; the score is dropped when its value is below floor(p * 65536).
 */
static inline void attngen_dropout_group(uint64_t seed, uint64_t offset, uint64_t row, uint64_t seqlen_k,
                                         uint64_t k, uint16_t values[8])
{
    const uint64_t element = row * ((seqlen_k + 7u) / 8u) + k / 8u;
    uint32_t words[4];
    words[0] = (uint32_t)element;
    words[1] = (uint32_t)(element >> 32);
    words[2] = (uint32_t)offset;
    words[3] = (uint32_t)(offset >> 32);
    attngen_philox4x32_10(words, (uint32_t)seed, (uint32_t)(seed >> 32));
    for (int i = 0; i < 4; ++i) {
        values[2 * i] = (uint16_t)words[i];
        values[2 * i + 1] = (uint16_t)(words[i] >> 16);
    }
}

/* The 16-bit dropout value of key `k` in score row `row`; the score is dropped when it is below floor(p * 65536). */
static inline uint16_t attngen_dropout_value(uint64_t seed, uint64_t offset, uint64_t row, uint64_t seqlen_k,
                                             uint64_t k)
{
    uint16_t values[8];
    attngen_dropout_group(seed, offset, row, seqlen_k, k, values);
    return values[k % 8u];
}

/*
 * `count` independent Philox calls of README "Dropout" at once: call i is that of element group
 * e = first + i * step (step = ceil(seqlen_k / 8) walks down the rows of one key group, 1 along the groups of
 * a row), and its words land in words0[i] ... words3[i]. The rounds run outside the loop over calls, so the
 * multiplications of different calls overlap and the loop vectorises.
 */
static inline void attngen_dropout_calls(uint64_t seed, uint64_t offset, uint64_t first, uint64_t step, int count,
                                         uint32_t *words0, uint32_t *words1,
                                         uint32_t *words2, uint32_t *words3)
{
    for (int i = 0; i < count; ++i) {
        const uint64_t element = first + (uint64_t)i * step;
        words0[i] = (uint32_t)element;
        words1[i] = (uint32_t)(element >> 32);
        words2[i] = (uint32_t)offset;
        words3[i] = (uint32_t)(offset >> 32);
    }
    uint32_t key0 = (uint32_t)seed, key1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        for (int i = 0; i < count; ++i) {
            const uint64_t product0 = (uint64_t)0xD2511F53u * words0[i];
            const uint64_t product1 = (uint64_t)0xCD9E8D57u * words2[i];
            words0[i] = (uint32_t)(product1 >> 32) ^ words1[i] ^ key0;
            words1[i] = (uint32_t)product1;
            words2[i] = (uint32_t)(product0 >> 32) ^ words3[i] ^ key1;
            words3[i] = (uint32_t)product0;
        }
        key0 += 0x9E3779B9u;
        key1 += 0xBB67AE85u;
    }
}

/*
 * The 16-bit dropout values of `groups` consecutive 8-key groups of score row `row`, from the group of key `k`:
 * values[8 * i + j] belongs to key 8 * (floor(k/8) + i) + j (the values attngen_dropout_group gives), drawn
 * 8 calls at a time by attngen_dropout_calls.
 */
static inline void attngen_dropout_row(uint64_t seed, uint64_t offset, uint64_t row, uint64_t seqlen_k, uint64_t k,
                                       int64_t groups, uint16_t *values)
{
    enum { BATCH = 8 };
    const uint64_t first = row * ((seqlen_k + 7u) / 8u) + k / 8u;
    for (int64_t done = 0; done < groups; done += BATCH) {
        uint32_t words[4][BATCH];
        attngen_dropout_calls(seed, offset, first + (uint64_t)done, 1u, BATCH, words[0], words[1], words[2], words[3]);
        const int64_t count = groups - done < (int64_t)BATCH ? groups - done : (int64_t)BATCH;
        for (int64_t i = 0; i < count; ++i) {
            for (int w = 0; w < 4; ++w) {
                values[8 * (done + i) + 2 * w] = (uint16_t)words[w][i];
                values[8 * (done + i) + 2 * w + 1] = (uint16_t)(words[w][i] >> 16);
            }
        }
    }
}

/* ---- integer helpers used by mask predicates --------------------------------------------------- */

/* a / b rounded toward negative infinity (b != 0). */
static inline int64_t attngen_floor_div(int64_t a, int64_t b)
{
    const int64_t quotient = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? quotient - 1 : quotient;
}

/* a - b * floor(a / b): the remainder takes the sign of b (b != 0). */
static inline int64_t attngen_floor_mod(int64_t a, int64_t b)
{
    const int64_t remainder = a % b;
    return (remainder != 0 && ((remainder < 0) != (b < 0))) ? remainder + b : remainder;
}

static inline int64_t attngen_min_i64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static inline int64_t attngen_max_i64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* |a|; mask predicates call it with values whose negation cannot overflow (PredicateLowering). */
static inline int64_t attngen_abs_i64(int64_t a)
{
    return a < 0 ? -a : a;
}

/* ln(2) and log2(e) in fp32: the forward kernel keeps scores in base-2 units, score modifiers read natural ones. */
#define ATTNGEN_LN2_F 0.693147180559945309f
#define ATTNGEN_LOG2E_F 1.44269504088896341f

/* The standard ALiBi slope of query head h of n (README.md, "Score modifiers"): with p the largest power of two
   <= n, 2^(-8 (h + 1) / p) for h < p, and 2^(-4 (2 (h - p) + 1) / p) (the odd slopes of 2p heads) for the rest. */
static inline float attngen_alibi_slope(int64_t h, int64_t n)
{
    int64_t p = 1;
    while (p * 2 <= n) {
        p *= 2;
    }
    const double exponent = h < p ? -8.0 * (double)(h + 1) / (double)p : -4.0 * (double)(2 * (h - p) + 1) / (double)p;
    return (float)exp2(exponent);
}

/* 1 / cosh^2(x) = 4 e / (1 + e)^2 with e = e^(-2|x|), the backward's derivative of a score modifier's tanh: accurate to
   a few units in the last place where 1 - tanh^2 cancels (|tanh| near 1: at |x| = 7, 1 - tanhf^2 keeps about 4
   correct bits), and 0 far out. */
static inline float attngen_sech2f(float x)
{
    const float e = expf(-2.0f * fabsf(x));
    const float d = 1.0f + e;
    return 4.0f * e / (d * d);
}

/* ---- exp2 --------------------------------------------------------------------------------------- */

/* `a` where `condition` holds, else `b`, through bit masks: unlike `?:` on floats, gcc keeps loops over
   it vectorizable at -O2 (its default -ftrapping-math otherwise turns the choice into branches). */
static inline float attngen_select(int condition, float a, float b)
{
    const uint32_t mask = 0u - (uint32_t)(condition != 0);
    return attngen_bits_float((attngen_float_bits(a) & mask) | (attngen_float_bits(b) & ~mask));
}

/*
 * 2^x for the softmax, without library calls or branches so that loops over it vectorize.
 * Relative error below 2e-7 (a couple of fp32 ulps) for -126 <= x <= 127; 0 for x < -126.5 and for
 * -infinity (results that would be fp32 subnormals are flushed to zero); 2^127 above 127 (the softmax
 * only takes x <= 0). The result for a NaN is unspecified (0): scores of finite inputs are never NaN.
 */
static inline float attngen_exp2(float x)
{
    /* Clamp to [-127, 127] (a NaN becomes -127), then x = n + f with n an integer and |f| <= 1/2,
       rounding to nearest through the 1.5 * 2^23 shifter. */
    float clamped = attngen_select(x >= -127.0f, x, -127.0f);
    clamped = attngen_select(clamped <= 127.0f, clamped, 127.0f);
    const float whole = (clamped + 12582912.0f) - 12582912.0f;
    const float f = clamped - whole;
    /* 2^f = e^(f ln 2) by its Taylor series to degree 7 (|error| < 6e-9 on |f| <= 1/2). */
    const float t = f * 0.693147180559945309f;
    float p = 1.98412698412698413e-4f;
    p = p * t + 1.38888888888888889e-3f;
    p = p * t + 8.33333333333333333e-3f;
    p = p * t + 4.16666666666666667e-2f;
    p = p * t + 1.66666666666666667e-1f;
    p = p * t + 0.5f;
    p = p * t + 1.0f;
    p = p * t + 1.0f;
    /* Scale by 2^n through the exponent field; n = -127 gives the bit pattern of +0, hence 0. */
    const int32_t n = (int32_t)whole;
    return p * attngen_bits_float((uint32_t)(n + 127) << 23);
}

/* ---- rows of 16-bit storage in fp32 --------------------------------------------------------------- */

/* attngen_half_to_float over a row: 8 at a time with F16C's vcvtph2ps where the compiler targets it (exact for every
   binary16 value, NaNs kept and made quiet, as attngen_half_to_float does), the rest one by one. */
#if defined(__F16C__) && !defined(ATTNGEN_PORTABLE)
#include <immintrin.h>
#endif
static inline void attngen_half_row_to_float(float *dst, const uint16_t *src, int64_t count)
{
#if defined(__F16C__) && !defined(ATTNGEN_PORTABLE)
    const int64_t whole = count - count % 8;
    for (int64_t i = 0; i < whole; i += 8) {
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    }
#else
    const int64_t whole = 0;
#endif
    for (int64_t i = whole; i < count; ++i) {
        dst[i] = attngen_half_to_float(src[i]);
    }
}

/* attngen_bf16_to_float over a row (a shift the compiler vectorizes). */
static inline void attngen_bf16_row_to_float(float *dst, const uint16_t *src, int64_t count)
{
    for (int64_t i = 0; i < count; ++i) {
        dst[i] = attngen_bf16_to_float(src[i]);
    }
}

/* ---- vectors of fp32 lanes for the tiled kernels ------------------------------------------------- */

/*
 * attngen_vf holds ATTNGEN_LANES floats. The instruction set is chosen when the generated file is compiled:
 * AVX-512F (16 lanes) or AVX2 + FMA (8 lanes) when the compiler targets them (for example -march=native),
 * SSE2 (4 lanes) on any other x86-64 build, otherwise plain C11 on 4-lane structs that any compiler accepts
 * (-DATTNGEN_PORTABLE forces those). The kernels are written once against these functions; ATTNGEN_ISA
 * names the path taken. Loads and stores need no alignment.
 */
#if defined(__AVX512F__) && !defined(ATTNGEN_PORTABLE)
#include <immintrin.h>
/* bf16 dot products (AVX512_BF16's vdpbf16ps) for bf16 variants, ATTNGEN_BF16_DOT: where the compiler targets
   AVX512_BF16, unless the target also has AVX512_FP16 (or -DATTNGEN_NO_BF16_DOT declines them); -DATTNGEN_PREFER_BF16_DOT
   asks for them there too. The instruction's rate differs between CPUs (benchmarks/cpu/isa_probe.c): on an AMD EPYC of
   family 26 (Zen 5) it issues at the fp32 FMA's rate, two products a lane each, and made the bf16 forward 1.23–1.50×
   faster (NOTES.md 23; Zen 4's bf16 decode 1.4–2.3×, NOTES 19); on the Intel Xeon of NOTES 11, whose AVX512_FP16 marks
   the Intel cores that have both, it issues at a quarter of that rate and made the forward 20 % slower. */
#if defined(__AVX512BF16__) && !defined(ATTNGEN_NO_BF16_DOT) \
    && (defined(ATTNGEN_PREFER_BF16_DOT) || !defined(__AVX512FP16__))
#define ATTNGEN_BF16_DOT 1
#endif
#if defined(ATTNGEN_BF16_DOT)
#define ATTNGEN_ISA "avx512+bf16"
#else
#define ATTNGEN_ISA "avx512"
#endif
enum { ATTNGEN_LANES = 16 };
typedef __m512 attngen_vf;
static inline attngen_vf attngen_vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void attngen_vf_store(float *p, attngen_vf v) { _mm512_storeu_ps(p, v); }
static inline attngen_vf attngen_vf_set(float x) { return _mm512_set1_ps(x); }
static inline attngen_vf attngen_vf_add(attngen_vf a, attngen_vf b) { return _mm512_add_ps(a, b); }
static inline attngen_vf attngen_vf_sub(attngen_vf a, attngen_vf b) { return _mm512_sub_ps(a, b); }
static inline attngen_vf attngen_vf_mul(attngen_vf a, attngen_vf b) { return _mm512_mul_ps(a, b); }
static inline attngen_vf attngen_vf_fma(attngen_vf a, attngen_vf b, attngen_vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline attngen_vf attngen_vf_max(attngen_vf a, attngen_vf b) { return _mm512_max_ps(a, b); }
static inline attngen_vf attngen_vf_min(attngen_vf a, attngen_vf b) { return _mm512_min_ps(a, b); }
/* The sum and the maximum of the lanes. */
static inline float attngen_vf_sum(attngen_vf v) { return _mm512_reduce_add_ps(v); }
static inline float attngen_vf_max_all(attngen_vf v) { return _mm512_reduce_max_ps(v); }
/* The sums of four vectors' lanes, stored at out[0..3]: pairs interleaved and added within 128-bit lanes, then
   the four 128-bit lanes added (13 operations for four sums, where four attngen_vf_sum take about 36). */
static inline void attngen_vf_sum4(float *out, attngen_vf a, attngen_vf b, attngen_vf c, attngen_vf d)
{
    const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
    const __m512 abcd = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(ab), _mm512_castps_pd(cd))),
                                      _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(ab), _mm512_castps_pd(cd))));
    const __m256 half = _mm256_add_ps(_mm512_castps512_ps256(abcd),
                                      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(abcd), 1)));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1)));
}
/* 2^n for whole numbers n in [-127, 127] held as floats (n = -127 gives +0). */
static inline attngen_vf attngen_vf_pow2_whole(attngen_vf n)
{
    const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_castsi512_ps(bits);
}
/* bf16 dot products (ATTNGEN_BF16_DOT, above). A lane of attngen_vbf16_pairs holds two bf16 values, the first in
   the low 16 bits; attngen_vf_dot_bf16 adds to each fp32 lane a.lo * b.lo + a.hi * b.hi for the one pair b of every
   lane (the products exact, the sums in fp32; bf16 subnormals, below 1.2e-38, count as zero). */
#if defined(ATTNGEN_BF16_DOT)
typedef __m512i attngen_vbf16_pairs;
static inline attngen_vbf16_pairs attngen_vbf16_pairs_load(const uint32_t *p) { return _mm512_loadu_si512(p); }
static inline attngen_vf attngen_vf_dot_bf16(attngen_vf acc, attngen_vbf16_pairs a, uint32_t b)
{
    return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)_mm512_set1_epi32((int)b));
}
#endif
#elif defined(__AVX2__) && defined(__FMA__) && !defined(ATTNGEN_PORTABLE)
#include <immintrin.h>
#define ATTNGEN_ISA "avx2"
enum { ATTNGEN_LANES = 8 };
typedef __m256 attngen_vf;
static inline attngen_vf attngen_vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void attngen_vf_store(float *p, attngen_vf v) { _mm256_storeu_ps(p, v); }
static inline attngen_vf attngen_vf_set(float x) { return _mm256_set1_ps(x); }
static inline attngen_vf attngen_vf_add(attngen_vf a, attngen_vf b) { return _mm256_add_ps(a, b); }
static inline attngen_vf attngen_vf_sub(attngen_vf a, attngen_vf b) { return _mm256_sub_ps(a, b); }
static inline attngen_vf attngen_vf_mul(attngen_vf a, attngen_vf b) { return _mm256_mul_ps(a, b); }
static inline attngen_vf attngen_vf_fma(attngen_vf a, attngen_vf b, attngen_vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline attngen_vf attngen_vf_max(attngen_vf a, attngen_vf b) { return _mm256_max_ps(a, b); }
static inline attngen_vf attngen_vf_min(attngen_vf a, attngen_vf b) { return _mm256_min_ps(a, b); }
static inline float attngen_vf_sum(attngen_vf v)
{
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_shuffle_ps(x, x, 1)));
}
static inline float attngen_vf_max_all(attngen_vf v)
{
    __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_max_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_max_ss(x, _mm_shuffle_ps(x, x, 1)));
}
static inline void attngen_vf_sum4(float *out, attngen_vf a, attngen_vf b, attngen_vf c, attngen_vf d)
{
    const __m256 ab = _mm256_add_ps(_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b));
    const __m256 cd = _mm256_add_ps(_mm256_unpacklo_ps(c, d), _mm256_unpackhi_ps(c, d));
    const __m256 abcd = _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(ab), _mm256_castps_pd(cd))),
                                      _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(ab), _mm256_castps_pd(cd))));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));
}
static inline attngen_vf attngen_vf_pow2_whole(attngen_vf n)
{
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_castsi256_ps(bits);
}
#elif (defined(__SSE2__) || defined(_M_X64)) && !defined(ATTNGEN_PORTABLE)
/* SSE2, which every x86-64 compiler targets by default (no fused multiply-add: a product and a sum). */
#include <emmintrin.h>
#define ATTNGEN_ISA "sse2"
enum { ATTNGEN_LANES = 4 };
typedef __m128 attngen_vf;
static inline attngen_vf attngen_vf_load(const float *p) { return _mm_loadu_ps(p); }
static inline void attngen_vf_store(float *p, attngen_vf v) { _mm_storeu_ps(p, v); }
static inline attngen_vf attngen_vf_set(float x) { return _mm_set1_ps(x); }
static inline attngen_vf attngen_vf_add(attngen_vf a, attngen_vf b) { return _mm_add_ps(a, b); }
static inline attngen_vf attngen_vf_sub(attngen_vf a, attngen_vf b) { return _mm_sub_ps(a, b); }
static inline attngen_vf attngen_vf_mul(attngen_vf a, attngen_vf b) { return _mm_mul_ps(a, b); }
static inline attngen_vf attngen_vf_fma(attngen_vf a, attngen_vf b, attngen_vf c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
static inline attngen_vf attngen_vf_max(attngen_vf a, attngen_vf b) { return _mm_max_ps(a, b); }
static inline attngen_vf attngen_vf_min(attngen_vf a, attngen_vf b) { return _mm_min_ps(a, b); }
static inline float attngen_vf_sum(attngen_vf v)
{
    const __m128 x = _mm_add_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_shuffle_ps(x, x, 1)));
}
static inline float attngen_vf_max_all(attngen_vf v)
{
    const __m128 x = _mm_max_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_max_ss(x, _mm_shuffle_ps(x, x, 1)));
}
static inline void attngen_vf_sum4(float *out, attngen_vf a, attngen_vf b, attngen_vf c, attngen_vf d)
{
    const __m128 ab = _mm_add_ps(_mm_unpacklo_ps(a, b), _mm_unpackhi_ps(a, b));
    const __m128 cd = _mm_add_ps(_mm_unpacklo_ps(c, d), _mm_unpackhi_ps(c, d));
    _mm_storeu_ps(out, _mm_add_ps(_mm_movelh_ps(ab, cd), _mm_movehl_ps(cd, ab)));
}
static inline attngen_vf attngen_vf_pow2_whole(attngen_vf n)
{
    const __m128i bits = _mm_slli_epi32(_mm_add_epi32(_mm_cvtps_epi32(n), _mm_set1_epi32(127)), 23);
    return _mm_castsi128_ps(bits);
}
#else
#define ATTNGEN_ISA "portable"
enum { ATTNGEN_LANES = 4 };
typedef struct attngen_vf {
    float lane[4];
} attngen_vf;
static inline attngen_vf attngen_vf_load(const float *p)
{
    attngen_vf v;
    memcpy(v.lane, p, sizeof v.lane);
    return v;
}
static inline void attngen_vf_store(float *p, attngen_vf v) { memcpy(p, v.lane, sizeof v.lane); }
static inline attngen_vf attngen_vf_set(float x)
{
    attngen_vf v;
    for (int i = 0; i < 4; ++i) {
        v.lane[i] = x;
    }
    return v;
}
#define ATTNGEN_VF_LANEWISE(name, expression)                                                                \
    static inline attngen_vf name(attngen_vf a, attngen_vf b)                                                 \
    {                                                                                                         \
        attngen_vf v;                                                                                         \
        for (int i = 0; i < 4; ++i) {                                                                         \
            const float x = a.lane[i], y = b.lane[i];                                                         \
            v.lane[i] = (expression);                                                                         \
        }                                                                                                     \
        return v;                                                                                             \
    }
ATTNGEN_VF_LANEWISE(attngen_vf_add, x + y)
ATTNGEN_VF_LANEWISE(attngen_vf_sub, x - y)
ATTNGEN_VF_LANEWISE(attngen_vf_mul, x * y)
ATTNGEN_VF_LANEWISE(attngen_vf_max, attngen_select(x > y, x, y))
ATTNGEN_VF_LANEWISE(attngen_vf_min, attngen_select(x < y, x, y))
#undef ATTNGEN_VF_LANEWISE
static inline attngen_vf attngen_vf_fma(attngen_vf a, attngen_vf b, attngen_vf c)
{
    attngen_vf v;
    for (int i = 0; i < 4; ++i) {
        v.lane[i] = a.lane[i] * b.lane[i] + c.lane[i];
    }
    return v;
}
static inline float attngen_vf_sum(attngen_vf v) { return (v.lane[0] + v.lane[2]) + (v.lane[1] + v.lane[3]); }
static inline float attngen_vf_max_all(attngen_vf v)
{
    const float a = attngen_select(v.lane[0] > v.lane[2], v.lane[0], v.lane[2]);
    const float b = attngen_select(v.lane[1] > v.lane[3], v.lane[1], v.lane[3]);
    return attngen_select(a > b, a, b);
}
static inline void attngen_vf_sum4(float *out, attngen_vf a, attngen_vf b, attngen_vf c, attngen_vf d)
{
    out[0] = attngen_vf_sum(a);
    out[1] = attngen_vf_sum(b);
    out[2] = attngen_vf_sum(c);
    out[3] = attngen_vf_sum(d);
}
static inline attngen_vf attngen_vf_pow2_whole(attngen_vf n)
{
    attngen_vf v;
    for (int i = 0; i < 4; ++i) {
        v.lane[i] = attngen_bits_float((uint32_t)((int32_t)n.lane[i] + 127) << 23);
    }
    return v;
}
#endif

/* Lane-wise attngen_exp2: the same clamp, rounding and polynomial, so vector and scalar results agree. */
static inline attngen_vf attngen_vf_exp2(attngen_vf x)
{
    const attngen_vf clamped = attngen_vf_min(attngen_vf_max(x, attngen_vf_set(-127.0f)), attngen_vf_set(127.0f));
    const attngen_vf shifter = attngen_vf_set(12582912.0f);
    const attngen_vf whole = attngen_vf_sub(attngen_vf_add(clamped, shifter), shifter);
    const attngen_vf t = attngen_vf_mul(attngen_vf_sub(clamped, whole), attngen_vf_set(0.693147180559945309f));
    attngen_vf p = attngen_vf_set(1.98412698412698413e-4f);
    p = attngen_vf_fma(p, t, attngen_vf_set(1.38888888888888889e-3f));
    p = attngen_vf_fma(p, t, attngen_vf_set(8.33333333333333333e-3f));
    p = attngen_vf_fma(p, t, attngen_vf_set(4.16666666666666667e-2f));
    p = attngen_vf_fma(p, t, attngen_vf_set(1.66666666666666667e-1f));
    p = attngen_vf_fma(p, t, attngen_vf_set(0.5f));
    p = attngen_vf_fma(p, t, attngen_vf_set(1.0f));
    p = attngen_vf_fma(p, t, attngen_vf_set(1.0f));
    return attngen_vf_mul(p, attngen_vf_pow2_whole(whole));
}

/* Full unrolling of the short fixed-length loops of the micro-kernels (register tiles). */
#if defined(__clang__)
#define ATTNGEN_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define ATTNGEN_UNROLL _Pragma("GCC unroll 16")
#else
#define ATTNGEN_UNROLL
#endif

#ifdef __cplusplus
}
#endif

#endif /* ATTNGEN_RUNTIME_H */
