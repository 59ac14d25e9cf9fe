/* ------------------------------------------------------------------------------------------------------------
 * One kernel of the variant, with one key-tile width (Templates/hopper/pieces/forward_kernel.cu, rendered in
 * namespace attngen_{{name}}_hopper{{suffix}}_detail; the file's top comment describes it).
 * ---------------------------------------------------------------------------------------------------------- */
namespace attngen_{{name}}_hopper{{suffix}}_detail {

using namespace attngen_{{name}}_variant;

/* ------------------------------------------------------------------------------------------------------------
 * The plan (generator: rendered by the planner).
 * ---------------------------------------------------------------------------------------------------------- */

constexpr int kBlockM = {{tile_rows}}; /* query rows per CTA: {{consumer_warpgroups}} consumer warpgroups x 64 */
/* Keys per K/V tile (also the N of S = Q·Kᵀ): the planner's widest multiple of 16 up to 128 whose accumulators fit
   the consumers' registers and whose ring fits shared memory (128 at d = 64 and 128, 80 at d = 256). */
constexpr int kBlockN = {{tile_columns}};
/* K/V ring depth: what the planner's shared-memory account fits in the budget beside the Q tiles (3 at d = dv = 64,
   2 at d = dv = 128 under the default 227 KB, where it prefers two Q tiles to a third stage; fewer with a smaller
   --budget): more stages let the producer run further ahead of the consumers (TMA latency, the first tiles). */
constexpr int kStages = {{stages}};
/* Q tiles in shared memory: 2 where the account fits them beside the K/V ring (the producer then loads the next
   item's Q as soon as the item before the current one has issued its last S), else 1 (it loads it once the
   current item's last S = Q·Kᵀ has completed). */
constexpr int kQStages = {{query_stages}};
/* Whether every work item visits the same key tiles (the variant has no causal, window or block-sparse mask): then
   the order of the items only serves L2 (heads in groups whose K and V fit), else longest first (see the top of
   the file). */
constexpr bool kUniformItems = {{uniform_items}};
/* Items of unequal length at d = 64 go in pairs of one head whose lengths add up to the same, head-major (see the
   top of the file): measured faster there than longest first over all heads, slower at d = 128 (TUNING.md H5). */
constexpr bool kPairedItems = !kUniformItems && kHeadDim <= 64;
/* Uniform items go head by head (KernelArguments::head_major) when a head has at most this many query tiles. */
constexpr int64_t kHeadMajorQueryTiles = 8;
/* Consumer warpgroups of 64 query rows each: 2, or 3 where the planner fits a plain d = 64 kernel's accumulators
   in the 160 registers a thread that three consumers leave (HopperForwardPlanner.takesThreeConsumers). */
constexpr int kConsumerWarpgroups = {{consumer_warpgroups}};
/* fp8 e4m3 inputs (kInputBytes 1, README.md "fp8 inputs"): Q, K and V are bytes; S = Q·Kᵀ and O += P·V run on fp8
   wgmma (k32, both operands K-major), so V is transposed in shared memory by the producer warpgroup's warps 1 to 3
   (transpose_values), and P goes to the second product in e4m3 (pack_p). */
constexpr bool kFp8 = kInputBytes == 1;
/* setmaxnreg: what the producer warpgroup keeps (its transposing warps, with fp8, need more than the TMA thread alone)
   and what the consumers get (the planner's HopperForwardPlanner.registerSplit), and what of the consumers'
   registers the accumulators S, P and O may take together (accumulatorRegisterLimit). */
constexpr int kProducerRegisters = {{producer_registers}};
constexpr int kConsumerRegisters = {{consumer_registers}};
constexpr int kAccumulatorRegisterLimit = {{accumulator_register_limit}};

/* ------------------------------------------------------------------------------------------------------------
 * Derived constants.
 * ---------------------------------------------------------------------------------------------------------- */

constexpr int kWarpgroupThreads = 128;
constexpr int kRowsPerConsumer = 64;  /* the M of wgmma */
constexpr int kThreads = kWarpgroupThreads * (1 + kConsumerWarpgroups);
constexpr int kConsumerWarps = 4 * kConsumerWarpgroups;
constexpr int kSwizzleRowBytes = 128; /* one row of a 128-byte-swizzled column block */
constexpr int kElementBytes = kInputBytes; /* one stored element of Q, K and V: 2, or 1 (fp8) */
constexpr int kBlockColumns = kSwizzleRowBytes / kElementBytes; /* elements per swizzle row: the columns of a TMA box */
constexpr int kKStep = 32 / kElementBytes; /* the k of one wgmma: 16 (16-bit), 32 (fp8); 32 bytes of a row either way */
constexpr int kTransposeWarps = 3;         /* fp8: warps 1 .. 3 of the producer warpgroup transpose V */
static_assert(kKStep * kElementBytes == 32 && 32 * (1 + kTransposeWarps) == 128,
              "a wgmma k step is 32 bytes of a row; the TMA warp and the transposing warps make a warpgroup");

static_assert(kWarpgroupThreads * (kProducerRegisters + kConsumerWarpgroups * kConsumerRegisters) <=
                  kThreads * attngen_launch_registers(kThreads),
              "setmaxnreg: the warpgroups' registers fit the pool the block starts with (else an .inc waits forever)");
static_assert(kConsumerWarps * 32 == kConsumerWarpgroups * kWarpgroupThreads, "four warps per consumer warpgroup");

static_assert(std::is_same<Element, __nv_bfloat16>::value || std::is_same<Element, __half>::value,
              "the Hopper kernel takes fp16 or bf16 storage only (fp32 keeps the mma.sync kernel)");
static_assert(kHeadDim % kBlockColumns == 0 && kValueHeadDim % kBlockColumns == 0,
              "head dims are whole 128-byte column blocks (64 .. 256 16-bit columns, 128 or 256 fp8 ones)");
static_assert(!kFp8 || kBlockN == 128 || kBlockN == 64,
              "fp8: a key tile is one row of the transposed V tile, 128-byte (or 64-byte) swizzled");
/* fp8: the transposed V tile's rows, kBlockN bytes, and their swizzle (128-byte, or 64-byte for 64-key tiles). */
constexpr int kVtRowBytes = kBlockN;
static_assert(kHeadDim <= 256 && kValueHeadDim <= 256, "d, dv <= 256: the N of O += P·V is at most 256");
/* The planner's register account (HopperForwardPlanner.accumulatorRegisterLimit): S (kBlockN / 2 fp32), P
   (kBlockN / 4 words) and O (kValueHeadDim / 2 fp32) are live at once in a consumer thread's registers, and what
   the limit leaves of them stays for the rest. */
static_assert(kBlockN / 2 + kBlockN / (kFp8 ? 8 : 4) + kValueHeadDim / 2 <= kAccumulatorRegisterLimit &&
                  kAccumulatorRegisterLimit < kConsumerRegisters,
              "the accumulators leave room for the rest");
static_assert(kConsumerWarpgroups == 2 || (kConsumerWarpgroups == 3 && !kFp8),
              "two consumer warpgroups, or three without fp8 (the transposing warps need the producer's registers)");
static_assert(kBlockM == kConsumerWarpgroups * kRowsPerConsumer, "each consumer warpgroup owns 64 query rows");
static_assert(kBlockN % 16 == 0 && kBlockN <= 256, "S = Q·Kᵀ is one wgmma of N = kBlockN per k step");
/* Column blocks must start on 1024-byte boundaries (swizzle pattern repeat, descriptor base offset 0), and so
   must consumer c's 64-row slice of Q: */
static_assert((kBlockM * kSwizzleRowBytes) % 1024 == 0 && (kBlockN * kSwizzleRowBytes) % 1024 == 0 &&
                  (kRowsPerConsumer * kSwizzleRowBytes) % 1024 == 0,
              "tiles and column blocks start on 1024-byte boundaries");

constexpr int kQKColumnBlocks = kHeadDim / kBlockColumns;
constexpr int kVColumnBlocks = kValueHeadDim / kBlockColumns;
constexpr uint32_t kQColumnBlockBytes = kBlockM * kSwizzleRowBytes;  /* 16384 */
constexpr uint32_t kKVColumnBlockBytes = kBlockN * kSwizzleRowBytes; /* 16384 at kBlockN = 128, 10240 at 80 */
constexpr uint32_t kQTileBytes = kBlockM * kHeadDim * kElementBytes;
constexpr uint32_t kKTileBytes = kBlockN * kHeadDim * kElementBytes;
constexpr uint32_t kVTileBytes = kBlockN * kValueHeadDim * kElementBytes;
/* fp8: V transposed, kValueHeadDim rows of the kBlockN keys' bytes (128- or 64-byte swizzled); keys permuted inside
   each 32-key step to match P's registers (transpose_value_tile). */
constexpr uint32_t kVtTileBytes = kFp8 ? kValueHeadDim * kVtRowBytes : 0;
static_assert(kQTileBytes == kQKColumnBlocks * kQColumnBlockBytes && kKTileBytes == kQKColumnBlocks * kKVColumnBlockBytes &&
                  kVTileBytes == kVColumnBlocks * kKVColumnBlockBytes,
              "a tile is its column blocks");

constexpr uint32_t kQOffset = 0;
constexpr uint32_t kKOffset = kQOffset + kQStages * kQTileBytes;
constexpr uint32_t kVOffset = kKOffset + kStages * kKTileBytes;
constexpr uint32_t kVtOffset = kVOffset + kStages * kVTileBytes;
constexpr uint32_t kBarrierOffset = kVtOffset + kStages * kVtTileBytes;
/* q_full, q_empty per Q buffer; k/v full/empty per slot; fp8: vt full/empty per slot */
constexpr int kBarrierCount = 2 * kQStages + 4 * kStages + (kFp8 ? 2 * kStages : 0);
constexpr uint32_t kSharedAlignmentSlack = 1024;
constexpr int kSharedBytes = (int)(kSharedAlignmentSlack + kBarrierOffset + kBarrierCount * 8);
static_assert(kSharedBytes <= 227 * 1024, "fits the 227 KB a block may take on sm_90");
/* The sequence table of a variable-length batch (see SequenceTable), after the barriers, when the launcher found
   room for it past kSharedBytes. */
constexpr uint32_t kSequenceTableOffset = kBarrierOffset + kBarrierCount * 8;
static_assert(kStages >= 2, "the pipelined consumer loop needs K(j + 1) while V(j) is in use");
static_assert(kQStages == 1 || kQStages == 2, "one or two Q buffers");

/* Everything the CTAs need besides the tensor maps, computed once on the host. */
struct KernelArguments {
    attngen_forward_params params;
    int32_t kv_group;   /* query heads per key/value head */
    int32_t o_aligned4; /* every O element pair (even column) is 4-byte aligned: packed 4-byte stores are safe */
    int32_t o_aligned16; /* O and its strides are 16-byte aligned: the epilogue's 16-byte stores are safe */
    /* The work items (see cta_step()): query_tiles x heads_total (batch x query heads) of them, fewer than 2^31. */
    uint32_t query_tiles;
    uint32_t heads_total;
    uint32_t heads_per_group; /* waves: heads whose K and V are worked on together (1 .. heads_total) */
    uint32_t head_major;      /* waves of uniform items: a group's items head by head, not rank by rank */
    uint32_t work_items;
    uint32_t query_pairs; /* pairs: units per head, (query_tiles + 1) / 2; heads_total x query_pairs units */
    uint32_t work_units;  /* what the CTAs share out: work_items in waves, the units in pairs */
    uint32_t sorted_sequences; /* > 0: the sequences (batch) of a variable-length batch in a SequenceTable */
};

/* A variable-length batch of uniform items (cu_seqlens_q; no mask that makes items of one sequence differ), when its
   table fits the shared memory the plan leaves free: each CTA ranks the sequences by their keys (the length of each
   of their items), longest first: order(i) is the sequence of rank i, first_item(i) counts the items of the
   sequences ranked before i (query tiles x query heads each), first_item(B) = items() all of them. cta_step() then
   hands out exactly those items, rank by rank, each sequence's heads in turn and each head's query tiles (its K and
   V stay in L2), in the waves described at the top of the file: no step lands past a shorter sequence's rows, and
   the waves end on the shortest items (TUNING.md, V2). In shared memory, 32-bit words: the item count, a word of
   padding, then (first_item(i), order(i)) for i = 0 .. B; addresses that need no B, so that the producer (24
   registers) keeps none of them live. */
constexpr int kSequenceTableWords = 2; /* before the pairs */
static inline int sequence_table_bytes(int64_t sequences) {
    return (int)((kSequenceTableWords + 2 * (sequences + 1)) * (int64_t)sizeof(int32_t));
}
struct SequenceTable {
    uint32_t address;  /* shared-window address of the table */
    int32_t sequences; /* B; 0: no table, the order of the fixed-length waves */
#if defined(__CUDA_ARCH__)
    __device__ __forceinline__ uint32_t items() const { return (uint32_t)attngen_load_shared_s32(address); }
    __device__ __forceinline__ uint32_t first_item(int32_t i) const {
        return (uint32_t)attngen_load_shared_s32(address + 4u * (kSequenceTableWords + 2u * (uint32_t)i));
    }
    __device__ __forceinline__ int32_t order(int32_t i) const {
        return attngen_load_shared_s32(address + 4u * (kSequenceTableWords + 2u * (uint32_t)i + 1u));
    }
#endif
};

/* Shared-memory addresses of one CTA's tiles and barriers, and its sequence table. */
struct SharedLayout {
    uint32_t base; /* 1024-byte aligned */
    __device__ __forceinline__ uint32_t q(int buffer) const { return base + kQOffset + (uint32_t)buffer * kQTileBytes; }
    __device__ __forceinline__ uint32_t k(int slot) const { return base + kKOffset + (uint32_t)slot * kKTileBytes; }
    __device__ __forceinline__ uint32_t v(int slot) const { return base + kVOffset + (uint32_t)slot * kVTileBytes; }
    __device__ __forceinline__ uint32_t vt(int slot) const { return base + kVtOffset + (uint32_t)slot * kVtTileBytes; }
    __device__ __forceinline__ uint32_t q_full(int buffer) const { return base + kBarrierOffset + 8u * buffer; }
    __device__ __forceinline__ uint32_t q_empty(int buffer) const {
        return base + kBarrierOffset + 8u * (kQStages + buffer);
    }
    __device__ __forceinline__ uint32_t k_full(int slot) const {
        return base + kBarrierOffset + 8u * (2 * kQStages + slot);
    }
    __device__ __forceinline__ uint32_t v_full(int slot) const {
        return base + kBarrierOffset + 8u * (2 * kQStages + kStages + slot);
    }
    __device__ __forceinline__ uint32_t k_empty(int slot) const {
        return base + kBarrierOffset + 8u * (2 * kQStages + 2 * kStages + slot);
    }
    __device__ __forceinline__ uint32_t v_empty(int slot) const {
        return base + kBarrierOffset + 8u * (2 * kQStages + 3 * kStages + slot);
    }
    /* fp8: the transposed V of a slot, written by the transposing warps, read by the consumers' P·V. */
    __device__ __forceinline__ uint32_t vt_full(int slot) const {
        return base + kBarrierOffset + 8u * (2 * kQStages + 4 * kStages + slot);
    }
    __device__ __forceinline__ uint32_t vt_empty(int slot) const {
        return base + kBarrierOffset + 8u * (2 * kQStages + 5 * kStages + slot);
    }
    /* What the consumers' P·V waits for and releases: V as TMA wrote it, or (fp8) its transpose. */
    __device__ __forceinline__ uint32_t value_full(int slot) const { return kFp8 ? vt_full(slot) : v_full(slot); }
    __device__ __forceinline__ uint32_t value_empty(int slot) const { return kFp8 ? vt_empty(slot) : v_empty(slot); }
    /* The sequence table of a call with arguments.sorted_sequences > 0 (read from the kernel's parameters at each
       use rather than kept in a register: the producer has 24). */
    __device__ __forceinline__ SequenceTable sequences(const KernelArguments &arguments) const {
        return SequenceTable{base + kSequenceTableOffset, (int32_t)arguments.sorted_sequences};
    }
};

/* The visible key tiles of a CTA, in order: tiles [tile_begin, tile_end) of kBlockN keys that the causal and
   window masks leave, minus those the block-sparse mask skips (the planner only picks this kernel when the
   kBlockM x kBlockN tile divides the sparse block). Producer and consumers both walk it with next().
   Positions, heads and tile numbers are 32-bit here and in the consumer: the launcher hands this kernel only
   sequence lengths, head and batch counts below 2^31 - 256 (attngen_hopper_tma_layout_ok), so a position plus a
   tile fits, and 64-bit copies would take registers the accumulators need (d = 256). The mask hooks get them
   widened. */
struct KeyTiles {
    int32_t tile_begin, tile_end;
    int32_t b, h, q_begin;
    const uint8_t *block_mask;
    attngen_layout block_mask_layout;

