{{banner}}
#include "{{name}}.cuh"
#include "{{name}}_variant.cuh"
{{includes}}
/*
 * FlashAttention-2 forward pass for the variant `{{name}}`.
 *
 * One thread block computes one tile of kBlockRows query rows for one (batch, query head); each of its
 * kWarps warps owns kRowsPerWarp of those rows (16 or 32: kMTiles fragments of 16 rows, which share every
 * K and V fragment read from shared memory). The block walks the key tiles of kBlockColumns keys that its masks
 * leave visible, streaming K and V through a kStages-deep ring of shared-memory buffers with cp.async,
 * and keeps an online softmax per row: the running maximum m and the output accumulator O stay in
 * registers (each lane's share of the running sum l too, or in shared memory where O leaves no room),
 * and P = exp(S - m) never leaves registers between S = Q·Kᵀ and O += P·V.
 * Scores are kept raw (unscaled) and scale·log2(e) is folded into the exponent, so exp becomes one exp2.
 * The finished O tile goes out through shared memory where it fits, so that each warp writes its whole rows
 * with 16-byte stores.
 *
 * Variable-length batches (cu_seqlens_q, cu_seqlens_k: README.md, "Variable-length batches") run the same body with
 * 16 rows per warp: each block then also holds its sequence's lengths and row offsets, for which 32-row warps, whose
 * accumulators fill the registers, have no room (ptxas spilled). Whole batches keep the plan's warps, and lengths
 * and offsets that the parameters give.
 */

