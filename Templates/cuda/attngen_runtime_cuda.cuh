{{banner}}
#ifndef ATTNGEN_RUNTIME_CUDA_CUH
#define ATTNGEN_RUNTIME_CUDA_CUH

/*
 * Helpers shared by every CUDA kernel attngen generates: index arithmetic with floor semantics, the
 * Philox4x32-10 generator of README.md ("Dropout"), fp16/bf16 conversions, the tensor-core and
 * asynchronous-copy instructions (inline PTX, sm_80 and later), and host-side checks of the
 * attngen_forward_params a launcher receives. Everything is `static inline`, so several generated
 * kernels can be compiled into one program.
 */

#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <math.h>
#include <stdint.h>

#include "attngen_abi.h"
#include "attngen_checks.h"

/* ---------------------------------------------------------------------------------------------
 * Integer helpers (floor semantics, positive divisor), as mask predicates use them.
 * ------------------------------------------------------------------------------------------- */

static inline __host__ __device__ int64_t attngen_floor_div(int64_t a, int64_t b) {
    int64_t quotient = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? quotient - 1 : quotient;
}

static inline __host__ __device__ int64_t attngen_floor_mod(int64_t a, int64_t b) {
    int64_t remainder = a % b;
    return (remainder != 0 && ((remainder < 0) != (b < 0))) ? remainder + b : remainder;
}

static inline __host__ __device__ int64_t attngen_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline __host__ __device__ int64_t attngen_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static inline __host__ __device__ int64_t attngen_abs64(int64_t a) { return a < 0 ? -a : a; }

/* The standard ALiBi slope of query head h of n (README.md, "Score modifiers"): with p the largest power of two
   <= n, 2^(-8 (h + 1) / p) for h < p, and 2^(-4 (2 (h - p) + 1) / p) (the odd slopes of 2p heads) for the rest. */
static inline __host__ __device__ float attngen_alibi_slope(int64_t h, int64_t n) {
    int64_t p = 1;
    while (p * 2 <= n) p *= 2;
    const float exponent = h < p ? -8.0f * (float)(h + 1) / (float)p : -4.0f * (float)(2 * (h - p) + 1) / (float)p;
    return exp2f(exponent);
}

/* ---------------------------------------------------------------------------------------------
 * Philox4x32-10 (README.md, "Dropout"). Known answer: counter 0, key 0 ->
 * 0x6627e8d5 0xe169c58d 0xbc57ac4c 0x9b00dbd8.
 * ------------------------------------------------------------------------------------------- */

typedef struct attngen_philox_words {
    uint32_t w[4];
} attngen_philox_words;

static inline __host__ __device__ uint32_t attngen_mulhi32(uint32_t a, uint32_t b) {
#ifdef __CUDA_ARCH__
    return __umulhi(a, b);
#else
    return (uint32_t)(((uint64_t)a * (uint64_t)b) >> 32);
#endif
}

static inline __host__ __device__ attngen_philox_words attngen_philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2,
                                                                             uint32_t c3, uint32_t k0, uint32_t k1) {
    const uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
#ifdef __CUDA_ARCH__
#pragma unroll
#endif
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        const uint32_t hi0 = attngen_mulhi32(m0, c0), lo0 = m0 * c0;
        const uint32_t hi1 = attngen_mulhi32(m1, c2), lo1 = m1 * c2;
        const uint32_t n0 = hi1 ^ c1 ^ k0;
        const uint32_t n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    attngen_philox_words out;
    out.w[0] = c0;
    out.w[1] = c1;
    out.w[2] = c2;
    out.w[3] = c3;
    return out;
}