    __device__ __forceinline__ int32_t next(int32_t tile) const {
        while (tile < tile_end &&
               key_tile_is_skipped(block_mask, block_mask_layout, b, h, q_begin, (int64_t)tile * kBlockN)) {
            ++tile;
        }
        return tile;
    }
    /* The last tile next() visits (of a walk that visits any). */
    __device__ __forceinline__ int32_t last() const {
        int32_t tile = tile_end - 1;
        while (tile > tile_begin &&
               key_tile_is_skipped(block_mask, block_mask_layout, b, h, q_begin, (int64_t)tile * kBlockN)) {
            --tile;
        }
        return tile;
    }
};

/* One work item: query rows q_begin .. q_begin + kBlockM - 1 of (batch b, query head h), and its key tiles.
   Sequence b has nq query rows and nk keys; in the tensors its row 0 is row q_row0 (keys: k_row0) of batch index
   q_batch (k_batch): 0 and b for fixed lengths, the packed row cu_seqlens[b] and 0 for a variable-length batch
   (README.md, "Variable-length batches"), whose tensor maps hold all packed rows as one batch. */
struct WorkItem {
    int32_t b, h, q_begin;
    int32_t nq, nk;
    int32_t q_row0, q_batch, k_row0, k_batch;
    KeyTiles tiles;
    int32_t first_tile; /* tiles.next(tiles.tile_begin); tiles.tile_end when the item visits no key tile */
};

/* The device code below is compiled for sm_90a only; the host pass sees the kernel's empty body. */
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)

/* What step n (0, 1, ...) of this CTA's walk over the work is (see the top of the file): the last one (kStepDone:
   stop), no item (kStepNone: in the last wave of uniform items, or the absent partner of an odd T's middle tile),
   or work item (head_index = b · heads_q + h, rank), rank r being query tile query_tiles - 1 - r.
     waves: step n = wave n; item w = n · G + c in even waves, n · G + G - 1 - c in odd ones, in the order of
       heads in groups of heads_per_group (the last group may be smaller), inside a group rank 0 of each of the
       group's heads in turn, then rank 1, and so on (head_major: each head's ranks in turn); with a sequence table,
       in its order (SequenceTable);
     pairs: unit u = c + (n / 2) · G of heads_total · query_pairs, head u / query_pairs, p = u % query_pairs;
       step n even is rank p (query tile T - 1 - p, the longer), odd rank T - 1 - p (query tile p).
   32-bit arithmetic (the launcher keeps work_items below 2^31), also so that the producer, with 24 registers,
   needs no 64-bit division. */
constexpr int kStepItem = 0, kStepNone = 1, kStepDone = 2;
static __device__ __forceinline__ int cta_step(const KernelArguments &arguments, const SequenceTable &table, uint32_t n,
                                               uint32_t &head_index, uint32_t &rank) {
    if (!kPairedItems) {
        /* The items: those of the sequence table, or every (head, query tile) of the bounds. */
        /* (Tables are built for uniform items only: other variants compile none of their code.) */
        const bool tabled = kUniformItems && table.sequences > 0;
        const uint32_t items = tabled ? table.items() : arguments.work_items;
        if (n * gridDim.x >= items) return kStepDone;
        const uint32_t w = n * gridDim.x + ((n & 1u) != 0 ? gridDim.x - 1 - blockIdx.x : blockIdx.x);
        if (w >= items) return kStepNone;
        if (tabled) {
            /* The rank whose items hold w: the last i with first_item[i] <= w (one with items, since w < all). */
            int32_t low = 0, high = table.sequences - 1;
            while (low < high) {
                const int32_t middle = (low + high + 1) >> 1;
                if (table.first_item(middle) <= w) {
                    low = middle;
                } else {
                    high = middle - 1;
                }
            }
            const uint32_t first = table.first_item(low);
            const uint32_t heads_q = (uint32_t)arguments.params.heads_q;
            const uint32_t tiles = (table.first_item(low + 1) - first) / heads_q; /* query tiles */
            const uint32_t within = w - first;
            const uint32_t h = within / tiles;
            head_index = (uint32_t)table.order(low) * heads_q + h;
            rank = arguments.query_tiles - 1 - (within - h * tiles);
            return kStepItem;
        }
        const uint32_t group_items = arguments.heads_per_group * arguments.query_tiles;
        const uint32_t group = w / group_items;
        const uint32_t within = w - group * group_items;
        const uint32_t first_head = group * arguments.heads_per_group;
        const uint32_t heads_left = arguments.heads_total - first_head;
        const uint32_t heads_here = heads_left < arguments.heads_per_group ? heads_left : arguments.heads_per_group;
        if (kUniformItems && arguments.head_major != 0u) {
            /* Each head's query tiles in turn, on adjacent CTAs of a wave: one read of its K and V serves them all
               from L2 while they are in flight (few query tiles a head; TUNING.md H14). */
            head_index = first_head + within / arguments.query_tiles;
            rank = within - (head_index - first_head) * arguments.query_tiles;
        } else {
            rank = within / heads_here;
            head_index = first_head + (within - rank * heads_here);
        }
        return kStepItem;
    } else {
        const uint32_t u = blockIdx.x + (n >> 1) * gridDim.x;
        if (u >= arguments.work_units) return kStepDone;
        head_index = u / arguments.query_pairs;
        const uint32_t pair = u - head_index * arguments.query_pairs;
        const uint32_t partner = arguments.query_tiles - 1 - pair;
        if ((n & 1u) == 0) {
            rank = pair;
            return kStepItem;
        }
        rank = partner;
        return partner != pair ? kStepItem : kStepNone;
    }
}

/* Work item (head_index, rank) of cta_step(): query rows q_begin .. q_begin + kBlockM - 1 of (batch b, query head h)
   with q_begin = (query_tiles - 1 - rank) · kBlockM, and its visible key tiles. */
