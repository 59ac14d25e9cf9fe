{{banner}}
#ifndef ATTNGEN_RUNTIME_HOPPER_CUH
#define ATTNGEN_RUNTIME_HOPPER_CUH

/*
 * Hopper (sm_90a) helpers of the attngen CUDA kernels: thin, documented inline-PTX wrappers for the
 * instructions the warp-specialised forward kernel (Templates/hopper/forward.cu) is built from, and one host
 * helper that encodes a TMA tensor map for a tensor of the C ABI.
 *
 *   mbarrier          init / arrive / arrive.expect_tx / try_wait.parity (a wait loop)
 *   TMA               cp.async.bulk.tensor 2D..5D loads global -> shared completing on an mbarrier, the bulk
 *                     tensor store and reduce-add shared -> global with their commit / waits, prefetch.tensormap
 *   proxy fences      fence.proxy.async.shared::cta and .global, fence.mbarrier_init
 *   counters          a global counter that orders blocks (ld.acquire / red.release at GPU scope)
 *   wgmma             fence / commit_group / wait_group<N>; mma_async m64nNk16 bf16 and fp16 with fp32
 *                     accumulators, A from shared memory (descriptor) or from registers, B from shared memory
 *   descriptors       the 64-bit shared-memory matrix descriptor of the 128-byte swizzle
 *   setmaxnreg        inc / dec
 *   host              cuTensorMapEncodeTiled through cudaGetDriverEntryPointByVersion (nothing links libcuda),
 *                     the tensor-map element type of a 16-bit storage type;
 *                     the current device's multiprocessor count and L2 size (asked once per device)
 *
 * Everything here is `static` (inline), so several generated kernels can be compiled into one program. The
 * host helpers at the end also compile with a plain host C++ compiler (the device part is under __CUDACC__). The
 * device wrappers need the sm_90a target (nvcc -gencode arch=compute_90a,code=sm_90a): wgmma and setmaxnreg
 * exist only there. <cuda.h> is included for the CUtensorMap type and its enums only; no driver function is
 * called by name, so nothing links against libcuda.
 *
 * Register fragments of wgmma.mma_async.m64nNk16 with fp32 accumulators (PTX ISA, "Register Fragments",
 * wgmma .m64nNk16): the 128 threads of a warpgroup are 4 warps; warp w (0..3, warp index within the
 * warpgroup) owns rows 16w .. 16w + 15 of the 64-row tile. With lane = 4 * g + c (g = lane / 4, c = lane % 4):
 *
 *   accumulator D, N/2 floats a thread:  d[4j + 2r + e]  is  D[16w + g + 8r][8j + 2c + e]
 *                                         (j = 0 .. N/8 - 1 the 8-column group, r = 0/1 the row half, e = 0/1)
 *   A in registers (k16, 16-bit types), four 32-bit registers a thread, each two elements (low half first):
 *        a[0] = A[16w + g    ][2c, 2c + 1]       a[1] = A[16w + g + 8][2c, 2c + 1]
 *        a[2] = A[16w + g    ][2c + 8, 2c + 9]   a[3] = A[16w + g + 8][2c + 8, 2c + 9]
 *
 * i.e. each warp's share is the m16n8k16 mma.sync layout, repeated N/8 times along N for D. So an S = Q·Kᵀ
 * accumulator converts to the A operand of P·V without any data movement: for the k16 step kk of P·V,
 * a[0] = pack(d[8kk + 0], d[8kk + 1]), a[1] = pack(d[8kk + 2], d[8kk + 3]),
 * a[2] = pack(d[8kk + 4], d[8kk + 5]), a[3] = pack(d[8kk + 6], d[8kk + 7])   (columns 16kk .. 16kk + 15).
 */

#include <cuda.h> /* CUtensorMap and its enums; no cu* function is called by name */
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#include <atomic>
#include <type_traits>

#include "attngen_abi.h"

#if defined(__CUDACC__) /* the device wrappers; the host helpers below also build with a host compiler */

/* ---------------------------------------------------------------------------------------------
 * Shared-memory addresses.
 * ------------------------------------------------------------------------------------------- */

/* The 32-bit shared-window address of a pointer into shared memory (what every PTX .shared operand takes). */
static __device__ __forceinline__ uint32_t attngen_hopper_smem_address(const void *p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/* ---------------------------------------------------------------------------------------------
 * mbarrier (PTX ISA, "Parallel Synchronization and Communication Instructions: mbarrier").
 *
 * A barrier is 8 bytes of shared memory. It counts down `count` pending arrivals per phase and, for TMA, a
 * transaction count of bytes: arrive.expect_tx raises the expected bytes (and arrives), each completed TMA copy
 * lowers them by the bytes it wrote (complete_tx). A phase completes when both reach zero; the barrier then
 * re-arms with `count` arrivals for the next phase. Phases are numbered 0, 1, 2, ... from init; their parity
 * (phase & 1) is what try_wait.parity names: try_wait.parity(P) succeeds once the phase of parity P that is
 * current or just past has completed, i.e. while the barrier's current phase has parity !P. A waiter that tracks
 * "the n-th use of this barrier" therefore waits with parity n & 1 -- valid as long as the barrier can never get
 * two phases ahead of the waiter, which the producer / consumer protocol of the kernel guarantees (see there).
 * ------------------------------------------------------------------------------------------- */

/* One thread initialises; then fence.mbarrier_init and a block barrier before anyone else uses it. */
static __device__ __forceinline__ void attngen_mbarrier_init(uint32_t barrier, uint32_t count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(barrier), "r"(count) : "memory");
}

/* Makes the initialisation of mbarriers visible to the other threads and to the async proxy (TMA). A
   CTA launched without a cluster is a cluster of one, so .release.cluster is valid and sufficient. */
static __device__ __forceinline__ void attngen_fence_mbarrier_init(void) {
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}

/* One arrival (release semantics at CTA scope: this thread's earlier memory accesses happen before the phase
   completes for a waiter). */
static __device__ __forceinline__ void attngen_mbarrier_arrive(uint32_t barrier) {
    asm volatile(
        "{\n"
        ".reg .b64 state;\n"
        "mbarrier.arrive.shared::cta.b64 state, [%0];\n"
        "}\n" ::"r"(barrier)
        : "memory");
}

/* One arrival of the calling warp (lane 0 arrives once every lane has got here): for "empty" barriers counted in
   warps, released once every lane has passed the wait that completed its reads of the buffer. */
static __device__ __forceinline__ void attngen_mbarrier_arrive_warp(uint32_t barrier, int lane) {
    __syncwarp();
    if (lane == 0) attngen_mbarrier_arrive(barrier);
}

/* One arrival that also expects `bytes` more transaction bytes in the current phase (the TMA copies that
   complete on this barrier). Issued by the thread that issues the copies, before them. */
