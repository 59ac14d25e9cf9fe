/* Throughput of the vector instructions the C kernels choose between, on one core of the building machine
 * (benchmarks/cpu/NOTES.md 11 and 23): 12 independent accumulator chains of each instruction in a loop, timed with
 * CLOCK_MONOTONIC. Prints G instructions/s and GFLOP/s per core for the 512-bit fp32 FMA (vfmadd231ps), and where
 * the compiler targets them, the bf16 dot product (vdpbf16ps: 32 products a lane pair) and the fp16 FMA
 * (vfmadd231ph). Not part of the test suite.
 *
 *     cc -O2 -march=native benchmarks/cpu/isa_probe.c -o /tmp/isa_probe && /tmp/isa_probe
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define CHAINS 12
#define STEPS 20000000L

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Sums the accumulators so that the loop cannot be removed. */
static float keep(const __m512 *acc) {
    __m512 sum = acc[0];
    for (int i = 1; i < CHAINS; ++i) sum = _mm512_add_ps(sum, acc[i]);
    return _mm512_reduce_add_ps(sum);
}

static void report(const char *what, double elapsed, double flops_per_instruction, float sink) {
    const double instructions = (double)STEPS * CHAINS;
    printf("%-34s %6.2f G instructions/s  %7.1f GFLOP/s  (%.3g)\n", what, instructions / elapsed * 1e-9,
           instructions * flops_per_instruction / elapsed * 1e-9, (double)sink);
}

#if defined(__AVX512F__)
static void fp32_fma(void) {
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_set1_ps(0.001f * (float)i);
    const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.0001f);
    const double start = seconds();
    for (long s = 0; s < STEPS; ++s) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                         "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    report("vfmadd231ps zmm (16 lanes x 2)", seconds() - start, 32.0, keep(acc));
}
#endif

#if defined(__AVX512BF16__)
static void bf16_dot(void) {
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_set1_ps(0.001f * (float)i);
    const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
    const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.001f), _mm512_set1_ps(0.002f));
    const double start = seconds();
    for (long s = 0; s < STEPS; ++s) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                         "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    report("vdpbf16ps zmm (16 lanes x 2 x 2)", seconds() - start, 64.0, keep(acc));
}
#endif

#if defined(__AVX512FP16__)
static void fp16_fma(void) {
    __m512h acc[CHAINS];
    for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_set1_ph((_Float16)(0.001f * (float)i));
    const __m512h a = _mm512_set1_ph((_Float16)0.999f), b = _mm512_set1_ph((_Float16)0.0001f);
    const double start = seconds();
    for (long s = 0; s < STEPS; ++s) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_fmadd_ph(acc[i], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                         "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    __m512 wide[CHAINS];
    for (int i = 0; i < CHAINS; ++i) wide[i] = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_castph_si512(acc[i])));
    report("vfmadd231ph zmm (32 lanes x 2)", seconds() - start, 64.0, keep(wide));
}
#endif

int main(void) {
#if defined(__AVX512F__)
    for (int round = 0; round < 3; ++round) {
        fp32_fma();
#if defined(__AVX512BF16__)
        bf16_dot();
#endif
#if defined(__AVX512FP16__)
        fp16_fma();
#endif
    }
    return 0;
#else
    puts("isa_probe: the compiler does not target AVX-512 here (-march=native); nothing to measure");
    return 0;
#endif
}
