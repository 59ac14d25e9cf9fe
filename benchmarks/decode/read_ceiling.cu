/* What reading a decode call's K and V can reach on this GPU, by load method (TUNING.md, D10).
 *
 * The decode kernel streams K and V tiles through shared memory; cuDNN's decode reads them faster than both our
 * kernel and torch.sum. This program reads the same bytes (K and V of batch 8, 8 key/value heads, 65,536 keys,
 * d = 128, bf16: 2 GiB) with nothing but a token consumer, by each method the kernel could use, so that the
 * ceiling of each method is known before a kernel is rebuilt around it:
 *
 *   ldg        plain 16-byte loads, 8 in flight per thread, no shared memory (what torch.sum does)
 *   cpasync    the decode kernel's ring: 16-byte cp.async from every thread into padded rows, a commit group per
 *              K and V tile, wait_group and a block barrier per tile
 *   bulk       one cp.async.bulk (1-D, the copy engine) per K or V tile, completing on an mbarrier per slot
 *   tma        TMA tensor-map loads of 64-column boxes with the 128-byte swizzle (what ldmatrix reads without
 *              conflicts), one producer thread, full / empty mbarriers per slot
 *
 * Work is split two ways: "balanced" gives each of the resident blocks an equal share of all (unit, key tile)
 * pairs; "waves" gives each of the 128 blocks of today's split (64 units x 2 splits) 256 whole tiles, to measure
 * what wave quantisation costs. Kernels are timed interleaved (every kernel once per round), median of the rounds.
 *
 * Build (sm_90a) and run on the GPU machine:
 *     nvcc -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a -o read_ceiling benchmarks/decode/read_ceiling.cu
 *     ./read_ceiling [rounds]
 */
#include <cuda.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <vector>

#define CHECK(call)                                                                                  \
    do {                                                                                             \
        cudaError_t e_ = (call);                                                                     \
        if (e_ != cudaSuccess) {                                                                     \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_));   \
            exit(1);                                                                                 \
        }                                                                                            \
    } while (0)

constexpr int kDim = 128;                 /* elements of a K or V row (bf16) */
constexpr int64_t kUnits = 64;            /* batch 8 x 8 key/value heads */
constexpr int64_t kKeys = 65536;
constexpr int64_t kRowBytes = kDim * 2;

static __device__ __forceinline__ uint32_t smem(const void *p) { return (uint32_t)__cvta_generic_to_shared(p); }

/* The tiles [begin, end) of block `block` of `blocks` over `tiles` tiles. */
static __device__ __forceinline__ void share(int64_t tiles, int64_t &begin, int64_t &end) {
    begin = tiles * blockIdx.x / gridDim.x;
    end = tiles * (blockIdx.x + 1) / gridDim.x;
}

/* ---- ldg ------------------------------------------------------------------------------------ */
__global__ void __launch_bounds__(512) ldg_kernel(const uint4 *__restrict__ k, const uint4 *__restrict__ v,
                                                  int64_t chunks, uint32_t *sink) {
    uint32_t acc = 0;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i + 3 * stride < chunks; i += 4 * stride) {
        uint4 a[8];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            a[2 * j] = __ldg(k + i + j * stride);
            a[2 * j + 1] = __ldg(v + i + j * stride);
        }
#pragma unroll
        for (int j = 0; j < 8; ++j) acc ^= a[j].x ^ a[j].w;
    }
    for (; i < chunks; i += stride) acc ^= __ldg(k + i).x ^ __ldg(v + i).y;
    if (acc == 0x12345678u) sink[0] = acc;
}

/* ---- cpasync -------------------------------------------------------------------------------- */
template <int Threads, int TileKeys, int Stages>
struct CpAsync {
    static constexpr int kStride = kDim + 8; /* padded rows, as the decode kernel's */
    static constexpr int kTileBytes = TileKeys * kStride * 2;
    static constexpr int kShared = Stages * 2 * kTileBytes;
};