static __device__ __forceinline__ void attngen_mbarrier_arrive_expect_tx(uint32_t barrier, uint32_t bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(barrier), "r"(bytes) : "memory");
}

/* Non-blocking probe (try_wait may suspend for a hardware-defined time before it answers false). Acquire
   semantics at CTA scope when it answers true: what the completing arrivals (and the TMA writes counted in the
   phase) made visible is visible to this thread. */
static __device__ __forceinline__ bool attngen_mbarrier_try_wait_parity(uint32_t barrier, uint32_t parity) {
    uint32_t done;
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
        "selp.u32 %0, 1, 0, p;\n"
        "}\n"
        : "=r"(done)
        : "r"(barrier), "r"(parity)
        : "memory");
    return done != 0;
}

/* Blocks until the phase of parity `parity` has completed.
   Debugging a hang: compile with -DATTNGEN_HOPPER_WAIT_TIMEOUT=<cycles> (e.g. 4000000000, about 2 s) and a
   wait that lasts longer prints the block, the thread, the barrier's shared address and the parity, then traps
   (the message appears when the host synchronises, as a device assert's does). Off by default: printf gives the
   kernel a stack frame. */
#ifdef ATTNGEN_HOPPER_WAIT_TIMEOUT
#include <stdio.h>
#endif
static __device__ __forceinline__ void attngen_mbarrier_wait_parity(uint32_t barrier, uint32_t parity) {
#ifdef ATTNGEN_HOPPER_WAIT_TIMEOUT
    const long long start = clock64();
    while (!attngen_mbarrier_try_wait_parity(barrier, parity)) {
        if (clock64() - start > (long long)(ATTNGEN_HOPPER_WAIT_TIMEOUT)) {
            printf("attngen hopper: mbarrier wait timed out: block (%u, %u, %u) thread %u barrier 0x%x parity %u\n",
                   blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x, barrier, parity);
            __trap();
        }
    }
#else
    while (!attngen_mbarrier_try_wait_parity(barrier, parity)) {
    }
#endif
}

/* ---------------------------------------------------------------------------------------------
 * Proxy fences.
 * ------------------------------------------------------------------------------------------- */

/* Stores four 8x8 matrices of 16-bit elements transposed: lane l gives the row address of row l % 8 of matrix l / 8
   (16 bytes, 16-byte aligned); register q of lane l holds the elements (l / 4, 2 (l % 4)) and (l / 4, 2 (l % 4) + 1)
   of matrix q before the transpose, which land at rows 2 (l % 4) and 2 (l % 4) + 1 of column l / 4. */
static __device__ __forceinline__ void attngen_stmatrix_x4_trans(uint32_t address, const uint32_t (&r)[4]) {
    asm volatile("stmatrix.sync.aligned.m8n8.x4.trans.shared.b16 [%0], {%1, %2, %3, %4};\n" ::"r"(address), "r"(r[0]),
                 "r"(r[1]), "r"(r[2]), "r"(r[3])
                 : "memory");
}

/* Global stores that their predicate guards inside the one instruction, with no branch: code that runs while a
   wgmma is in flight must not diverge, or ptxas serializes every wgmma of the kernel (C7518, "compiler-inserted WG.DP
   in divergent path"). `p` is a generic address of global memory. */
static __device__ __forceinline__ void attngen_store_if(bool pred, void *p, uint4 x) {
    asm volatile("{\n .reg .pred q;\n setp.ne.b32 q, %0, 0;\n @q st.global.v4.b32 [%1], {%2, %3, %4, %5};\n}\n"
                 ::"r"((int)pred), "l"(p), "r"(x.x), "r"(x.y), "r"(x.z), "r"(x.w) : "memory");
}
static __device__ __forceinline__ void attngen_store_if(bool pred, void *p, uint32_t x) {
    asm volatile("{\n .reg .pred q;\n setp.ne.b32 q, %0, 0;\n @q st.global.b32 [%1], %2;\n}\n"
                 ::"r"((int)pred), "l"(p), "r"(x) : "memory");
}
static __device__ __forceinline__ void attngen_store_if(bool pred, void *p, uint16_t x) {
    asm volatile("{\n .reg .pred q;\n setp.ne.b32 q, %0, 0;\n @q st.global.b16 [%1], %2;\n}\n"
                 ::"r"((int)pred), "l"(p), "h"(x) : "memory");
}
static __device__ __forceinline__ void attngen_store_if(bool pred, float *p, float x) {
    attngen_store_if(pred, static_cast<void *>(p), __float_as_uint(x));
}
/* One fp32 value into a 16-bit element, or two into adjacent ones (4-byte aligned), under a predicate. */
static __device__ __forceinline__ void attngen_store_float_if(bool pred, __half *p, float x) {
    attngen_store_if(pred, static_cast<void *>(p), __half_as_ushort(__float2half_rn(x)));
}
static __device__ __forceinline__ void attngen_store_float_if(bool pred, __nv_bfloat16 *p, float x) {
    attngen_store_if(pred, static_cast<void *>(p), __bfloat16_as_ushort(__float2bfloat16_rn(x)));
}
static __device__ __forceinline__ void attngen_store_pair_if(bool pred, __half *p, float lo, float hi) {
    attngen_store_if(pred, static_cast<void *>(p), attngen_pack2(lo, hi, __half()));
}
static __device__ __forceinline__ void attngen_store_pair_if(bool pred, __nv_bfloat16 *p, float lo, float hi) {
    attngen_store_if(pred, static_cast<void *>(p), attngen_pack2(lo, hi, __nv_bfloat16()));
}

/* Accumulator fragments to 16-byte rows without shared memory. In a wgmma (or mma.sync) accumulator, the four lanes
   of a quad (c = lane % 4) hold one row: word w[j] of lane c is columns 8j + 2c and 8j + 2c + 1 (two 16-bit values
   packed), j = 0 .. 3 for four consecutive 8-column groups. After the transpose lane c holds group c whole, its
   columns 8c .. 8c + 7 in w[0 .. 3], ready for one 16-byte store; a quad then writes 64 contiguous bytes of its row
   (two whole 32-byte sectors) where the fragments' 4-byte stores fill half of each sector they touch. Two exchanges
   of a 4 x 4 transpose: the off-diagonal 2 x 2 blocks across lanes c ^ 2, then the words inside each block across
   lanes c ^ 1. Every lane of the warp must take part (the shuffles name the whole warp). */
static __device__ __forceinline__ void attngen_transpose_quad(uint32_t (&w)[4], int quad_lane) {
    const bool upper = (quad_lane & 2) != 0;
    uint32_t a = __shfl_xor_sync(0xffffffffu, upper ? w[0] : w[2], 2);
    uint32_t b = __shfl_xor_sync(0xffffffffu, upper ? w[1] : w[3], 2);
    if (upper) {
        w[0] = a;
        w[1] = b;
    } else {
        w[2] = a;
        w[3] = b;
    }
    const bool odd = (quad_lane & 1) != 0;
    a = __shfl_xor_sync(0xffffffffu, odd ? w[0] : w[1], 1);
    b = __shfl_xor_sync(0xffffffffu, odd ? w[2] : w[3], 1);
    if (odd) {
        w[0] = a;
        w[2] = b;
    } else {
        w[1] = a;
        w[3] = b;
    }
}

