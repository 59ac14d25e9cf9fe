/* ------------------------------------------------------------------------------------------------------------
 * The Hopper key kernel (sm_90a; Templates/hopper/pieces/backward_key_kernel.cu, planned by HopperBackwardPlanner):
 * what key_kernel above computes, on wgmma with TMA loads and a producer warpgroup, and dQ in both modes. The
 * launcher runs it instead of key_kernel (and then never dq_kernel) when every tensor it loads is TMA-addressable
 * (attngen_hopper_tma_layout_ok) and the batch is not of variable lengths (runs() below); prepare_kernel and
 * finish_kernel are shared.
 *
 * One CTA per (key tile of kBlockKeys keys, batch, key/value head), 384 threads:
 *   warpgroup 0, the producer: thread 0 loads K and V of the tile once, then per work item (query head of the
 *     group, query tile of kBlockQueries rows that the masks leave; the same walk as key_kernel) Q and dO by TMA
 *     into the next of kStages buffers; warp 1 writes the item's LSE·log2e and D rows into the buffer beside them;
 *     warp 2 adds each item's dQ share from shared memory into the fp32 accumulator by bulk tensor reductions
 *     (cp.reduce.async.bulk.tensor), in deterministic mode in key-tile order: it waits until the item's counter
 *     (one per batch, query head and query tile) says every key tile before its own has added, and counts itself
 *     in once its reduction is done, so that every element sums its shares in the same order on every run.
 *   warpgroups 1 and 2, the consumers: consumer c owns keys 64c .. 64c + 63 of the tile (the M of every product
 *     but dQ's; at head dims past 128 both own the tile's 64 keys and split the columns of dK, dV and dQ's share,
 *     consumer 0 forming Sᵀ and Pᵀ, consumer 1 dPᵀ and dSᵀ: kConsumersSplitColumns) and per item runs
 *         Sᵀ = K_c·Qᵀ,  dPᵀ = V_c·dOᵀ                            (wgmma, A and B from shared memory)
 *         Pᵀ = exp2(Sᵀ·scale·log2e − LSE·log2e)  (masked: 0),  dSᵀ = Pᵀ∘(dPᵀ∘Z − D),  Pᵀ∘Z
 *           (Z: dropout's keep mask times 1 / (1 − p), or 1; with a score modifier m, m(scale·Sᵀ) in the
 *           exponent and dSᵀ times m', from the slots {modifier_state, exponentials, score_gradients} below)
 *         dV += Pᵀ·dO,  dK += dSᵀ·Q                               (wgmma, Pᵀ and dSᵀ from registers)
 *     then writes dSᵀ to shared memory and, once both consumers have, computes its share of dQ = dS·K
 *     (dS and K transposed operands from shared memory) and stores it into the dQ tile for warp 2.
 *   dK (times scale) and dV stay in registers until the end.
 *
 * Shared memory (base rounded up to 1024 bytes): K and V of the tile, kStages x (Q, dO) in 128-byte-swizzled
 * column blocks of 64 columns (TMA boxes of {64, rows}), two dSᵀ buffers [key][query] in column blocks of 64
 * queries (the layout the transposed A operand of dQ = dS·K reads; two so that consumer c may write the next item's
 * dS while the other one still reads this one's), the fp32 dQ tile (kBlockQueries x kHeadDim in column blocks of
 * 32 fp32, 128-byte swizzled: the TMA boxes of the reduction), kStages x (LSE·log2e, D) rows, and the mbarriers:
 *   kv_full         K and V have landed (count 1 + transaction bytes);
 *   q_full[s]       buffer s holds its item's Q, dO (TMA transaction bytes) and LSE, D rows (the 32 lanes of the
 *                   producer's warp 1 arrive): count 33;
 *   q_empty[s]      every consumer thread (64-query steps) or warp (128) is done with buffer s (count
 *                   kQEmptyArrivals). Each thread releasing its own reads of the LSE and D rows, which warp 1
 *                   overwrites with ordinary stores, is what compute-sanitizer's racecheck follows; one arrival per
 *                   warp after __syncwarp orders them as well (racecheck reports the rows' reuse from a CTA's third
 *                   item on there), and is kept at 128-query steps, where the 256 arrivals' registers spilled
 *                   (8 bytes, d = 64 with a window and sinks);
 *   dq_full         the dQ tile holds the item's shares (count kConsumerWarps);
 *   dq_empty        warp 2's reductions have read the dQ tile (count 1).
 * Use u of a buffer (u = item count / kStages) waits on phase parity u & 1; the producer waits for q_empty's
 * phase u - 1 before refilling it.
 * ---------------------------------------------------------------------------------------------------------- */