/* The four words of element group `e` (README step 2) for one call's seed and offset. */
static inline __host__ __device__ attngen_philox_words attngen_dropout_words(uint64_t e, uint64_t seed, uint64_t offset) {
    return attngen_philox4x32_10((uint32_t)e, (uint32_t)(e >> 32), (uint32_t)offset, (uint32_t)(offset >> 32),
                                 (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* The keep bits of both 16-bit halves of a Philox word (README step 5: a value x is kept when x >= threshold) at
   bits 15 (low half) and 31 (high half), without per-half branches: the top bit of (x | 0x8000) - (threshold &
   0x7fff) says (x & 0x7fff) >= (threshold & 0x7fff) (the minuend's set top bit keeps a borrow from crossing into
   the other half); x's own top bit decides the rest. Callers pass a compile-time threshold. */
static inline __host__ __device__ uint32_t attngen_dropout_keep_halves(uint32_t word, uint32_t threshold) {
    const uint32_t top_bits = 0x80008000u;
    const uint32_t low_keep = (word | top_bits) - (threshold & 0x7fffu) * 0x10001u;
    return (threshold >= 0x8000u ? (word & low_keep) : (word | low_keep)) & top_bits;
}

/* The dropout exchange of one quad in the m16n8 accumulator layout, where quad lane c holds keys 2c and 2c + 1
   of an n8 tile, the two halves of word c of a Philox call (8 keys a call). Quad lane c passes `words`, its own
   call (call c of the quad's four); each lane packs its call's keep bits (bit 4c + w: low half of word w, bit
   16 + 4c + w: high half), the quad ORs its packs with two shuffles, and the result, shifted right by c, holds
   this lane's keep bits of call j at bit 4j (key 2c) and bit 16 + 4j (key 2c + 1). All 32 lanes must call it. */
static inline __device__ uint32_t attngen_dropout_quad_keep(const attngen_philox_words &words, uint32_t threshold,
                                                            int quad_lane) {
    uint32_t keep = (attngen_dropout_keep_halves(words.w[0], threshold) >> 15) |
                    (attngen_dropout_keep_halves(words.w[1], threshold) >> 14) |
                    (attngen_dropout_keep_halves(words.w[2], threshold) >> 13) |
                    (attngen_dropout_keep_halves(words.w[3], threshold) >> 12);
    keep <<= 4 * quad_lane;
    keep |= __shfl_xor_sync(0xffffffffu, keep, 1);
    keep |= __shfl_xor_sync(0xffffffffu, keep, 2);
    return keep >> quad_lane;
}

/* ---------------------------------------------------------------------------------------------
 * Conversions. Storage is raw 16-bit patterns; float -> half/bf16 rounds to nearest even.
 * ------------------------------------------------------------------------------------------- */

static inline __device__ float attngen_load_float(const float *p) { return *p; }
static inline __device__ float attngen_load_float(const __half *p) { return __half2float(*p); }
static inline __device__ float attngen_load_float(const __nv_bfloat16 *p) { return __bfloat162float(*p); }

static inline __device__ void attngen_store_float(float *p, float x) { *p = x; }
static inline __device__ void attngen_store_float(__half *p, float x) { *p = __float2half_rn(x); }
static inline __device__ void attngen_store_float(__nv_bfloat16 *p, float x) { *p = __float2bfloat16_rn(x); }

/* Two fp32 values packed into one 32-bit register of two 16-bit elements (low half = first). */
static inline __device__ uint32_t attngen_pack2(float lo, float hi, __half) {
    __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t *>(&h);
}
static inline __device__ uint32_t attngen_pack2(float lo, float hi, __nv_bfloat16) {
    __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t *>(&h);
}

/* Two fp32 values stored as two consecutive elements (one 4-byte store of a packed pair for 16-bit types, one
   8-byte store for fp32); `p` is aligned to the pair. */
static inline __device__ void attngen_store_pair(float *p, float lo, float hi) {
    *reinterpret_cast<float2 *>(p) = make_float2(lo, hi);
}
static inline __device__ void attngen_store_pair(__half *p, float lo, float hi) {
    *reinterpret_cast<uint32_t *>(p) = attngen_pack2(lo, hi, __half());
}
static inline __device__ void attngen_store_pair(__nv_bfloat16 *p, float lo, float hi) {
    *reinterpret_cast<uint32_t *>(p) = attngen_pack2(lo, hi, __nv_bfloat16());
}

/* Four fp32 values stored as four consecutive elements (one 8-byte store for 16-bit types, one 16-byte store for
   fp32); `p` is aligned to the four. */
static inline __device__ void attngen_store_quad(float *p, float4 x) { *reinterpret_cast<float4 *>(p) = x; }
static inline __device__ void attngen_store_quad(__half *p, float4 x) {
    *reinterpret_cast<uint2 *>(p) = make_uint2(attngen_pack2(x.x, x.y, __half()), attngen_pack2(x.z, x.w, __half()));
}
static inline __device__ void attngen_store_quad(__nv_bfloat16 *p, float4 x) {
    *reinterpret_cast<uint2 *>(p) =
        make_uint2(attngen_pack2(x.x, x.y, __nv_bfloat16()), attngen_pack2(x.z, x.w, __nv_bfloat16()));
}

/* fp32 -> tf32 (round to nearest, ties away), as the tf32 tensor-core path takes its operands. */
static inline __device__ uint32_t attngen_to_tf32(float x) {
    uint32_t out;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(out) : "f"(x));
    return out;
}

/* The sum of `value` over each group of `Lanes` consecutive lanes (a power of two, 32 by default: the warp), every
   lane of the group getting it: a butterfly of shuffles (Lanes / 2, ..., 2, 1), the same order of additions on
   every call. Every lane of the warp calls it. */
template <int Lanes = 32>
static inline __device__ float attngen_warp_sum(float value) {
    static_assert(Lanes >= 1 && Lanes <= 32 && (Lanes & (Lanes - 1)) == 0, "a power of two of lanes");
#pragma unroll
    for (int offset = Lanes / 2; offset > 0; offset /= 2) value += __shfl_xor_sync(0xffffffffu, value, offset);
    return value;
}

/* The sum of `value` over a block of 256 threads in a fixed order (each warp's lanes, then the 8 warps in order),
   returned to thread 0 (the others get 0). `warp_totals`: 8 floats of shared memory, free again on return. Every
   thread of the block calls it. */
static inline __device__ float attngen_block_sum_256(float value, float *warp_totals) {
    value = attngen_warp_sum(value);
    if (threadIdx.x % 32 == 0) warp_totals[threadIdx.x / 32] = value;
    __syncthreads();
    float sum = 0.0f;
    if (threadIdx.x == 0) {
#pragma unroll
        for (int w = 0; w < 8; ++w) sum += warp_totals[w];
    }
    __syncthreads();
    return sum;
}

/* 2^x on the special-function unit; 2^-inf = +0. */
static inline __device__ float attngen_exp2(float x) {
    float out;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(out) : "f"(x));
    return out;
}

/* Joins a sink logit (README.md, "Attention sinks"; natural-log units) to one row's softmax state: row_log2 the
   row's maximum in base 2 (-inf when it kept nothing) and sum its sum of 2^(score - maximum). Both move to
   max(row_log2, sink · log2 e) and the sum gains the sink's term, as one more key without a value row would give;
   returns the factor the row's unnormalised O is rescaled by (0 for a row that kept nothing, whose O is 0). A sink
   of -inf changes nothing; a NaN sink makes the row NaN. */
static inline __device__ float attngen_join_sink(float sink, float &row_log2, float &sum) {
    const float sink_log2 = sink * 1.44269504088896341f;
    const float top = fmaxf(row_log2, sink_log2);
    if (top == -INFINITY) return 1.0f;
    const float scale = attngen_exp2(row_log2 - top);
    sum = sum * scale + attngen_exp2(sink_log2 - top);
    row_log2 = top;
    return scale;
}

/* Score modifiers' functions (README.md, "Score modifiers") on the multi-function unit, where the accurate libm
   versions would take tens of instructions per score:
   attngen_expf(x) = 2^(x log2 e) (relative error about 2^-21 plus the rounding of x log2 e, which grows with |x|);
   attngen_logf(x) = log2(x) ln 2 (absolute error about 2^-21 near 1, relative elsewhere);
   attngen_tanhf(x) = 1 - 2 / (e^(2x) + 1) (absolute error below 1e-6, exact -1 and 1 far out). Not volatile: a
   value and its derivative that read the same tanh share one. (attngen_tanh_approx, below, is the one-instruction
   tanh_approx.) */
static inline __device__ float attngen_expf(float x) { return attngen_exp2(x * 1.44269504088896341f); }

static inline __device__ float attngen_logf(float x) {
    float out;
    asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(out) : "f"(x));
    return out * 0.693147180559945309f;
}