/* The 16-byte chunk this lane stores of row r (0: the fragment's row g, 1: row g + 8) of an accumulator, four-group
   block `block` (columns 32 block .. 32 block + 31): its pairs times `scale`, packed to Element and transposed across
   the quad (attngen_transpose_quad); lane c's chunk is columns 32 block + 8c .. + 7. Every lane of the warp calls it. */
template <typename Element, int Floats>
static __device__ __forceinline__ uint4 attngen_quad_chunk(const float (&acc)[Floats], int block, int r, float scale,
                                                           int quad_lane) {
    uint32_t w[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int j = 4 * block + i;
        w[i] = attngen_pack2(acc[4 * j + 2 * r] * scale, acc[4 * j + 2 * r + 1] * scale, Element());
    }
    attngen_transpose_quad(w, quad_lane);
    return make_uint4(w[0], w[1], w[2], w[3]);
}

/* Orders this thread's generic-proxy shared-memory accesses (ordinary ld/st, stmatrix) before later
   async-proxy accesses (TMA, wgmma reading a descriptor). Needed, in each writing thread and before the barrier
   that hands the data over, when ordinary stores produce what TMA stores or wgmma reads. */
static __device__ __forceinline__ void attngen_fence_proxy_async_shared(void) {
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

/* ---------------------------------------------------------------------------------------------
 * TMA: cp.async.bulk.tensor (PTX ISA, "Data Movement: cp.async.bulk.tensor").
 *
 * `map` is the address of a CUtensorMap in param / const / global space -- in the kernels, a
 * `const __grid_constant__ CUtensorMap` kernel parameter, whose generic address is what the instruction takes.
 * Coordinates are element indices, innermost dimension first, signed 32-bit; a box that reaches outside the
 * tensor is filled with zeros there (CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) and still counts its full size in bytes
 * towards the barrier's transaction count. The shared destination must be 128-byte aligned, and aligned to the
 * swizzle pattern's repeat (1024 bytes for the 128-byte swizzle) where the reader assumes the pattern starts
 * there (our wgmma descriptors do). .shared::cluster with a CTA-local address is the CTA's own shared memory.
 * ------------------------------------------------------------------------------------------- */

static __device__ __forceinline__ void attngen_tma_load_2d(uint32_t dst, const CUtensorMap *map, uint32_t barrier,
                                                           int32_t c0, int32_t c1) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4}], [%2];\n" ::
            "r"(dst),
        "l"(reinterpret_cast<uint64_t>(map)), "r"(barrier), "r"(c0), "r"(c1)
        : "memory");
}

static __device__ __forceinline__ void attngen_tma_load_3d(uint32_t dst, const CUtensorMap *map, uint32_t barrier,
                                                           int32_t c0, int32_t c1, int32_t c2) {
    asm volatile(
        "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5}], "
        "[%2];\n" ::"r"(dst),
        "l"(reinterpret_cast<uint64_t>(map)), "r"(barrier), "r"(c0), "r"(c1), "r"(c2)
        : "memory");
}

static __device__ __forceinline__ void attngen_tma_load_4d(uint32_t dst, const CUtensorMap *map, uint32_t barrier,
                                                           int32_t c0, int32_t c1, int32_t c2, int32_t c3) {
    asm volatile(
        "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5, %6}], "
        "[%2];\n" ::"r"(dst),
        "l"(reinterpret_cast<uint64_t>(map)), "r"(barrier), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
        : "memory");
}

static __device__ __forceinline__ void attngen_tma_load_5d(uint32_t dst, const CUtensorMap *map, uint32_t barrier,
                                                           int32_t c0, int32_t c1, int32_t c2, int32_t c3,
                                                           int32_t c4) {
    asm volatile(
        "cp.async.bulk.tensor.5d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5, %6, "
        "%7}], [%2];\n" ::"r"(dst),
        "l"(reinterpret_cast<uint64_t>(map)), "r"(barrier), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(c4)
        : "memory");
}

/* Bulk tensor store shared -> global of one box (out-of-range parts of the box are not written). The source
   was written by ordinary stores: every writing thread runs attngen_fence_proxy_async_shared() and the writers
   synchronise before the issuing thread stores. The issuing thread then commits the bulk group and waits
   before the shared source is overwritten (wait_group_read) or before the kernel relies on the global data. */
static __device__ __forceinline__ void attngen_tma_store_4d(const CUtensorMap *map, uint32_t src, int32_t c0,
                                                            int32_t c1, int32_t c2, int32_t c3) {
    asm volatile("cp.async.bulk.tensor.4d.global.shared::cta.bulk_group [%0, {%2, %3, %4, %5}], [%1];\n" ::"l"(
                     reinterpret_cast<uint64_t>(map)),
                 "r"(src), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
                 : "memory");
}
/* Bulk tensor reduce-add shared -> global of one box of fp32 (each element added atomically; out-of-range parts
   of the box are skipped). The source as for attngen_tma_store_4d. */
static __device__ __forceinline__ void attngen_tma_reduce_add_4d(const CUtensorMap *map, uint32_t src, int32_t c0,
                                                                 int32_t c1, int32_t c2, int32_t c3) {
    asm volatile("cp.reduce.async.bulk.tensor.4d.global.shared::cta.add.tile.bulk_group [%0, {%2, %3, %4, %5}], "
                 "[%1];\n" ::"l"(reinterpret_cast<uint64_t>(map)),
                 "r"(src), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
                 : "memory");
}
static __device__ __forceinline__ void attngen_bulk_commit_group(void) {
    asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
}
/* Waits until at most `Pending` bulk groups of this thread still read their shared source. */
template <int Pending>
static __device__ __forceinline__ void attngen_bulk_wait_group_read(void) {
    asm volatile("cp.async.bulk.wait_group.read %0;\n" ::"n"(Pending) : "memory");
}

/* Waits until at most `Pending` bulk groups of this thread are still in flight: the others' global writes are
   performed (then attngen_fence_proxy_async_global() before a generic-proxy release makes them visible through it). */
template <int Pending>
static __device__ __forceinline__ void attngen_bulk_wait_group(void) {
    asm volatile("cp.async.bulk.wait_group %0;\n" ::"n"(Pending) : "memory");
}
/* Orders this thread's async-proxy global accesses (bulk copies and reductions) with its later generic-proxy ones. */
static __device__ __forceinline__ void attngen_fence_proxy_async_global(void) {
    asm volatile("fence.proxy.async.global;\n" ::: "memory");
}