static __device__ __forceinline__ WorkItem work_item(const KernelArguments &arguments, uint32_t head_index,
                                                     uint32_t rank) {
    const attngen_forward_params &p = arguments.params;
    const uint32_t heads_q = (uint32_t)p.heads_q;
    const uint32_t b = head_index / heads_q;

    WorkItem item;
    item.b = (int32_t)b;
    item.h = (int32_t)(head_index - b * heads_q);
    item.q_begin = (int32_t)((arguments.query_tiles - 1 - rank) * (uint32_t)kBlockM);
    /* The sequence's rows (clamped into the packed tensors whatever the prefix sums hold) and keys. */
    const attngen_sequence_rows queries = attngen_sequence_rows_of(p.cu_seqlens_q, b, p.seqlen_q, p.total_q);
    const attngen_sequence_rows keys = attngen_sequence_rows_of(p.cu_seqlens_k, b, p.seqlen_k, p.total_k);
    item.nq = (int32_t)queries.count;
    item.nk = (int32_t)keys.count;
    item.q_row0 = (int32_t)queries.first;
    item.q_batch = (int32_t)queries.batch;
    item.k_row0 = (int32_t)keys.first;
    item.k_batch = (int32_t)keys.batch;
    const int64_t q_end = attngen_min64((int64_t)item.q_begin + kBlockM, item.nq);
    int64_t key_begin = 0, key_end = 0;
    visible_key_range(item.q_begin, q_end, item.nq, item.nk, key_begin, key_end);
    item.tiles.tile_begin = key_begin > 0 ? (int32_t)(key_begin / kBlockN) : 0;
    /* No key tile past the sequence's rows (a shorter sequence of a variable-length batch: the grid covers the
       longest), nor where the masks leave none. */
    item.tiles.tile_end = key_end > key_begin && item.q_begin < item.nq ? (int32_t)((key_end + kBlockN - 1) / kBlockN)
                                                                       : item.tiles.tile_begin;
    item.tiles.b = item.b;
    item.tiles.h = item.h;
    item.tiles.q_begin = item.q_begin;
    item.tiles.block_mask = p.block_mask;
    item.tiles.block_mask_layout = p.block_mask_layout;
    item.first_tile = item.tiles.next(item.tiles.tile_begin);
    return item;
}

constexpr int kSTileFloats = kBlockN / 2;      /* S accumulators a consumer thread holds (64 x kBlockN / 128) */
constexpr int kOTileFloats = kValueHeadDim / 2; /* O accumulators a consumer thread holds */
constexpr int kPFragments = kBlockN / kKStep;   /* k steps of P·V (16 or 32 keys; 4 words of P each) */

/* ------------------------------------------------------------------------------------------------------------
 * Producer: one thread.
 * ---------------------------------------------------------------------------------------------------------- */

/* Walks the CTA's work items and, for each that visits key tiles, loads its Q tile into the next Q buffer and its
   K and V tiles into the ring (fill numbers and Q uses counted over all items, see "Synchronisation"). */