namespace attngen_{{name}}_detail {

using namespace attngen_{{name}}_variant;

/* ------------------------------------------------------------------------------------------------
 * Compile-time shape of the tile plan ({{name}}_variant.cuh holds the variant's).
 * ---------------------------------------------------------------------------------------------- */

{{constants}}

constexpr int kThreads = kWarps * 32;
constexpr int kRowsPerWarp = kBlockRows / kWarps;
constexpr int kMTiles = kRowsPerWarp / 16;  /* m16 fragments per warp */
/* Q, K and V rows in shared memory: the head dimension padded with zeros to a multiple of 16, plus
   kRowPad elements so that the rows a warp reads together fall into different banks. */
constexpr int kQStride = kHeadDimPadded + kRowPad;
constexpr int kKStride = kHeadDimPadded + kRowPad;
constexpr int kVStride = kValueHeadDimPadded + kRowPad;
static_assert(kQTileElements == kBlockRows * kQStride && kKTileElements == kBlockColumns * kKStride &&
                  kVTileElements == kBlockColumns * kVStride,
              "the planned tiles hold whole padded rows");
/* The output tile is written through shared memory (rows of kOStride elements over the Q tile and the K/V
   ring, free by then) when it fits there, so that each warp stores its whole rows with 16-byte stores. Value
   head dims that are not multiples of 16 keep direct stores: their padded fragments leave no registers for
   the copy (ptxas spilled at d = 33 and 40). */
constexpr int kOStride = kValueHeadDimPadded + kRowPad;
constexpr bool kStagesOutput =
    kValueHeadDim % 16 == 0 &&
    kBlockRows * kOStride * (int)sizeof(Element) <=
        (kQTileElements + kStages * (kKTileElements + kVTileElements)) * (int)sizeof(Raw);
/* Each lane's share of its rows' softmax sums: in registers where the accumulators leave room (16-row
   warps, or 32-row warps up to value head dim 64; head dims multiples of 16, no dropout), else in shared
   memory (one float per lane and row, read and written once per key tile), which frees registers for the
   accumulators of 32-row warps at larger head dims. */
constexpr int kRowSumFloats = kRowSumsInShared ? kThreads * kMTiles * 2 : 0;
static_assert(kSharedBytes == (kQTileElements + kStages * (kKTileElements + kVTileElements)) * (int)sizeof(Raw) +
                                 kRowSumFloats * (int)sizeof(float),
              "the planned shared memory holds the Q tile, the K/V ring and the row sums");
static_assert(kRowsPerWarp == 16 || kRowsPerWarp == 32, "each warp owns 16 or 32 query rows");
static_assert(kBlockRows == kWarps * kRowsPerWarp, "the warps cover the query tile");
static_assert(kBlockColumns % 16 == 0 && kHeadDimPadded % 16 == 0 && kValueHeadDimPadded % 16 == 0,
              "tiles are made of 16 x 16 fragments");

/* Variable-length batches: one m16 fragment per warp, kPackedBlockRows query rows per block (of the Q tile's
   kBlockRows; forward_kernel below). */
constexpr int kPackedMTiles = 1;
constexpr int kPackedBlockRows = kWarps * 16 * kPackedMTiles;

/* Everything a block needs besides the ABI's parameters, computed once on the host. */
struct KernelArguments {
    attngen_forward_params params;
    int32_t kv_group;    /* query heads per key/value head */
    int32_t aligned16;   /* Q, K, V rows start on 16-byte boundaries: cp.async of 16 bytes is safe */
    int32_t o_aligned16; /* O rows start on 16-byte boundaries: 16-byte stores are safe */
};

/* ------------------------------------------------------------------------------------------------
 * Global -> shared copies.
 * ---------------------------------------------------------------------------------------------- */

/* Copies `Rows` rows of `Dim` elements into shared memory rows of `Stride` elements with the block's kThreads
   threads (attngen_copy_tile in attngen_runtime_cuda.cuh: 16-byte cp.async when aligned, zero-filled padding). */
template <int Rows, int Dim, int DimPadded, int Stride>
static __device__ __forceinline__ void copy_tile(Raw *dst, const Raw *src, int64_t row_stride, int64_t valid_rows,
                                                 bool aligned16) {
    attngen_copy_tile<kThreads, Rows, Dim, DimPadded, Stride>(dst, src, row_stride, valid_rows, aligned16);
}

/* ------------------------------------------------------------------------------------------------
 * Tensor-core products of one warp (MTiles fragments of 16 query rows).
 * ---------------------------------------------------------------------------------------------- */

{{products}}

/* ------------------------------------------------------------------------------------------------
 * The kernel.
 * ---------------------------------------------------------------------------------------------- */

/* One block: a query tile of MTiles fragments of 16 rows per warp for one (batch, query head), of one sequence of a
   variable-length batch when Packed. Two instances: forward_kernel<kMTiles, false> for whole batches (the plan's
   tile), forward_kernel<kPackedMTiles, true> for variable-length batches (two kernels, not one with a branch:
   ptxas allocates one kernel's registers for both bodies, and the plan's spilled then). */
template <int MTiles, bool Packed>
__global__ void __launch_bounds__(kThreads, 1) forward_kernel(const KernelArguments arguments) {
    extern __shared__ __align__(16) unsigned char shared_memory[];
    constexpr int kTileRowsPerWarp = MTiles * 16;
    constexpr int kTileRows = kWarps * kTileRowsPerWarp;
    static_assert(kTileRows <= kBlockRows, "the Q tile holds the block's rows");
    Raw *const sQ = reinterpret_cast<Raw *>(shared_memory);
    Raw *const sK = sQ + kQTileElements;                     /* kStages K tiles */
    Raw *const sV = sK + kStages * kKTileElements;           /* kStages V tiles */
    /* kRowSumsInShared: this lane's share of the sum of row (m, r) at sRowSum[(m * 2 + r) * kThreads + threadIdx.x]
       (MTiles <= kMTiles: within the planned kRowSumFloats) */
    float *const sRowSum = reinterpret_cast<float *>(sV + kStages * kVTileElements);

    const attngen_forward_params &p = arguments.params;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int group = lane / 4;       /* the fragment row this lane holds (and row + 8) */
    const int quad_lane = lane % 4;   /* the fragment column pair this lane holds */

    /* Which (batch, head) and which query tile. Tiles run last to first: under a causal mask the last
       tiles see the most keys, so the longest blocks start first. */
    const int64_t head_index = (int64_t)blockIdx.z * gridDim.y + blockIdx.y;
    if (head_index >= p.batch * (int64_t)p.heads_q) return;
    const int64_t b = head_index / p.heads_q;
    const int64_t h = head_index % p.heads_q;
    const int64_t kv_head = h / arguments.kv_group;
    /* The sequence's query rows and keys: batch_stride apart, or packed by cu_seqlens_q / cu_seqlens_k, where the grid
       covers the longest sequence and a tile past this one's rows exits. The masks, the score modifier and the
       bounds use the sequence's own lengths nq and nk (dropout counts with the call's, README.md, "Dropout"). */
    const attngen_sequence_rows query_rows = attngen_rows_of<Packed>(p.cu_seqlens_q, b, p.seqlen_q, p.total_q);
    const attngen_sequence_rows key_rows = attngen_rows_of<Packed>(p.cu_seqlens_k, b, p.seqlen_k, p.total_k);
    const int64_t nq = query_rows.count, nk = key_rows.count;
    const int64_t q_begin = (int64_t)(gridDim.x - 1 - blockIdx.x) * kTileRows;
    if (Packed && q_begin >= nq) return;
    const int64_t q_end = attngen_min64(q_begin + kTileRows, nq);

    const Raw *const q_rows = attngen_sequence_row(static_cast<const Raw *>(p.q), query_rows, p.q_layout, h, q_begin);
    const Raw *const k_rows = attngen_sequence_row(static_cast<const Raw *>(p.k), key_rows, p.k_layout, kv_head, 0);
    const Raw *const v_rows = attngen_sequence_row(static_cast<const Raw *>(p.v), key_rows, p.v_layout, kv_head, 0);
    const bool aligned16 = arguments.aligned16 != 0;

    /* The key tiles to visit: [tile_begin, tile_end), minus those a run-time mask skips. */
    int64_t key_begin = 0, key_end = 0;
    visible_key_range(q_begin, q_end, nq, nk, key_begin, key_end);
    const int64_t tile_begin = key_begin / kBlockColumns;
    const int64_t tile_end = key_end > key_begin ? (key_end + kBlockColumns - 1) / kBlockColumns : tile_begin;
    auto next_visible_tile = [&](int64_t tile) {
        while (tile < tile_end && key_tile_is_skipped(p.block_mask, p.block_mask_layout, b, h, q_begin, tile * kBlockColumns)) ++tile;
        return tile;
    };

    /* Loads key tile `tile` (if it exists) into ring slot `slot`: K and V are two commit groups, so the
       scores can start while V is still in flight. */
    auto load_key_tile = [&](int64_t tile, int slot) {
        if (tile < tile_end) {
            const int64_t k0 = tile * kBlockColumns;
            copy_tile<kBlockColumns, kHeadDim, kHeadDimPadded, kKStride>(sK + slot * kKTileElements,
                                                                         k_rows + k0 * p.k_layout.row_stride,
                                                                         p.k_layout.row_stride, nk - k0, aligned16);
        }
        attngen_cp_async_commit();
        if (tile < tile_end) {
            const int64_t k0 = tile * kBlockColumns;
            copy_tile<kBlockColumns, kValueHeadDim, kValueHeadDimPadded, kVStride>(sV + slot * kVTileElements,
                                                                                   v_rows + k0 * p.v_layout.row_stride,
                                                                                   p.v_layout.row_stride, nk - k0,
                                                                                   aligned16);
        }
        attngen_cp_async_commit();
    };

    /* Q tile first (its own group), then the first kStages - 1 key tiles. */
    copy_tile<kTileRows, kHeadDim, kHeadDimPadded, kQStride>(sQ, q_rows, p.q_layout.row_stride, q_end - q_begin,
                                                             aligned16);
    attngen_cp_async_commit();
    int64_t tile_to_load = next_visible_tile(tile_begin);
#pragma unroll
    for (int slot = 0; slot < kStages - 1; ++slot) {
        load_key_tile(tile_to_load, slot);
        if (tile_to_load < tile_end) tile_to_load = next_visible_tile(tile_to_load + 1);
    }

    /* Per-thread state: in each m16 fragment m, rows (group) and (group + 8). */
    float o_acc[MTiles][kValueHeadDimPadded / 8][4];
    float row_max[MTiles][2];  /* of raw scores Q·Kᵀ (unscaled) */
    /* row_sum(m * 2 + r): this lane's share of sum(exp) of row (m, r), in registers or in shared memory. */
    float row_sum_registers[MTiles * 2];
    auto row_sum = [&](int i) -> float & {
        if constexpr (kRowSumsInShared) {
            return sRowSum[i * kThreads + threadIdx.x];
        } else {
            return row_sum_registers[i];
        }
    };
#pragma unroll
    for (int m = 0; m < MTiles; ++m) {
#pragma unroll
        for (int n = 0; n < kValueHeadDimPadded / 8; ++n) {
            o_acc[m][n][0] = o_acc[m][n][1] = o_acc[m][n][2] = o_acc[m][n][3] = 0.0f;
        }
        row_max[m][0] = row_max[m][1] = -INFINITY;
        row_sum(m * 2) = row_sum(m * 2 + 1) = 0.0f;
    }
    const int64_t warp_row = q_begin + warp * kTileRowsPerWarp + group;
    {{score_modifier_state}}

    int64_t tile = next_visible_tile(tile_begin);
    for (int iteration = 0; tile < tile_end; ++iteration) {
        const int slot = iteration % kStages;
        const int64_t k0 = tile * kBlockColumns;

        /* Wait for K of this tile (V and the tiles ahead may stay in flight). Past the barrier every warp is
           done with the previous iteration, so its slot takes the tile kStages - 1 ahead; with one slot, the
           previous iteration's last barrier freed it and the tile to load is this one. */
        if constexpr (kStages == 1) {
            load_key_tile(tile_to_load, 0);
            if (tile_to_load < tile_end) tile_to_load = next_visible_tile(tile_to_load + 1);
        }
        attngen_cp_async_wait<kStages == 1 ? 1 : 2 * (kStages - 1) - 1>();
        __syncthreads();
        if constexpr (kStages > 1) {
            load_key_tile(tile_to_load, (iteration + kStages - 1) % kStages);
            if (tile_to_load < tile_end) tile_to_load = next_visible_tile(tile_to_load + 1);
        }

        /* S = Q·Kᵀ for this warp's rows: MTiles x kBlockColumns / 8 fragments of 16 x 8. */
        float s[MTiles][kBlockColumns / 8][4];
        warp_scores(s, sQ, sK + slot * kKTileElements, warp, lane);
        {{score_modifier}}

        /* Per-element masks, only on tiles that cross a mask boundary: each row's kept keys [lo, hi) as
           offsets into the tile, then the predicate (if any) per element. */
        if (!tile_is_interior(q_begin, q_end, k0, k0 + kBlockColumns, nq, nk)) {
#pragma unroll
            for (int m = 0; m < MTiles; ++m) {
#pragma unroll
                for (int r = 0; r < 2; ++r) {
                    const int64_t q = warp_row + m * 16 + r * 8;
                    int64_t lo = 0, hi = 0;
                    row_key_bounds(q, nq, nk, lo, hi);
                    const int key_lo = (int)attngen_max64(attngen_min64(lo - k0, kBlockColumns), 0);
                    const int key_hi = (int)attngen_max64(attngen_min64(hi - k0, kBlockColumns), 0);
#pragma unroll
                    for (int n = 0; n < kBlockColumns / 8; ++n) {
#pragma unroll
                        for (int c = 0; c < 2; ++c) {
                            const int key = n * 8 + quad_lane * 2 + c;
                            const bool kept = key >= key_lo && key < key_hi &&
                                              element_predicate_holds(b, h, q, k0 + key, nq, nk);
                            if (!kept) s[m][n][2 * r + c] = -INFINITY;
                        }
                    }
                }
            }
        }

        /* Online softmax: new running maximum, rescale of the old sum and output, P = exp2(S·c - m·c). */
#pragma unroll
        for (int m = 0; m < MTiles; ++m) {
#pragma unroll
            for (int r = 0; r < 2; ++r) {
                float tile_max = -INFINITY;
#pragma unroll
                for (int n = 0; n < kBlockColumns / 8; ++n) {
                    tile_max = fmaxf(tile_max, fmaxf(s[m][n][2 * r], s[m][n][2 * r + 1]));
                }
                tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
                tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
                const float new_max = fmaxf(row_max[m][r], tile_max);
                /* A row with nothing kept yet keeps max -inf; use 0 there so that no inf - inf appears. */
                const float scaled_max = new_max == -INFINITY ? 0.0f : new_max * kScoreToLog2;
                const float correction = attngen_exp2(row_max[m][r] * kScoreToLog2 - scaled_max);
                row_max[m][r] = new_max;
                float tile_sum = 0.0f;
#pragma unroll
                for (int n = 0; n < kValueHeadDimPadded / 8; ++n) {
                    o_acc[m][n][2 * r] *= correction;
                    o_acc[m][n][2 * r + 1] *= correction;
                }
#pragma unroll
                for (int n = 0; n < kBlockColumns / 8; ++n) {
                    s[m][n][2 * r] = attngen_exp2(fmaf(s[m][n][2 * r], kScoreToLog2, -scaled_max));
                    s[m][n][2 * r + 1] = attngen_exp2(fmaf(s[m][n][2 * r + 1], kScoreToLog2, -scaled_max));
                    tile_sum += s[m][n][2 * r] + s[m][n][2 * r + 1];
                }
                row_sum(m * 2 + r) = row_sum(m * 2 + r) * correction + tile_sum;
            }
        }
        {{dropout}}

        /* Wait for V of this tile, then O += P·V. */
        attngen_cp_async_wait<2 * (kStages - 1)>();
        __syncthreads();
        warp_accumulate_pv(o_acc, s, sV + slot * kVTileElements, lane);

        /* With one slot, everyone is done with it before the next iteration refills it. */
        if constexpr (kStages == 1) __syncthreads();
        tile = next_visible_tile(tile + 1);
    }
    attngen_cp_async_wait<0>();

    /* Epilogue: O = acc / l (times the dropout keep scale), LSE = m·scale + log(l); a row that kept
       nothing gets O = 0 and LSE = -inf. Where the tile fits (kStagesOutput), O goes through shared memory
       (the Q tile and the K/V ring are free once every warp is past its last P·V, and every copy has landed):
       each lane writes its fragment pairs into its warp's rows there, then the warp writes those rows with
       16-byte stores. */
    Element *const o_rows = attngen_sequence_row(static_cast<Element *>(p.o), query_rows, p.o_layout, h, 0);
    Element *const sO = reinterpret_cast<Element *>(shared_memory);
    if constexpr (kStagesOutput) __syncthreads(); /* every warp past its last P·V, every copy landed */
#pragma unroll
    for (int m = 0; m < MTiles; ++m) {
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            float sum = row_sum(m * 2 + r);
            sum += __shfl_xor_sync(0xffffffffu, sum, 1);
            sum += __shfl_xor_sync(0xffffffffu, sum, 2);
            {{sink}}
            const int64_t q = warp_row + m * 16 + r * 8;
            const bool kept_any = sum > 0.0f;
            const float factor = kept_any ? kKeepScale / sum : 0.0f;
            if constexpr (kStagesOutput) {
                Element *const o_row = sO + (warp * kTileRowsPerWarp + m * 16 + r * 8 + group) * kOStride;
#pragma unroll
                for (int n = 0; n < kValueHeadDimPadded / 8; ++n) {
                    attngen_store_pair(o_row + n * 8 + quad_lane * 2, o_acc[m][n][2 * r] * factor,
                                       o_acc[m][n][2 * r + 1] * factor);
                }
            } else if (q < nq) {
                /* the tile does not fit in shared memory (a value head dim far above the head dim) */
                Element *const o_row = o_rows + q * p.o_layout.row_stride;
#pragma unroll
                for (int n = 0; n < kValueHeadDimPadded / 8; ++n) {
                    const int column = n * 8 + quad_lane * 2;
                    if (column < kValueHeadDim) attngen_store_float(o_row + column, o_acc[m][n][2 * r] * factor);
                    if (column + 1 < kValueHeadDim) {
                        attngen_store_float(o_row + column + 1, o_acc[m][n][2 * r + 1] * factor);
                    }
                }
            }
            {{save_lse}}
        }
    }
    if constexpr (kStagesOutput) {
        __syncwarp();
        const int64_t warp_begin = q_begin + warp * kTileRowsPerWarp;
        attngen_store_warp_rows<kTileRowsPerWarp, kValueHeadDim, kOStride>(
            o_rows + warp_begin * p.o_layout.row_stride, sO + warp * kTileRowsPerWarp * kOStride, p.o_layout.row_stride,
            nq - warp_begin, arguments.o_aligned16 != 0, lane);
    }
}