/* A counter in global memory that orders work between blocks: one block waits for a value (acquire, GPU scope:
   what the blocks that counted wrote before counting is visible after), another adds one once its writes are done
   (release). The waiter must be sure the value comes (the counting blocks started no later than it). */
static __device__ __forceinline__ void attngen_counter_wait_equal(const uint32_t *counter, uint32_t value) {
    uint32_t seen;
#ifdef ATTNGEN_HOPPER_WAIT_TIMEOUT /* as for attngen_mbarrier_wait_parity */
    const long long start = clock64();
#endif
    do {
        asm volatile("ld.acquire.gpu.global.u32 %0, [%1];\n" : "=r"(seen) : "l"(counter) : "memory");
#ifdef ATTNGEN_HOPPER_WAIT_TIMEOUT
        if (seen != value && clock64() - start > (long long)(ATTNGEN_HOPPER_WAIT_TIMEOUT)) {
            printf("attngen hopper: counter wait timed out: block (%u, %u, %u) thread %u counter %p at %u, waits for %u\n",
                   blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x, (const void *)counter, seen, value);
            __trap();
        }
#endif
    } while (seen != value);
}
static __device__ __forceinline__ void attngen_counter_release_increment(uint32_t *counter) {
    asm volatile("red.release.gpu.global.add.u32 [%0], 1;\n" ::"l"(counter) : "memory");
}

/* Fetches a tensor map into the cache ahead of its first use (a hint). */
static __device__ __forceinline__ void attngen_prefetch_tensor_map(const CUtensorMap *map) {
    asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
}

/* ---------------------------------------------------------------------------------------------
 * setmaxnreg (sm_90a): moves registers between the warpgroups of a block. Every warp of the warpgroup executes
 * it (.sync.aligned). It takes effect only when the kernel has a register cap at entry (__launch_bounds__ with a
 * minimum of 1 block, or -maxrregcount) and each role is one branch of an if/else; ptxas warns (C7508) when it
 * ignores it. The count is a multiple of 8 in [24, 256]; .inc blocks until the pool has the registers. The pool
 * is what the block started with, attngen_launch_registers(threads) a thread: the warpgroups' counts after the
 * moves must add up to no more, or an .inc waits forever (the kernel hangs; nothing reports it).
 * ------------------------------------------------------------------------------------------- */

/* The registers a thread starts with in a block of `threads` threads under __launch_bounds__(threads, 1) when the
   kernel moves registers with setmaxnreg: ptxas's cap, 64K over the threads rounded down to a multiple of 8 (384
   threads: 168; ptxas -v reports it). */
constexpr int attngen_launch_registers(int threads) { return 65536 / threads / 8 * 8; }

template <int Registers>
static __device__ __forceinline__ void attngen_setmaxnreg_inc(void) {
    static_assert(Registers % 8 == 0 && Registers >= 24 && Registers <= 256, "setmaxnreg takes 24..256, step 8");
    asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(Registers));
}
template <int Registers>
static __device__ __forceinline__ void attngen_setmaxnreg_dec(void) {
    static_assert(Registers % 8 == 0 && Registers >= 24 && Registers <= 256, "setmaxnreg takes 24..256, step 8");
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(Registers));
}