static __device__ __forceinline__ void produce(const SharedLayout &smem, const KernelArguments &arguments,
                                               const CUtensorMap *tmap_q, const CUtensorMap *tmap_k,
                                               const CUtensorMap *tmap_v) {
    /* With seqlen_k = 0 no item visits a key tile (and the K/V maps are left empty). */
    if (arguments.params.seqlen_k == 0) return;
    attngen_prefetch_tensor_map(tmap_q);
    attngen_prefetch_tensor_map(tmap_k);
    attngen_prefetch_tensor_map(tmap_v);

    uint32_t fill = 0;    /* K/V tiles loaded so far, over all items */
    uint32_t q_count = 0; /* Q tiles loaded so far */
    for (uint32_t n = 0;; ++n) {
        uint32_t head_index = 0, rank = 0;
        const int step = cta_step(arguments, smem.sequences(arguments), n, head_index, rank);
        if (step == kStepDone) break;
        if (step == kStepNone) continue;
        const WorkItem item = work_item(arguments, head_index, rank);
        if (item.first_tile >= item.tiles.tile_end) continue; /* the consumers write O = 0 */
        const int32_t h = (int32_t)item.h, kv_head = h / arguments.kv_group;

        /* Q: kQKColumnBlocks boxes of {64 columns, kBlockM rows} at columns 0, 64, ... Rows past seqlen_q are
           filled with zeros by TMA (and still counted in the transaction bytes); rows past a packed sequence are
           the next one's, which no consumer stores. The buffer's previous Q (use
           q_count / kQStages - 1) must have been read by the last S = Q·Kᵀ of its item, in every consumer warp. */
        const int q_buffer = (int)(q_count % kQStages);
        const uint32_t q_use = q_count / kQStages;
        if (q_use > 0) attngen_mbarrier_wait_parity(smem.q_empty(q_buffer), (q_use - 1) & 1u);
        attngen_mbarrier_arrive_expect_tx(smem.q_full(q_buffer), kQTileBytes);
#pragma unroll
        for (int block = 0; block < kQKColumnBlocks; ++block) {
            attngen_tma_load_4d(smem.q(q_buffer) + block * kQColumnBlockBytes, tmap_q, smem.q_full(q_buffer),
                                block * kBlockColumns, item.q_row0 + item.q_begin, h, item.q_batch);
        }
        ++q_count;

        for (int32_t tile = item.first_tile; tile < item.tiles.tile_end; tile = item.tiles.next(tile + 1), ++fill) {
            const int slot = (int)(fill % kStages);
            const uint32_t use = fill / kStages;
            /* The slot's previous K (use - 1) must have been read by every consumer warp (released right after its
               S = Q·Kᵀ completed, i.e. about one softmax before the V of that use is released). */
            if (use > 0) attngen_mbarrier_wait_parity(smem.k_empty(slot), (use - 1) & 1u);
            /* Keys past seqlen_k arrive as zeros; past a packed sequence's keys, as the next rows (masked, and their
               V rows zeroed by the consumers: zero_packed_value_rows). */
            const int32_t k0 = item.k_row0 + tile * kBlockN;
            attngen_mbarrier_arrive_expect_tx(smem.k_full(slot), kKTileBytes);
#pragma unroll
            for (int block = 0; block < kQKColumnBlocks; ++block) {
                attngen_tma_load_4d(smem.k(slot) + block * kKVColumnBlockBytes, tmap_k, smem.k_full(slot),
                                    block * kBlockColumns, k0, kv_head, item.k_batch);
            }
            /* The same for V (released after O += P·V of that use completed). */
            if (use > 0) attngen_mbarrier_wait_parity(smem.v_empty(slot), (use - 1) & 1u);
            attngen_mbarrier_arrive_expect_tx(smem.v_full(slot), kVTileBytes);
#pragma unroll
            for (int block = 0; block < kVColumnBlocks; ++block) {
                attngen_tma_load_4d(smem.v(slot) + block * kKVColumnBlockBytes, tmap_v, smem.v_full(slot),
                                    block * kBlockColumns, k0, kv_head, item.k_batch);
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------------------------
 * fp8: warps 1 .. 3 of the producer warpgroup transpose V.
 * ---------------------------------------------------------------------------------------------------------- */

/* This thread's part of the addresses of transpose_value_tile, the same for every block and tile. */
struct TransposeLane {
    uint32_t load_row;      /* bytes into a V tile: the key row it addresses for ldmatrix (lane), 128 bytes apart */
    uint32_t load_swizzle;  /* lane % 8: V's 16-byte chunk c of that row sits at chunk c ^ load_swizzle */
    uint32_t store_row;     /* bytes into a transposed V tile: the V column it addresses for stmatrix */
    uint32_t store_swizzle; /* (16-byte chunk of that row before the swizzle, for kk = 0) ^ (the row's swizzle) */
    int key_in_step;        /* the key of an 8-key matrix this lane holds after ldmatrix: lane / 4 */
};

static __device__ __forceinline__ TransposeLane transpose_lane(int lane) {
    const int store_half = lane >> 4, store_parity = (lane >> 3) & 1, i = lane & 7;
    const int store_column = 4 * (i >> 1) + 2 * store_parity + (i & 1); /* + the block's first column, 16 cb */
    /* The row's swizzle, 128-byte rows: column % 8; 64-byte rows: (column / 2) % 4. A block's first column is a
       multiple of 16, so both are the thread's own (store_column's) bits. */
    const int row_swizzle = kVtRowBytes == 128 ? (store_column & 7) : ((store_column >> 1) & 3);
    TransposeLane t;
    t.load_row = (uint32_t)lane * kSwizzleRowBytes;
    t.load_swizzle = (uint32_t)(lane & 7);
    t.store_row = (uint32_t)store_column * kVtRowBytes;
    t.store_swizzle = (uint32_t)(store_half ^ row_swizzle);
    t.key_in_step = lane >> 2;
    return t;
}

/* fp8 wgmma reads both operands K-major, so O += P·V needs V with the keys along its rows. For each K/V fill (the
   producer's order: the same walk of items and tiles), warps 1 .. 3 wait for V in slot s (v_full) and for the
   consumers' release of the slot's previous transpose (vt_empty), then write vt(s): row c (a V column, c <
   kValueHeadDim) holds the tile's kBlockN keys as kBlockN bytes, swizzled (128 keys: 16-byte chunk q of row c at
   position q ^ (c % 8); 64 keys: q ^ ((c / 2) % 4)), the keys of each 32-key step in the order of P's registers
   (pack_p): in each 16-key half, byte positions 2j and 2j + 1 hold keys j and j + 8.
   A warp takes blocks of 32 keys (one step) x 16 V columns, 512 bytes: ldmatrix.x4 (16-bit elements, matrix m =
   keys 8m .. 8m + 7 of the step, 16 columns from each key's row, V's swizzle undone by the row addresses) gives lane
   l the 4 bytes of columns 4 (l % 4) .. + 3 of key 8m + l / 4; one byte permute per output register pairs key
   8m + l / 4 with key 8 (m + 1) + l / 4 (m = 0, 2) for two of those columns; stmatrix.x4.trans (matrix 2H + P: rows
   = V columns 4 (i / 2) + 2P + i % 2 of the block, 16-bit columns j = position pairs j of half H) puts each 16-bit
   pair at (column, position pair l / 4). Conflict-free loads; stores 2-way (the rows of a matrix hit 4 swizzle
   phases). Keys past the sequence's nk are written as zeros (a packed side's next rows may hold anything; P is 0
   there, but 0 x NaN is not); the lane's part of every address is computed once (TransposeLane, TUNING.md F6).
   Then each thread fences its stores for the async proxy, and lane 0 of each warp
   arrives on vt_full(s) (wgmma may read it) and on v_empty(s) (TMA may refill V: its reads are done). */
static __device__ __forceinline__ void transpose_value_tile(const SharedLayout &smem, int slot, int32_t valid_keys,
                                                            uint32_t warp, const TransposeLane &t) {
    constexpr uint32_t kColumnBlocks = kValueHeadDim / 16; /* a power of two: / and % are shifts and masks */
    constexpr uint32_t kBlocks = (kBlockN / 32) * kColumnBlocks;
    static_assert(!kFp8 || ((kColumnBlocks & (kColumnBlocks - 1)) == 0 && 2 * (kBlockN / 32) <= kVtRowBytes / 16),
                  "16-column blocks in powers of two; a tile's 16-byte chunks lie in one transposed row");
    const uint32_t v_tile = smem.v(slot) + t.load_row, vt_tile = smem.vt(slot) + t.store_row;
#pragma unroll 1
    for (uint32_t block = warp; block < kBlocks; block += kTransposeWarps) {
        /* Block: 32-key step kk x 16 V columns from column 16 cb. The source chunk is (cb % 8) ^ (lane % 8), the
           target chunk (2 kk + half) ^ row_swizzle = 2 kk ^ store_swizzle (2 kk is even, half is 0 or 1). */
        const uint32_t kk = block / kColumnBlocks, cb = block % kColumnBlocks;
        const uint32_t source = v_tile + kk * (32u * kSwizzleRowBytes) + (cb * 16u / kSwizzleRowBytes) * kKVColumnBlockBytes +
                                ((((cb * 16u % kSwizzleRowBytes) >> 4) ^ t.load_swizzle) << 4);
        uint32_t r[4];
        attngen_ldmatrix_x4(r, source);
        if (valid_keys < (int32_t)(32u * (kk + 1u))) {
#pragma unroll
            for (int m = 0; m < 4; ++m) {
                if ((int32_t)(32u * kk) + 8 * m + t.key_in_step >= valid_keys) r[m] = 0u;
            }
        }
        /* matrix 2H + P: columns 2P, 2P + 1 of this lane's 4, keys (8 (2H) + l / 4, 8 (2H + 1) + l / 4) */
        const uint32_t out[4] = {__byte_perm(r[0], r[1], 0x5140), __byte_perm(r[0], r[1], 0x7362),
                                 __byte_perm(r[2], r[3], 0x5140), __byte_perm(r[2], r[3], 0x7362)};
        attngen_stmatrix_x4_trans(vt_tile + cb * (16u * kVtRowBytes) + (((2u * kk) ^ t.store_swizzle) << 4), out);
    }
}

static __device__ __forceinline__ void transpose_values(const SharedLayout &smem, const KernelArguments &arguments) {
    if (arguments.params.seqlen_k == 0) return; /* as the producer: no item visits a key tile */
    const int thread = (int)threadIdx.x - 32; /* 0 .. 95 */
    const TransposeLane lane_part = transpose_lane(thread & 31);
    uint32_t fill = 0;
    for (uint32_t n = 0;; ++n) {
        uint32_t head_index = 0, rank = 0;
        const int step = cta_step(arguments, smem.sequences(arguments), n, head_index, rank);
        if (step == kStepDone) break;
        if (step == kStepNone) continue;
        const WorkItem item = work_item(arguments, head_index, rank);
        for (int32_t tile = item.first_tile; tile < item.tiles.tile_end; tile = item.tiles.next(tile + 1), ++fill) {
            const int slot = (int)(fill % kStages);
            const uint32_t use = fill / kStages;
            attngen_mbarrier_wait_parity(smem.v_full(slot), use & 1u);
            if (use > 0) attngen_mbarrier_wait_parity(smem.vt_empty(slot), (use - 1) & 1u);
            transpose_value_tile(smem, slot, item.nk - tile * kBlockN, (uint32_t)thread >> 5, lane_part);
            attngen_fence_proxy_async_shared();
            attngen_mbarrier_arrive_warp(smem.vt_full(slot), thread & 31); /* (syncs the warp first) */
            attngen_mbarrier_arrive_warp(smem.v_empty(slot), thread & 31);
        }
    }
}

/* ------------------------------------------------------------------------------------------------------------
 * Consumer: one warpgroup, 64 query rows.
 * ---------------------------------------------------------------------------------------------------------- */

/* Issues S = Q·Kᵀ for the consumer's 64 rows and the kBlockN keys of the slot (layouts: see the top of the file)
   as one wgmma group and returns at once: s belongs to the tensor cores until a wgmma.wait_group that covers this
   group, after which the caller runs attngen_fence_operands(s) before reading it. */
static __device__ __forceinline__ void issue_scores(float (&s)[kSTileFloats], const SharedLayout &smem, int q_buffer,
                                                    int consumer, int slot) {
    const attngen_smem_operand q_rows = attngen_smem_operand_sw128(
        smem.q(q_buffer) + (uint32_t)(consumer * kRowsPerConsumer * kSwizzleRowBytes), 16, 1024);
    const attngen_smem_operand k_rows = attngen_smem_operand_sw128(smem.k(slot), 16, 1024);
    attngen_fence_operands(s);
    attngen_wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kHeadDim / kKStep; ++kk) {
        const uint32_t column_block = (uint32_t)(kk / 4), step = (uint32_t)(kk % 4) * 32u;
        const uint64_t a = q_rows.at(column_block * kQColumnBlockBytes + step);
        const uint64_t b = k_rows.at(column_block * kKVColumnBlockBytes + step);
        if constexpr (kFp8) {
            if (kk == 0) {
                attngen_wgmma_ss_e4m3<kBlockN, 0>(s, a, b);
            } else {
                attngen_wgmma_ss_e4m3<kBlockN, 1>(s, a, b);
            }
        } else if (kk == 0) {
            attngen_wgmma_ss<kBlockN, 0, 0, 0, Element>(s, a, b); /* S = A·B (the old S is ignored) */
        } else {
            attngen_wgmma_ss<kBlockN, 1, 0, 0, Element>(s, a, b); /* S += A·B */
        }
    }
    attngen_wgmma_commit_group();
}

/* Issues O += P·V with P in registers (kPFragments k16 steps) and V of the slot (MN-major, transposed B) as one
   wgmma group and returns at once: o and p belong to the tensor cores until a wgmma.wait_group that covers this
   group (then complete_pv). */
static __device__ __forceinline__ void issue_pv(float (&o)[kOTileFloats], uint32_t (&p)[kPFragments][4],
                                                const SharedLayout &smem, int slot) {
    /* fp8: V transposed (K-major: keys along the rows), 32 keys = 32 bytes a step, as K in S = Q·Kᵀ; 8 rows of
       kVtRowBytes apart a group. 16-bit: V as TMA wrote it (MN-major), 16 keys = 16 rows a step. */
    const attngen_smem_operand values =
        !kFp8 ? attngen_smem_operand_sw128(smem.v(slot), kKVColumnBlockBytes, 1024)
              : (kVtRowBytes == 128 ? attngen_smem_operand_sw128(smem.vt(slot), 16, 1024)
                                    : attngen_smem_operand_sw64(smem.vt(slot), 16, 512));
    attngen_fence_operands(o);
    attngen_fence_operands(p);
    attngen_wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kPFragments; ++kk) {
        if constexpr (kFp8) {
            attngen_wgmma_rs_e4m3<kValueHeadDim, 1>(o, p[kk], values.at((uint32_t)kk * 32u));
        } else {
            attngen_wgmma_rs<kValueHeadDim, 1, 1, Element>(o, p[kk], values.at((uint32_t)kk * 16u * kSwizzleRowBytes));
        }
    }
    attngen_wgmma_commit_group();
}

/* A packed key side (cu_seqlens_k): the V rows of key tile `tile` past the sequence's nk keys hold the next
   sequence's rows (or whatever the packed tensor holds there), whose P is 0 but whose values may not be finite, and
   0 · inf or 0 · NaN would reach O. Before its P·V, each consumer warpgroup zeroes those rows of the slot (a row of
   a 128-byte-swizzled column block is one 128-byte line, its 16-byte chunks permuted within it), fences them for
   the async proxy that wgmma reads through, and waits for its 128 threads (named barrier kZeroBarrier + consumer).
   Every consumer warpgroup writes the same zeros; the producer refills the slot only after all released it. Not the
   default path: fixed-length key sides get zeros past seqlen_k from TMA itself. */
constexpr uint32_t kSchedulerBarrier = 1; /* ids 1 .. kConsumerWarpgroups (see scheduler_wait); 0 is __syncthreads */
constexpr uint32_t kZeroBarrier = kSchedulerBarrier + kConsumerWarpgroups; /* the next kConsumerWarpgroups ids */
static_assert(kZeroBarrier + kConsumerWarpgroups <= 16, "16 named barriers");

/* bar.sync / bar.arrive on named barrier kBase + consumer, for the warp-uniform consumer index: branches so that the
   barrier id is a constant in SASS (with an id in a register ptxas reserves all 16 barriers). */
template <uint32_t kBase>
static __device__ __forceinline__ void consumer_barrier_sync(int consumer, uint32_t threads) {
    if (consumer == 0) {
        attngen_named_barrier_sync(kBase, threads);
    } else if (kConsumerWarpgroups == 2 || consumer == 1) {
        attngen_named_barrier_sync(kBase + 1, threads);
    } else {
        attngen_named_barrier_sync(kBase + 2, threads);
    }
}
template <uint32_t kBase>
static __device__ __forceinline__ void consumer_barrier_arrive(int consumer, uint32_t threads) {
    if (consumer == 0) {
        attngen_named_barrier_arrive(kBase, threads);
    } else if (kConsumerWarpgroups == 2 || consumer == 1) {
        attngen_named_barrier_arrive(kBase + 1, threads);
    } else {
        attngen_named_barrier_arrive(kBase + 2, threads);
    }
}
static __device__ __forceinline__ void zero_packed_value_rows(const SharedLayout &smem, int slot, int32_t tile,
                                                              int32_t nk, int consumer, int thread) {
    const int32_t first_row = nk - tile * kBlockN; /* rows first_row .. kBlockN - 1 are past the keys */
    if (first_row >= kBlockN) return;
    const int32_t chunks = (kBlockN - (first_row > 0 ? first_row : 0)) * (kSwizzleRowBytes / 16);
    const uint32_t first = smem.v(slot) + (uint32_t)(first_row > 0 ? first_row : 0) * kSwizzleRowBytes;
#pragma unroll 1
    for (int block = 0; block < kVColumnBlocks; ++block) {
        for (int32_t chunk = thread; chunk < chunks; chunk += kWarpgroupThreads) {
            asm volatile("st.shared.v4.u32 [%0], {%1, %1, %1, %1};\n" ::"r"(first + block * kKVColumnBlockBytes +
                                                                             16u * (uint32_t)chunk),
                         "r"(0u)
                         : "memory");
        }
    }
    attngen_fence_proxy_async_shared();
    consumer_barrier_sync<kZeroBarrier>(consumer, kWarpgroupThreads);
}

/* After the wait that covers an issue_pv: pins the O and P registers (the compiler may use them again: read O,
   overwrite P) after the wait. */
static __device__ __forceinline__ void complete_pv(float (&o)[kOTileFloats], uint32_t (&p)[kPFragments][4]) {
    attngen_fence_operands(o);
    attngen_fence_operands(p);
}

static __device__ __forceinline__ uint32_t pack_pair(float lo, float hi) {
    return attngen_pack2(lo, hi, Element()); /* round to nearest even; `lo` in the low 16 bits */
}

/* Masks on the scores of key tile k0 .. k0 + kBlockN - 1, only when the tile crosses a mask boundary for the
   consumer's rows (keys past seqlen_k included): each row's kept keys [lo, hi) as offsets into the tile, then the
   per-element predicate, if any. Thread rows: thread_row + 8 r; columns 8j + 2 quad_lane + e. Each row's verdicts
   are gathered first as bits (column 8j + 2 quad_lane + e is bit 2j + e), by a loop the generator rolls when the
   variant has a per-element predicate: unrolled, the predicate's 64-bit arithmetic for all of a row's keys would
   hold registers that the S, O and P accumulators need at once (ptxas spilled them). */
static __device__ __forceinline__ void mask_scores(float (&s)[kSTileFloats], int64_t k0, int64_t consumer_q_begin,
                                                   int64_t consumer_q_end, int64_t thread_row, int quad_lane,
                                                   int64_t b, int64_t h, int64_t nq, int64_t nk) {
    /* The keys a thread holds of one row (kBlockN / 4) as bits of one word. */
    using KeptBits = typename std::conditional<kBlockN / 4 <= 32, uint32_t, uint64_t>::type;
    if (tile_is_interior(consumer_q_begin, consumer_q_end, k0, k0 + kBlockN, nq, nk)) return;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int64_t q = thread_row + 8 * r;
        int64_t lo = 0, hi = 0;
        row_key_bounds(q, nq, nk, lo, hi);
        const int key_lo = (int)attngen_max64(attngen_min64(lo - k0, kBlockN), 0);
        const int key_hi = (int)attngen_max64(attngen_min64(hi - k0, kBlockN), 0);
        KeptBits kept = 0;
{{mask_loop_unroll}}
        for (int i = 0; i < kBlockN / 4; ++i) {
            const int key = 8 * (i >> 1) + 2 * quad_lane + (i & 1);
            if (key >= key_lo && key < key_hi && element_predicate_holds(b, h, q, k0 + key, nq, nk)) {
                kept |= KeptBits(1) << i;
            }
        }
#pragma unroll
        for (int j = 0; j < kBlockN / 8; ++j) {
#pragma unroll
            for (int e = 0; e < 2; ++e) {
                if (((kept >> (2 * j + e)) & 1u) == 0u) s[4 * j + 2 * r + e] = -INFINITY;
            }
        }
    }
}

/* The score modifier (README.md, "Score modifiers") on the scores of key tile k0 .. k0 + kBlockN - 1, before the
   masks, for modifiers without a bias form (kScoreBias, bias_scores): each raw score S becomes the modified score in
   base 2, log2 e · m(S · scale) (kScoreToLog2 is then 1 in the softmax). With fp8, S is first multiplied by the
   descale factors of Q and K (qk_descale; 1 otherwise). Not called for variants without one (kScoreModifier). */
static __device__ __forceinline__ void modify_scores(float (&s)[kSTileFloats], int32_t k0, int32_t thread_row,
                                                     int quad_lane, const ScoreModifierState &state,
                                                     const float qk_descale) {
    const float first_key = (float)(k0 + 2 * quad_lane); /* positions in fp32, as the expression reads them */
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const float q = (float)(thread_row + 8 * r);
#pragma unroll
        for (int j = 0; j < kBlockN / 8; ++j) {
#pragma unroll
            for (int e = 0; e < 2; ++e) {
                float &score = s[4 * j + 2 * r + e];
                score = score_modifier_log2(kFp8 ? score * qk_descale : score, q, first_key + (float)(8 * j + e),
                                            state);
            }
        }
    }
}