/* ------------------------------------------------------------------------------------------------
 * Host side.
 * ---------------------------------------------------------------------------------------------- */

}  // namespace attngen_{{name}}_detail

{{combine}}

{{decode}}

/* ------------------------------------------------------------------------------------------------
 * Launcher: checks the parameters as the C ABI says, then launches one block per (query tile, b·h).
 * ---------------------------------------------------------------------------------------------- */

extern "C" attngen_status attngen_{{name}}_{{entry}}(const attngen_forward_params *params, cudaStream_t stream) {
    using namespace attngen_{{name}}_detail;
    int has_work = 0;
    const attngen_status status = attngen_check_forward(params, &kVariantRules, &has_work);
    if (status != ATTNGEN_OK || !has_work) return status;
    if (params->cu_seqlens_q != NULL && params->total_q == 0) return ATTNGEN_OK; /* every sequence is empty */
    /* The checked call with the layouts its kernels may use: the strides of tensors without elements and the unused
       batch strides of packed ones zeroed (attngen_forward_layouts_in_use). */
    const attngen_forward_params p = attngen_forward_layouts_in_use(params);
    {{decode_dispatch}}

    /* Grid: x = query tiles (of the longest sequence in a variable-length batch), (y, z) = batch·heads folded under
       the 65535 limit of y and z. No overflow: seqlen_q is at most ATTNGEN_MAX_SEQLEN, batch and heads_q below 2^31. */
    const bool packed = p.cu_seqlens_q != NULL || p.cu_seqlens_k != NULL;
    const int64_t tile_rows = packed ? kPackedBlockRows : kBlockRows;
    const int64_t query_tiles = (p.seqlen_q + tile_rows - 1) / tile_rows;
    const int64_t heads_total = p.batch * (int64_t)p.heads_q;
    const int64_t grid_y = heads_total < 65535 ? heads_total : 65535;
    const int64_t grid_z = (heads_total + grid_y - 1) / grid_y;
    if (query_tiles > 2147483647 || grid_z > 65535) return ATTNGEN_ERROR_INVALID_SIZE;

    KernelArguments arguments;
    arguments.params = p;
    arguments.kv_group = p.heads_q / p.heads_kv;

    /* 16-byte copies need every Q, K and V row to start on a 16-byte boundary, 16-byte stores every O row. */
    const int64_t element_bytes = (int64_t)sizeof(Raw);
    const bool aligned16 = attngen_rows_aligned16(p.q, p.q_layout, element_bytes) &&
                           attngen_rows_aligned16(p.k, p.k_layout, element_bytes) &&
                           attngen_rows_aligned16(p.v, p.v_layout, element_bytes);
    arguments.aligned16 = aligned16 ? 1 : 0;
    arguments.o_aligned16 = attngen_rows_aligned16(p.o, p.o_layout, (int64_t)sizeof(Element)) ? 1 : 0;

    void (*const kernel)(KernelArguments) =
        packed ? forward_kernel<kPackedMTiles, true> : forward_kernel<kMTiles, false>;
    if (attngen_check_shared_memory((size_t)kSharedBytes) != ATTNGEN_OK) return ATTNGEN_ERROR_CUDA;
    if (cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSharedBytes) != cudaSuccess) {
        return ATTNGEN_ERROR_CUDA;
    }
    const dim3 grid((unsigned)query_tiles, (unsigned)grid_y, (unsigned)grid_z);
    kernel<<<grid, kThreads, kSharedBytes, stream>>>(arguments);
    if (cudaGetLastError() != cudaSuccess) return ATTNGEN_ERROR_CUDA;
    return ATTNGEN_OK;
}

{{workspace_size}}