/* Named barrier over `threads` threads (a multiple of 32) of the block; ids 1..15 (0 is __syncthreads). */
static __device__ __forceinline__ void attngen_named_barrier_sync(uint32_t id, uint32_t threads) {
    asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
/* Arrives at named barrier `id` without waiting (bar.arrive): the barrier completes once `threads` threads have
   arrived or synced on it, releasing its bar.sync waiters. The arriving warps must not also bar.sync the same
   phase of it. */
static __device__ __forceinline__ void attngen_named_barrier_arrive(uint32_t id, uint32_t threads) {
    asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

/* ---------------------------------------------------------------------------------------------
 * wgmma (PTX ISA, "Asynchronous Warpgroup Level Matrix Multiply-Accumulate").
 *
 * Protocol, per warpgroup (all 128 threads execute each step, convergently):
 *   1. attngen_wgmma_fence()          after the last ordinary write of any register a wgmma will read or write
 *                                     (accumulators, A fragments) and before the first wgmma.mma_async;
 *   2. wgmma.mma_async ...            any number, on the same or other accumulators;
 *   3. attngen_wgmma_commit_group()   closes the batch;
 *   4. attngen_wgmma_wait_group<N>()  blocks until at most N batches are pending; only then may the
 *                                     accumulators be read, the A registers be rewritten, or the shared memory
 *                                     read by the batch be handed back to a producer.
 * The compiler does not know that wgmma writes its "+f" operands asynchronously: attngen_fence_operand() on
 * each accumulator (and A) register before step 1 and after step 4 pins ordinary instructions on either side
 * of the asm statements (which keep their order among themselves, being volatile).
 * ------------------------------------------------------------------------------------------- */

static __device__ __forceinline__ void attngen_wgmma_fence(void) {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
static __device__ __forceinline__ void attngen_wgmma_commit_group(void) {
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int Pending>
static __device__ __forceinline__ void attngen_wgmma_wait_group(void) {
    static_assert(Pending >= 0 && Pending <= 7, "wgmma.wait_group takes 0..7");
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(Pending) : "memory");
}
static __device__ __forceinline__ void attngen_fence_operand(float &x) { asm volatile("" : "+f"(x)::"memory"); }
static __device__ __forceinline__ void attngen_fence_operand(uint32_t &x) { asm volatile("" : "+r"(x)::"memory"); }
template <int Count>
static __device__ __forceinline__ void attngen_fence_operands(float (&x)[Count]) {
#pragma unroll
    for (int i = 0; i < Count; ++i) attngen_fence_operand(x[i]);
}
/* The A fragments of Count k16 steps (4 x 32 bits each) that a register-A wgmma reads. */
template <int Count>
static __device__ __forceinline__ void attngen_fence_operands(uint32_t (&x)[Count][4]) {
#pragma unroll
    for (int i = 0; i < Count; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) attngen_fence_operand(x[i][j]);
    }
}

/* ---------------------------------------------------------------------------------------------
 * The shared-memory matrix descriptor (PTX ISA, "Matrix Descriptor Format" of wgmma), 64 bits:
 *
 *   bits  0..13  start address      >> 4  (shared-window byte address; 16-byte aligned)
 *   bits 16..29  leading byte offset >> 4  (LBO)
 *   bits 32..45  stride byte offset  >> 4  (SBO)
 *   bits 49..51  base offset: 0 when the swizzle pattern repeats from a 1024-byte aligned address (128-byte
 *                swizzle), which every tile of ours does (tiles start on 1024-byte boundaries)
 *   bits 62..63  swizzle mode: 1 = 128-byte swizzle (2 = 64-byte, 3 = 32-byte, 0 = none)
 *
 * The 128-byte swizzle (the same one TMA writes with CU_TENSOR_MAP_SWIZZLE_128B): a "row" is 128 bytes = 64
 * 16-bit elements = 8 chunks of 16 bytes; within each 1024-byte block of 8 rows, chunk q of row r is stored at
 * chunk position q ^ r. Both TMA and wgmma compute this from the shared address bits themselves (bits 4..6 ^=
 * bits 7..9), which is why the tiles must sit on 1024-byte boundaries and why a descriptor may start anywhere
 * inside a row (a multiple of 16 bytes): the hardware forms start + row * 128 + chunk * 16 and then swizzles.
 *
 * Canonical layouts (CUTLASS's names; T = 8 elements of 16 bits = one 16-byte chunk):
 *   K-major  (rows = M or N, 64 contiguous K elements a row):  ((8, m), (T, 2)) : ((8T, SBO), (1, T))
 *            -> 8 rows of 128 bytes, groups of 8 rows SBO bytes apart (1024 for densely stacked rows); one
 *               k16 step covers 32 bytes of each row; LBO is unused with swizzling (set to 16, i.e. 1).
 *   MN-major (rows = K, 64 contiguous M/N elements a row):     ((T, 8, n), (8, k)) : ((1, T, LBO), (8T, SBO))
 *            -> 64 M/N elements contiguous (one 128-byte row), further 64-element blocks LBO bytes apart;
 *               8 consecutive K rows 128 bytes apart, groups of 8 K rows SBO bytes apart.
 * ------------------------------------------------------------------------------------------- */

/* An operand's descriptor as its two words, for the k steps of one wgmma group: the low word holds start / 16 (bits
   0..13) and the leading byte offset / 16 (bits 16..29), the high word the stride byte offset / 16 and the swizzle
   mode (bits 62..63 of the descriptor). A step `byte_offset` bytes into the operand differs only in the start, so
   at() adds byte_offset / 16 to the low word: one integer add per step instead of masking, shifting and merging
   the whole descriptor again (shared addresses are below 256 KB, so the 14-bit start field cannot carry). */
struct attngen_smem_operand {
    uint32_t low;
    uint32_t high;
    __device__ __forceinline__ uint64_t at(uint32_t byte_offset) const {
        return ((uint64_t)high << 32) | (uint64_t)(low + (byte_offset >> 4));
    }
};

static __device__ __forceinline__ attngen_smem_operand attngen_smem_operand_of(uint32_t start, uint32_t leading_bytes,
                                                                              uint32_t stride_bytes, uint32_t mode) {
    attngen_smem_operand operand;
    operand.low = ((start & 0x3FFFFu) >> 4) | (((leading_bytes & 0x3FFFFu) >> 4) << 16);
    operand.high = ((stride_bytes & 0x3FFFFu) >> 4) | (mode << 30);
    return operand;
}

/* The 128-byte swizzle (mode 1). */
static __device__ __forceinline__ attngen_smem_operand attngen_smem_operand_sw128(uint32_t start, uint32_t leading_bytes,
                                                                                 uint32_t stride_bytes) {
    return attngen_smem_operand_of(start, leading_bytes, stride_bytes, 1u);
}

/* The 64-byte swizzle (mode 2; rows of 64 bytes; within each 512-byte block of 8 rows, chunk q of row r at
   q ^ ((r >> 1) & 3): address bits 4..5 ^= bits 7..8); blocks must start on 512-byte boundaries. */
static __device__ __forceinline__ attngen_smem_operand attngen_smem_operand_sw64(uint32_t start, uint32_t leading_bytes,
                                                                                uint32_t stride_bytes) {
    return attngen_smem_operand_of(start, leading_bytes, stride_bytes, 2u);
}

/* One descriptor of each swizzle, for a single step. */
static __device__ __forceinline__ uint64_t attngen_smem_descriptor_sw128(uint32_t start, uint32_t leading_bytes,
                                                                         uint32_t stride_bytes) {
    return attngen_smem_operand_sw128(start, leading_bytes, stride_bytes).at(0);
}

static __device__ __forceinline__ uint64_t attngen_smem_descriptor_sw64(uint32_t start, uint32_t leading_bytes,
                                                                        uint32_t stride_bytes) {
    return attngen_smem_operand_sw64(start, leading_bytes, stride_bytes).at(0);
}

/* BEGIN GENERATED WGMMA (benchmarks/hopper-dev/tools/gen_wgmma.py) */
/* D[64 x 16] (+)= A[64 x 16] * B[16 x 16], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n16k16_ss(float (&d)[8], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %10, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7}, "
        "%8, %9, p, 1, 1, %11, %12;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 16] (+)= A[64 x 16] * B[16 x 16], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n16k16_ss(float (&d)[8], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %10, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7}, "
        "%8, %9, p, 1, 1, %11, %12;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 32] (+)= A[64 x 16] * B[16 x 32], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n32k16_ss(float (&d)[16], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %18, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, "
        "%16, %17, p, 1, 1, %19, %20;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 32] (+)= A[64 x 16] * B[16 x 32], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n32k16_ss(float (&d)[16], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %18, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, "
        "%16, %17, p, 1, 1, %19, %20;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 48] (+)= A[64 x 16] * B[16 x 48], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n48k16_ss(float (&d)[24], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %26, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n48k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23}, "
        "%24, %25, p, 1, 1, %27, %28;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 48] (+)= A[64 x 16] * B[16 x 48], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n48k16_ss(float (&d)[24], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %26, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n48k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23}, "
        "%24, %25, p, 1, 1, %27, %28;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 64] (+)= A[64 x 16] * B[16 x 64], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n64k16_ss(float (&d)[32], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "%32, %33, p, 1, 1, %35, %36;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 64] (+)= A[64 x 16] * B[16 x 64], bf16, A from registers (4 x 32 bits a thread), B from shared memory. */
template <int ScaleD, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n64k16_rs(float (&d)[32], const uint32_t (&a)[4], uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "{%32, %33, %34, %35}, %36, p, 1, 1, %38;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD), "n"(TransB)
        : "memory");
}

/* D[64 x 64] (+)= A[64 x 16] * B[16 x 64], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n64k16_ss(float (&d)[32], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "%32, %33, p, 1, 1, %35, %36;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 64] (+)= A[64 x 16] * B[16 x 64], f16, A from registers (4 x 32 bits a thread), B from shared memory. */
template <int ScaleD, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n64k16_rs(float (&d)[32], const uint32_t (&a)[4], uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "{%32, %33, %34, %35}, %36, p, 1, 1, %38;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD), "n"(TransB)
        : "memory");
}