/* kScoreBias (ScoreBiasForm): the modifier as the raw score plus a bias in the raw score's units, on the scores
   of key tile k0 .. k0 + kBlockN - 1, before the masks. Where the bias's |u| keeps one sign over the keys a row
   keeps of the tile (row_key_bounds: the causal and window masks and the sequence's end; u at the two ends), the
   row's bias is slope · k + row(q): each score gets slope · (its key - the thread's first key) by one multiply-add,
   and row_bias[r] = row(q) + slope · (the thread's first key) is what online_softmax adds to the row once. A warp
   with a row where u changes sign (a tile ALiBi's diagonal crosses without a mask) gives each score the bias of its
   own (q, k), and row_bias is 0. raw_per_score is 1 / (the descale factors of Q and K) with fp8 (1 otherwise):
   the bias in the units of the kernel's raw score. */
static __device__ __forceinline__ void bias_scores(float (&s)[kSTileFloats], float (&row_bias)[2], int32_t k0,
                                                   int32_t thread_row, int quad_lane, int64_t nq, int64_t nk,
                                                   const ScoreModifierState &state, const float raw_per_score) {
    int side[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int64_t q = thread_row + 8 * r;
        int64_t lo = 0, hi = 0;
        row_key_bounds(q, nq, nk, lo, hi);
        const int32_t first = (int32_t)attngen_max64(lo, k0);
        const int32_t last = (int32_t)attngen_min64(hi, k0 + kBlockN) - 1;
        const float at_first = score_bias_sign_argument((float)q, (float)first, state);
        const float at_last = score_bias_sign_argument((float)q, (float)last, state);
        side[r] = last < first                          ? 1 /* nothing kept: either side */
                  : fminf(at_first, at_last) >= 0.0f ? 1
                  : fmaxf(at_first, at_last) <= 0.0f ? -1
                                                       : 0;
    }
    const float first_key = (float)(k0 + 2 * quad_lane);
    if (!__any_sync(0xffffffffu, side[0] == 0 || side[1] == 0)) {
        float slope[2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            slope[r] = score_bias_key_slope(side[r], state) * raw_per_score;
            row_bias[r] = fmaf(score_bias_row(side[r], (float)(thread_row + 8 * r), state), raw_per_score,
                               slope[r] * first_key);
        }
#pragma unroll
        for (int j = 0; j < kBlockN / 8; ++j) {
#pragma unroll
            for (int e = 0; e < 2; ++e) {
                if (8 * j + e == 0) continue; /* the thread's first key: all in row_bias */
                s[4 * j + e] = fmaf(slope[0], (float)(8 * j + e), s[4 * j + e]);
                s[4 * j + 2 + e] = fmaf(slope[1], (float)(8 * j + e), s[4 * j + 2 + e]);
            }
        }
    } else {
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            row_bias[r] = 0.0f;
            const float q = (float)(thread_row + 8 * r);
#pragma unroll
            for (int j = 0; j < kBlockN / 8; ++j) {
#pragma unroll
                for (int e = 0; e < 2; ++e) {
                    float &score = s[4 * j + 2 * r + e];
                    score = fmaf(score_bias_value(q, first_key + (float)(8 * j + e), state), raw_per_score, score);
                }
            }
        }
    }
}

/* The online softmax of one key tile, in place, per row r: the row's kBlockN scores are spread over the 4 lanes of
   a quad. s becomes exp2(s · scale · log2 e - m) with m the new running maximum (scaled), row_max and row_sum (this
   thread's share) are updated, and correction[r] = exp2(old m - new m) is returned for the O accumulators, which
   the caller rescales once the O += P·V in flight (of the previous tile) has completed: O(j) = O(j-1) ·
   correction(j) + P(j)·V(j), whichever of the two terms is formed first. */
/* fp8: P = exp2(... + kPOffsetLog2), up to 2^8, so that e4m3 (normal from 2^-6) keeps P's small values; O and the row
   sums carry the same factor, which the epilogue's division removes (and the LSE subtracts). score_to_log2 is
   kScoreToLog2, times the descale factors of Q and K with fp8 unless a score modifier took them (modify_scores);
   with a bias (kScoreBias) kScoreBiasToLog2 times them, and row_bias[r] is the part of the bias that the row's
   scores in s lack (bias_scores). */
constexpr float kPOffsetLog2 = kFp8 ? 8.0f : 0.0f;
constexpr float kPOffsetNatural = kPOffsetLog2 * 0.6931471805599453f; /* the same in natural-log units */
static __device__ __forceinline__ void online_softmax(float (&s)[kSTileFloats], float (&row_max)[2],
                                                      float (&row_sum)[2], float (&correction)[2],
                                                      const float score_to_log2, const float (&row_bias)[2]) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        float tile_max = -INFINITY;
#pragma unroll
        for (int j = 0; j < kBlockN / 8; ++j) {
            tile_max = fmaxf(tile_max, fmaxf(s[4 * j + 2 * r], s[4 * j + 2 * r + 1]));
        }
        if constexpr (kScoreBias) tile_max += row_bias[r]; /* this lane's scores are s + row_bias[r] */
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
        const float new_max = fmaxf(row_max[r], tile_max);
        /* A row with nothing kept so far keeps max -inf; use 0 there so that no inf - inf appears. */
        const float scaled_max = new_max == -INFINITY ? 0.0f : new_max * score_to_log2;
        correction[r] = attngen_exp2(row_max[r] * score_to_log2 - scaled_max);
        row_max[r] = new_max;
        /* -(the max), or with fp8 kPOffsetLog2 - max */
        float shift = kFp8 ? kPOffsetLog2 - scaled_max : -scaled_max;
        if constexpr (kScoreBias) shift = fmaf(row_bias[r], score_to_log2, shift);
        float tile_sum = 0.0f;
#pragma unroll
        for (int j = 0; j < kBlockN / 8; ++j) {
            s[4 * j + 2 * r] = attngen_exp2(fmaf(s[4 * j + 2 * r], score_to_log2, shift));
            s[4 * j + 2 * r + 1] = attngen_exp2(fmaf(s[4 * j + 2 * r + 1], score_to_log2, shift));
            tile_sum += s[4 * j + 2 * r] + s[4 * j + 2 * r + 1];
        }
        row_sum[r] = row_sum[r] * correction[r] + tile_sum;
    }
}

/* Zeroes the dropped probabilities of key tile k0 .. k0 + kBlockN - 1 (after online_softmax, whose row sums are
   taken before dropout, as the log-sum-exp wants; the kept ones are scaled by kKeepScale in the epilogue). Empty
   for variants without dropout. */
static __device__ __forceinline__ void apply_dropout(float (&s)[kSTileFloats], int32_t k0, int32_t thread_row,
                                                     int quad_lane, int32_t b, int32_t h,
                                                     const attngen_forward_params &p) {
    (void)s, (void)k0, (void)thread_row, (void)quad_lane, (void)b, (void)h, (void)p;
{{dropout}}
}

static __device__ __forceinline__ void rescale_o(float (&o)[kOTileFloats], const float (&correction)[2]) {
#pragma unroll
    for (int j = 0; j < kValueHeadDim / 8; ++j) {
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            o[4 * j + 2 * r] *= correction[r];
            o[4 * j + 2 * r + 1] *= correction[r];
        }
    }
}

/* Four fp32 values as e4m3 bytes (round to nearest even, saturated to +-448), `b0` in the low byte. */
static __device__ __forceinline__ uint32_t pack_e4m3x4(float b0, float b1, float b2, float b3) {
    uint16_t low, high;
    /* cvt ... e4m3x2.f32 d, a, b puts a in the upper byte of d, b in the lower one. */
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(low) : "f"(b1), "f"(b0));
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(high) : "f"(b3), "f"(b2));
    return (uint32_t)low | ((uint32_t)high << 16);
}

/* P as the A fragments of the k16 steps: step kk covers keys 16kk .. 16kk + 15, i.e. the accumulator column groups
   j = 2kk (a[0], a[1]) and 2kk + 1 (a[2], a[3]); a[0], a[2] row g, a[1], a[3] row g + 8.
   fp8, k32 steps: a[0] holds row g at A columns 4c .. 4c + 3, a[1] row g + 8 there, a[2] and a[3] the same at
   16 + 4c .. 16 + 4c + 3 (c the quad lane). The thread holds keys 8j + 2c, 8j + 2c + 1 of its rows (j = 4kk .. 4kk
   + 3); A columns 2p and 2p + 1 of a 16-key half are keys p and p + 8 of it (the order transpose_value_tile writes
   V's keys in), so A column 4c + i is key 2c + i / 2 + 8 (i % 2): each register takes the thread's own values,
   no shuffle. */