static inline __device__ float attngen_tanhf(float x) {
    const float e = attngen_exp2(x * 2.88539008177792681f); /* e^(2x) */
    float inverse;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(inverse) : "f"(e + 1.0f));
    return fmaf(-2.0f, inverse, 1.0f);
}

/* 1 / cosh^2(x), the backward's derivative of tanh, as 1 - attngen_tanhf(x)^2: the arithmetic of the GPU kernels
   before C took an accurate form, kept until it runs on a GPU (an exact form from the same e^(2x) and reciprocal,
   4 v (1 - v) with v = 1 / (e^(2x) + 1), spilled one register in an sm_80 backward key kernel). Its absolute error
   is attngen_tanhf's, ~2e-6, so where tanh saturates its relative error grows as C's did (README.md, "Score
   modifiers"). */
static inline __device__ float attngen_sech2f(float x) {
    const float t = attngen_tanhf(x);
    return 1.0f - t * t;
}

/* tanh_approx of the score language: the special-function unit's own tanh (sm_75+), one instruction, relative
   error up to 2^-10.99 (PTX ISA, tanh.approx.f32). */
static inline __device__ float attngen_tanh_approx(float x) {
    float out;
    asm("tanh.approx.f32 %0, %1;" : "=f"(out) : "f"(x));
    return out;
}