template <int Threads, int TileKeys, int Stages>
__global__ void __launch_bounds__(Threads) cpasync_kernel(const char *k, const char *v, uint32_t *sink) {
    using C = CpAsync<Threads, TileKeys, Stages>;
    extern __shared__ __align__(128) char shared[];
    int64_t begin, end;
    share(kUnits * kKeys / TileKeys, begin, end);
    auto load = [&](int64_t tile, int slot) {
        if (tile < end) {
            const char *ks = k + tile * TileKeys * kRowBytes, *vs = v + tile * TileKeys * kRowBytes;
            char *kd = shared + slot * 2 * C::kTileBytes, *vd = kd + C::kTileBytes;
            for (int c = threadIdx.x; c < TileKeys * kRowBytes / 16; c += Threads) {
                const int row = c / (kRowBytes / 16), col = c % (kRowBytes / 16);
                asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem(kd + row * C::kStride * 2 + col * 16)),
                             "l"(ks + c * 16));
            }
            asm volatile("cp.async.commit_group;\n" ::);
            for (int c = threadIdx.x; c < TileKeys * kRowBytes / 16; c += Threads) {
                const int row = c / (kRowBytes / 16), col = c % (kRowBytes / 16);
                asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem(vd + row * C::kStride * 2 + col * 16)),
                             "l"(vs + c * 16));
            }
            asm volatile("cp.async.commit_group;\n" ::);
        } else {
            asm volatile("cp.async.commit_group;\ncp.async.commit_group;\n" ::);
        }
    };
    for (int s = 0; s < Stages - 1; ++s) load(begin + s, s);
    uint32_t acc = 0;
    for (int64_t tile = begin; tile < end; ++tile) {
        const int slot = (int)((tile - begin) % Stages);
        asm volatile("cp.async.wait_group %0;\n" ::"n"(2 * (Stages - 1) - 1));
        __syncthreads();
        load(tile + Stages - 1, (int)((tile - begin + Stages - 1) % Stages));
        acc ^= *reinterpret_cast<const uint32_t *>(shared + slot * 2 * C::kTileBytes + threadIdx.x * 16);
        asm volatile("cp.async.wait_group %0;\n" ::"n"(2 * (Stages - 1)));
        __syncthreads();
        acc ^= *reinterpret_cast<const uint32_t *>(shared + slot * 2 * C::kTileBytes + C::kTileBytes + threadIdx.x * 16);
    }
    asm volatile("cp.async.wait_group 0;\n" ::);
    if (acc == 0x12345678u) sink[0] = acc;
}

/* ---- mbarrier helpers ----------------------------------------------------------------------- */
static __device__ __forceinline__ void bar_init(uint32_t b, uint32_t count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(b), "r"(count) : "memory");
}
static __device__ __forceinline__ void bar_arrive(uint32_t b) {
    asm volatile("{\n.reg .b64 st;\nmbarrier.arrive.shared::cta.b64 st, [%0];\n}\n" ::"r"(b) : "memory");
}
static __device__ __forceinline__ void bar_expect(uint32_t b, uint32_t bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(b), "r"(bytes) : "memory");
}
static __device__ __forceinline__ void bar_wait(uint32_t b, uint32_t parity) {
    uint32_t done = 0;
    while (!done) {
        asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                     : "=r"(done)
                     : "r"(b), "r"(parity)
                     : "memory");
    }
}

/* ---- bulk and tma: 4 consumer warps, 1 producer warp ------------------------------------------ */
/* How the producer copies a K or V tile (the bytes land densely, tile after tile, in every mode):
   kBulk        one 1-D cp.async.bulk of the whole tile (rows contiguous in global memory)
   kBulk4K      1-D cp.async.bulk of 4 KB each (16 rows: what a page of 16 keys would be)
   kTensor2D    two 2-D boxes {64 columns, TileKeys rows}, 128-byte swizzle (halves one after the other)
   kTensor3DRow one 3-D box {64, 2 halves, TileKeys rows}, 128-byte swizzle: each row's 256 bytes in turn
   kTensor3DHalf one 3-D box {64, TileKeys rows, 2 halves}, 128-byte swizzle: the 2-D order in one request
   kTensorWide  one 2-D box {128 columns, TileKeys rows}, no swizzle (256-byte box rows) */