static __device__ __forceinline__ void pack_p(uint32_t (&p)[kPFragments][4], const float (&s)[kSTileFloats]) {
    if constexpr (kFp8) {
#pragma unroll
        for (int kk = 0; kk < kPFragments; ++kk) {
            const float *const t = s + 16 * kk;
            p[kk][0] = pack_e4m3x4(t[0], t[4], t[1], t[5]);
            p[kk][1] = pack_e4m3x4(t[2], t[6], t[3], t[7]);
            p[kk][2] = pack_e4m3x4(t[8], t[12], t[9], t[13]);
            p[kk][3] = pack_e4m3x4(t[10], t[14], t[11], t[15]);
        }
    } else {
#pragma unroll
        for (int kk = 0; kk < kPFragments; ++kk) {
            p[kk][0] = pack_pair(s[8 * kk + 0], s[8 * kk + 1]);
            p[kk][1] = pack_pair(s[8 * kk + 2], s[8 * kk + 3]);
            p[kk][2] = pack_pair(s[8 * kk + 4], s[8 * kk + 5]);
            p[kk][3] = pack_pair(s[8 * kk + 6], s[8 * kk + 7]);
        }
    }
}

/* Ping-pong between the consumer warpgroups (FlashAttention-3's inter-warpgroup overlap): the GEMM issues of the
   consumers take turns, so that while one warpgroup runs its softmax (MUFU, FMNMX, shuffles) the tensor cores work
   on another one's S = Q·Kᵀ and P·V. One named barrier of 256 threads per consumer, kSchedulerBarrier + c
   "consumer c may issue": consumer c bar.syncs on its own barrier before it issues a step's wgmma (the S of an
   item's first tile; S(j+1) with P(j)·V(j) in the loop) and, once they are issued, bar.arrives on the next one's,
   c + 1 (the last consumer's next is consumer 0), so the turns go round 0, 1, ..., 0, 1, .... Each barrier phase
   completes with 128 bar.sync threads of its owner and 128 bar.arrive threads of the consumer before it. The turns
   run on across work items: every consumer walks the same items and tile lists, so each has the same number n of
   issue steps in the CTA (n = the visible tiles of all its items; an item's last P·V is issued outside the turns).
   To start, the last consumer arrives once on consumer 0's barrier; after that each consumer signals after every
   step. Consumers 1 .. last pass their barriers n times on the n signals of the one before; consumer 0 passes its
   barrier n times in the steps and once more at the end, on the last consumer's start signal and n step signals.
   No phase of a barrier can see two arrivals of the same warpgroup: consumer c's (k + 1)-th signal follows its own
   (k + 1)-th pass, which needs the signals once round the ring, through consumer c + 1's k-th pass of the phase
   that c's k-th signal completed. Every barrier therefore ends with no pending arrival. Since a consumer signals
   after its last step of an item (not after its epilogue), the next one issues its next item's first S while the
   one before finishes the current one. */
static __device__ __forceinline__ void scheduler_wait(int consumer) {
    consumer_barrier_sync<kSchedulerBarrier>(consumer, 2 * kWarpgroupThreads);
}
static __device__ __forceinline__ void scheduler_signal(int consumer) {
    consumer_barrier_arrive<kSchedulerBarrier>(consumer + 1 < kConsumerWarpgroups ? consumer + 1 : 0,
                                               2 * kWarpgroupThreads);
}

/* O leaves in 16-byte stores where its rows are 16-byte aligned (KernelArguments::o_aligned16): a quad of lanes
   transposes each four 8-column groups of its row in registers (attngen_transpose_quad) and stores four 16-byte
   chunks, two whole 32-byte sectors; the fragments' own 4-byte pairs fill half of each sector they touch and cost
   twice the L2 write sectors (ncu, TUNING.md H18). The columns past the last whole four groups go as 4-byte pairs.
   (H18 staged O in the finished item's Q buffer instead; H19 measured the transpose as fast or faster, without
   shared memory, for every head dim and for fp8.) */
constexpr int kQuadGroups = kValueHeadDim / 32; /* four-group blocks of a row */

/* Overlapped where O's and S's accumulators fit the consumer's registers together (else, d = 256, they spill) and
   with two consumers: the epilogue then runs in place, at the end of its item. Three consumers (160 registers a
   thread) keep it in place: overlapped, ptxas serialized every wgmma of the causal d = 64 kernel (C7518), and the
   two other consumers' turns cover the epilogue anyway. */
constexpr bool kOverlapEpilogue = kConsumerWarpgroups == 2 && kOTileFloats + kSTileFloats <= 128;

/* An item's epilogue, run by finish_item while the consumer's next item's first S is on the tensor cores (or at the
   consumer's end); until then its O accumulator, row maxima and sums stay in the consumer's registers, where the
   next item starts its own once the epilogue is done (start_accumulators). The epilogue sits between two items of this
   warpgroup while the other one waits for its turn at the tensor cores: left out entirely, the kernel ran 12-21 %
   faster at N = 512 (TUNING.md H20). */
struct ItemOutput {
    float o[kOTileFloats];
    float row_max[2];
    float row_sum[2];
    int32_t h, nq, thread_row, q_row0, q_batch;
    float v_descale, score_to_log2; /* nq = 0: no item's O is pending (finish_item stores nothing) */
};

/* The next item takes over the registers: O = 0, no maximum, no sum. */
static __device__ __forceinline__ void start_accumulators(ItemOutput &output) {
#pragma unroll
    for (int i = 0; i < kOTileFloats; ++i) output.o[i] = 0.0f;
    output.row_max[0] = output.row_max[1] = -INFINITY;
    output.row_sum[0] = output.row_sum[1] = 0.0f;
}

/* Where the item's O and LSE go (in place: set just before its epilogue, so that none of it is live in the key
   loop). */
static __device__ __forceinline__ void describe_output(ItemOutput &output, const WorkItem &item, int consumer,
                                                       int warp, int group, float v_descale, float score_to_log2) {
    output.h = item.h;
    output.nq = item.nq;
    output.thread_row = item.q_begin + consumer * kRowsPerConsumer + warp * 16 + group;
    output.q_row0 = item.q_row0;
    output.q_batch = item.q_batch;
    output.v_descale = v_descale;
    output.score_to_log2 = score_to_log2;
}

static __device__ __forceinline__ void finish_item(const KernelArguments &arguments, ItemOutput &output,
                                                   int quad_lane) {
    /* Epilogue: O = acc / rowsum, LSE = max · scale + log(rowsum); a row that kept nothing gets O = 0 and
       LSE = -inf (its acc is exactly 0 and factor 0). O 16-byte aligned: each quad transposes its row's four-group
       blocks in registers and stores 16-byte chunks (kQuadGroups, TUNING.md H19), the rest of a row as below.
       Otherwise straight from the fragments: columns 8j + 2c and 8j + 2c + 1 of rows thread_row and thread_row + 8,
       one 4-byte store per pair. The epilogue runs between two items of this warpgroup while the other one waits
       for its turn at the tensor cores, so it is kept short (TUNING.md H20): one reciprocal per row, and the LSE
       of row thread_row by quad lane 0 and of row thread_row + 8 by quad lane 1, one fast log each. */
    const attngen_forward_params &p = arguments.params;
    float (&o)[kOTileFloats] = output.o;
    float (&row_max)[2] = output.row_max;
    const int32_t h = output.h, nq = output.nq, thread_row = output.thread_row;
    const float v_descale = output.v_descale, score_to_log2 = output.score_to_log2;
    (void)v_descale;
    (void)score_to_log2;
    Element *const o_base = static_cast<Element *>(p.o) + (int64_t)output.q_batch * p.o_layout.batch_stride +
                            (int64_t)output.q_row0 * p.o_layout.row_stride + h * p.o_layout.head_stride;
    const bool o_aligned4 = arguments.o_aligned4 != 0;
    const bool quad_stores = kQuadGroups > 0 && arguments.o_aligned16 != 0;
    float row_sums[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        float sum = output.row_sum[r];
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        sum += __shfl_xor_sync(0xffffffffu, sum, 2);
        {{sink}}
        row_sums[r] = sum;
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const float sum = row_sums[r];
        const int64_t q = thread_row + 8 * r;
        /* sum >= 1 where a key was kept (the row's maximum contributes 2^0; fp8: 2^kPOffsetLog2) */
        const float factor = sum > 0.0f ? (kFp8 ? kKeepScale * v_descale : kKeepScale) * __frcp_rn(sum) : 0.0f;
        if (quad_stores) { /* every lane shuffles; a quad's lanes share their row, so q < nq holds for all or none */
#pragma unroll
            for (int g = 0; g < kQuadGroups; ++g) {
                const uint4 chunk = attngen_quad_chunk<Element>(o, g, r, factor, quad_lane);
                attngen_store_if(q < nq, o_base + q * p.o_layout.row_stride + 8 * (4 * g + quad_lane), chunk);
            }
        }
        if (!(quad_stores && 4 * kQuadGroups == kValueHeadDim / 8)) {
            Element *const o_row = o_base + q * p.o_layout.row_stride;
#pragma unroll
            for (int j = 0; j < kValueHeadDim / 8; ++j) {
                if (quad_stores && j < 4 * kQuadGroups) continue; /* stored above */
                const int column = 8 * j + 2 * quad_lane;
                const float lo = o[4 * j + 2 * r] * factor, hi = o[4 * j + 2 * r + 1] * factor;
                if (o_aligned4) {
                    attngen_store_pair_if(q < nq, o_row + column, lo, hi);
                } else {
                    attngen_store_float_if(q < nq, o_row + column, lo);
                    attngen_store_float_if(q < nq, o_row + column + 1, hi);
                }
            }
        }
    }
    if (kSavesLogSumExp) {
        const int r = quad_lane & 1;
        const float sum = r != 0 ? row_sums[1] : row_sums[0];
        const float maximum = r != 0 ? row_max[1] : row_max[0];
        const int64_t q = thread_row + 8 * r;
        attngen_store_if(quad_lane < 2 && q < nq,
                         p.lse + (int64_t)output.q_batch * p.lse_layout.batch_stride + h * p.lse_layout.head_stride +
                             ((int64_t)output.q_row0 + q) * p.lse_layout.row_stride,
                         sum > 0.0f ? (kFp8 ? maximum * (score_to_log2 * 0.6931471805599453f) + (__logf(sum) - kPOffsetNatural)
                                     : kScoreBias ? maximum * (kScoreBiasToLog2 * 0.6931471805599453f) + __logf(sum)
                                            : maximum * kScoreToNatural + __logf(sum))
                                    : -INFINITY);
    }
    output.nq = 0; /* stored */
}


/* The consumer's key loop, software-pipelined inside the warpgroup (FlashAttention-3's intra-warpgroup overlap):
   the wgmma of S(j+1) = Q·K(j+1)ᵀ and of O += P(j)·V(j) are issued back to back as two groups, then

       wait_group 1   S(j+1) is complete (groups complete in order) -> release K(j+1), masks + softmax of S(j+1),
                      which runs while the tensor cores still do P(j)·V(j);
       wait_group 0   P(j)·V(j) is complete -> release V(j), rescale O by the correction of tile j+1, P(j+1) from
                      S(j+1) (P(j)'s registers are free only now).

   Registers: S (kBlockN / 2 floats), P (kBlockN / 4 words) and O (kValueHeadDim / 2 floats) are live at once.
   The waits on k_full / v_full / q_full take the parity of the use (see "Synchronisation" at the top).
   Tile j of the CTA's count (over all its items, tile_count before the item) sits in slot j % kStages as use
   j / kStages; the item's Q in buffer q_count % kQStages as use q_count / kQStages. Both counts are advanced here. */