namespace hopper {

constexpr int kBlockKeys = {{key_rows}};       /* keys per CTA: 2 consumer warpgroups x 64, or 64 they share */
constexpr int kBlockQueries = {{query_rows}};  /* query rows per step: the N of Sᵀ and dPᵀ, the K of dV and dK */
constexpr int kStages = {{stages}};            /* Q, dO, LSE and D buffers */
/* Deterministic mode: the key tiles add into each query tile's dQ from the highest down (the masks bound the keys
   from above: a key tile's first item is the diagonal one) or from the lowest up; block x runs key tile
   gridDim.x - 1 - x or x accordingly, so that a block waits only for blocks started before it. */
constexpr bool kDescendingDqOrder = {{descending_dq_order}};
/* Deterministic mode, no mask bounding the keys from above: the staggered walk. Key tile t walks each head's query
   tiles from StaggeredStarts::tile(t) on (the starts spread evenly over the query tiles), wrapping, so that at each
   step the key tiles of a head reduce into different query tiles; a query tile then takes the key tiles in the
   order they reach it, by the step of the walk (ties: the lower key tile first). Key tile t then waits for tile
   t + 1, a block started after it: the launcher staggers only where a (batch, head)'s key tiles take at most
   1 / kStaggerSMDivisor of the SMs (launch below), else the ascending order. */
constexpr bool kStaggeredWalk = {{staggered_walk}};
constexpr int kStaggerSMDivisor = {{stagger_sm_divisor}}; /* HopperBackwardPlan.staggerSMDivisor */
static_assert(kStaggerSMDivisor >= 2, "a staggered head's key tiles leave at least half the SMs to other work");
constexpr int kConsumerWarpgroups = 2;
/* Head dims past 128 (d = dv = 256, d = 192 with dv = 128): both consumers own the tile's 64 keys and split the
   columns of dK, dV and dQ's share (their accumulators would not fit one warpgroup's registers), consumer 0 forming
   Sᵀ and Pᵀ, consumer 1 dPᵀ and dSᵀ; else consumer c owns keys 64c .. 64c + 63 and every column. */
constexpr bool kConsumersSplitColumns = {{consumers_split_columns}};
/* Split columns: consumer 0's columns of dK (and of dQ's share) and of dV; consumer 1 takes the rest. */
constexpr int kSplitHeadColumns = {{split_head_columns}};
constexpr int kSplitValueColumns = {{split_value_columns}};
constexpr int kWarpgroupThreads = 128;
constexpr int kThreads = kWarpgroupThreads * (1 + kConsumerWarpgroups);
constexpr int kConsumerWarps = 4 * kConsumerWarpgroups;
constexpr int kConsumerThreads = kWarpgroupThreads * kConsumerWarpgroups;
constexpr bool kThreadsReleaseRows = kBlockQueries == 64; /* q_empty: an arrival per thread, else per warp */
constexpr int kQEmptyArrivals = kThreadsReleaseRows ? kConsumerThreads : kConsumerWarps;
/* A single buffer is released once dV and dK have read it (dQ reads K and dSᵀ), so that its refill runs beside dQ's
   product; two are released after dQ's, as before (the earlier release there was 0-5 % slower at d = 128 in the one
   run that had it: TUNING.md B9). */
constexpr bool kReleaseBeforeDq = kStages == 1;
constexpr int kProducerRegisters = 40; /* setmaxnreg: what the producer keeps (40 + 2 x 232 = 3 x 168) */
constexpr int kConsumerRegisters = 232;
constexpr int kRowBytes = 128;    /* one row of a 128-byte-swizzled column block */
constexpr int kBlockColumns = 64; /* 16-bit elements per swizzled row */
/* dQ = dS·K: consumer c computes 64 query rows x kDqColumns columns of the step's kBlockQueries x kHeadDim. */
constexpr bool kDqSplitsColumns = kBlockQueries == 64;
constexpr int kDqColumns = kDqSplitsColumns ? kHeadDim / 2 : kHeadDim;

static_assert(std::is_same<Element, __nv_bfloat16>::value || std::is_same<Element, __half>::value,
              "the Hopper key kernel takes fp16 or bf16 storage");
/* The columns of dK, dV and dQ's share that consumer `share` accumulates (the N of dK += dSᵀ·Q, dV += Pᵀ·dO and
   dQ = dS·K): share 0 and 1 split the columns, share -1 (consumers that do not) takes every column of dK and dV and
   kDqColumns of dQ's. */
template <int kShare>
struct ConsumerColumns {
    static constexpr int head0 = kShare == 1 ? kSplitHeadColumns : 0;
    static constexpr int head = kShare == 0 ? kSplitHeadColumns : kShare == 1 ? kHeadDim - kSplitHeadColumns : kHeadDim;
    static constexpr int value0 = kShare == 1 ? kSplitValueColumns : 0;
    static constexpr int value = kShare == 0   ? kSplitValueColumns
                                 : kShare == 1 ? kValueHeadDim - kSplitValueColumns
                                               : kValueHeadDim;
    static constexpr int dq = kShare < 0 ? kDqColumns : head;
    static_assert(head % kBlockColumns == 0 && value % kBlockColumns == 0 && head <= 128 && value <= 128 &&
                      dq % kBlockColumns == 0 && dq <= 128,
                  "whole swizzled column blocks, at most 128 columns of dK, dV and dQ a consumer");
};
static_assert(kBlockKeys == (kConsumersSplitColumns ? 64 : 64 * kConsumerWarpgroups),
              "each consumer warpgroup owns 64 keys (the same 64 when they split the columns)");
static_assert(kBlockQueries == 64 || kBlockQueries == 128, "steps of 64 or 128 query rows");
static_assert(!kConsumersSplitColumns || kBlockQueries == 64, "split columns: steps of 64 query rows");
static_assert(kHeadDim % kBlockColumns == 0 && kValueHeadDim % kBlockColumns == 0,
              "head dims of whole swizzled column blocks");
static_assert(kStages == 1 || kStages == 2, "one or two buffers of Q, dO, LSE and D");
static_assert(kWarpgroupThreads * (kProducerRegisters + kConsumerWarpgroups * kConsumerRegisters) <=
                  kThreads * attngen_launch_registers(kThreads),
              "setmaxnreg: the warpgroups' registers fit the pool the block starts with (else an .inc waits forever)");

constexpr uint32_t kKeyColumnBlockBytes = kBlockKeys * kRowBytes;      /* K, V and dSᵀ column blocks */
constexpr uint32_t kQueryColumnBlockBytes = kBlockQueries * kRowBytes; /* Q and dO column blocks */
constexpr uint32_t kKBytes = kBlockKeys * kHeadDim * 2;
constexpr uint32_t kVBytes = kBlockKeys * kValueHeadDim * 2;
constexpr uint32_t kQBytes = kBlockQueries * kHeadDim * 2;
constexpr uint32_t kDoBytes = kBlockQueries * kValueHeadDim * 2;
constexpr uint32_t kDsBytes = kBlockQueries * kBlockKeys * 2;
constexpr uint32_t kDqTileBytes = kBlockQueries * kHeadDim * 4; /* fp32 */
constexpr int kDqBoxColumns = kRowBytes / 4;                     /* fp32 columns per swizzled row: 32 */
constexpr uint32_t kKOffset = 0;
constexpr uint32_t kVOffset = kKOffset + kKBytes;
constexpr uint32_t kQOffset = kVOffset + kVBytes;
constexpr uint32_t kDoOffset = kQOffset + kStages * kQBytes;
constexpr uint32_t kDsOffset = kDoOffset + kStages * kDoBytes;
constexpr uint32_t kDqOffset = kDsOffset + 2 * kDsBytes;
/* Split columns: consumer 0's Pᵀ for consumer 1, fp32 in the fragment order. */
constexpr uint32_t kProbabilitiesBytes = kConsumersSplitColumns ? kBlockKeys * kBlockQueries * 4 : 0;
constexpr uint32_t kProbabilitiesOffset = kDqOffset + kDqTileBytes;
constexpr uint32_t kLseOffset = kProbabilitiesOffset + kProbabilitiesBytes;
constexpr uint32_t kDOffset = kLseOffset + kStages * kBlockQueries * 4;
constexpr uint32_t kBarrierOffset = kDOffset + kStages * kBlockQueries * 4;
constexpr int kBarrierCount = 1 + 2 * kStages + 2;
constexpr uint32_t kSharedAlignmentSlack = 1024;
constexpr int kSharedBytes = (int)(kSharedAlignmentSlack + kBarrierOffset + kBarrierCount * 8);
static_assert(kSharedBytes == {{shared_bytes}}, "the planner's account of the Hopper key kernel");
static_assert(kSharedBytes <= 227 * 1024, "fits the 227 KB a block may take on sm_90");
static_assert(kBlockQueries == kWgmmaDqRows, "the launcher sizes the deterministic mode's counters by this step");
static_assert(kQOffset % 1024 == 0 && kDoOffset % 1024 == 0 && kDsOffset % 1024 == 0 && kDqOffset % 1024 == 0 &&
                  kQBytes % 1024 == 0 &&
                  kDoBytes % 1024 == 0 && kQueryColumnBlockBytes % 1024 == 0,
              "swizzled tiles start on 1024-byte boundaries");
constexpr uint32_t kLseLanes = 32;               /* the producer's warp 1 */
constexpr uint32_t kFullArrivals = 1 + kLseLanes; /* q_full: the TMA thread and the LSE warp */
constexpr uint32_t kDsBarrier = 1;               /* named barrier: both consumers have written dSᵀ */
constexpr uint32_t kProbabilitiesBarrier = 2;    /* named barrier: consumer 0 has written Pᵀ (split columns) */
constexpr int kDqWriterWarp = 2;                 /* the producer's warp that adds the dQ tiles */

/* Shared-memory addresses of one CTA's tiles and barriers. */
struct SharedLayout {
    uint32_t base; /* 1024-byte aligned */
    unsigned char *generic; /* the same address, for ordinary loads and stores */
    __device__ __forceinline__ uint32_t k() const { return base + kKOffset; }
    __device__ __forceinline__ uint32_t v() const { return base + kVOffset; }
    __device__ __forceinline__ uint32_t q(int stage) const { return base + kQOffset + (uint32_t)stage * kQBytes; }
    __device__ __forceinline__ uint32_t d_o(int stage) const { return base + kDoOffset + (uint32_t)stage * kDoBytes; }
    __device__ __forceinline__ uint32_t ds(int buffer) const { return base + kDsOffset + (uint32_t)buffer * kDsBytes; }
    __device__ __forceinline__ uint32_t dq_tile() const { return base + kDqOffset; }
    __device__ __forceinline__ float4 *probabilities_generic() const {
        return reinterpret_cast<float4 *>(generic + kProbabilitiesOffset);
    }
    __device__ __forceinline__ float *lse(int stage) const {
        return reinterpret_cast<float *>(generic + kLseOffset) + stage * kBlockQueries;
    }
    __device__ __forceinline__ float *row_dot(int stage) const {
        return reinterpret_cast<float *>(generic + kDOffset) + stage * kBlockQueries;
    }
    __device__ __forceinline__ uint32_t kv_full() const { return base + kBarrierOffset; }
    __device__ __forceinline__ uint32_t q_full(int stage) const { return base + kBarrierOffset + 8u * (1 + stage); }
    __device__ __forceinline__ uint32_t q_empty(int stage) const {
        return base + kBarrierOffset + 8u * (1 + kStages + stage);
    }
    __device__ __forceinline__ uint32_t dq_full() const { return base + kBarrierOffset + 8u * (1 + 2 * kStages); }
    __device__ __forceinline__ uint32_t dq_empty() const { return base + kBarrierOffset + 8u * (2 + 2 * kStages); }
};

/* The CTA's work: the query heads of its key/value head and their query tiles whose queries keep some key of the
   tile (the causal and window ranges, the block-sparse layout), walked in the same order by the producer's two
   warps and both consumers. Positions, heads and counts are 32-bit (registers): the launcher runs this kernel only
   for extents below 2^31 - 256 (attngen_hopper_tma_layout_ok); the mask hooks get them widened. */
struct Walk {
    int32_t b, first_head, k0, nq, nk, query_tiles;
    int32_t kv_group;
    int32_t first_tile; /* the query tile each head's walk starts at: StaggeredStarts::tile(k0 / kBlockKeys) when
                           staggered, else 0 */
    const uint8_t *block_mask;
    attngen_layout block_mask_layout;