enum Mode { kBulk, kBulk4K, kTensor2D, kTensor3DRow, kTensor3DHalf, kTensorWide };

template <int TileKeys, int Stages>
struct Streamed {
    static constexpr int kTileBytes = TileKeys * kRowBytes;
    static constexpr int kShared = Stages * 2 * kTileBytes + 1024 + 2 * Stages * 8;
};

static __device__ __forceinline__ void tma2(uint32_t dst, const CUtensorMap *map, uint32_t bar, int c0, int c1) {
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4}], [%2];\n"
                 ::"r"(dst), "l"(map), "r"(bar), "r"(c0), "r"(c1) : "memory");
}
static __device__ __forceinline__ void tma3(uint32_t dst, const CUtensorMap *map, uint32_t bar, int c0, int c1, int c2) {
    asm volatile("cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5}], [%2];\n"
                 ::"r"(dst), "l"(map), "r"(bar), "r"(c0), "r"(c1), "r"(c2) : "memory");
}
static __device__ __forceinline__ void bulk(uint32_t dst, const char *src, uint32_t bytes, uint32_t bar) {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n"
                 ::"r"(dst), "l"(src), "r"(bytes), "r"(bar) : "memory");
}

template <int TileKeys, int Stages, int M, int HoldNs>
__global__ void __launch_bounds__(160, 1) streamed_kernel(const __grid_constant__ CUtensorMap k_map,
                                                          const __grid_constant__ CUtensorMap v_map, const char *k,
                                                          const char *v, uint32_t *sink) {
    using S = Streamed<TileKeys, Stages>;
    extern __shared__ __align__(1024) char raw_shared[];
    char *shared = reinterpret_cast<char *>((reinterpret_cast<uintptr_t>(raw_shared) + 1023) / 1024 * 1024);
    uint64_t *bars = reinterpret_cast<uint64_t *>(shared + Stages * 2 * S::kTileBytes);
    const uint32_t full = smem(bars), empty = smem(bars + Stages);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (threadIdx.x == 0) {
        for (int s = 0; s < Stages; ++s) {
            bar_init(full + 8 * s, 1);
            bar_init(empty + 8 * s, 4);
        }
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();
    int64_t begin, end;
    share(kUnits * kKeys / TileKeys, begin, end);
    if (warp == 4) {
        if (lane == 0) {
            for (int64_t tile = begin; tile < end; ++tile) {
                const int i = (int)(tile - begin), slot = i % Stages;
                if (i >= Stages) bar_wait(empty + 8 * slot, ((i / Stages) - 1) & 1);
                const uint32_t bar = full + 8 * slot;
                bar_expect(bar, 2 * S::kTileBytes);
                const uint32_t kd = smem(shared + slot * 2 * S::kTileBytes), vd = kd + S::kTileBytes;
                const int row = (int)(tile * TileKeys);
                if constexpr (M == kBulk) {
                    bulk(kd, k + tile * S::kTileBytes, S::kTileBytes, bar);
                    bulk(vd, v + tile * S::kTileBytes, S::kTileBytes, bar);
                } else if constexpr (M == kBulk4K) {
                    for (int c = 0; c < S::kTileBytes / 4096; ++c) {
                        bulk(kd + c * 4096, k + tile * S::kTileBytes + c * 4096, 4096, bar);
                        bulk(vd + c * 4096, v + tile * S::kTileBytes + c * 4096, 4096, bar);
                    }
                } else if constexpr (M == kTensor2D) {
                    for (int half = 0; half < 2; ++half) {
                        tma2(kd + half * S::kTileBytes / 2, &k_map, bar, half * 64, row);
                        tma2(vd + half * S::kTileBytes / 2, &v_map, bar, half * 64, row);
                    }
                } else if constexpr (M == kTensor3DRow || M == kTensor3DHalf) {
                    tma3(kd, &k_map, bar, 0, M == kTensor3DRow ? 0 : row, M == kTensor3DRow ? row : 0);
                    tma3(vd, &v_map, bar, 0, M == kTensor3DRow ? 0 : row, M == kTensor3DRow ? row : 0);
                } else {
                    tma2(kd, &k_map, bar, 0, row);
                    tma2(vd, &v_map, bar, 0, row);
                }
            }
        }
        return;
    }
    uint32_t acc = 0;
    for (int64_t tile = begin; tile < end; ++tile) {
        const int i = (int)(tile - begin), slot = i % Stages;
        bar_wait(full + 8 * slot, (i / Stages) & 1);
        const char *kd = shared + slot * 2 * S::kTileBytes;
        acc ^= *reinterpret_cast<const uint32_t *>(kd + threadIdx.x * 16) ^
               *reinterpret_cast<const uint32_t *>(kd + S::kTileBytes + threadIdx.x * 16);
        if constexpr (HoldNs > 0) __nanosleep(HoldNs); /* a consumer that holds the stage, as compute would */
        __syncwarp();
        if (lane == 0) bar_arrive(empty + 8 * slot);
    }
    if (acc == 0x12345678u) sink[0] = acc;
}

/* ---- host ----------------------------------------------------------------------------------- */
typedef CUresult (*EncodeTiled)(CUtensorMap *, CUtensorMapDataType, cuuint32_t, void *, const cuuint64_t *,
                                const cuuint64_t *, const cuuint32_t *, const cuuint32_t *, CUtensorMapInterleave,
                                CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);

static bool g_refused = false;

static CUtensorMap encode(void *base, int mode, uint32_t box_rows, CUtensorMapL2promotion promotion) {
    static EncodeTiled fn = nullptr;
    if (!fn) {
        void *entry = nullptr;
        cudaDriverEntryPointQueryResult found;
        CHECK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &entry, 12000, cudaEnableDefault, &found));
        fn = reinterpret_cast<EncodeTiled>(entry);
    }
    CUtensorMap map;
    const cuuint64_t rows = (cuuint64_t)(kUnits * kKeys);
    cuuint32_t rank = 2;
    cuuint64_t dims[3] = {kDim, rows, 1};
    cuuint64_t strides[2] = {kRowBytes, 0};
    cuuint32_t box[3] = {64, box_rows, 1};
    CUtensorMapSwizzle swizzle = CU_TENSOR_MAP_SWIZZLE_128B;
    if (mode == kTensor3DRow) { /* {64, 2 halves, rows} */
        rank = 3;
        dims[0] = 64; dims[1] = 2; dims[2] = rows;
        strides[0] = 128; strides[1] = kRowBytes;
        box[0] = 64; box[1] = 2; box[2] = box_rows;
    } else if (mode == kTensor3DHalf) { /* {64, rows, 2 halves} */
        rank = 3;
        dims[0] = 64; dims[1] = rows; dims[2] = 2;
        strides[0] = kRowBytes; strides[1] = 128;
        box[0] = 64; box[1] = box_rows; box[2] = 2;
    } else if (mode == kTensorWide) {
        box[0] = kDim;
        swizzle = CU_TENSOR_MAP_SWIZZLE_NONE;
    }
    const cuuint32_t estrides[3] = {1, 1, 1};
    if (fn(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, rank, base, dims, strides, box, estrides, CU_TENSOR_MAP_INTERLEAVE_NONE,
           swizzle, promotion, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) != CUDA_SUCCESS) {
        fprintf(stderr, "cuTensorMapEncodeTiled refused mode %d: that row is skipped\n", mode);
        g_refused = true;
    }
    return map;
}