static __device__ __forceinline__ void consume_item(const SharedLayout &smem, const WorkItem &item,
                                                    const KernelArguments &arguments, int consumer,
                                                    uint32_t &tile_count, uint32_t &q_count, ItemOutput &output) {
    const attngen_forward_params &p = arguments.params;
    const KeyTiles &tiles = item.tiles;
    const int32_t b = item.b, h = item.h, q_begin = item.q_begin;
    const int thread = (int)threadIdx.x - kWarpgroupThreads * (1 + consumer); /* 0 .. 127 within the warpgroup */
    const int warp = thread / 32;                                              /* rows 16 warp .. 16 warp + 15 */
    const int lane = thread % 32;
    const int group = lane / 4;     /* g: this thread's rows are 16 warp + g and 16 warp + g + 8 */
    const int quad_lane = lane % 4; /* c: this thread's columns are 8j + 2c, 8j + 2c + 1 */
    const int32_t nq = item.nq, nk = item.nk; /* the sequence's; below 2^31 - 256 (see KeyTiles) */
    const int32_t consumer_q_begin = q_begin + consumer * kRowsPerConsumer;
    const int32_t consumer_q_end = min(consumer_q_begin + kRowsPerConsumer, nq); /* may be <= begin */
    const int32_t thread_row = consumer_q_begin + warp * 16 + group;             /* + 8 r */

    float (&o)[kOTileFloats] = output.o;
    float (&row_max)[2] = output.row_max; /* raw (unscaled) scores of rows thread_row + 8 r (base 2 with a score
                                             modifier: kScoreToLog2) */
    float (&row_sum)[2] = output.row_sum; /* this thread's share (its 2 x kBlockN / 8 columns) */
    float s[kSTileFloats];
#pragma unroll
    for (int i = 0; i < kSTileFloats; ++i) s[i] = 0.0f;
    const ScoreModifierState modifier_state = score_modifier_prepare(b, h, nq, nk, p.heads_q, p.score_parameters);
    /* fp8: the descale factors of the item's (sequence, key/value head): Q's and K's scale the scores, V's O. */
    float qk_descale = 1.0f, v_descale = 1.0f;
    if constexpr (kFp8) {
        const int64_t at = (int64_t)b * p.descale_batch_stride + (int64_t)(h / arguments.kv_group) * p.descale_head_stride;
        qk_descale = (p.q_descale != NULL ? p.q_descale[at] : 1.0f) * (p.k_descale != NULL ? p.k_descale[at] : 1.0f);
        v_descale = p.v_descale != NULL ? p.v_descale[at] : 1.0f;
    }
    /* The raw scores' factor to base 2: a score modifier in general form has applied the descale factors already;
       a bias (kScoreBias) keeps the raw scores' units. */
    const float score_to_log2 = kScoreBias       ? kScoreBiasToLog2 * qk_descale
                                : kScoreModifier ? kScoreToLog2
                                                 : kScoreToLog2 * qk_descale;
    const float raw_per_score = 1.0f / qk_descale; /* kScoreBias: the bias in the raw scores' units */
    (void)raw_per_score;
    float row_bias[2] = {0.0f, 0.0f}; /* kScoreBias: the rows' part of the bias on the tile (bias_scores) */
    if constexpr (!kOverlapEpilogue) start_accumulators(output);

    if (item.first_tile < tiles.tile_end) {
        const int q_buffer = (int)(q_count % kQStages);
        attngen_mbarrier_wait_parity(smem.q_full(q_buffer), (q_count / kQStages) & 1u);
        uint32_t p_frag[kPFragments][4];
        float correction[2];

        /* Prologue, the item's first tile: its scores and softmax; its P·V goes with the next S. O is still 0, so
           its correction is not applied. */
        const int32_t tile = item.first_tile;
        int32_t next = tiles.next(tile + 1);
        uint32_t count = tile_count; /* this tile's number in the CTA */
        int slot = (int)(count % kStages);
        uint32_t parity = (count / kStages) & 1u;
        attngen_mbarrier_wait_parity(smem.k_full(slot), parity);
        scheduler_wait(consumer);
        issue_scores(s, smem, q_buffer, consumer, slot);
        scheduler_signal(consumer);
        if constexpr (kOverlapEpilogue) { /* the item before's epilogue while the tensor cores compute this S */
            finish_item(arguments, output, quad_lane);
            describe_output(output, item, consumer, warp, group, v_descale, score_to_log2);
            start_accumulators(output);
        }
        attngen_wgmma_wait_group<0>();
        attngen_fence_operands(s);
        attngen_mbarrier_arrive_warp(smem.k_empty(slot), lane);
        if (next >= tiles.tile_end) attngen_mbarrier_arrive_warp(smem.q_empty(q_buffer), lane); /* the item's last S */
        if constexpr (kScoreBias) {
            bias_scores(s, row_bias, tile * kBlockN, thread_row, quad_lane, nq, nk, modifier_state, raw_per_score);
        } else if (kScoreModifier) {
            modify_scores(s, tile * kBlockN, thread_row, quad_lane, modifier_state, qk_descale);
        }
        mask_scores(s, tile * kBlockN, consumer_q_begin, consumer_q_end, thread_row, quad_lane, b, h, nq, nk);
        online_softmax(s, row_max, row_sum, correction, score_to_log2, row_bias);
        if (kDropout) apply_dropout(s, tile * kBlockN, thread_row, quad_lane, b, h, p);
        pack_p(p_frag, s);

        while (next < tiles.tile_end) {
            const int32_t following = tiles.next(next + 1);
            ++count;
            const int next_slot = (int)(count % kStages);
            const uint32_t next_parity = (count / kStages) & 1u;
            attngen_mbarrier_wait_parity(smem.k_full(next_slot), next_parity);
            scheduler_wait(consumer);
            issue_scores(s, smem, q_buffer, consumer, next_slot); /* group: S(next) */
            attngen_mbarrier_wait_parity(smem.value_full(slot), parity);
            issue_pv(o, p_frag, smem, slot);                      /* group: O += P(tile)·V(tile) */
            scheduler_signal(consumer);

            attngen_wgmma_wait_group<1>(); /* S(next) done; P·V may still run */
            attngen_fence_operands(s);
            attngen_mbarrier_arrive_warp(smem.k_empty(next_slot), lane);
            if (following >= tiles.tile_end) attngen_mbarrier_arrive_warp(smem.q_empty(q_buffer), lane); /* the item's last S */
            if constexpr (kScoreBias) {
                bias_scores(s, row_bias, next * kBlockN, thread_row, quad_lane, nq, nk, modifier_state, raw_per_score);
            } else if (kScoreModifier) {
                modify_scores(s, next * kBlockN, thread_row, quad_lane, modifier_state, qk_descale);
            }
            mask_scores(s, next * kBlockN, consumer_q_begin, consumer_q_end, thread_row, quad_lane, b, h, nq, nk);
            online_softmax(s, row_max, row_sum, correction, score_to_log2, row_bias);
            if (kDropout) apply_dropout(s, next * kBlockN, thread_row, quad_lane, b, h, p);
            /* Keeps the softmax before the wait in the PTX. Note (nvcc 13.0): ptxas still schedules the
               WARPGROUP.DEPBAR of the wait below right after the masks, before the exponentials (seen in SASS; neither
               this fence, a wgmma.fence, an opaque branch nor data dependences of the release on the softmax move
               it), so inside one warpgroup only the masks and maxima overlap P·V; the exponentials overlap the
               other warpgroup's GEMMs (ping-pong). */
            attngen_fence_operands(s);
            attngen_fence_operand(correction[0]);
            attngen_fence_operand(correction[1]);

            attngen_wgmma_wait_group<0>(); /* P(tile)·V(tile) done */
            complete_pv(o, p_frag);
            attngen_mbarrier_arrive_warp(smem.value_empty(slot), lane);
            rescale_o(o, correction);
            pack_p(p_frag, s);

            next = following;
            slot = next_slot;
            parity = next_parity;
        }

        /* The last tile's P·V (not ordered by the scheduler barriers: nothing of the other warpgroup waits for
           it). */
        attngen_mbarrier_wait_parity(smem.value_full(slot), parity);
        /* Only an item's last tile can reach past its sequence's keys (tile_end is at most ceil(nk / kBlockN)); with
           fp8 the transposing warps write those keys as zeros. */
        if (!kFp8 && p.cu_seqlens_k != NULL) zero_packed_value_rows(smem, slot, tiles.last(), nk, consumer, thread);
        issue_pv(o, p_frag, smem, slot);
        attngen_wgmma_wait_group<0>();
        complete_pv(o, p_frag);
        attngen_mbarrier_arrive_warp(smem.value_empty(slot), lane);
        tile_count = count + 1;
        ++q_count;
    } else if constexpr (kOverlapEpilogue) { /* no key tile: O = 0, LSE = -inf */
        finish_item(arguments, output, quad_lane);
        describe_output(output, item, consumer, warp, group, v_descale, score_to_log2);
        start_accumulators(output);
    }
    if constexpr (!kOverlapEpilogue) {
        describe_output(output, item, consumer, warp, group, v_descale, score_to_log2);
        finish_item(arguments, output, quad_lane);
    }
}

/* One consumer warpgroup's part of the CTA: its 64 rows of each of the CTA's work items, in the producer's order. */
static __device__ __forceinline__ void consume(const SharedLayout &smem, const KernelArguments &arguments,
                                               int consumer) {
    uint32_t tile_count = 0, q_count = 0;
    ItemOutput output;
    start_accumulators(output);
    describe_output(output, WorkItem(), 0, 0, 0, 1.0f, 1.0f);
    output.nq = 0; /* nothing pending */
    if (consumer == kConsumerWarpgroups - 1) scheduler_signal(consumer); /* consumer 0 issues first */
    for (uint32_t n = 0;; ++n) {
        uint32_t head_index = 0, rank = 0;
        const int step = cta_step(arguments, smem.sequences(arguments), n, head_index, rank);
        if (step == kStepDone) break;
        if (step == kStepNone) continue;
        const WorkItem item = work_item(arguments, head_index, rank);
        consume_item(smem, item, arguments, consumer, tile_count, q_count, output);
    }
    if constexpr (kOverlapEpilogue) finish_item(arguments, output, (int)(threadIdx.x % 4)); /* the last item's */
    if (consumer == 0) scheduler_wait(consumer); /* the last consumer's last signal (see scheduler_wait) */
}

/* Builds the CTA's sequence table (SequenceTable, at `table`; all threads, before the warpgroups part): the keys of
   each sequence into the first_item words as scratch, each sequence's rank from them (most keys first, ties by
   index), then the items before each rank by one warp's scan, which overwrites the scratch. */