/* ---------------------------------------------------------------------------------------------
 * Tensor-core and copy instructions (PTX ISA, sm_80+).
 * ------------------------------------------------------------------------------------------- */

/* D = A(16x16, row) * B(16x8, col) + D, fp16 or bf16 operands, fp32 accumulators. */
static inline __device__ void attngen_mma_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1, __half) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
static inline __device__ void attngen_mma_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1,
                                                __nv_bfloat16) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* D = A(16x8, row) * B(8x8, col) + D on tf32 operands, fp32 accumulators. */
static inline __device__ void attngen_mma_1688_tf32(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* Programmatic dependent launch (sm_90; CUDA programming guide, "Programmatic Dependent Launch"): a kernel launched
   with cudaLaunchAttributeProgrammaticStreamSerialization may start while the kernel before it on the stream still
   runs, once that kernel's blocks have all called attngen_launch_dependents (or ended); it must call
   attngen_wait_prior_grid before it reads what that kernel writes, which returns once that kernel has finished and
   its memory is visible. Both are no-ops in a kernel launched plainly, and compile to nothing before sm_90. */
static inline __device__ void attngen_launch_dependents(void) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}
static inline __device__ void attngen_wait_prior_grid(void) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

static inline __device__ uint32_t attngen_smem_address(const void *p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/* Four 8x8 matrices of 16-bit elements; lane l gives the row address of matrix l / 8. */
static inline __device__ void attngen_ldmatrix_x4(uint32_t (&r)[4], uint32_t address) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}
static inline __device__ void attngen_ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t address) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}

/* 16-byte asynchronous copy global -> shared; bytes past `source_bytes` (0..16) are zero-filled. */
static inline __device__ void attngen_cp_async_16(uint32_t shared_address, const void *global, uint32_t source_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(shared_address), "l"(global), "r"(source_bytes));
}

/* p[0..3] += (x, y, z, w) atomically, p 16-byte aligned: one 16-byte vector reduction on sm_90, four scalar
   atomics before it. */
