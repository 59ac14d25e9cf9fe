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
 *   attngen_dropout_group / attngen_dropout_word     the dropout words of README "Dropout"
 *   attngen_floor_div / attngen_floor_mod            integer division rounding toward -infinity
 *   attngen_exp2                                     2^x for the softmax (x <= 0), 0 for -infinity
 *   attngen_select                                   branch-free choice between two floats
 */

#include "attngen_abi.h"

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

/* Exact: every binary16 value, subnormals, infinities and NaNs included, is an fp32 value. */
static inline float attngen_half_to_float(uint16_t half)
{
    const uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    const uint32_t exponent = (uint32_t)(half >> 10) & 0x1fu;
    const uint32_t mantissa = (uint32_t)half & 0x3ffu;
    if (exponent == 0x1fu) {
        /* Infinity, or a NaN keeping its payload (made quiet). */
        return attngen_bits_float(sign | 0x7f800000u | (mantissa << 13) | (mantissa != 0 ? 0x00400000u : 0u));
    }
    if (exponent == 0) {
        /* Zero or subnormal: mantissa * 2^-24, exact in fp32. */
        const float magnitude = (float)mantissa * 5.9604644775390625e-8f;
        return sign != 0 ? -magnitude : magnitude;
    }
    /* Normal: rebias the exponent from 15 to 127. */
    return attngen_bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
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
 * The four dropout words of the group of keys 4*floor(k/4) ... 4*floor(k/4)+3 in score row `row`
 * (row = (b * heads_q + h) * seqlen_q + q) of a problem with `seqlen_k` keys: words[i] belongs to
 * key 4*floor(k/4) + i.
 */
static inline void attngen_dropout_group(uint64_t seed, uint64_t offset, uint64_t row, uint64_t seqlen_k,
                                         uint64_t k, uint32_t words[4])
{
    const uint64_t element = row * ((seqlen_k + 3u) / 4u) + k / 4u;
    words[0] = (uint32_t)element;
    words[1] = (uint32_t)(element >> 32);
    words[2] = (uint32_t)offset;
    words[3] = (uint32_t)(offset >> 32);
    attngen_philox4x32_10(words, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* The dropout word of key `k` in score row `row`; the score is dropped when the word is below floor(p * 2^32). */
static inline uint32_t attngen_dropout_word(uint64_t seed, uint64_t offset, uint64_t row, uint64_t seqlen_k,
                                            uint64_t k)
{
    uint32_t words[4];
    attngen_dropout_group(seed, offset, row, seqlen_k, k, words);
    return words[k % 4u];
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

/* ---- argument checks shared by the generated entry points -------------------------------------- */

/* Whether any stride of the layout is negative. */
static inline int attngen_layout_is_negative(attngen_layout layout)
{
    return layout.batch_stride < 0 || layout.head_stride < 0 || layout.row_stride < 0;
}

/*
 * Whether a [batch, heads, rows, inner] tensor with these strides (elements; inner is contiguous) gives
 * every element its own address: taken by increasing stride, each dimension of more than one element must
 * step past everything the smaller ones span.
 */
static inline int attngen_layout_is_disjoint(attngen_layout layout, int64_t batch, int64_t heads, int64_t rows,
                                             int64_t inner)
{
    int64_t strides[3] = {layout.batch_stride, layout.head_stride, layout.row_stride};
    int64_t extents[3] = {batch, heads, rows};
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
    int64_t span = inner;
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

#ifdef __cplusplus
}
#endif

#endif /* ATTNGEN_RUNTIME_H */