struct Case {
    const char *name;
    void (*run)(cudaStream_t);
    std::vector<float> ms;
};

static char *g_k, *g_v;
static uint32_t *g_sink;
static int g_sms;

template <int Threads, int TileKeys, int Stages>
static void run_cpasync(int grid) {
    using C = CpAsync<Threads, TileKeys, Stages>;
    auto kernel = cpasync_kernel<Threads, TileKeys, Stages>;
    CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::kShared));
    int per_sm = 0;
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, Threads, C::kShared));
    kernel<<<grid > 0 ? grid : g_sms * per_sm, Threads, C::kShared>>>(g_k, g_v, g_sink);
}

template <int TileKeys, int Stages, int M, int Promotion = (int)CU_TENSOR_MAP_L2_PROMOTION_L2_256B, int HoldNs = 0>
static void run_streamed(int grid) {
    using S = Streamed<TileKeys, Stages>;
    static CUtensorMap km = encode(g_k, M, TileKeys, (CUtensorMapL2promotion)Promotion),
                       vm = encode(g_v, M, TileKeys, (CUtensorMapL2promotion)Promotion);
    static const bool refused = g_refused;
    g_refused = false;
    if (refused) return;
    auto kernel = streamed_kernel<TileKeys, Stages, M, HoldNs>;
    CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, S::kShared));
    kernel<<<grid > 0 ? grid : g_sms, 160, S::kShared>>>(km, vm, g_k, g_v, g_sink);
}