static inline __device__ void attngen_atomic_add4(float *p, float x, float y, float z, float w) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("red.global.add.v4.f32 [%0], {%1, %2, %3, %4};\n" ::"l"(p), "f"(x), "f"(y), "f"(z), "f"(w) : "memory");
#else
    atomicAdd(p, x);
    atomicAdd(p + 1, y);
    atomicAdd(p + 2, z);
    atomicAdd(p + 3, w);
#endif
}

/* 4-byte asynchronous copy global -> shared; zero-filled when `source_bytes` is 0. */
static inline __device__ void attngen_cp_async_4(uint32_t shared_address, const void *global, uint32_t source_bytes) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(shared_address), "l"(global), "r"(source_bytes));
}
static inline __device__ void attngen_cp_async_commit(void) { asm volatile("cp.async.commit_group;\n" ::); }
template <int Pending>
static inline __device__ void attngen_cp_async_wait(void) {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
}

/* ---------------------------------------------------------------------------------------------
 * Variable-length batches (README.md, "Variable-length batches").
 * ------------------------------------------------------------------------------------------- */

/* The rows of sequence b on one side of a call (attngen_sequence_rows_of) in a kernel instantiated for variable-length
   batches (Packed: the prefix sums `cu` pack them) or for whole batches, where they are `bound` rows at batch index b
   and the compiler knows it (no load, no register; the kernels' code for whole batches stays as it was). */
template <bool Packed>
static __device__ __forceinline__ attngen_sequence_rows attngen_rows_of(const int32_t *cu, int64_t b, int64_t bound,
                                                                        int64_t total) {
    return attngen_sequence_rows_of(Packed ? cu : nullptr, b, bound, total);
}

/* The address of row `row` of head `head` of a sequence's rows (attngen_sequence_rows_of) in a tensor at `base`:
   attngen_sequence_row_offset plus the head's offset, added batch, head, row, the order in which the kernels formed
   their addresses before variable-length batches, so that a whole batch (rows.batch = b, rows.first = 0, known at
   compile time) compiles to the same instructions. */
template <typename T>
static __device__ __forceinline__ T *attngen_sequence_row(T *base, attngen_sequence_rows rows,
                                                          const attngen_layout &layout, int64_t head, int64_t row) {
    return base + rows.batch * layout.batch_stride + head * layout.head_stride + (rows.first + row) * layout.row_stride;
}

/* ---------------------------------------------------------------------------------------------
 * Global -> shared tile copies (the forward and backward kernels' only way of loading tiles).
 * ------------------------------------------------------------------------------------------- */

/* Copies `Rows` rows of `Dim` elements (row i at src + i * row_stride) into shared memory rows of `Stride`
   elements, with the `Threads` threads of the block, zero-filling columns Dim ..< DimPadded and rows
   valid_rows ..< Rows. With aligned rows this issues 16-byte cp.async copies (the caller commits the
   group); otherwise plain loads. Thread t copies chunk t of each pass of `Threads` 16-byte chunks. When
   `Threads` is a multiple of the chunks per row (the usual case) the thread's column is fixed and its rows
   step by Threads / chunks-per-row: the passes unroll into one pointer step and one row test each, with
   no division.
   Other shapes keep a plain loop (unrolling it hoists per-pass addresses into registers). */