    /* The query tile at step `step` (0 .. query_tiles - 1) of a head's walk. */
    __device__ __forceinline__ int32_t tile_at(int32_t step) const {
        if (!kStaggeredWalk) return step;
        const int32_t tile = step + first_tile;
        return tile < query_tiles ? tile : tile - query_tiles;
    }

    /* Moves (head, step) to the first item at or after it that visits the key tile; head = kv_group when none. */
    __device__ __forceinline__ void advance(int32_t &head, int32_t &step) const {
        for (; head < kv_group; ++head, step = 0) {
            for (; step < query_tiles; ++step) {
                const int32_t q_begin = tile_at(step) * kBlockQueries;
                const int32_t q_end = min(q_begin + kBlockQueries, nq);
                int64_t key_begin = 0, key_end = 0;
                visible_key_range(q_begin, q_end, nq, nk, key_begin, key_end);
                if (key_end <= k0 || key_begin >= k0 + kBlockKeys || key_begin >= key_end) continue;
                if (key_tile_is_skipped(block_mask, block_mask_layout, b, first_head + head, q_begin, k0)) continue;
                return;
            }
        }
    }
};

/* The staggered walk's starts: key tile t starts each head's walk at query tile t · stride modulo query_tiles, the
   stride max(1, query_tiles / key tiles) spreading the starts evenly, so that a query tile's next key tile reduced
   into it `stride` steps earlier rather than one (a step of slack at d = 128, whose 64-row steps give twice as many
   query tiles as key tiles). Products stay below query_tiles: 32-bit. */
struct StaggeredStarts {
    int32_t query_tiles, stride;
    __device__ __forceinline__ explicit StaggeredStarts(int32_t tiles)
        : query_tiles(tiles), stride(max(1, tiles / (int32_t)gridDim.x)) {}
    __device__ __forceinline__ int32_t tile(int32_t key_tile) const { return key_tile * stride % query_tiles; }
    /* The step of a head's walk at which key tile `key_tile` reaches query tile `query_tile`. */
    __device__ __forceinline__ int32_t step(int32_t query_tile, int32_t key_tile) const {
        const int32_t step = query_tile - tile(key_tile);
        return step < 0 ? step + query_tiles : step;
    }
};

/* The device code below is compiled for sm_90a only; the host pass sees the kernel's empty body. */
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)

static __device__ __forceinline__ void store_shared_u32(uint32_t address, uint32_t value) {
    asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(address), "r"(value) : "memory");
}

static __device__ __forceinline__ void store_shared_f32x2(uint32_t address, float lo, float hi) {
    asm volatile("st.shared.v2.f32 [%0], {%1, %2};\n" ::"r"(address), "f"(lo), "f"(hi) : "memory");
}

/* Where dSᵀ fragment [kk][i] of a consumer thread (warp, group g, quad lane c) sits in a dSᵀ tile: [key][query] in
   column blocks of 64 queries, 128-byte swizzle; the pair of queries 8j + 2c, + 1 (j = 2kk + i / 2) of key row r
   (key_row0 + 16 warp + g + 8 (i % 2)) in chunk (j % 8) ^ (r % 8) of the row, r % 8 = g. */
static __device__ __forceinline__ uint32_t ds_fragment_address(uint32_t ds_tile, int key_row0, int warp, int group,
                                                               int quad_lane, int kk, int i) {
    const int j = 2 * kk + i / 2;
    const int key_row = key_row0 + warp * 16 + group + 8 * (i % 2);
    return ds_tile + (uint32_t)(j / 8) * kKeyColumnBlockBytes + (uint32_t)key_row * kRowBytes +
           (uint32_t)(((j % 8) ^ group) * 16 + quad_lane * 4);
}

/* A consumer thread's dSᵀ fragments into a dSᵀ tile. */
static __device__ __forceinline__ void store_ds_fragments(uint32_t ds_tile, int key_row0, int warp, int group,
                                                          int quad_lane,
                                                          const uint32_t (&ds_frag)[kBlockQueries / 16][4]) {
#pragma unroll
    for (int kk = 0; kk < kBlockQueries / 16; ++kk) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            store_shared_u32(ds_fragment_address(ds_tile, key_row0, warp, group, quad_lane, kk, i), ds_frag[kk][i]);
        }
    }
}

static __device__ __forceinline__ uint32_t pack_pair(float lo, float hi) {
    return attngen_pack2(lo, hi, Element()); /* round to nearest even; `lo` in the low 16 bits */
}

/* Producer thread 0: K and V once, then Q and dO of each item. */
static __device__ __forceinline__ void produce_tiles(const SharedLayout &smem, const Walk &walk,
                                                     const CUtensorMap *tmap_q, const CUtensorMap *tmap_k,
                                                     const CUtensorMap *tmap_v, const CUtensorMap *tmap_do,
                                                     int32_t kv_head) {
    attngen_prefetch_tensor_map(tmap_q);
    attngen_prefetch_tensor_map(tmap_do);
    const int32_t b = walk.b, k0 = walk.k0;
    attngen_mbarrier_arrive_expect_tx(smem.kv_full(), kKBytes + kVBytes);
#pragma unroll
    for (int block = 0; block < kHeadDim / kBlockColumns; ++block) {
        attngen_tma_load_4d(smem.k() + block * kKeyColumnBlockBytes, tmap_k, smem.kv_full(), block * kBlockColumns,
                            k0, kv_head, b);
    }
#pragma unroll
    for (int block = 0; block < kValueHeadDim / kBlockColumns; ++block) {
        attngen_tma_load_4d(smem.v() + block * kKeyColumnBlockBytes, tmap_v, smem.kv_full(), block * kBlockColumns,
                            k0, kv_head, b);
    }
    int32_t head = 0, step = 0;
    uint32_t count = 0;
    for (walk.advance(head, step); head < walk.kv_group; ++step, walk.advance(head, step), ++count) {
        const int stage = (int)(count % kStages);
        const uint32_t use = count / kStages;
        if (use > 0) attngen_mbarrier_wait_parity(smem.q_empty(stage), (use - 1) & 1u);
        attngen_mbarrier_arrive_expect_tx(smem.q_full(stage), kQBytes + kDoBytes);
        const int32_t h = walk.first_head + head, tile = walk.tile_at(step), q0 = tile * kBlockQueries;
#pragma unroll
        for (int block = 0; block < kHeadDim / kBlockColumns; ++block) {
            attngen_tma_load_4d(smem.q(stage) + block * kQueryColumnBlockBytes, tmap_q, smem.q_full(stage),
                                block * kBlockColumns, q0, h, b);
        }
#pragma unroll
        for (int block = 0; block < kValueHeadDim / kBlockColumns; ++block) {
            attngen_tma_load_4d(smem.d_o(stage) + block * kQueryColumnBlockBytes, tmap_do, smem.q_full(stage),
                                block * kBlockColumns, q0, h, b);
        }
    }
}