/* D[64 x 80] (+)= A[64 x 16] * B[16 x 80], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n80k16_ss(float (&d)[40], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %42, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n80k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39}, "
        "%40, %41, p, 1, 1, %43, %44;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 80] (+)= A[64 x 16] * B[16 x 80], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n80k16_ss(float (&d)[40], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %42, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n80k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39}, "
        "%40, %41, p, 1, 1, %43, %44;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 96] (+)= A[64 x 16] * B[16 x 96], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n96k16_ss(float (&d)[48], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %50, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n96k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47}, "
        "%48, %49, p, 1, 1, %51, %52;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 96] (+)= A[64 x 16] * B[16 x 96], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n96k16_ss(float (&d)[48], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %50, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n96k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47}, "
        "%48, %49, p, 1, 1, %51, %52;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 112] (+)= A[64 x 16] * B[16 x 112], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n112k16_ss(float (&d)[56], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %58, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n112k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55}, "
        "%56, %57, p, 1, 1, %59, %60;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 112] (+)= A[64 x 16] * B[16 x 112], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n112k16_ss(float (&d)[56], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %58, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n112k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55}, "
        "%56, %57, p, 1, 1, %59, %60;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 128] (+)= A[64 x 16] * B[16 x 128], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n128k16_ss(float (&d)[64], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63}, "
        "%64, %65, p, 1, 1, %67, %68;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 128] (+)= A[64 x 16] * B[16 x 128], bf16, A from registers (4 x 32 bits a thread), B from shared memory. */
template <int ScaleD, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n128k16_rs(float (&d)[64], const uint32_t (&a)[4], uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63}, "
        "{%64, %65, %66, %67}, %68, p, 1, 1, %70;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD), "n"(TransB)
        : "memory");
}

/* D[64 x 128] (+)= A[64 x 16] * B[16 x 128], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n128k16_ss(float (&d)[64], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63}, "
        "%64, %65, p, 1, 1, %67, %68;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 128] (+)= A[64 x 16] * B[16 x 128], f16, A from registers (4 x 32 bits a thread), B from shared memory. */
template <int ScaleD, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n128k16_rs(float (&d)[64], const uint32_t (&a)[4], uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63}, "
        "{%64, %65, %66, %67}, %68, p, 1, 1, %70;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD), "n"(TransB)
        : "memory");
}

/* D[64 x 144] (+)= A[64 x 16] * B[16 x 144], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n144k16_ss(float (&d)[72], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %74, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n144k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71}, "
        "%72, %73, p, 1, 1, %75, %76;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 144] (+)= A[64 x 16] * B[16 x 144], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n144k16_ss(float (&d)[72], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %74, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n144k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71}, "
        "%72, %73, p, 1, 1, %75, %76;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 160] (+)= A[64 x 16] * B[16 x 160], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n160k16_ss(float (&d)[80], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %82, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n160k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79}, "
        "%80, %81, p, 1, 1, %83, %84;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 160] (+)= A[64 x 16] * B[16 x 160], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n160k16_ss(float (&d)[80], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %82, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n160k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79}, "
        "%80, %81, p, 1, 1, %83, %84;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 176] (+)= A[64 x 16] * B[16 x 176], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n176k16_ss(float (&d)[88], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %90, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n176k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "
        "%82, %83, %84, %85, %86, %87}, "
        "%88, %89, p, 1, 1, %91, %92;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 176] (+)= A[64 x 16] * B[16 x 176], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n176k16_ss(float (&d)[88], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %90, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n176k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "
        "%82, %83, %84, %85, %86, %87}, "
        "%88, %89, p, 1, 1, %91, %92;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 192] (+)= A[64 x 16] * B[16 x 192], bf16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n192k16_ss(float (&d)[96], uint64_t desc_a, uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %98, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n192k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "
        "%82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95}, "
        "%96, %97, p, 1, 1, %99, %100;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 192] (+)= A[64 x 16] * B[16 x 192], bf16, A from registers (4 x 32 bits a thread), B from shared memory. */
template <int ScaleD, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n192k16_rs(float (&d)[96], const uint32_t (&a)[4], uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %101, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n192k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "
        "%82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95}, "
        "{%96, %97, %98, %99}, %100, p, 1, 1, %102;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD), "n"(TransB)
        : "memory");
}

/* D[64 x 192] (+)= A[64 x 16] * B[16 x 192], f16, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n192k16_ss(float (&d)[96], uint64_t desc_a, uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %98, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n192k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "
        "%82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95}, "
        "%96, %97, p, 1, 1, %99, %100;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}

/* D[64 x 192] (+)= A[64 x 16] * B[16 x 192], f16, A from registers (4 x 32 bits a thread), B from shared memory. */
template <int ScaleD, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n192k16_rs(float (&d)[96], const uint32_t (&a)[4], uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %101, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n192k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "
        "%82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95}, "
        "{%96, %97, %98, %99}, %100, p, 1, 1, %102;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD), "n"(TransB)
        : "memory");
}

/* D[64 x 256] (+)= A[64 x 16] * B[16 x 256], bf16, A from registers (4 x 32 bits a thread), B from shared memory. */
template <int ScaleD, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n256k16_rs(float (&d)[128], const uint32_t (&a)[4], uint64_t desc_b,
                                                              __nv_bfloat16) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %133, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "
        "%82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, "
        "%102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, "
        "%119, %120, %121, %122, %123, %124, %125, %126, %127}, "
        "{%128, %129, %130, %131}, %132, p, 1, 1, %134;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
          "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
          "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
          "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
          "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD), "n"(TransB)
        : "memory");
}

/* D[64 x 256] (+)= A[64 x 16] * B[16 x 256], f16, A from registers (4 x 32 bits a thread), B from shared memory. */
template <int ScaleD, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n256k16_rs(float (&d)[128], const uint32_t (&a)[4], uint64_t desc_b,
                                                              __half) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %133, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "
        "%82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, "
        "%102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, "
        "%119, %120, %121, %122, %123, %124, %125, %126, %127}, "
        "{%128, %129, %130, %131}, %132, p, 1, 1, %134;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
          "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
          "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
          "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
          "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD), "n"(TransB)
        : "memory");
}

/* D[64 x 64] (+)= A[64 x 32] * B[32 x 64], e4m3, A and B from shared memory (descriptors, both K-major). */
template <int ScaleD>
static __device__ __forceinline__ void attngen_wgmma_m64n64k32_ss_e4m3(float (&d)[32], uint64_t desc_a, uint64_t desc_b) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "%32, %33, p, 1, 1;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD)
        : "memory");
}

/* D[64 x 128] (+)= A[64 x 32] * B[32 x 128], e4m3, A and B from shared memory (descriptors, both K-major). */
template <int ScaleD>
static __device__ __forceinline__ void attngen_wgmma_m64n128k32_ss_e4m3(float (&d)[64], uint64_t desc_a, uint64_t desc_b) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63}, "
        "%64, %65, p, 1, 1;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD)
        : "memory");
}