template <int Threads, int Rows, int Dim, int DimPadded, int Stride, typename Raw>
static __device__ __forceinline__ void attngen_copy_tile(Raw *dst, const Raw *src, int64_t row_stride,
                                                         int64_t valid_rows, bool aligned16) {
    constexpr int kChunkElements = 16 / (int)sizeof(Raw);
    constexpr int kChunksPerRow = DimPadded / kChunkElements;
    constexpr int kChunks = Rows * kChunksPerRow;
    constexpr int kPasses = (kChunks + Threads - 1) / Threads;
    if (aligned16 && Threads % kChunksPerRow == 0) {
        constexpr int kRowStep = Threads / kChunksPerRow;
        const int row0 = (int)threadIdx.x / kChunksPerRow;
        const int column = ((int)threadIdx.x % kChunksPerRow) * kChunkElements;
        /* Bytes of this thread's chunk that lie inside the row (all 16 when Dim fills whole chunks). */
        const uint32_t column_bytes =
            Dim % kChunkElements == 0 && Dim == DimPadded
                ? 16u
                : (uint32_t)(max(0, min(Dim - column, kChunkElements)) * (int)sizeof(Raw));
        const int rows_left = (int)attngen_min64(valid_rows, (int64_t)Rows) - row0;
        const Raw *const src_thread = src + row0 * row_stride + column;
        const uint32_t dst_thread = attngen_smem_address(dst + row0 * Stride + column);
        auto copy_pass = [&](int pass) {
            const bool live = pass * kRowStep < rows_left && column_bytes > 0;
            const Raw *from = live ? src_thread + pass * kRowStep * row_stride : src;
            attngen_cp_async_16(dst_thread + (uint32_t)(pass * kRowStep * Stride * (int)sizeof(Raw)), from,
                                live ? column_bytes : 0u);
        };
        if (kPasses <= 8) {
            /* unrolled: straight-line copies */
#pragma unroll
            for (int pass = 0; pass < kPasses; ++pass) {
                if (Rows % kRowStep != 0 && row0 + pass * kRowStep >= Rows) break;
                copy_pass(pass);
            }
        } else {
            /* many passes (large tiles of few threads): a loop, so that no per-pass address stays in a register */
            for (int pass = 0; pass < kPasses; ++pass) {
                if (Rows % kRowStep != 0 && row0 + pass * kRowStep >= Rows) break;
                copy_pass(pass);
            }
        }
    } else if (aligned16) {
        for (int chunk = threadIdx.x; chunk < kChunks; chunk += Threads) {
            const int row = chunk / kChunksPerRow;
            const int column = (chunk % kChunksPerRow) * kChunkElements;
            const int remaining = Dim - column;
            const bool live = row < valid_rows && remaining > 0;
            const uint32_t bytes = live ? (uint32_t)(min(remaining, kChunkElements) * (int)sizeof(Raw)) : 0u;
            const Raw *from = live ? src + row * row_stride + column : src;
            attngen_cp_async_16(attngen_smem_address(dst + row * Stride + column), from, bytes);
        }
    } else {
        for (int index = threadIdx.x; index < Rows * DimPadded; index += Threads) {
            const int row = index / DimPadded;
            const int column = index % DimPadded;
            Raw value = Raw(0);
            if (row < valid_rows && column < Dim) value = src[row * row_stride + column];
            dst[row * Stride + column] = value;
        }
    }
}

/* attngen_copy_tile for rows that are not evenly spaced (a paged K/V cache): row i starts at row_address(i),
   which each thread asks for the rows it copies. Same zero-filling, same 16-byte cp.async when aligned16 (every
   row start 16-byte aligned), plain loads otherwise; `base` is any address of the tensor (what a zero-byte copy
   names). */
template <int Threads, int Rows, int Dim, int DimPadded, int Stride, typename Raw, typename RowAddress>
static __device__ __forceinline__ void attngen_copy_rows(Raw *dst, const Raw *base, RowAddress row_address,
                                                         int64_t valid_rows, bool aligned16) {
    constexpr int kChunkElements = 16 / (int)sizeof(Raw);
    constexpr int kChunksPerRow = DimPadded / kChunkElements;
    constexpr int kChunks = Rows * kChunksPerRow;
    if (aligned16) {
#pragma unroll 4
        for (int chunk = threadIdx.x; chunk < kChunks; chunk += Threads) {
            const int row = chunk / kChunksPerRow;
            const int column = (chunk % kChunksPerRow) * kChunkElements;
            const int remaining = Dim - column;
            const bool live = row < valid_rows && remaining > 0;
            const uint32_t bytes = live ? (uint32_t)(min(remaining, kChunkElements) * (int)sizeof(Raw)) : 0u;
            const Raw *from = live ? row_address(row) + column : base;
            attngen_cp_async_16(attngen_smem_address(dst + row * Stride + column), from, bytes);
        }
    } else {
        for (int index = threadIdx.x; index < Rows * DimPadded; index += Threads) {
            const int row = index / DimPadded;
            const int column = index % DimPadded;
            Raw value = Raw(0);
            if (row < valid_rows && column < Dim) value = row_address(row)[column];
            dst[row * Stride + column] = value;
        }
    }
}