/* Producer warp 1: each item's LSE·log2e (+inf past seqlen_q and for fully masked rows, so that P = 0) and D (0
   past seqlen_q) rows, beside its Q and dO. */
static __device__ __forceinline__ void produce_rows(const SharedLayout &smem, const Walk &walk,
                                                   const KernelArguments &arguments, int lane) {
    const attngen_backward_params &p = arguments.params;
    int32_t head = 0, step = 0;
    uint32_t count = 0;
    for (walk.advance(head, step); head < walk.kv_group; ++step, walk.advance(head, step), ++count) {
        const int stage = (int)(count % kStages);
        const uint32_t use = count / kStages;
        if (use > 0) attngen_mbarrier_wait_parity(smem.q_empty(stage), (use - 1) & 1u);
        const int32_t h = walk.first_head + head, tile = walk.tile_at(step), q0 = tile * kBlockQueries;
        const float *const lse_rows = p.lse + (int64_t)walk.b * p.lse_layout.batch_stride +
                                      (int64_t)h * p.lse_layout.head_stride + (int64_t)q0 * p.lse_layout.row_stride;
        const float *const d_rows = arguments.row_dot + ((int64_t)walk.b * p.heads_q + h) * walk.nq + q0;
        const int32_t live_rows = walk.nq - q0;
#pragma unroll 1
        for (int r0 = 0; r0 < kBlockQueries; r0 += (int)kLseLanes) {
            const int32_t r = r0 + lane;
            const bool live = r < live_rows;
            smem.lse(stage)[r] = live ? lse_log2(lse_rows[(int64_t)r * p.lse_layout.row_stride]) : INFINITY;
            smem.row_dot(stage)[r] = live ? d_rows[r] : 0.0f;
        }
        attngen_mbarrier_arrive(smem.q_full(stage)); /* release: the rows above happen before the phase completes */
    }
}

/* Producer warp 2: each item's dQ tile into the fp32 accumulator, a bulk tensor reduce-add per 32-column block
   (rows past seqlen_q fall outside the map and are skipped). Deterministic mode (arguments.dq_order): first waits
   until the item's counter equals the number of key tiles before this one that visit the item (the walk's rule:
   the tiles holding the visible keys form a run, less the block-sparse layout's skipped ones, which the lanes test
   32 at a time), and adds one to it once the reduction's writes are performed. Before: in kDescendingDqOrder's
   order, or in the staggered walk's (StaggeredStarts::step, then the key tile). Ascending or descending, those
   tiles' blocks have lower indices (see key_kernel), so they started no later: the wait ends. Staggered, they are
   blocks of the same (batch, head), which the launcher staggers only when all of them can be resident together. */
static __device__ __forceinline__ void write_dq(const SharedLayout &smem, const Walk &walk,
                                                const KernelArguments &arguments, const CUtensorMap *tmap_dq,
                                                int lane) {
    const attngen_backward_params &p = arguments.params;
    const bool ordered = arguments.dq_order != NULL;
    const int32_t key_tile = walk.k0 / kBlockKeys;
    const bool staggered = kStaggeredWalk && arguments.staggered_walk != 0;
    const StaggeredStarts starts(walk.query_tiles);
    if (lane == 0) attngen_prefetch_tensor_map(tmap_dq);
    int32_t head = 0, step = 0;
    uint32_t count = 0;
    for (walk.advance(head, step); head < walk.kv_group; ++step, walk.advance(head, step), ++count) {
        const int32_t h = walk.first_head + head, tile = walk.tile_at(step), q0 = tile * kBlockQueries;
        uint32_t *counter = NULL;
        uint32_t earlier = 0;
        if (ordered) {
            int64_t key_begin = 0, key_end = 0;
            visible_key_range(q0, min(q0 + kBlockQueries, walk.nq), walk.nq, walk.nk, key_begin, key_end);
            /* The tiles that may come before this one: [from, to). key_end > key_begin: this tile visits the item. */
            const int32_t first_visible = (int32_t)(key_begin / kBlockKeys);
            const int32_t last_visible = (int32_t)((key_end - 1) / kBlockKeys) + 1;
            const int32_t from = kDescendingDqOrder ? key_tile + 1 : first_visible;
            const int32_t to = kDescendingDqOrder || staggered ? last_visible : key_tile;
            /* Staggered: the step of the walk at which key tile t reaches this query tile. */
            const int32_t own_step = staggered ? starts.step(tile, key_tile) : 0;
#pragma unroll 1
            for (int32_t first = from; first < to; first += 32) {
                const int32_t t = first + lane;
                bool before = t < to;
                if (staggered) {
                    const int32_t other_step = starts.step(tile, t);
                    before = before && (other_step < own_step || (other_step == own_step && t < key_tile));
                }
                const bool counts = before && !key_tile_is_skipped(walk.block_mask, walk.block_mask_layout,
                                                                   walk.b, h, q0, t * kBlockKeys);
                earlier += (uint32_t)__popc(__ballot_sync(0xffffffffu, counts));
            }
            counter = arguments.dq_order + ((int64_t)walk.b * p.heads_q + h) * walk.query_tiles + tile;
        }
        if (lane == 0) {
            if (ordered) {
                attngen_counter_wait_equal(counter, earlier);
                attngen_fence_proxy_async_global(); /* the earlier tiles' sums before this reduction (async proxy) */
            }
            attngen_mbarrier_wait_parity(smem.dq_full(), count & 1u);
#pragma unroll
            for (int block = 0; block < kHeadDim / kDqBoxColumns; ++block) {
                attngen_tma_reduce_add_4d(tmap_dq, smem.dq_tile() + (uint32_t)block * kQueryColumnBlockBytes,
                                          block * kDqBoxColumns, q0, h, walk.b);
            }
            attngen_bulk_commit_group();
            attngen_bulk_wait_group_read<0>();
            attngen_mbarrier_arrive(smem.dq_empty());
            if (ordered) {
                attngen_bulk_wait_group<0>();
                attngen_fence_proxy_async_global();
                attngen_counter_release_increment(counter);
            }
        }
        __syncwarp();
    }
    if (lane == 0) attngen_bulk_wait_group<0>();
}

/* Issues C = A·Bᵀ over the head dimension (Sᵀ = K_c·Qᵀ or dPᵀ = V_c·dOᵀ), both operands K-major tiles in shared
   memory: A the 64 rows from key_row0 of a kBlockKeys-row tile, B a kBlockQueries-row tile. One wgmma group. */