/* D[64 x 128] (+)= A[64 x 32] * B[32 x 128], e4m3, A from registers (4 x 32 bits a thread: 16 bytes), B from shared memory (K-major). */
template <int ScaleD>
static __device__ __forceinline__ void attngen_wgmma_m64n128k32_rs_e4m3(float (&d)[64], const uint32_t (&a)[4], uint64_t desc_b) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63}, "
        "{%64, %65, %66, %67}, %68, p, 1, 1;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD)
        : "memory");
}

/* D[64 x 256] (+)= A[64 x 32] * B[32 x 256], e4m3, A from registers (4 x 32 bits a thread: 16 bytes), B from shared memory (K-major). */
template <int ScaleD>
static __device__ __forceinline__ void attngen_wgmma_m64n256k32_rs_e4m3(float (&d)[128], const uint32_t (&a)[4], uint64_t desc_b) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %133, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k32.f32.e4m3.e4m3 "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, "
        "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "
        "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "
        "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "
        "%82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, "
        "%102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, "
        "%119, %120, %121, %122, %123, %124, %125, %126, %127}, "
        "{%128, %129, %130, %131}, %132, p, 1, 1;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
          "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
          "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
          "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
          "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD)
        : "memory");
}

/* Dispatch on N (the shapes generated above). */
template <int N, int ScaleD, int TransA, int TransB, typename Element>
static __device__ __forceinline__ void attngen_wgmma_ss(float (&d)[N / 2], uint64_t desc_a, uint64_t desc_b) {
    if constexpr (N == 16) {
        attngen_wgmma_m64n16k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 32) {
        attngen_wgmma_m64n32k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 48) {
        attngen_wgmma_m64n48k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 64) {
        attngen_wgmma_m64n64k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 80) {
        attngen_wgmma_m64n80k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 96) {
        attngen_wgmma_m64n96k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 112) {
        attngen_wgmma_m64n112k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 128) {
        attngen_wgmma_m64n128k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 144) {
        attngen_wgmma_m64n144k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 160) {
        attngen_wgmma_m64n160k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 176) {
        attngen_wgmma_m64n176k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else if constexpr (N == 192) {
        attngen_wgmma_m64n192k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());
    } else {
        static_assert(N < 0, "no wgmma wrapper for this N: add it to benchmarks/hopper-dev/tools/gen_wgmma.py");
    }
}

template <int N, int ScaleD, int TransB, typename Element>
static __device__ __forceinline__ void attngen_wgmma_rs(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t desc_b) {
    if constexpr (N == 64) {
        attngen_wgmma_m64n64k16_rs<ScaleD, TransB>(d, a, desc_b, Element());
    } else if constexpr (N == 128) {
        attngen_wgmma_m64n128k16_rs<ScaleD, TransB>(d, a, desc_b, Element());
    } else if constexpr (N == 192) {
        attngen_wgmma_m64n192k16_rs<ScaleD, TransB>(d, a, desc_b, Element());
    } else if constexpr (N == 256) {
        attngen_wgmma_m64n256k16_rs<ScaleD, TransB>(d, a, desc_b, Element());
    } else {
        static_assert(N < 0, "no wgmma wrapper for this N: add it to benchmarks/hopper-dev/tools/gen_wgmma.py");
    }
}

template <int N, int ScaleD>
static __device__ __forceinline__ void attngen_wgmma_ss_e4m3(float (&d)[N / 2], uint64_t desc_a, uint64_t desc_b) {
    if constexpr (N == 64) {
        attngen_wgmma_m64n64k32_ss_e4m3<ScaleD>(d, desc_a, desc_b);
    } else if constexpr (N == 128) {
        attngen_wgmma_m64n128k32_ss_e4m3<ScaleD>(d, desc_a, desc_b);
    } else {
        static_assert(N < 0, "no wgmma wrapper for this N: add it to benchmarks/hopper-dev/tools/gen_wgmma.py");
    }
}

template <int N, int ScaleD>
static __device__ __forceinline__ void attngen_wgmma_rs_e4m3(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t desc_b) {
    if constexpr (N == 128) {
        attngen_wgmma_m64n128k32_rs_e4m3<ScaleD>(d, a, desc_b);
    } else if constexpr (N == 256) {
        attngen_wgmma_m64n256k32_rs_e4m3<ScaleD>(d, a, desc_b);
    } else {
        static_assert(N < 0, "no wgmma wrapper for this N: add it to benchmarks/hopper-dev/tools/gen_wgmma.py");
    }
}
/* END GENERATED WGMMA */

#endif /* __CUDACC__ */

/* ---------------------------------------------------------------------------------------------
 * Host: TMA tensor maps for the tensors of the C ABI.
 * ------------------------------------------------------------------------------------------- */

/* cuTensorMapEncodeTiled's type (CUDA driver API 12.0). */
typedef CUresult (*attngen_encode_tiled_fn)(CUtensorMap *, CUtensorMapDataType, cuuint32_t, void *,
                                            const cuuint64_t *, const cuuint64_t *, const cuuint32_t *,
                                            const cuuint32_t *, CUtensorMapInterleave, CUtensorMapSwizzle,
                                            CUtensorMapL2promotion, CUtensorMapFloatOOBfill);

/* The driver's cuTensorMapEncodeTiled, looked up through the runtime (so that the program needs no -lcuda);
   NULL when the driver lacks it. Looked up once: a function-local static is initialised thread-safely (C++11)
   and holds a pointer into the driver, which never changes while the process runs. */
static inline attngen_encode_tiled_fn attngen_hopper_encode_tiled(void) {
    static const attngen_encode_tiled_fn fn = []() -> attngen_encode_tiled_fn {
        void *entry = NULL;
        cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
#if CUDART_VERSION >= 12050
        /* the 12.0 ABI of the symbol; cudaGetDriverEntryPoint is deprecated from CUDA 12.5 on */
        const cudaError_t error =
            cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &entry, 12000, cudaEnableDefault, &found);
#else
        const cudaError_t error = cudaGetDriverEntryPoint("cuTensorMapEncodeTiled", &entry, cudaEnableDefault, &found);
#endif
        if (error != cudaSuccess || found != cudaDriverEntryPointSuccess) return NULL;
        return reinterpret_cast<attngen_encode_tiled_fn>(entry);
    }();
    return fn;
}

/* What a persistent launch needs of the current device: its multiprocessor count (the grid) and its L2 size in
   bytes (how many heads' K and V a wave of CTAs may share). Asked of the runtime once per device and kept: the
   first call on a device pays two attribute queries, later ones two relaxed loads. Devices past the first 64
   are asked every time. Returns false when the runtime fails (no device, say). */
