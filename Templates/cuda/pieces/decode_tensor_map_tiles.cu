/* K and V tiles by TMA (the plan's TensorMapTiles; README.md, "Decoding"): for calls of whole batches whose K and V
   TMA can address, one thread copies each tile as kKeyPanels + kValuePanels panels of kTileKeys rows x 64 columns
   (128 bytes: the 128-byte swizzle's row), completing on a barrier per tile, K and V apart; a paged cache's tile as
   such a box of its page, or a box of kBoxRows keys per page. Reading a decode call's K and V this way measured 7 %
   faster than through the cp.async ring (TUNING.md, D10). */

/* The tensor maps of K and V: {head dim, keys, heads_kv, batch} of the tensors, or {head dim, keys of a page,
   heads_kv, pages} of the pools; boxes of 64 columns x kBoxRows keys. */
struct TileMaps {
    CUtensorMap k, v;
};

/* Where ldmatrix finds the fragments of a TMA tile: panel p holds head-dim (or value) columns 64p .. 64p + 63 of
   every key, key r's 128 bytes at r * 128, their 16-byte chunk c at chunk position c ^ (r % 8) (the 128-byte
   swizzle; panels start on 1024-byte boundaries, so r % 8 is the row within the swizzle's 1024-byte period). The
   eight keys of an 8x8 matrix fall on eight different chunk positions: no bank conflicts. Same functions as
   PaddedRows; a warp's first key is a multiple of 8, so each lane's key % 8 is lane % 8. */
struct SwizzledPanels {
    static __device__ __forceinline__ uint32_t key_lane(const Raw *sK, int lane) {
        return attngen_smem_address(sK) + (uint32_t)((lane % 8 + (lane / 16) * 8) * kPanelRowBytes);
    }
    static __device__ __forceinline__ uint32_t key_offset(int n, int kk, int lane) {
        const int chunk = (kk % 4) * 2 + (lane / 8) % 2; /* head-dim columns 16kk + 8 ((lane / 8) % 2), in the panel */
        return (uint32_t)((kk / 4) * kPanelBytes + n * 8 * kPanelRowBytes + ((chunk ^ (lane % 8)) << 4));
    }
    static __device__ __forceinline__ uint32_t value_lane(const Raw *sV, int lane) {
        return attngen_smem_address(sV) + (uint32_t)((lane % 8 + ((lane / 8) % 2) * 8) * kPanelRowBytes);
    }
    static __device__ __forceinline__ uint32_t value_offset(int kk, int n, int lane) {
        const int chunk = n % 8 + lane / 16; /* value columns 8n + 8 (lane / 16), in the panel (n is even) */
        return (uint32_t)((n / 8) * kPanelBytes + kk * 16 * kPanelRowBytes + ((chunk ^ (lane % 8)) << 4));
    }
};

/* The ring of a block shape's kTensorMapStages stages of TMA tiles: after the Q tile, from the next 1024-byte boundary, stage s
   holds its K panels then its V panels; after the stages (and clear of the warps' merge buffer, which reuses the
   rest) two barriers per stage count the K and the V bytes in. Thread 0 issues the copies; a stage is refilled only
   after the block barrier that follows every warp's last read of it (the kernel's loop), so no barrier counts
   releases. Tile i of the block uses stage i % kStages, whose barriers complete their phase (i / kStages) & 1. */
template <typename Shape>
struct TensorMapRing {
    static constexpr bool kTensorMaps = true;
    using Layout = SwizzledPanels;
    static constexpr int kStages = Shape::kTensorMapStages;
    static constexpr int kKeyTileBytes = kKeyPanels * kPanelBytes;
    static constexpr int kValueTileBytes = kValuePanels * kPanelBytes;
    static constexpr int kStageBytes = kKeyTileBytes + kValueTileBytes;
    static constexpr int kStagesOffset = (Shape::kQTileElements * (int)sizeof(Raw) + 1023) / 1024 * 1024;
    static constexpr int kBarriersOffset = kStagesOffset + kStages * kStageBytes > Shape::kMergeBytes
                                               ? kStagesOffset + kStages * kStageBytes
                                               : Shape::kMergeBytes;
    static_assert(kBarriersOffset + 2 * kStages * 8 <= Shape::kTensorMapSharedBytes,
                  "the planned shared memory holds the Q tile, the stages, the merge buffer and the barriers");
    static_assert(kPageSize == 0 || kPagesWholeTiles ? kBoxRows == kTileKeys
                                                     : kTilesWholePages && kBoxRows * kTilePages == kTileKeys,
                  "a box holds the tile's keys, or a page's when the tile holds whole pages");

    unsigned char *stages;     /* stage 0 */
    uint32_t barriers;         /* shared address of the K barriers [kStages], then the V barriers [kStages] */
    const CUtensorMap *k_map;  /* the kernel's parameters */
    const CUtensorMap *v_map;
    int32_t head, batch;       /* the block's key/value head and sequence: the maps' outer coordinates */