template <int Columns>
static __device__ __forceinline__ void issue_transposed_scores(float (&c)[kBlockQueries / 2], uint32_t a_tile,
                                                               uint32_t b_tile, int key_row0) {
    uint32_t a_rows = a_tile + (uint32_t)(key_row0 * kRowBytes);
    /* Opaque here, so that the descriptors of the resident K and V tiles are formed at each use rather than hoisted
       out of the item loop (16 registers each, which dK and dV need). */
    asm volatile("" : "+r"(a_rows));
    attngen_fence_operands(c);
    attngen_wgmma_fence();
    const attngen_smem_operand a_operand = attngen_smem_operand_sw128(a_rows, 16, 1024);
    const attngen_smem_operand b_operand = attngen_smem_operand_sw128(b_tile, 16, 1024);
#pragma unroll
    for (int kk = 0; kk < Columns / 16; ++kk) {
        const uint32_t column_block = (uint32_t)(kk / 4), step = (uint32_t)(kk % 4) * 32u;
        const uint64_t a = a_operand.at(column_block * kKeyColumnBlockBytes + step);
        const uint64_t b = b_operand.at(column_block * kQueryColumnBlockBytes + step);
        if (kk == 0) {
            attngen_wgmma_ss<kBlockQueries, 0, 0, 0, Element>(c, a, b);
        } else {
            attngen_wgmma_ss<kBlockQueries, 1, 0, 0, Element>(c, a, b);
        }
    }
    attngen_wgmma_commit_group();
}

/* Issues acc += Aᵀ-fragments · B with A (Pᵀ or dSᵀ) in registers and B (dO or Q) an MN-major kBlockQueries-row tile
   (K = queries, N = its columns). Part of the caller's wgmma group. */
template <int Columns>
static __device__ __forceinline__ void issue_accumulate(float (&acc)[Columns / 2],
                                                        const uint32_t (&a)[kBlockQueries / 16][4], uint32_t b_tile) {
    const attngen_smem_operand b_operand = attngen_smem_operand_sw128(b_tile, kQueryColumnBlockBytes, 1024);
#pragma unroll
    for (int kk = 0; kk < kBlockQueries / 16; ++kk) {
        attngen_wgmma_rs<Columns, 1, 1, Element>(acc, a[kk], b_operand.at((uint32_t)kk * 16u * kRowBytes));
    }
}

/* Dropout's keep bits of a consumer thread's Sᵀ values: a word per 64-query half (one without dropout). */
constexpr int kKeepWords = kDropout ? kBlockQueries / 64 : 1;

/* Z of the thread's Sᵀ value s[4 j + i]: kKeepScale where dropout keeps it, 0 where it drops it (bit 4 (j % 8) + i
   of keep[j / 8]); 1 without dropout. */
static __device__ __forceinline__ float keep_factor(const uint32_t (&keep)[kKeepWords], int j, int i) {
    if (!kDropout) return 1.0f;
    return ((keep[j / 8] >> (4 * (j % 8) + i)) & 1u) != 0u ? kKeepScale : 0.0f;
}

/* The positions of the thread's Sᵀ value s[4 j + i] as fp32 values, as the score expression reads them: key
   thread_key + 8 (i / 2), query q0 + 8 j + 2 c + i % 2 (c the quad lane). (This and modified_score are inline, not
   static: variants without a score modifier do not call them, and nvcc warns of unused static functions.) */
struct ScorePosition {
    float q, k;
};
__device__ __forceinline__ ScorePosition score_position(int j, int i, int32_t q0, int quad_lane, int32_t thread_key) {
    return {(float)(q0 + 2 * quad_lane) + (float)(8 * j + (i % 2)), (float)thread_key + (float)((i / 2) * 8)};
}

/* The modified score in base 2, log2 e · m(scale · raw), of a raw score at `at`; masked scores (−inf) stay −inf. */
__device__ __forceinline__ float modified_score(float raw, ScorePosition at, const ScoreModifierState &state) {
    return raw == -INFINITY ? -INFINITY : score_modifier_log2(raw, at.q, at.k, state);
}

/* A consumer thread is done with buffer `stage` (Q, dO and its reads of the LSE and D rows). */
static __device__ __forceinline__ void release_buffer(const SharedLayout &smem, int stage, int lane) {
    if (kThreadsReleaseRows) {
        attngen_mbarrier_arrive(smem.q_empty(stage)); /* every thread: its reads of the stage's LSE and D rows */
    } else {
        attngen_mbarrier_arrive_warp(smem.q_empty(stage), lane);
    }
}

/* One consumer warpgroup: its 64 keys of the tile, its columns of dK and dV and its share of dQ, every item of the
   walk. */