static __device__ __forceinline__ void build_sequence_table(int32_t *table, const KernelArguments &arguments) {
    const attngen_forward_params &p = arguments.params;
    const int32_t sequences = (int32_t)arguments.sorted_sequences;
    int32_t *const pairs = table + kSequenceTableWords; /* pairs[2i]: first_item(i), pairs[2i + 1]: order(i) */
    for (int32_t b = (int32_t)threadIdx.x; b < sequences; b += kThreads) {
        pairs[2 * b] = (int32_t)attngen_sequence_rows_of(p.cu_seqlens_k, b, p.seqlen_k, p.total_k).count;
    }
    __syncthreads();
    for (int32_t b = (int32_t)threadIdx.x; b < sequences; b += kThreads) {
        const int32_t keys = pairs[2 * b];
        int32_t rank = 0;
        for (int32_t j = 0; j < sequences; ++j) {
            const int32_t other = pairs[2 * j];
            rank += (other > keys || (other == keys && j < b)) ? 1 : 0;
        }
        pairs[2 * rank + 1] = b;
    }
    __syncthreads();
    if (threadIdx.x < 32) {
        const int lane = (int)threadIdx.x;
        int32_t carry = 0;
        for (int32_t base = 0; base < sequences; base += 32) {
            const int32_t i = base + lane;
            int32_t items = 0;
            if (i < sequences) {
                const int64_t rows =
                    attngen_sequence_rows_of(p.cu_seqlens_q, pairs[2 * i + 1], p.seqlen_q, p.total_q).count;
                items = (int32_t)((rows + kBlockM - 1) / kBlockM) * p.heads_q;
            }
            int32_t sum = items; /* inclusive scan over the warp */
#pragma unroll
            for (int offset = 1; offset < 32; offset <<= 1) {
                const int32_t below = __shfl_up_sync(0xffffffffu, sum, offset);
                if (lane >= offset) sum += below;
            }
            if (i < sequences) pairs[2 * (i + 1)] = carry + sum;
            carry += __shfl_sync(0xffffffffu, sum, 31);
        }
        if (lane == 0) {
            pairs[0] = 0;
            table[0] = carry;
        }
    }
    __syncthreads();
}

#endif /* sm_90a device code */

/* ------------------------------------------------------------------------------------------------------------
 * The kernel.
 * ---------------------------------------------------------------------------------------------------------- */

__global__ void __launch_bounds__(kThreads, 1)
    forward_kernel(const __grid_constant__ CUtensorMap tmap_q, const __grid_constant__ CUtensorMap tmap_k,
                   const __grid_constant__ CUtensorMap tmap_v, const __grid_constant__ KernelArguments arguments) {
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
    extern __shared__ __align__(1024) unsigned char shared_memory[];
    SharedLayout smem;
    smem.base = (attngen_hopper_smem_address(shared_memory) + (kSharedAlignmentSlack - 1)) & ~(kSharedAlignmentSlack - 1);
    if (kUniformItems && arguments.sorted_sequences > 0) {
        build_sequence_table(reinterpret_cast<int32_t *>(shared_memory + (smem.base -
                                                                          attngen_hopper_smem_address(shared_memory)) +
                                                         kSequenceTableOffset),
                             arguments);
    }

    if (threadIdx.x == 0) {
#pragma unroll
        for (int buffer = 0; buffer < kQStages; ++buffer) {
            attngen_mbarrier_init(smem.q_full(buffer), 1);
            attngen_mbarrier_init(smem.q_empty(buffer), kConsumerWarps);
        }
#pragma unroll
        for (int slot = 0; slot < kStages; ++slot) {
            attngen_mbarrier_init(smem.k_full(slot), 1);
            attngen_mbarrier_init(smem.v_full(slot), 1);
            attngen_mbarrier_init(smem.k_empty(slot), kConsumerWarps);
            /* V is released by whoever reads it: the consumers' P·V, or (fp8) the transposing warps */
            attngen_mbarrier_init(smem.v_empty(slot), kFp8 ? kTransposeWarps : kConsumerWarps);
            if (kFp8) {
                attngen_mbarrier_init(smem.vt_full(slot), kTransposeWarps);
                attngen_mbarrier_init(smem.vt_empty(slot), kConsumerWarps);
            }
        }
        attngen_fence_mbarrier_init();
    }
    __syncthreads();

    const int warpgroup = (int)threadIdx.x / kWarpgroupThreads;
    if (warpgroup == 0) {
        attngen_setmaxnreg_dec<kProducerRegisters>();
        if (threadIdx.x == 0) {
            produce(smem, arguments, &tmap_q, &tmap_k, &tmap_v);
        } else if (kFp8 && threadIdx.x >= 32) {
            transpose_values(smem, arguments);
        }
    } else {
        attngen_setmaxnreg_inc<kConsumerRegisters>();
        consume(smem, arguments, warpgroup - 1);
    }
#else
    /* Built for another target than sm_90a: the launcher never gets here (the launch fails with "no kernel
       image"), but keep the body empty and well-formed. */
    (void)tmap_q;
    (void)tmap_k;
    (void)tmap_v;
    (void)arguments;
#endif
}

/* ------------------------------------------------------------------------------------------------------------
 * Launch of this tile's kernel, after the launcher's checks: one CTA per multiprocessor (at most one per unit of
 * work), each looping over its work items.
 * ---------------------------------------------------------------------------------------------------------- */
static attngen_status launch(const attngen_forward_params &p, cudaStream_t stream) {
    /* Work items: query tiles x (batch · query heads), counted in 32 bits on the device; more than 2^31 - 1 of them
       (far beyond any memory) take the mma.sync kernel. */
    const int64_t query_tiles = (p.seqlen_q + kBlockM - 1) / kBlockM;
    const int64_t heads_total = p.batch * (int64_t)p.heads_q;
    if (heads_total > 2147483647LL / query_tiles) return {{fallback_call}};
    const int64_t work_items = query_tiles * heads_total;
    /* The tensor maps' extents (a packed side's maps hold all its rows as one batch), as the launcher checked them. */
    const attngen_hopper_forward_extents extents = attngen_hopper_forward_extents_of(p);

    /* The grid: one CTA per multiprocessor (the kernel's shared memory allows one), at most one per unit of work.
       Waves: each item a unit; with uniform items the heads of a group share half of L2 with their K and V:
       nk · (d + dv) · 2 bytes per key/value head, kv_group query heads per key/value head; otherwise one group
       (longest first over all heads). Pairs: a unit is a pair of query tiles of one head (see the top of the
       file), the units head-major. */
    int multiprocessors = 0, l2_bytes = 0;
    if (!attngen_hopper_device_info(&multiprocessors, &l2_bytes)) return ATTNGEN_ERROR_CUDA;
    const int64_t query_pairs = (query_tiles + 1) / 2;
    const int64_t work_units = kPairedItems ? query_pairs * heads_total : work_items;
    const int64_t grid = work_units < multiprocessors ? work_units : multiprocessors;
    const int64_t kv_group = p.heads_q / p.heads_kv;
    const int64_t kv_head_bytes = p.seqlen_k * (kHeadDim + kValueHeadDim) * kElementBytes;
    /* Masked items (waves at d = 128) also go in L2-sized groups of heads when a head has at most 16 query tiles
       (N <= 2k): there ~130 heads' longest tiles in flight do not keep their K and V in L2 (TUNING.md H6). */
    const bool grouped = kUniformItems || query_tiles <= 16;
    int64_t heads_per_group = grouped && kv_head_bytes > 0 ? (l2_bytes / 2) / kv_head_bytes * kv_group
                                                           : heads_total;
    if (heads_per_group < 1) heads_per_group = 1;
    if (heads_per_group > heads_total) heads_per_group = heads_total;

    /* Tensor maps: boxes of {64 columns, kBlockM rows (Q) or kBlockN rows (K, V), 1 head, 1 batch}, 128-byte
       swizzle, zeros out of bounds. */
    const CUtensorMapDataType type = kFp8 ? CU_TENSOR_MAP_DATA_TYPE_UINT8 : attngen_hopper_tensor_map_type<Element>();
    CUtensorMap tmap_q, tmap_k, tmap_v;
    memset(&tmap_k, 0, sizeof(tmap_k));
    memset(&tmap_v, 0, sizeof(tmap_v));
    if (attngen_hopper_encode_tensor_map(&tmap_q, p.q, type, kHeadDim, extents.q_rows, p.heads_q, extents.q_batches,
                                         p.q_layout, kBlockM) != ATTNGEN_OK) {
        return ATTNGEN_ERROR_CUDA;
    }
    if (extents.reads_kv) {
        if (attngen_hopper_encode_tensor_map(&tmap_k, p.k, type, kHeadDim, extents.kv_rows, p.heads_kv,
                                             extents.kv_batches, p.k_layout, kBlockN) != ATTNGEN_OK ||
            attngen_hopper_encode_tensor_map(&tmap_v, p.v, type, kValueHeadDim, extents.kv_rows, p.heads_kv,
                                             extents.kv_batches, p.v_layout, kBlockN) != ATTNGEN_OK) {
            return ATTNGEN_ERROR_CUDA;
        }
    }

    KernelArguments arguments;
    arguments.params = p;
    arguments.kv_group = (int32_t)kv_group;
    arguments.o_aligned4 = ((uintptr_t)p.o % 4 == 0 && p.o_layout.batch_stride % 2 == 0 &&
                            p.o_layout.head_stride % 2 == 0 && p.o_layout.row_stride % 2 == 0)
                               ? 1
                               : 0;
    arguments.o_aligned16 = ((uintptr_t)p.o % 16 == 0 && p.o_layout.batch_stride % 8 == 0 &&
                             p.o_layout.head_stride % 8 == 0 && p.o_layout.row_stride % 8 == 0)
                                ? 1
                                : 0;
    arguments.query_tiles = (uint32_t)query_tiles;
    arguments.heads_total = (uint32_t)heads_total;
    arguments.heads_per_group = (uint32_t)heads_per_group;
    /* Uniform items of at most kHeadMajorQueryTiles query tiles a head go head by head: measured on an H200 (bf16,
       one process, TUNING.md H14) +6-8 % at d = 128 and +6-12 % at d = 256 for N = 512-1k, the same at d = 64, but
       -1 to -8 % from N = 2k (16 tiles) on, where a wave's rank-by-rank order keeps more heads' K and V reused. */
    arguments.head_major = kUniformItems && query_tiles <= kHeadMajorQueryTiles ? 1u : 0u;
    arguments.work_items = (uint32_t)work_items;
    arguments.query_pairs = (uint32_t)query_pairs;
    arguments.work_units = (uint32_t)work_units;

    /* A variable-length batch of uniform items gets its sequence table (SequenceTable) where the device's shared
       memory has room for it past the plan's; otherwise the fixed-length order, whose waves also hold the steps past
       shorter sequences' rows. */
    if (attngen_check_shared_memory((size_t)kSharedBytes) != ATTNGEN_OK) return ATTNGEN_ERROR_CUDA;
    int shared_bytes = kSharedBytes;
    arguments.sorted_sequences = 0;
    if (kUniformItems && !kPairedItems && p.cu_seqlens_q != NULL && p.batch <= 65536) {
        const int with_table = kSharedBytes + sequence_table_bytes(p.batch);
        if (attngen_check_shared_memory((size_t)with_table) == ATTNGEN_OK) {
            shared_bytes = with_table;
            arguments.sorted_sequences = (uint32_t)p.batch;
        }
    }
    if (cudaFuncSetAttribute(forward_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, shared_bytes) !=
        cudaSuccess) {
        return ATTNGEN_ERROR_CUDA;
    }
    forward_kernel<<<(unsigned)grid, kThreads, (size_t)shared_bytes, stream>>>(tmap_q, tmap_k, tmap_v, arguments);
    if (cudaGetLastError() != cudaSuccess) return ATTNGEN_ERROR_CUDA;
    return ATTNGEN_OK;
}

}  // namespace attngen_{{name}}_hopper{{suffix}}_detail