int main(int argc, char **argv) {
    const int rounds = argc > 1 ? atoi(argv[1]) : 15;
    CHECK(cudaDeviceGetAttribute(&g_sms, cudaDevAttrMultiProcessorCount, 0));
    const size_t bytes = (size_t)kUnits * kKeys * kRowBytes;
    CHECK(cudaMalloc(&g_k, bytes));
    CHECK(cudaMalloc(&g_v, bytes));
    CHECK(cudaMalloc(&g_sink, 64));
    CHECK(cudaMemset(g_k, 0x3c, bytes));
    CHECK(cudaMemset(g_v, 0x3d, bytes));
    char *copy_dst = nullptr;
    CHECK(cudaMalloc(&copy_dst, bytes));

    std::vector<Case> cases = {
        {"copy d2d (1 GiB, read + write)", [](cudaStream_t) { }, {}},
        {"ldg 16B x 8 in flight", [](cudaStream_t) { ldg_kernel<<<g_sms * 4, 512>>>((const uint4 *)g_k, (const uint4 *)g_v, (int64_t)(kUnits * kKeys * kRowBytes / 16), g_sink); }, {}},
        {"cpasync 128 thr, 128 keys x 3 stages, balanced", [](cudaStream_t) { run_cpasync<128, 128, 3>(0); }, {}},
        {"cpasync 128 thr, 128 keys x 3 stages, waves (128 blocks)", [](cudaStream_t) { run_cpasync<128, 128, 3>(128); }, {}},
        {"cpasync 256 thr, 128 keys x 3 stages, balanced", [](cudaStream_t) { run_cpasync<256, 128, 3>(0); }, {}},
        {"cpasync 128 thr, 64 keys x 3 stages (2/SM), balanced", [](cudaStream_t) { run_cpasync<128, 64, 3>(0); }, {}},
        {"bulk 1-D, 128 keys x 3 stages", [](cudaStream_t) { run_streamed<128, 3, kBulk>(0); }, {}},
        {"bulk 1-D, 64 keys x 6 stages", [](cudaStream_t) { run_streamed<64, 6, kBulk>(0); }, {}},
        {"bulk 1-D 4 KB pieces, 128 keys x 3 stages", [](cudaStream_t) { run_streamed<128, 3, kBulk4K>(0); }, {}},
        {"tma 2-D sw128 halves, 128 keys x 3 stages", [](cudaStream_t) { run_streamed<128, 3, kTensor2D>(0); }, {}},
        {"tma 2-D sw128 halves, 64 keys x 6 stages", [](cudaStream_t) { run_streamed<64, 6, kTensor2D>(0); }, {}},
        {"tma 2-D sw128 halves, no L2 promotion", [](cudaStream_t) { run_streamed<128, 3, kTensor2D, (int)CU_TENSOR_MAP_L2_PROMOTION_NONE>(0); }, {}},
        {"tma 2-D sw128 halves, 128 B L2 promotion", [](cudaStream_t) { run_streamed<128, 3, kTensor2D, (int)CU_TENSOR_MAP_L2_PROMOTION_L2_128B>(0); }, {}},
        {"tma 3-D sw128 {64, 2, rows} (row order)", [](cudaStream_t) { run_streamed<128, 3, kTensor3DRow>(0); }, {}},
        {"tma 3-D sw128 {64, rows, 2} (half order)", [](cudaStream_t) { run_streamed<128, 3, kTensor3DHalf>(0); }, {}},
        {"tma 2-D no swizzle {128, rows}", [](cudaStream_t) { run_streamed<128, 3, kTensorWide>(0); }, {}},
        {"tma 2-D sw128 halves, waves (128 blocks)", [](cudaStream_t) { run_streamed<128, 3, kTensor2D>(128); }, {}},
        {"bulk 1-D, waves (128 blocks)", [](cudaStream_t) { run_streamed<128, 3, kBulk>(128); }, {}},
        {"tma 2-D sw128 halves, 128 B promotion, waves (128 blocks)", [](cudaStream_t) { run_streamed<128, 3, kTensor2D, (int)CU_TENSOR_MAP_L2_PROMOTION_L2_128B>(128); }, {}},
        {"tma 128 B promotion, 128 keys x 3, stage held 1 us", [](cudaStream_t) { run_streamed<128, 3, kTensor2D, (int)CU_TENSOR_MAP_L2_PROMOTION_L2_128B, 1000>(0); }, {}},
        {"tma 128 B promotion, 64 keys x 6, stage held 0.5 us", [](cudaStream_t) { run_streamed<64, 6, kTensor2D, (int)CU_TENSOR_MAP_L2_PROMOTION_L2_128B, 500>(0); }, {}},
        {"tma 128 B promotion, 64 keys x 6 stages", [](cudaStream_t) { run_streamed<64, 6, kTensor2D, (int)CU_TENSOR_MAP_L2_PROMOTION_L2_128B>(0); }, {}},
    };
    cudaEvent_t start, stop;
    CHECK(cudaEventCreate(&start));
    CHECK(cudaEventCreate(&stop));
    for (int round = -2; round < rounds; ++round) {
        for (size_t c = 0; c < cases.size(); ++c) {
            CHECK(cudaEventRecord(start));
            if (c == 0) {
                CHECK(cudaMemcpyAsync(copy_dst, g_k, bytes, cudaMemcpyDeviceToDevice));
            } else {
                cases[c].run(0);
            }
            CHECK(cudaEventRecord(stop));
            CHECK(cudaEventSynchronize(stop));
            CHECK(cudaGetLastError());
            float ms = 0;
            CHECK(cudaEventElapsedTime(&ms, start, stop));
            if (round >= 0) cases[c].ms.push_back(ms);
        }
    }
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    printf("# read_ceiling: %s, %d SMs; K and V %.2f GiB each (64 units x 65536 keys x 128, bf16); median of %d rounds\n",
           prop.name, g_sms, bytes / 1073741824.0, rounds);
    printf("| method | ms | GB/s |\n|---|---|---|\n");
    for (size_t c = 0; c < cases.size(); ++c) {
        std::vector<float> m = cases[c].ms;
        std::sort(m.begin(), m.end());
        const float med = m[m.size() / 2];
        const double moved = c == 0 ? 2.0 * bytes : 2.0 * bytes; /* copy: read + write of 1 GiB; others: K + V */
        printf("| %s | %.3f | %.0f |\n", cases[c].name, med, moved / (med * 1e-3) / 1e9);
    }
    return 0;
}