template <bool kFormsScores, bool kFormsGradients>
static __device__ __forceinline__ void consume(const SharedLayout &smem, const Walk &walk,
                                               const KernelArguments &arguments, int consumer) {
    const attngen_backward_params &p = arguments.params;
    const int thread = (int)threadIdx.x - kWarpgroupThreads * (1 + consumer);
    const int warp = thread / 32, lane = thread % 32;
    const int group = lane / 4, quad_lane = lane % 4;
    const int32_t b = walk.b, nq = walk.nq, nk = walk.nk;
    const int key_row0 = kConsumersSplitColumns ? 0 : 64 * consumer; /* the consumer's keys in the tile */
    const int32_t consumer_k0 = walk.k0 + key_row0;
    const int32_t thread_key = consumer_k0 + warp * 16 + group; /* + 8 r */
    /* dK and dV: columns head_column0 .. + Columns::head - 1 and value_column0 .. + Columns::value - 1 (with split
       columns consumer 0 forms the scores, consumer 1 the gradients: the roles name the share). */
    using Columns = ConsumerColumns<!kConsumersSplitColumns ? -1 : kFormsScores ? 0 : 1>;
    constexpr int head_column0 = Columns::head0, value_column0 = Columns::value0;
    /* dQ share: query rows dq_row0 .. + 63 of the step, columns dq_column0 .. + Columns::dq - 1. */
    const int dq_row0 = kDqSplitsColumns ? 0 : 64 * consumer;
    const int dq_column0 = kConsumersSplitColumns ? head_column0 : kDqSplitsColumns ? kDqColumns * consumer : 0;

    float dk[Columns::head / 2], dv[Columns::value / 2];
#pragma unroll
    for (int i = 0; i < Columns::head / 2; ++i) dk[i] = 0.0f;
#pragma unroll
    for (int i = 0; i < Columns::value / 2; ++i) dv[i] = 0.0f;

    attngen_mbarrier_wait_parity(smem.kv_full(), 0);
    int32_t head = 0, step = 0;
    uint32_t count = 0;
    for (walk.advance(head, step); head < walk.kv_group; ++step, walk.advance(head, step), ++count) {
        const int stage = (int)(count % kStages);
        const int32_t h = walk.first_head + head, tile = walk.tile_at(step), q0 = tile * kBlockQueries;
        attngen_mbarrier_wait_parity(smem.q_full(stage), (count / kStages) & 1u);
{{modifier_state}}
        /* Split columns: consumer 0 forms Sᵀ and Pᵀ, consumer 1 dPᵀ and dSᵀ, Pᵀ and dSᵀ crossing in shared memory
           (compile-time roles: a run-time branch around the products made ptxas spill). */
        constexpr bool forms_scores = kFormsScores, forms_gradients = kFormsGradients;
        float s[kBlockQueries / 2], dp[kBlockQueries / 2];
        if (forms_scores) issue_transposed_scores<kHeadDim>(s, smem.k(), smem.q(stage), key_row0);
        if (forms_gradients) issue_transposed_scores<kValueHeadDim>(dp, smem.v(), smem.d_o(stage), key_row0);
        /* Dropout's keep bits of the thread's Sᵀ values, with the mma.sync key kernel's calls and mapping
           (dropout_keep_bits, rows are keys) on each 64-query half w: bit 4 n + i of keep[w] for value [8 w + n][i]
           (this layout's s[4 (8 w + n) + i]); while the products run. */
        uint32_t keep[kKeepWords];
        if (kDropout) {
#pragma unroll
            for (int w = 0; w < kBlockQueries / 64; ++w) {
                keep[w] = dropout_keep_bits<8, true>(p, b, h, thread_key, q0 + 64 * w + 2 * quad_lane);
            }
        }
        const float *const s_lse = smem.lse(stage);
        const float *const s_d = smem.row_dot(stage);

        if (kConsumersSplitColumns) {
            attngen_wgmma_wait_group<0>(); /* Sᵀ or dPᵀ, the one product in flight */
        } else {
            attngen_wgmma_wait_group<1>(); /* Sᵀ */
        }
        attngen_fence_operands(s);
        if (forms_scores &&
            !tile_is_interior(q0, min(q0 + kBlockQueries, nq), consumer_k0, consumer_k0 + 64, nq, nk)) {
            /* Each key row's verdicts over the thread's kBlockQueries / 4 queries as bits first (query
               8 (i / 2) + 2c + i % 2 is bit i), by a loop the generator rolls for per-element predicates and
               unrolls 16 at a time otherwise: the arithmetic for all of them at once would take registers that the
               accumulators need. */
#pragma unroll
            for (int r = 0; r < 2; ++r) {
                const int32_t k = thread_key + 8 * r;
                uint32_t kept = 0;
{{mask_loop_unroll}}
                for (int i = 0; i < kBlockQueries / 4; ++i) {
                    const int32_t q = q0 + 8 * (i >> 1) + 2 * quad_lane + (i & 1);
                    if (element_is_kept(b, h, q, k, nq, nk)) kept |= 1u << i;
                }
#pragma unroll
                for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
                    for (int e = 0; e < 2; ++e) {
                        if (((kept >> (2 * j + e)) & 1u) == 0u) s[4 * j + 2 * r + e] = -INFINITY;
                    }
                }
            }
        }
        if (forms_scores) {
{{exponentials}}
        }
        if (kConsumersSplitColumns) {
            /* Pᵀ (fp32, the fragment order: thread t's values 4v .. 4v + 3 at 16-byte slot 128 v + t) from consumer 0
               to consumer 1, which forms dSᵀ from it. The thread index opaque here, so that the addresses are formed
               at each item rather than hoisted out of the loop (registers that the accumulators need: ptxas spilled
               them). */
            int exchange_thread = thread;
            asm volatile("" : "+r"(exchange_thread));
            if (forms_scores) {
                float4 *const probabilities = smem.probabilities_generic();
#pragma unroll
                for (int v = 0; v < kBlockQueries / 8; ++v) {
                    probabilities[v * kWarpgroupThreads + exchange_thread] = make_float4(s[4 * v], s[4 * v + 1], s[4 * v + 2],
                                                                                s[4 * v + 3]);
                }
                /* A sync, not an arrival: compute-sanitizer's racecheck orders consumer 0's later reads of dSᵀ
                   before consumer 1's next stores to it only through barriers that both sides wait on. */
                attngen_named_barrier_sync(kProbabilitiesBarrier, kConsumerThreads);
            } else {
                attngen_fence_operands(dp);
                attngen_named_barrier_sync(kProbabilitiesBarrier, kConsumerThreads);
                /* Ordinary loads (after the barrier), which the compiler may place where each value is used. */
                const float4 *const probabilities = smem.probabilities_generic();
#pragma unroll
                for (int v = 0; v < kBlockQueries / 8; ++v) {
                    const float4 four = probabilities[v * kWarpgroupThreads + exchange_thread];
                    s[4 * v] = four.x;
                    s[4 * v + 1] = four.y;
                    s[4 * v + 2] = four.z;
                    s[4 * v + 3] = four.w;
                }
            }
        } else {
            attngen_wgmma_wait_group<0>(); /* dPᵀ */
            attngen_fence_operands(dp);
        }
        if (forms_gradients) {
{{score_gradients}}
        } else if (kDropout) {
            /* Pᵀ∘Z for dV (consumer 0 of split columns; the pass above does it for consumer 1). */
#pragma unroll
            for (int j = 0; j < kBlockQueries / 8; ++j) {
#pragma unroll
                for (int i = 0; i < 4; ++i) s[4 * j + i] *= keep_factor(keep, j, i);
            }
        }
        /* Pᵀ and dSᵀ as A fragments: k16 step kk covers queries 16kk .. 16kk + 15 (accumulator column groups 2kk
           and 2kk + 1); [0], [2] key row g, [1], [3] row g + 8. Consumer 0 of split columns reads dSᵀ's from the
           tile consumer 1 writes, below. */
        uint32_t p_frag[kBlockQueries / 16][4], ds_frag[kBlockQueries / 16][4];
#pragma unroll
        for (int kk = 0; kk < kBlockQueries / 16; ++kk) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                p_frag[kk][i] = pack_pair(s[8 * kk + 2 * i], s[8 * kk + 2 * i + 1]);
                ds_frag[kk][i] = forms_gradients ? pack_pair(dp[8 * kk + 2 * i], dp[8 * kk + 2 * i + 1]) : 0u;
            }
        }
        attngen_fence_operands(dv);
        attngen_fence_operands(dk);
        attngen_fence_operands(p_frag);
        attngen_fence_operands(ds_frag);
        attngen_wgmma_fence();
        issue_accumulate<Columns::value>(
            dv, p_frag, smem.d_o(stage) + (uint32_t)(value_column0 / kBlockColumns) * kQueryColumnBlockBytes);
        if (forms_gradients) {
            issue_accumulate<Columns::head>(
                dk, ds_frag, smem.q(stage) + (uint32_t)(head_column0 / kBlockColumns) * kQueryColumnBlockBytes);
        }
        attngen_wgmma_commit_group();
        float dq[Columns::dq / 2];
        {
            /* dSᵀ into buffer count % 2 (ds_fragment_address). Split columns: the thread index opaque, as for Pᵀ
               above, there and where consumer 0 reads its fragments below (with warp, group and quad_lane here
               instead, a catalogue variant at d = 64 spilled 8 bytes). */
            const uint32_t ds_tile = smem.ds((int)(count & 1u));
            if (forms_gradients && !kConsumersSplitColumns) {
                store_ds_fragments(ds_tile, key_row0, warp, group, quad_lane, ds_frag);
            } else if (forms_gradients) {
                int exchange_thread = thread;
                asm volatile("" : "+r"(exchange_thread));
                store_ds_fragments(ds_tile, key_row0, exchange_thread / 32, (exchange_thread % 32) / 4,
                                   exchange_thread % 4, ds_frag);
            }
            attngen_fence_proxy_async_shared(); /* the stores before the wgmma (async proxy) reads below */
            attngen_named_barrier_sync(kDsBarrier, kConsumerWarpgroups * kWarpgroupThreads);
            if (!forms_gradients) {
                /* dSᵀ's fragments from consumer 1's tile (the addresses its counterpart thread stored them at). */
                int exchange_thread = thread;
                asm volatile("" : "+r"(exchange_thread));
                const int exchange_warp = exchange_thread / 32, exchange_group = (exchange_thread % 32) / 4,
                          exchange_quad_lane = exchange_thread % 4;
#pragma unroll
                for (int kk = 0; kk < kBlockQueries / 16; ++kk) {
#pragma unroll
                    for (int i = 0; i < 4; ++i) {
                        ds_frag[kk][i] = (uint32_t)attngen_load_shared_s32(ds_fragment_address(
                            ds_tile, key_row0, exchange_warp, exchange_group, exchange_quad_lane, kk, i));
                    }
                }
                attngen_fence_operands(dk);
                attngen_fence_operands(ds_frag);
                attngen_wgmma_fence();
                issue_accumulate<Columns::head>(
                    dk, ds_frag, smem.q(stage) + (uint32_t)(head_column0 / kBlockColumns) * kQueryColumnBlockBytes);
                attngen_wgmma_commit_group();
            }
            /* dV and dK first: their A fragments are free before dQ's accumulators are needed (registers). */
            attngen_wgmma_wait_group<0>();
            attngen_fence_operands(dv);
            attngen_fence_operands(dk);
            attngen_fence_operands(p_frag);
            attngen_fence_operands(ds_frag);
            if (kReleaseBeforeDq) release_buffer(smem, stage, lane);
            /* dQ share = dS[dq rows, all keys] · K[all keys, dq columns]: A = dSᵀ tile read transposed (M-major), B
               = K read transposed (N-major), k16 steps over the keys. */
            attngen_fence_operands(dq);
            uint32_t k_columns = smem.k() + (uint32_t)(dq_column0 / 64) * kKeyColumnBlockBytes;
            asm volatile("" : "+r"(k_columns)); /* formed at each use, as in issue_transposed_scores */
            attngen_wgmma_fence();
            const attngen_smem_operand ds_operand = attngen_smem_operand_sw128(
                ds_tile + (uint32_t)(dq_row0 / 64) * kKeyColumnBlockBytes, kKeyColumnBlockBytes, 1024);
            const attngen_smem_operand k_operand = attngen_smem_operand_sw128(k_columns, kKeyColumnBlockBytes, 1024);
#pragma unroll
            for (int kk = 0; kk < kBlockKeys / 16; ++kk) {
                const uint64_t a = ds_operand.at((uint32_t)kk * 16u * kRowBytes);
                const uint64_t bk = k_operand.at((uint32_t)kk * 16u * kRowBytes);
                if (kk == 0) {
                    attngen_wgmma_ss<Columns::dq, 0, 1, 1, Element>(dq, a, bk);
                } else {
                    attngen_wgmma_ss<Columns::dq, 1, 1, 1, Element>(dq, a, bk);
                }
            }
            attngen_wgmma_commit_group();
        }
        attngen_wgmma_wait_group<0>(); /* dQ (and dV, dK) */
        attngen_fence_operands(dv);
        attngen_fence_operands(dk);
        attngen_fence_operands(p_frag);
        attngen_fence_operands(ds_frag);
        if (!kReleaseBeforeDq) release_buffer(smem, stage, lane);
        /* The share into the dQ tile once warp 2 has read the last one: row r, fp32 column col in 32-column block
           col / 32 at 16-byte chunk (col % 32) / 4 ^ r % 8 (r % 8 = g); two rows share each bank (conflict-free). */
        attngen_fence_operands(dq);
        if (count > 0) attngen_mbarrier_wait_parity(smem.dq_empty(), (count - 1) & 1u);
        /* The lane opaque here, so that the addresses are formed at each item rather than hoisted out of the loop
           (registers that the accumulators need). */
        int store_thread = thread;
        asm volatile("" : "+r"(store_thread));
        const int store_group = (store_thread % 32) / 4;
        const int store_column0 = dq_column0 + 2 * (store_thread % 4);
        const int store_row0 = dq_row0 + (store_thread / 32) * 16 + store_group;
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            const int row = store_row0 + 8 * r;
#pragma unroll
            for (int j = 0; j < Columns::dq / 8; ++j) {
                const int column = store_column0 + 8 * j;
                const uint32_t address = smem.dq_tile() + (uint32_t)(column / kDqBoxColumns) * kQueryColumnBlockBytes +
                                         (uint32_t)row * kRowBytes +
                                         (uint32_t)((((column % kDqBoxColumns) / 4) ^ store_group) * 16 + (column % 4) * 4);
                store_shared_f32x2(address, dq[4 * j + 2 * r], dq[4 * j + 2 * r + 1]);
            }
        }
        attngen_fence_proxy_async_shared(); /* the stores before the bulk reduction (async proxy) reads them */
        attngen_mbarrier_arrive_warp(smem.dq_full(), lane);
    }

    /* dK = scale · Σ dSᵀ·Q and dV: key rows thread_key + 8 r, columns head_column0 (value_column0) + 8j + 2c, + 1
       of the fragments. With 16-byte aligned rows each quad transposes four 8-column groups at a time in registers
       and stores them as 16-byte chunks (attngen_transpose_quad: whole 32-byte sectors, TUNING.md H19); the columns
       past the last whole four groups, or every column of rows not so aligned, go straight from the fragments. */
    Element *const dk_rows = static_cast<Element *>(p.dk) + (int64_t)b * p.dk_layout.batch_stride +
                             (walk.first_head / walk.kv_group) * p.dk_layout.head_stride;
    Element *const dv_rows = static_cast<Element *>(p.dv) + (int64_t)b * p.dv_layout.batch_stride +
                             (walk.first_head / walk.kv_group) * p.dv_layout.head_stride;
    const bool aligned16 = arguments.outputs_aligned16 != 0;
    static_assert(head_column0 % 8 == 0 && value_column0 % 8 == 0, "a consumer's columns start on 16-byte chunks");
    constexpr int head_quads = Columns::head / 32, value_quads = Columns::value / 32;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int32_t k = thread_key + 8 * r; /* the same for a quad's four lanes */
        Element *const dk_row = dk_rows + k * p.dk_layout.row_stride;
        Element *const dv_row = dv_rows + k * p.dv_layout.row_stride;
        if (aligned16) { /* every lane shuffles; only rows before nk store */
#pragma unroll
            for (int g = 0; g < head_quads; ++g) {
                const uint4 chunk = attngen_quad_chunk<Element>(dk, g, r, kScale, quad_lane);
                if (k < nk) *reinterpret_cast<uint4 *>(dk_row + head_column0 + 8 * (4 * g + quad_lane)) = chunk;
            }
#pragma unroll
            for (int g = 0; g < value_quads; ++g) {
                const uint4 chunk = attngen_quad_chunk<Element>(dv, g, r, 1.0f, quad_lane);
                if (k < nk) *reinterpret_cast<uint4 *>(dv_row + value_column0 + 8 * (4 * g + quad_lane)) = chunk;
            }
        }
        if (k >= nk) continue;