    /* Thread 0 initialises the barriers and issues nothing yet; the caller's block barrier publishes them. */
    __device__ __forceinline__ void start(unsigned char *shared, const TileMaps &maps, int64_t kv_head, int64_t b) {
        stages = shared + kStagesOffset;
        barriers = attngen_smem_address(shared + kBarriersOffset);
        k_map = &maps.k;
        v_map = &maps.v;
        head = (int32_t)kv_head;
        batch = (int32_t)b;
        if (threadIdx.x == 0) {
            attngen_prefetch_tensor_map(k_map);
            attngen_prefetch_tensor_map(v_map);
#pragma unroll
            for (int i = 0; i < 2 * kStages; ++i) attngen_mbarrier_init(barriers + 8 * i, 1);
            attngen_fence_mbarrier_init();
        }
    }

    /* Key tile `tile` into stage `slot` (a paged cache's from the pages `pages`, tile_pages()): thread 0 arms the
       stage's barriers with the bytes and issues the boxes. Columns past the head dims and rows past a tensor's
       keys arrive as zeros; rows of a page past the sequence's keys hold the page's (zero_value_rows()). */
    __device__ __forceinline__ void load(int64_t tile, int slot, const TilePages &pages) const {
        if (threadIdx.x != 0) return;
        const uint32_t k_tile = attngen_smem_address(stages + slot * kStageBytes);
        const uint32_t v_tile = k_tile + kKeyTileBytes;
        attngen_mbarrier_arrive_expect_tx(barriers + 8 * slot, kKeyTileBytes);
        load_panels<kKeyPanels>(k_tile, k_map, barriers + 8 * slot, tile, pages);
        attngen_mbarrier_arrive_expect_tx(barriers + 8 * (kStages + slot), kValueTileBytes);
        load_panels<kValuePanels>(v_tile, v_map, barriers + 8 * (kStages + slot), tile, pages);
    }

    /* The boxes of one K or V tile: a box per panel at the tile's first key (contiguous: in the tensor; pages that
       are whole tiles: in the tile's page), or a box per panel and page at the page's first key. */
    template <int Panels>
    __device__ __forceinline__ void load_panels(uint32_t tile_address, const CUtensorMap *map, uint32_t barrier,
                                                int64_t tile, const TilePages &pages) const {
#pragma unroll
        for (int panel = 0; panel < Panels; ++panel) {
            const uint32_t panel_address = tile_address + panel * kPanelBytes;
            if constexpr (kPageSize == 0) {
                attngen_tma_load_4d(panel_address, map, barrier, panel * 64, (int32_t)(tile * kTileKeys), head, batch);
            } else if constexpr (kPagesWholeTiles) {
                attngen_tma_load_4d(panel_address, map, barrier, panel * 64, (int32_t)(tile * kTileKeys % kPageUnit),
                                    head, pages.page[0]);
            } else {
#pragma unroll
                for (int i = 0; i < kTilePages; ++i) {
                    attngen_tma_load_4d(panel_address + i * kBoxRows * kPanelRowBytes, map, barrier, panel * 64, 0,
                                        head, pages.page[i]);
                }
            }
        }
    }

    /* Zeroes the V rows of stage `slot` from row `live_rows` on (keys past the sequence's in its last tile: a page's
       rows there are not the sequence's, and NaN in them would survive P = 0); every thread, after wait_values,
       then a block barrier before any warp reads the tile. K needs none: those keys' scores are masked. */
    __device__ __forceinline__ void zero_value_rows(int slot, int live_rows) const {
        unsigned char *const v_tile = stages + slot * kStageBytes + kKeyTileBytes;
        const int chunks = (kTileKeys - live_rows) * (kPanelRowBytes / 16);
        for (int i = threadIdx.x; i < kValuePanels * chunks; i += kThreads) {
            const int panel = i / chunks, chunk = i % chunks;
            *reinterpret_cast<uint4 *>(v_tile + panel * kPanelBytes + live_rows * kPanelRowBytes + chunk * 16) =
                make_uint4(0u, 0u, 0u, 0u);
        }
    }

    /* Until K (V) of the block's tile number `iteration` has arrived. */
    __device__ __forceinline__ void wait_keys(int iteration) const {
        attngen_mbarrier_wait_parity(barriers + 8 * (iteration % kStages), (uint32_t)(iteration / kStages) & 1u);
    }
    __device__ __forceinline__ void wait_values(int iteration) const {
        attngen_mbarrier_wait_parity(barriers + 8 * (kStages + iteration % kStages),
                                     (uint32_t)(iteration / kStages) & 1u);
    }

    /* The K (V) tile in stage `slot`, from its key `first_key` (a multiple of 8) on. */
    __device__ __forceinline__ const Raw *key_tile(int slot, int first_key) const {
        return reinterpret_cast<const Raw *>(stages + slot * kStageBytes + first_key * kPanelRowBytes);
    }
    __device__ __forceinline__ const Raw *value_tile(int slot, int first_key) const {
        return reinterpret_cast<const Raw *>(stages + slot * kStageBytes + kKeyTileBytes + first_key * kPanelRowBytes);
    }
};