/* Shared -> global, by one warp: writes the first `valid_rows` (at most Rows) of `Rows` rows of `Dim`
   elements, held in shared memory rows of `Stride` elements, to dst + i * row_stride. When every destination
   row starts on a 16-byte boundary and Dim fills whole 16-byte chunks, the lanes write consecutive chunks (a
   warp instruction covers whole 128-byte lines) in a fully unrolled sequence of passes; otherwise consecutive
   elements. `src` rows must start on 16-byte boundaries (Stride · sizeof(Element) a multiple of 16). */
template <int Rows, int Dim, int Stride, typename Element>
static __device__ __forceinline__ void attngen_store_warp_rows(Element *dst, const Element *src, int64_t row_stride,
                                                               int64_t valid_rows, bool aligned16, int lane) {
    constexpr int kChunkElements = 16 / (int)sizeof(Element);
    static_assert((Stride * (int)sizeof(Element)) % 16 == 0, "shared rows start on 16-byte boundaries");
    if constexpr (Dim % kChunkElements == 0) {
        if (aligned16) {
            constexpr int kChunksPerRow = Dim / kChunkElements;
            constexpr int kChunks = Rows * kChunksPerRow;
#pragma unroll
            for (int pass = 0; pass < (kChunks + 31) / 32; ++pass) {
                const int chunk = pass * 32 + lane;
                const int row = chunk / kChunksPerRow;
                const int column = (chunk % kChunksPerRow) * kChunkElements;
                if ((kChunks % 32 == 0 || chunk < kChunks) && row < valid_rows) {
                    *reinterpret_cast<uint4 *>(dst + row * row_stride + column) =
                        *reinterpret_cast<const uint4 *>(src + row * Stride + column);
                }
            }
            return;
        }
    }
    /* unaligned rows, or rows that are not whole chunks: one element per lane and pass */
    for (int index = lane; index < Rows * Dim; index += 32) {
        const int row = index / Dim;
        const int column = index % Dim;
        if (row < valid_rows) dst[row * row_stride + column] = src[row * Stride + column];
    }
}

/* ---------------------------------------------------------------------------------------------
 * Host-side helpers of the launchers (the argument checks themselves are attngen_checks.h's).
 * ------------------------------------------------------------------------------------------- */

/* Whether every (batch, head, row) of a tensor starts on a 16-byte boundary (its base and all three strides, in
   bytes, are multiples of 16), so that 16-byte copies and stores of whole rows are safe. The products are taken
   modulo 2^64, which keeps their remainders by 16 (a stride of a dimension of extent 1 is not bounded). */
static inline bool attngen_rows_aligned16(const void *base, attngen_layout layout, int64_t element_bytes) {
    const uint64_t bytes = (uint64_t)element_bytes;
    return (uintptr_t)base % 16 == 0 && ((uint64_t)layout.batch_stride * bytes) % 16 == 0 &&
           ((uint64_t)layout.head_stride * bytes) % 16 == 0 && ((uint64_t)layout.row_stride * bytes) % 16 == 0;
}

/* The shared-memory limit of the current device, for kernels that need more than 48 KB. */
static inline attngen_status attngen_check_shared_memory(size_t bytes) {
    int device = 0, limit = 0;
    if (cudaGetDevice(&device) != cudaSuccess) return ATTNGEN_ERROR_CUDA;
    if (cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device) != cudaSuccess) {
        return ATTNGEN_ERROR_CUDA;
    }
    return bytes <= (size_t)limit ? ATTNGEN_OK : ATTNGEN_ERROR_CUDA;
}

#endif /* ATTNGEN_RUNTIME_CUDA_CUH */