#pragma unroll
        for (int j = 0; j < Columns::head / 8; ++j) {
            if (aligned16 && j < 4 * head_quads) continue; /* stored above */
            const int column = head_column0 + 8 * j + 2 * quad_lane;
            const float lo = dk[4 * j + 2 * r] * kScale, hi = dk[4 * j + 2 * r + 1] * kScale;
            if (aligned16) {
                attngen_store_pair(dk_row + column, lo, hi);
            } else {
                attngen_store_float(dk_row + column, lo);
                attngen_store_float(dk_row + column + 1, hi);
            }
        }
#pragma unroll
        for (int j = 0; j < Columns::value / 8; ++j) {
            if (aligned16 && j < 4 * value_quads) continue; /* stored above */
            const int column = value_column0 + 8 * j + 2 * quad_lane;
            if (aligned16) {
                attngen_store_pair(dv_row + column, dv[4 * j + 2 * r], dv[4 * j + 2 * r + 1]);
            } else {
                attngen_store_float(dv_row + column, dv[4 * j + 2 * r]);
                attngen_store_float(dv_row + column + 1, dv[4 * j + 2 * r + 1]);
            }
        }
    }
}

#endif /* sm_90a device code */

__global__ void __launch_bounds__(kThreads, 1)
    key_kernel(const __grid_constant__ CUtensorMap tmap_q, const __grid_constant__ CUtensorMap tmap_k,
               const __grid_constant__ CUtensorMap tmap_v, const __grid_constant__ CUtensorMap tmap_do,
               const __grid_constant__ CUtensorMap tmap_dq, const __grid_constant__ KernelArguments arguments) {
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
    extern __shared__ __align__(1024) unsigned char shared_memory[];
    SharedLayout smem;
    const uint32_t raw = attngen_hopper_smem_address(shared_memory);
    smem.base = (raw + (kSharedAlignmentSlack - 1)) & ~(kSharedAlignmentSlack - 1);
    smem.generic = shared_memory + (smem.base - raw);

    const attngen_backward_params &p = arguments.params;
    const int64_t group_index = (int64_t)blockIdx.z * gridDim.y + blockIdx.y;
    if (group_index >= p.batch * (int64_t)p.heads_kv) return;
    Walk walk;
    walk.b = (int32_t)(group_index / p.heads_kv);
    const int32_t kv_head = (int32_t)(group_index % p.heads_kv);
    walk.first_head = kv_head * arguments.kv_group;
    const bool descending = kDescendingDqOrder && arguments.dq_order != NULL;
    walk.k0 = (int32_t)(descending ? gridDim.x - 1 - blockIdx.x : blockIdx.x) * kBlockKeys;
    walk.nq = (int32_t)p.seqlen_q;
    walk.nk = (int32_t)p.seqlen_k;
    walk.query_tiles = (int32_t)((p.seqlen_q + kBlockQueries - 1) / kBlockQueries);
    walk.kv_group = arguments.kv_group;
    walk.first_tile = kStaggeredWalk && arguments.staggered_walk != 0
                          ? StaggeredStarts(walk.query_tiles).tile((int32_t)blockIdx.x) : 0;
    walk.block_mask = p.block_mask;
    walk.block_mask_layout = p.block_mask_layout;

    if (threadIdx.x == 0) {
        attngen_mbarrier_init(smem.kv_full(), 1);
#pragma unroll
        for (int stage = 0; stage < kStages; ++stage) {
            attngen_mbarrier_init(smem.q_full(stage), kFullArrivals);
            attngen_mbarrier_init(smem.q_empty(stage), kQEmptyArrivals);
        }
        attngen_mbarrier_init(smem.dq_full(), kConsumerWarps);
        attngen_mbarrier_init(smem.dq_empty(), 1);
        attngen_fence_mbarrier_init();
    }
    __syncthreads();

    const int warpgroup = (int)threadIdx.x / kWarpgroupThreads;
    if (warpgroup == 0) {
        attngen_setmaxnreg_dec<kProducerRegisters>();
        if (threadIdx.x == 0) {
            produce_tiles(smem, walk, &tmap_q, &tmap_k, &tmap_v, &tmap_do, kv_head);
        } else if (threadIdx.x / 32 == 1) {
            produce_rows(smem, walk, arguments, (int)threadIdx.x % 32);
        } else if (threadIdx.x / 32 == kDqWriterWarp) {
            write_dq(smem, walk, arguments, &tmap_dq, (int)threadIdx.x % 32);
        }
    } else {
        attngen_setmaxnreg_inc<kConsumerRegisters>();
        if (!kConsumersSplitColumns) {
            consume<true, true>(smem, walk, arguments, warpgroup - 1);
        } else if (warpgroup == 1) {
            consume<true, false>(smem, walk, arguments, 0);
        } else {
            consume<false, true>(smem, walk, arguments, 1);
        }
    }
#else
    (void)tmap_q;
    (void)tmap_k;
    (void)tmap_v;
    (void)tmap_do;
    (void)tmap_dq;
    (void)arguments;
#endif
}