static inline bool attngen_hopper_device_info(int *multiprocessors, int *l2_bytes) {
    static std::atomic<int> cached_multiprocessors[64];
    static std::atomic<int> cached_l2_bytes[64];
    int device = 0;
    if (cudaGetDevice(&device) != cudaSuccess || device < 0) return false;
    if (device < 64) {
        const int known = cached_multiprocessors[device].load(std::memory_order_acquire);
        if (known > 0) {
            *multiprocessors = known;
            *l2_bytes = cached_l2_bytes[device].load(std::memory_order_relaxed);
            return true;
        }
    }
    int count = 0, l2 = 0;
    if (cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || count <= 0 ||
        cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device) != cudaSuccess) {
        return false;
    }
    if (device < 64) {
        /* The L2 size first: a reader that sees the count also sees it (the count is stored with release order). */
        cached_l2_bytes[device].store(l2, std::memory_order_relaxed);
        cached_multiprocessors[device].store(count, std::memory_order_release);
    }
    *multiprocessors = count;
    *l2_bytes = l2;
    return true;
}

/* Whether a tensor of the ABI can go through TMA as a 4-D tensor (head dim, rows, heads, batch), of 16-bit
   elements (or `element_bytes`): the base 16-byte aligned; every dimension of more than one element strided by a non-zero multiple
   of 16 bytes below 2^40 (TMA's rules; strides of 0, broadcasts, are not taken); coordinates fit in int32 with
   room for one box past the end (a tile's first row + 255). Dimensions of one element may have any stride (it is
   never applied). */
static inline bool attngen_hopper_tma_layout_ok(const void *base, attngen_layout layout, int64_t rows, int64_t heads,
                                                int64_t batch, int64_t element_bytes = 2) {
    if ((uintptr_t)base % 16 != 0) return false;
    const int64_t strides[3] = {layout.row_stride, layout.head_stride, layout.batch_stride};
    const int64_t extents[3] = {rows, heads, batch};
    for (int i = 0; i < 3; ++i) {
        if (extents[i] > 2147483647LL - 256) return false;
        if (extents[i] <= 1) continue;
        const int64_t bytes = strides[i] * element_bytes;
        if (strides[i] <= 0 || bytes % 16 != 0 || bytes >= ((int64_t)1 << 40)) return false;
    }
    return true;
}

#if defined(__CUDA_ARCH__)
/* A 32-bit load from shared memory by its shared-window address (a table the CTA wrote before a barrier). */
static __device__ __forceinline__ int32_t attngen_load_shared_s32(uint32_t address) {
    int32_t value;
    asm volatile("ld.shared.s32 %0, [%1];" : "=r"(value) : "r"(address));
    return value;
}
#endif

/* The extents of a forward call's tensor maps, one rule for the launcher's TMA checks and the kernel's maps: a
   fixed-length side is [batch, heads, seqlen] rows, a packed side (cu_seqlens_q, cu_seqlens_k) one batch of all its
   total rows; K and V are read only when some sequence has keys. */
struct attngen_hopper_forward_extents {
    int64_t q_rows, q_batches;
    int64_t kv_rows, kv_batches;
    bool reads_kv;
};
static inline attngen_hopper_forward_extents attngen_hopper_forward_extents_of(const attngen_forward_params &p) {
    attngen_hopper_forward_extents extents;
    const bool packed_q = p.cu_seqlens_q != NULL, packed_k = p.cu_seqlens_k != NULL;
    extents.q_rows = packed_q ? p.total_q : p.seqlen_q;
    extents.q_batches = packed_q ? 1 : p.batch;
    extents.kv_rows = packed_k ? p.total_k : p.seqlen_k;
    extents.kv_batches = packed_k ? 1 : p.batch;
    extents.reads_kv = p.seqlen_k > 0 && (!packed_k || p.total_k > 0);
    return extents;
}

/* The tensor-map element type of a 16-bit storage type (__nv_bfloat16 or __half). */
template <typename Element>
static inline CUtensorMapDataType attngen_hopper_tensor_map_type(void) {
    return std::is_same<Element, __nv_bfloat16>::value ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16
                                                        : CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
}

/* Encodes the tiled tensor map of one tensor of 16-bit elements (an ABI tensor), bytes (fp8 inputs) or fp32 ones (the
   backward pass's dQ accumulator) for boxes of one 128-byte swizzle row (64, 128 or 32 elements) x `box_rows` rows x 1 head x 1
   batch, with the 128-byte swizzle and zero fill out of bounds. Dimensions innermost first: {dim, rows, heads,
   batch}; element strides {row, head, batch}.
   Requires attngen_hopper_tma_layout_ok; a dimension of one element gets a placeholder stride (any multiple of
   16 is accepted and none is ever applied); `rows` = 0 is encoded as 1 (a tensor map cannot be empty) and must
   then never be loaded from. `promotion`: how far a miss fetches into L2 (256 bytes unless the caller says; the
   decode kernel, which streams every byte once, asks for 128). Returns ATTNGEN_ERROR_CUDA when the driver lacks
   the call or refuses the map. */
static inline attngen_status attngen_hopper_encode_tensor_map(
    CUtensorMap *map, const void *base, CUtensorMapDataType type, int64_t dim, int64_t rows, int64_t heads,
    int64_t batch, attngen_layout layout, uint32_t box_rows,
    CUtensorMapL2promotion promotion = CU_TENSOR_MAP_L2_PROMOTION_L2_256B) {
    const attngen_encode_tiled_fn encode = attngen_hopper_encode_tiled();
    if (encode == NULL) return ATTNGEN_ERROR_CUDA;
    const int64_t element_bytes =
        type == CU_TENSOR_MAP_DATA_TYPE_FLOAT32 ? 4 : (type == CU_TENSOR_MAP_DATA_TYPE_UINT8 ? 1 : 2);
    const cuuint64_t dims[4] = {(cuuint64_t)dim, (cuuint64_t)(rows > 0 ? rows : 1), (cuuint64_t)heads,
                                (cuuint64_t)batch};
    const int64_t strides[3] = {layout.row_stride, layout.head_stride, layout.batch_stride};
    const int64_t extents[3] = {rows, heads, batch};
    cuuint64_t byte_strides[3];
    /* Placeholder for a dimension of one element: the span of everything inside it, rounded to 16 bytes, so
       that the map reads like a dense tensor there. */
    int64_t span = dim * element_bytes;
    for (int i = 0; i < 3; ++i) {
        if (extents[i] > 1) {
            byte_strides[i] = (cuuint64_t)(strides[i] * element_bytes);
            const int64_t reach = strides[i] * element_bytes * extents[i];
            if (reach > span) span = reach;
        } else {
            byte_strides[i] = (cuuint64_t)((span + 15) / 16 * 16);
        }
    }
    const cuuint32_t box[4] = {(cuuint32_t)(128 / element_bytes), box_rows, 1, 1};
    const cuuint32_t element_strides[4] = {1, 1, 1, 1};
    const CUresult result = encode(map, type, 4, const_cast<void *>(base), dims, byte_strides, box, element_strides,
                                   CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, promotion,
                                   CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    return result == CUDA_SUCCESS ? ATTNGEN_OK : ATTNGEN_ERROR_CUDA;
}

#endif /* ATTNGEN_RUNTIME_HOPPER_CUH */