/* Whether this kernel runs the call: queries and keys (the mma.sync kernel writes the zeros of the empty cases), whole
   batches (its TMA tensor maps address [batch][head][row] tensors, not the rows of packed sequences: the mma.sync
   kernels run variable-length batches, cu_seqlens_q or cu_seqlens_k, for now), and Q, K, V and dO TMA-addressable
   (16-byte aligned bases and strides, extents below 2^31 - 256). */
static bool runs(const attngen_backward_params &p) {
    return p.seqlen_q > 0 && p.seqlen_k > 0 && p.cu_seqlens_q == NULL && p.cu_seqlens_k == NULL &&
           attngen_hopper_tma_layout_ok(p.q, p.q_layout, p.seqlen_q, p.heads_q, p.batch) &&
           attngen_hopper_tma_layout_ok(p.d_o, p.d_o_layout, p.seqlen_q, p.heads_q, p.batch) &&
           attngen_hopper_tma_layout_ok(p.k, p.k_layout, p.seqlen_k, p.heads_kv, p.batch) &&
           attngen_hopper_tma_layout_ok(p.v, p.v_layout, p.seqlen_k, p.heads_kv, p.batch);
}

/* The launch: key tiles of kBlockKeys keys (not the mma.sync kernel's kKeyRows) x the key kernel's (batch,
   key/value head) grid, folded into y and z. */
static attngen_status launch(const KernelArguments &arguments, unsigned grid_y, unsigned grid_z, cudaStream_t stream) {
    const attngen_backward_params &p = arguments.params;
    const int64_t key_tiles = (p.seqlen_k + kBlockKeys - 1) / kBlockKeys; /* below 2^31: seqlen_k is (runs) */
    /* The staggered walk, deterministic mode only (fast mode gained nothing from it: TUNING.md B12). Key tile t
       waits for t + 1 there, so a (batch, head)'s key tiles must be able to be resident together (a block per SM):
       at most half the SMs, or a quarter where the planner says (kStaggerSMDivisor), which also bounds the time the
       first tiles of a (batch, head) that straddles a wave of blocks wait for the rest to start. */
    KernelArguments launched = arguments;
    launched.staggered_walk = 0;
    if (kStaggeredWalk && arguments.dq_order != NULL) {
        int multiprocessors = 0, l2_bytes = 0;
        if (!attngen_hopper_device_info(&multiprocessors, &l2_bytes)) return ATTNGEN_ERROR_CUDA;
        launched.staggered_walk = kStaggerSMDivisor * key_tiles <= multiprocessors ? 1 : 0;
    }
    const CUtensorMapDataType type = attngen_hopper_tensor_map_type<Element>();
    CUtensorMap tmap_q, tmap_k, tmap_v, tmap_do, tmap_dq;
    /* The dQ accumulator, dense [batch][heads_q][seqlen_q][kHeadDim] fp32 (the launcher always gives it here). */
    const attngen_layout accumulator_layout = {(int64_t)p.heads_q * p.seqlen_q * kHeadDim, p.seqlen_q * kHeadDim,
                                               kHeadDim};
    if (attngen_hopper_encode_tensor_map(&tmap_q, p.q, type, kHeadDim, p.seqlen_q, p.heads_q, p.batch, p.q_layout,
                                         kBlockQueries) != ATTNGEN_OK ||
        attngen_hopper_encode_tensor_map(&tmap_do, p.d_o, type, kValueHeadDim, p.seqlen_q, p.heads_q, p.batch,
                                         p.d_o_layout, kBlockQueries) != ATTNGEN_OK ||
        attngen_hopper_encode_tensor_map(&tmap_k, p.k, type, kHeadDim, p.seqlen_k, p.heads_kv, p.batch, p.k_layout,
                                         kBlockKeys) != ATTNGEN_OK ||
        attngen_hopper_encode_tensor_map(&tmap_v, p.v, type, kValueHeadDim, p.seqlen_k, p.heads_kv, p.batch,
                                         p.v_layout, kBlockKeys) != ATTNGEN_OK ||
        attngen_hopper_encode_tensor_map(&tmap_dq, arguments.dq_accumulator, CU_TENSOR_MAP_DATA_TYPE_FLOAT32,
                                         kHeadDim, p.seqlen_q, p.heads_q, p.batch, accumulator_layout,
                                         kBlockQueries) != ATTNGEN_OK) {
        return ATTNGEN_ERROR_CUDA;
    }
    if (allow_shared_memory(reinterpret_cast<const void *>(key_kernel), kSharedBytes) != ATTNGEN_OK) {
        return ATTNGEN_ERROR_CUDA;
    }
    key_kernel<<<dim3((unsigned)key_tiles, grid_y, grid_z), kThreads, kSharedBytes, stream>>>(tmap_q, tmap_k, tmap_v,
                                                                                            tmap_do, tmap_dq, launched);
    return cudaGetLastError() == cudaSuccess ? ATTNGEN_OK : ATTNGEN_ERROR_CUDA;
}

}  // namespace hopper
