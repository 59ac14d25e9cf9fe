/* ------------------------------------------------------------------------------------------------
 * Decoding: calls with at most kMaxQueryRows query rows, and every call with per-sequence key counts or a paged
 * cache, which only this kernel reads (README.md, "Decoding" and "Paged KV cache").
 *
 * The tiled forward kernel gives each (query head, query tile) a block, so at decode time a block holds one real
 * row and every query head of a group reads its key/value head again. Here a block takes packed rows: row r of a
 * (batch, key/value head) is query row r / kv_group of query head kv_head * kv_group + r % kv_group, so the heads
 * that share K and V read them once, and several query rows per head (speculative decoding) fit as well.
 * The block walks its keys through a kStages-deep cp.async ring of tiles of kTileKeys keys, in one of two shapes:
 *   NarrowBlock: 16 packed rows; warp w takes keys [w * kWarpColumns, (w + 1) * kWarpColumns) of every tile with
 *     its own online softmax, and the warps merge their states through shared memory at the end;
 *   WideBlock (calls of more than 16 packed rows, e.g. 16 query rows of 4 grouped heads): 64 packed rows, warp w
 *     rows 16w .. 16w + 15 against every key of the tile, so that 64 rows read K and V once instead of four times.
 * When batch x heads_kv x row tiles cannot fill the GPU, the launcher splits each row tile's keys into `splits`
 * ranges, one block each, which write fp32 partial results (O normalised, natural-log LSE) to the caller's
 * workspace; the combine kernel above merges them.
 * The tiles arrive in one of two ways (the kernel's Ring parameter): CopiedTiles, 16-byte cp.async from every thread
 * into rows padded by kRowPad (every call), or, where the plan has them (sm_90), TensorMapRing: the TMA engine copies
 * 64-column panels in the 128-byte swizzle for calls of whole batches, from the tensors or from the pages of a paged
 * cache (TUNING.md, D10 and D11).
 * ---------------------------------------------------------------------------------------------- */

namespace attngen_{{name}}_decode {

using namespace attngen_{{name}}_variant;

{{constants}}

constexpr int kThreads = kWarps * 32;
constexpr int kTileKeys = kWarps * kWarpColumns;  /* keys per K/V tile, in both block shapes */
/* The key count the tensor-core products take by default: a 16-row block's warp against its kWarpColumns keys. */
constexpr int kBlockColumns = kWarpColumns;
constexpr int kQStride = kHeadDimPadded + kRowPad;
constexpr int kKStride = kHeadDimPadded + kRowPad;
constexpr int kVStride = kValueHeadDimPadded + kRowPad;
static_assert(kKTileElements == kTileKeys * kKStride && kVTileElements == kTileKeys * kVStride,
              "the planned tiles hold whole padded rows");
/* The warps' merge buffer (over the ring, free by then): O, running maximum and sum of each warp's rows. */
constexpr int kMergeStride = kValueHeadDimPadded;

/* What the kernel derives from a block shape (NarrowBlock or WideBlock above): Rows packed rows, in row groups of
   16; the kKeyWarps warps of a row group take kColumns keys each of every K/V tile. */
template <typename Block>
struct BlockShape : Block {
    static constexpr int kRows = 16 * Block::kRowGroups;
    static constexpr int kKeyWarps = kWarps / Block::kRowGroups;
    static constexpr int kColumns = kTileKeys / kKeyWarps;
    static_assert(kWarps % Block::kRowGroups == 0 && kColumns % 16 == 0,
                  "each row group has whole warps, each warp whole k16 steps of P·V");
    /* The warps' merge buffer: O, the running maximum and the sum of each row, per warp of a row group. */
    static constexpr int kMergeBytes = kKeyWarps * kRows * (kMergeStride + 2) * (int)sizeof(float);
    static_assert(Block::kQTileElements == kRows * kQStride, "the planned Q tile holds whole padded rows");
    static_assert(Block::kSharedBytes >= (Block::kQTileElements + Block::kStages * (kKTileElements + kVTileElements)) *
                                             (int)sizeof(Raw) &&
                      Block::kSharedBytes >= kMergeBytes,
                  "the planned shared memory holds the Q tile and the K/V ring, and later the merge buffer");
};

/* Everything a block needs besides the ABI's parameters, computed once on the host. */
struct DecodeArguments {
    attngen_forward_params params;
    int32_t kv_group;     /* query heads per key/value head */
    int32_t packed_rows;  /* kv_group * seqlen_q: the rows of one (batch, key/value head), of the longest sequence */
    int32_t row_tiles;    /* blocks of packed rows (the launched shape's) per (batch, key/value head) */
    int32_t splits;       /* key ranges per row tile; 1 writes O and LSE directly */
    int32_t aligned16;    /* K and V rows start on 16-byte boundaries: cp.async of 16 bytes is safe */
    float *o_partial;     /* splits > 1: [splits][batch][heads_q][seqlen_q][value_head_dim] */
    float *lse_partial;   /* splits > 1: [splits][batch][heads_q][seqlen_q] */
};

{{products}}

/* Tiles by cp.async from every thread, rows padded (the kernel's own copies below, paged caches included), in the
   shape's kStages stages. */
template <typename Shape>
struct CopiedTiles {
    static constexpr bool kTensorMaps = false;
    static constexpr int kStages = Shape::kStages;
    using Layout = PaddedRows;
};

/* A paged cache (kPageSize > 0) is read tile by tile in one of three ways, by how pages and K/V tiles nest:
   pages that are whole tiles (256 keys): one page per tile; tiles that are whole pages of at least 8 keys (16,
   64): kTilePages pages per tile (PageCopy); other sizes (1, 48): a page per key, looked up by each copy. In the
   first two the tile's page numbers are read one iteration ahead of its copies (TilePages), so that no page-table
   load stands in front of a cp.async (TUNING.md, D4, D5 and D8). */
constexpr int kPageUnit = kPageSize > 0 ? kPageSize : 1; /* the page size as a divisor */
constexpr bool kPagesWholeTiles = kPageSize > 0 && kPageUnit % kTileKeys == 0;
/* At most 16 pages per tile (pages of 8 keys and more): their numbers stay in registers; smaller pages are gathered. */
constexpr bool kTilesWholePages =
    kPageSize > 0 && !kPagesWholeTiles && kTileKeys % kPageUnit == 0 && kTileKeys / kPageUnit <= 16;
constexpr int kTilePages = kTilesWholePages ? kTileKeys / kPageUnit : 1;

/* The page holding `key`: its entry of the sequence's row of the page table, clamped into the pool (the
   launcher cannot check device memory). A template, so that variants without pages compile none of it. */
template <int PageUnit>
static __device__ __forceinline__ int32_t page_of(const int32_t *page_row, int64_t num_pages, int64_t key) {
    return (int32_t)attngen_min64(attngen_max64((int64_t)__ldg(page_row + key / PageUnit), 0), num_pages - 1);
}

/* The pages of one key tile (the pages of its keys below nk; 0 for the others, whose rows are zero-filled). */
struct TilePages {
    int32_t page[kTilePages];
};

/* The pages of key tile `tile` (nothing when the cache is contiguous, or when tile is past the split's tiles), each
   clamped into the pool's num_pages pages. After a few 64-bit steps per tile the tests are 32-bit (TUNING.md, D9). */
static __device__ __forceinline__ TilePages tile_pages(const int32_t *page_row, int64_t num_pages, int64_t tile,
                                                       int64_t tile_end, int64_t nk) {
    TilePages pages;
    if constexpr (kPagesWholeTiles || kTilesWholePages) {
        const int32_t last_page = (int32_t)attngen_min64(attngen_max64(num_pages - 1, 0), 2147483647);
        /* The tile's keys below nk (0 past the split's tiles), and its first page's entry. */
        const int32_t keys =
            tile < tile_end ? (int32_t)attngen_max64(attngen_min64(nk - tile * kTileKeys, kTileKeys), 0) : 0;
        const int32_t *const entries = page_row + tile * kTileKeys / kPageUnit;
#pragma unroll
        for (int i = 0; i < kTilePages; ++i) {
            pages.page[i] = i * kPageUnit < keys ? min(max(__ldg(entries + i), 0), last_page) : 0;
        }
    } else {
#pragma unroll
        for (int i = 0; i < kTilePages; ++i) pages.page[i] = 0;
    }
    return pages;
}

/* One thread's share of copying the rows of a tile's pages of K or V (tiles that are whole pages: 16, 64 keys)
   with 16-byte cp.async: the same rows and 16-byte column of every page, so its offset within a page and in the
   tile is computed once per call, and a page costs the thread one multiply and its copies (TUNING.md, D8: the
   general copy, called once per page, recomputed all of it for every page, in blocks of one warp per scheduler
   where nothing hides that). Applies when the block's threads cover whole rows and each page is whole passes. */
template <int Dim, int DimPadded, int Stride>
struct PageCopy {
    static constexpr int kChunkElements = 16 / (int)sizeof(Raw);
    static constexpr int kChunksPerRow = DimPadded / kChunkElements;
    static constexpr int kRowStep = kThreads / kChunksPerRow; /* rows one pass of the block covers */
    static constexpr bool kApplies =
        kTilesWholePages && kThreads % kChunksPerRow == 0 && kRowStep <= kPageUnit && kPageUnit % kRowStep == 0;
    static constexpr int kPasses = kApplies ? kPageUnit / kRowStep : 1;

    /* Whether every chunk lies inside its row (then 16 bytes each). */
    static constexpr bool kWholeChunks = Dim == DimPadded && Dim % kChunkElements == 0;

    const Raw *base;    /* the pool at the head's offset, plus this thread's chunk in a page */
    int64_t step;       /* elements between this thread's rows */
    uint32_t position;  /* bytes from a tile's start to this thread's chunk in shared memory */
    uint32_t bytes;     /* of the chunk that lie inside the row (16 unless Dim ends inside it) */
    int32_t row0;       /* this thread's first row of each page */

    __device__ __forceinline__ PageCopy(const Raw *rows, const attngen_layout &layout) {
        row0 = (int)threadIdx.x / kChunksPerRow;
        const int column = (int)threadIdx.x % kChunksPerRow * kChunkElements;
        base = rows + row0 * layout.row_stride + column;
        step = kRowStep * layout.row_stride;
        position = (uint32_t)((row0 * Stride + column) * (int)sizeof(Raw));
        bytes = (uint32_t)(max(0, min(Dim - column, kChunkElements)) * (int)sizeof(Raw));
    }

    /* The tile of keys [k0, k0 + kTileKeys) into shared memory at `tile` from the pages `pages` (`rows`: the pool at
       the head's offset, what a zero-byte copy names); rows at or past nk are zero-filled. A tile whose keys all lie
       below nk copies without a test per row (TUNING.md, D9). */
    __device__ __forceinline__ void copy(uint32_t tile, const Raw *rows, int64_t page_stride, const TilePages &pages,
                                         int64_t k0, int64_t nk) const {
        if (kWholeChunks && k0 + kTileKeys <= nk) {
            copy_pages<true>(tile, rows, page_stride, pages, k0, nk);
        } else {
            copy_pages<false>(tile, rows, page_stride, pages, k0, nk);
        }
    }

    /* copy(), with (AllLive) or without the knowledge that every row lies below nk and every chunk is whole. */
    template <bool AllLive>
    __device__ __forceinline__ void copy_pages(uint32_t tile, const Raw *rows, int64_t page_stride,
                                               const TilePages &pages, int64_t k0, int64_t nk) const {
#pragma unroll
        for (int i = 0; i < kTilePages; ++i) {
            const Raw *const page = base + pages.page[i] * page_stride;
#pragma unroll
            for (int pass = 0; pass < kPasses; ++pass) {
                const int row = i * kPageUnit + pass * kRowStep; /* of the tile, less row0 */
                const bool live = AllLive || (k0 + row + row0 < nk && bytes > 0);
                attngen_cp_async_16(tile + position + (uint32_t)(row * Stride * (int)sizeof(Raw)),
                                    live ? page + pass * step : rows, AllLive ? 16u : (live ? bytes : 0u));
            }
        }
    }
};

/* One K or V tile of keys [k0, k0 + kTileKeys) from a paged cache (`rows`: the pool at the head's offset), whose
   pages `pages` holds where pages and tiles nest: within one page (evenly spaced rows), page by page (an evenly
   spaced copy per page, none past the keys), else key by key. */
template <int Dim, int DimPadded, int Stride, bool UsePageCopy>
static __device__ __forceinline__ void load_paged_tile(Raw *dst, const Raw *rows, const attngen_layout &layout,
                                                       const TilePages &pages, const int32_t *page_row,
                                                       int64_t num_pages, int64_t k0, int64_t nk, bool aligned16,
                                                       const PageCopy<Dim, DimPadded, Stride> &page_copy) {
    if constexpr (UsePageCopy && PageCopy<Dim, DimPadded, Stride>::kApplies) {
        if (aligned16) {
            page_copy.copy(attngen_smem_address(dst), rows, layout.batch_stride, pages, k0, nk);
            return;
        }
    }
    if constexpr (kPagesWholeTiles) {
        attngen_copy_tile<kThreads, kTileKeys, Dim, DimPadded, Stride>(
            dst, rows + pages.page[0] * layout.batch_stride + k0 % kPageUnit * layout.row_stride, layout.row_stride,
            nk - k0, aligned16);
    } else if constexpr (kTilesWholePages) {
#pragma unroll
        for (int i = 0; i < kTilePages; ++i) {
            const int64_t first = k0 + i * kPageUnit;
            attngen_copy_tile<kThreads, kPageUnit, Dim, DimPadded, Stride>(
                dst + i * kPageUnit * Stride, rows + pages.page[i] * layout.batch_stride, layout.row_stride,
                nk - first, aligned16);
        }
    } else {
        attngen_copy_rows<kThreads, kTileKeys, Dim, DimPadded, Stride>(dst, rows, [&](int row) {
            const int64_t key = k0 + row;
            return rows + page_of<kPageUnit>(page_row, num_pages, key) * layout.batch_stride +
                   key % kPageUnit * layout.row_stride;
        }, nk - k0, aligned16);
    }
}

{{tensor_map_tiles}}

/* A decode kernel instance: its arguments and the tensor maps of its TMA tiles (empty without them). */
using DecodeKernel = void (*)(DecodeArguments, TileMaps);

/* Instances: decode_kernel<false, ...> for whole batches, decode_kernel<true, ...> for variable-length batches
   (cu_seqlens_q, cu_seqlens_k), whose sequences' lengths and rows come from their prefix sums; each in the block
   shapes the plan has (NarrowBlock, and WideBlock when kHasWideBlock), with CopiedTiles, and for whole batches
   with TensorMapRing where the plan has TMA tiles. */
template <bool Packed, typename Block, typename Ring>
__global__ void __launch_bounds__(kThreads, Block::kBlocksPerMultiprocessor)
    decode_kernel(const DecodeArguments arguments, const __grid_constant__ TileMaps maps) {
    using Shape = BlockShape<Block>;
    constexpr int kRows = Shape::kRows, kStages = Ring::kStages, kColumns = Shape::kColumns;
    constexpr int kKeyWarps = Shape::kKeyWarps;
    extern __shared__ __align__(1024) unsigned char shared_memory[];
    Raw *const sQ = reinterpret_cast<Raw *>(shared_memory);
    Raw *const sK = sQ + Shape::kQTileElements;     /* kStages K tiles */
    Raw *const sV = sK + kStages * kKTileElements;  /* kStages V tiles */

    /* The combine kernel (a dependent launch where kDependentCombine) may be scheduled from here on: it waits for this
       grid's partials itself, and its few blocks take block slots this single wave of blocks leaves. */
    attngen_launch_dependents();
    const attngen_forward_params &p = arguments.params;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int row_group = warp / kKeyWarps; /* the warp's 16 packed rows of the block's kRows */
    const int key_warp = warp % kKeyWarps;  /* its kColumns keys of each tile */
    const int group = lane / 4;      /* the fragment row this lane holds (and row + 8) */
    const int quad_lane = lane % 4;  /* the fragment column pair this lane holds */

    /* Which split (x), and which row tile of which (batch, key/value head) (y, z folded). */
    const int split = blockIdx.x;
    const int64_t unit = (int64_t)blockIdx.z * gridDim.y + blockIdx.y;
    const int64_t row_tile = unit % arguments.row_tiles;
    const int64_t b = unit / arguments.row_tiles / p.heads_kv;
    const int64_t kv_head = unit / arguments.row_tiles % p.heads_kv;
    if (b >= p.batch) return;
    /* The sequence's query rows and keys: batch_stride apart, or packed by cu_seqlens_q / cu_seqlens_k (README.md,
       "Variable-length batches"); of its keys, those seqlens_k gives (clamped: the launcher cannot check device
       memory). Its packed rows are the first kv_group * nq of the row tiles, which cover the longest sequence. */
    const attngen_sequence_rows query_rows = attngen_rows_of<Packed>(p.cu_seqlens_q, b, p.seqlen_q, p.total_q);
    const attngen_sequence_rows key_rows = attngen_rows_of<Packed>(p.cu_seqlens_k, b, p.seqlen_k, p.total_k);
    const int64_t nq = query_rows.count;
    const int64_t nk = attngen_sequence_key_count(p.seqlens_k, b, key_rows.count);
    const int kv_group = arguments.kv_group;
    const int row_begin = (int)row_tile * kRows;
    const int rows_here = min(kRows, (Packed ? kv_group * (int)nq : arguments.packed_rows) - row_begin);
    if (Packed && rows_here <= 0) return; /* past a shorter sequence's rows */
    /* The query rows these packed rows hold: [q_first, q_last]. */
    const int64_t q_first = row_begin / kv_group;
    const int64_t q_last = (row_begin + rows_here - 1) / kv_group;

    /* The key tiles any of the rows can see, and this split's share of them. */
    int64_t key_begin = 0, key_end = 0;
    visible_key_range(q_first, q_last + 1, nq, nk, key_begin, key_end);
    const int64_t first_tile = key_begin / kTileKeys;
    const int64_t last_tile = key_end > key_begin ? (key_end + kTileKeys - 1) / kTileKeys : first_tile;
    const int64_t tiles_per_split = (last_tile - first_tile + arguments.splits - 1) / arguments.splits;
    const int64_t tile_begin = attngen_min64(first_tile + split * tiles_per_split, last_tile);
    const int64_t tile_end = attngen_min64(tile_begin + tiles_per_split, last_tile);

    /* K and V of this head: rows of the sequence, or with a paged cache (kPageSize > 0) the head's rows of every
       page, found through the sequence's row of the page table (an index past the pages is clamped). */
    const Raw *const k_base = static_cast<const Raw *>(p.k), *const v_base = static_cast<const Raw *>(p.v);
    const Raw *const k_rows = kPageSize > 0 ? k_base + kv_head * p.k_layout.head_stride
                                            : attngen_sequence_row(k_base, key_rows, p.k_layout, kv_head, 0);
    const Raw *const v_rows = kPageSize > 0 ? v_base + kv_head * p.v_layout.head_stride
                                            : attngen_sequence_row(v_base, key_rows, p.v_layout, kv_head, 0);
    const int32_t *const page_row = kPageSize > 0 ? p.page_table + b * p.page_table_stride : nullptr;
    const bool aligned16 = arguments.aligned16 != 0;

    /* The page copies' per-thread offsets, in 16-row blocks (the 64-row blocks have no registers left for them: a
       variant with ALiBi, soft cap and sinks spilled; they copy page by page with the general copy). */
    constexpr bool kUsePageCopy = Block::kRowGroups == 1;
    const PageCopy<kHeadDim, kHeadDimPadded, kKStride> k_page_copy(k_rows, p.k_layout);
    const PageCopy<kValueHeadDim, kValueHeadDimPadded, kVStride> v_page_copy(v_rows, p.v_layout);
    /* TMA tiles: thread 0 sets up the stages' barriers, which the block barrier below publishes before any wait. */
    Ring ring;
    if constexpr (Ring::kTensorMaps) ring.start(shared_memory, maps, kv_head, b);
    /* Loads key tile `tile` (if in range) into ring slot `slot`, a paged cache's tile from the pages `pages`
       (tile_pages(), read an iteration earlier): K and V are two commit groups. */
    auto load_key_tile = [&](int64_t tile, int slot, const TilePages &pages) {
        const int64_t k0 = tile * kTileKeys;
        if constexpr (Ring::kTensorMaps) {
            if (tile < tile_end) ring.load(tile, slot, pages);
            return;
        }
        if (tile < tile_end) {
            if constexpr (kPageSize > 0) {
                load_paged_tile<kHeadDim, kHeadDimPadded, kKStride, kUsePageCopy>(
                    sK + slot * kKTileElements, k_rows, p.k_layout, pages, page_row, p.num_pages, k0, nk, aligned16,
                    k_page_copy);
            } else {
                attngen_copy_tile<kThreads, kTileKeys, kHeadDim, kHeadDimPadded, kKStride>(
                    sK + slot * kKTileElements, k_rows + k0 * p.k_layout.row_stride, p.k_layout.row_stride, nk - k0,
                    aligned16);
            }
        }
        attngen_cp_async_commit();
        if (tile < tile_end) {
            if constexpr (kPageSize > 0) {
                load_paged_tile<kValueHeadDim, kValueHeadDimPadded, kVStride, kUsePageCopy>(
                    sV + slot * kVTileElements, v_rows, p.v_layout, pages, page_row, p.num_pages, k0, nk, aligned16,
                    v_page_copy);
            } else {
                attngen_copy_tile<kThreads, kTileKeys, kValueHeadDim, kValueHeadDimPadded, kVStride>(
                    sV + slot * kVTileElements, v_rows + k0 * p.v_layout.row_stride, p.v_layout.row_stride, nk - k0,
                    aligned16);
            }
        }
        attngen_cp_async_commit();
    };
#pragma unroll
    for (int slot = 0; slot < kStages - 1; ++slot) {
        load_key_tile(tile_begin + slot, slot, tile_pages(page_row, p.num_pages, tile_begin + slot, tile_end, nk));
    }
    /* The pages of the next tile to load (kStages - 1 ahead of the one computed on). */
    TilePages next_pages = tile_pages(page_row, p.num_pages, tile_begin + kStages - 1, tile_end, nk);

    /* The packed Q rows, gathered from their heads with plain loads (a few kilobytes), zeros past the rows. */
    const Raw *const q_base = attngen_sequence_row(static_cast<const Raw *>(p.q), query_rows, p.q_layout, 0, 0);
    for (int i = threadIdx.x; i < kRows * kHeadDimPadded; i += kThreads) {
        const int r = i / kHeadDimPadded, column = i % kHeadDimPadded;
        Raw value = 0;
        if (r < rows_here && column < kHeadDim) {
            const int packed = row_begin + r;
            const int64_t h = kv_head * kv_group + packed % kv_group;
            value = q_base[h * p.q_layout.head_stride + (int64_t)(packed / kv_group) * p.q_layout.row_stride + column];
        }
        sQ[r * kQStride + column] = value;
    }
    if constexpr (Ring::kTensorMaps) __syncthreads();

    /* Per-thread state of the warp's two fragment rows (group, group + 8 of its row group). */
    float o_acc[1][kValueHeadDimPadded / 8][4];
    float row_max[2] = {-INFINITY, -INFINITY};  /* of the scores (raw Q·Kᵀ, or modified in base 2) */
    float row_sum[2] = {0.0f, 0.0f};            /* this lane's share */
#pragma unroll
    for (int n = 0; n < kValueHeadDimPadded / 8; ++n) o_acc[0][n][0] = o_acc[0][n][1] = o_acc[0][n][2] = o_acc[0][n][3] = 0.0f;
    /* The query row and head of each of this lane's two rows. Rows past rows_here (zeros in sQ) are computed
       like the others and never stored. */
    int64_t row_q[2], row_h[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int packed = row_begin + row_group * 16 + group + 8 * r;
        row_q[r] = packed / kv_group;
        row_h[r] = kv_head * kv_group + packed % kv_group;
    }
    {{score_modifier_state}}

    for (int64_t tile = tile_begin; tile < tile_end; ++tile) {
        const int iteration = (int)(tile - tile_begin);
        const int slot = iteration % kStages;
        const int64_t k0 = tile * kTileKeys + key_warp * kColumns; /* this warp's first key */

        /* Wait for K of this tile; past the barrier every warp is done with the previous iteration, whose slot
           takes the tile kStages - 1 ahead. */
        if constexpr (Ring::kTensorMaps) {
            ring.wait_keys(iteration);
        } else {
            attngen_cp_async_wait<2 * (kStages - 1) - 1>();
        }
        __syncthreads();
        load_key_tile(tile + kStages - 1, (iteration + kStages - 1) % kStages, next_pages);
        next_pages = tile_pages(page_row, p.num_pages, tile + kStages, tile_end, nk);

        float s[1][kColumns / 8][4];
        if constexpr (Ring::kTensorMaps) {
            warp_scores<1, kColumns, typename Ring::Layout>(s, sQ, ring.key_tile(slot, key_warp * kColumns),
                                                            row_group, lane);
        } else {
            warp_scores<1, kColumns>(s, sQ, sK + slot * kKTileElements + key_warp * kColumns * kKStride, row_group,
                                     lane);
        }

        {{score_modifier}}
        /* Masks (each row with its own query row and head) and keys past the end. */
        if (!tile_is_interior(q_first, q_last + 1, k0, k0 + kColumns, nq, nk)) {
#pragma unroll
            for (int r = 0; r < 2; ++r) {
                int64_t lo = 0, hi = 0;
                row_key_bounds(row_q[r], nq, nk, lo, hi);
                const int key_lo = (int)attngen_max64(attngen_min64(lo - k0, kColumns), 0);
                const int key_hi = (int)attngen_max64(attngen_min64(hi - k0, kColumns), 0);
#pragma unroll
                for (int n = 0; n < kColumns / 8; ++n) {
#pragma unroll
                    for (int c = 0; c < 2; ++c) {
                        const int key = n * 8 + quad_lane * 2 + c;
                        const bool kept = key >= key_lo && key < key_hi &&
                                          element_predicate_holds(b, row_h[r], row_q[r], k0 + key, nq, nk);
                        if (!kept) s[0][n][2 * r + c] = -INFINITY;
                    }
                }
            }
        }

        /* Online softmax of the warp's rows over its keys. */
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            float tile_max = -INFINITY;
#pragma unroll
            for (int n = 0; n < kColumns / 8; ++n) {
                tile_max = fmaxf(tile_max, fmaxf(s[0][n][2 * r], s[0][n][2 * r + 1]));
            }
            tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
            tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
            const float new_max = fmaxf(row_max[r], tile_max);
            const float scaled_max = new_max == -INFINITY ? 0.0f : new_max * kScoreToLog2;
            const float correction = attngen_exp2(row_max[r] * kScoreToLog2 - scaled_max);
            row_max[r] = new_max;
            float tile_sum = 0.0f;
#pragma unroll
            for (int n = 0; n < kValueHeadDimPadded / 8; ++n) {
                o_acc[0][n][2 * r] *= correction;
                o_acc[0][n][2 * r + 1] *= correction;
            }
#pragma unroll
            for (int n = 0; n < kColumns / 8; ++n) {
                s[0][n][2 * r] = attngen_exp2(fmaf(s[0][n][2 * r], kScoreToLog2, -scaled_max));
                s[0][n][2 * r + 1] = attngen_exp2(fmaf(s[0][n][2 * r + 1], kScoreToLog2, -scaled_max));
                tile_sum += s[0][n][2 * r] + s[0][n][2 * r + 1];
            }
            row_sum[r] = row_sum[r] * correction + tile_sum;
        }

        /* Wait for V of this tile (cp.async: each thread for its own copies, then the block for all), then
           O += P·V over the warp's keys. */
        if constexpr (Ring::kTensorMaps) {
            ring.wait_values(iteration);
            /* The sequence's last tile: zeros for the V rows past its keys (uniform across the block). */
            if ((tile + 1) * kTileKeys > nk) {
                ring.zero_value_rows(slot, (int)(nk - tile * kTileKeys));
                __syncthreads();
            }
            warp_accumulate_pv<1, kColumns, typename Ring::Layout>(o_acc, s, ring.value_tile(slot, key_warp * kColumns),
                                                                   lane);
        } else {
            attngen_cp_async_wait<2 * (kStages - 1)>();
            __syncthreads();
            warp_accumulate_pv<1, kColumns>(o_acc, s, sV + slot * kVTileElements + key_warp * kColumns * kVStride,
                                            lane);
        }
    }
    attngen_cp_async_wait<0>();
    __syncthreads(); /* every warp past its last P·V: the ring becomes the merge buffer */

    /* Each warp's state into shared memory: O (unnormalised), the running maximum and the sum of each row. */
    float *const sMergeO = reinterpret_cast<float *>(shared_memory);     /* [kKeyWarps][kRows][kMergeStride] */
    float *const sMergeMax = sMergeO + kKeyWarps * kRows * kMergeStride; /* [kKeyWarps][kRows] */
    float *const sMergeSum = sMergeMax + kKeyWarps * kRows;              /* [kKeyWarps][kRows] */
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int row = row_group * 16 + group + 8 * r;
        float sum = row_sum[r];
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        sum += __shfl_xor_sync(0xffffffffu, sum, 2);
        float *const o_row = sMergeO + (key_warp * kRows + row) * kMergeStride;
#pragma unroll
        for (int n = 0; n < kValueHeadDimPadded / 8; ++n) {
            o_row[n * 8 + quad_lane * 2] = o_acc[0][n][2 * r];
            o_row[n * 8 + quad_lane * 2 + 1] = o_acc[0][n][2 * r + 1];
        }
        if (quad_lane == 0) {
            sMergeMax[key_warp * kRows + row] = row_max[r];
            sMergeSum[key_warp * kRows + row] = sum;
        }
    }
    __syncthreads();

    /* The merged rows: O = sum_w O_w 2^((m_w - m)·c) / l and LSE = (m·c + log2 l)·ln 2, with l the sum of the
       warps' sums weighted the same way; a row that kept no key gets O = 0 and LSE = -inf. */
    const bool partial = arguments.splits > 1;
    for (int i = threadIdx.x; i < rows_here * kValueHeadDim; i += kThreads) {
        const int row = i / kValueHeadDim, column = i % kValueHeadDim;
        float row_maximum = -INFINITY;
#pragma unroll
        for (int w = 0; w < kKeyWarps; ++w) row_maximum = fmaxf(row_maximum, sMergeMax[w * kRows + row]);
        float scaled_max = row_maximum == -INFINITY ? 0.0f : row_maximum * kScoreToLog2;
        float sum = 0.0f, value = 0.0f;
#pragma unroll
        for (int w = 0; w < kKeyWarps; ++w) {
            const float weight = attngen_exp2(sMergeMax[w * kRows + row] * kScoreToLog2 - scaled_max);
            sum += weight * sMergeSum[w * kRows + row];
            value += weight * sMergeO[(w * kRows + row) * kMergeStride + column];
        }
        const int packed = row_begin + row;
        const int64_t q = packed / kv_group;
        const int64_t h = kv_head * kv_group + packed % kv_group;
        {{sink}}
        const bool kept_any = sum > 0.0f;
        const float out = kept_any ? value / sum : 0.0f;
        const float lse = kept_any ? (scaled_max + log2f(sum)) * 0.69314718f : -INFINITY;
        if (partial) {
            /* the partials keep the bounds' rows, [split][batch][heads_q][seqlen_q] */
            const int64_t partial_row = ((split * p.batch + b) * p.heads_q + h) * p.seqlen_q + q;
            arguments.o_partial[partial_row * kValueHeadDim + column] = out;
            if (column == 0) arguments.lse_partial[partial_row] = lse;
        } else {
            Element *const o = static_cast<Element *>(p.o);
            attngen_store_float(attngen_sequence_row(o, query_rows, p.o_layout, h, q) + column, out);
            if (kSavesLogSumExp && column == 0) *attngen_sequence_row(p.lse, query_rows, p.lse_layout, h, q) = lse;
        }
    }
}

/* ------------------------------------------------------------------------------------------------
 * Host side: whether a call takes the decode kernel, its split count, its workspace, its launch.
 * ---------------------------------------------------------------------------------------------- */

/* The launch of one call: its block shape, packed rows, row tiles, key splits and the workspace the splits need. */
struct DecodeLaunch {
    bool wide;              /* WideBlock: more than 16 packed rows, and the plan has the shape */
    int32_t kv_group, packed_rows, row_tiles, splits;
    int64_t units;          /* batch * heads_kv * row_tiles: blocks per split */
    size_t split_bytes;     /* workspace bytes of one split's partial O and LSE */
};

/* Whether the checked call `p` takes the decode kernel: some keys, at most kMaxQueryRows query rows or what only
   this kernel reads (per-sequence key counts, seqlens_k: the tiled kernel has no register to spare for a per-block
   key count at d = 128; a paged cache), and a grid within CUDA's limits (65535 x 65535 blocks of row tiles,
   packed rows counted in 32 bits). */
static bool decode_applies(const attngen_forward_params &p) {
    const bool only_here = p.seqlens_k != NULL || kPageSize > 0; /* what the tiled kernel does not read */
    if ((p.seqlen_q > kMaxQueryRows && !only_here) || p.seqlen_k == 0) return false;
    const int64_t packed_rows = (int64_t)(p.heads_q / p.heads_kv) * p.seqlen_q;
    const int64_t units = p.batch * (int64_t)p.heads_kv * ((packed_rows + 15) / 16); /* at most, in 16-row blocks */
    return packed_rows < (1 << 30) && units <= (int64_t)65535 * 65535;
}

/* Aligned to 256 bytes, the start of the partial LSEs after the partial O of `splits` splits. */
static size_t partial_lse_offset(size_t o_bytes) { return (o_bytes + 255) / 256 * 256; }

/* The launch of `p` on the current device with at most `workspace_size` bytes of workspace: the wide shape for more
   than 16 packed rows when the plan has it, and enough key splits for every block slot of the multiprocessors (at
   most kMaxSplits, none of them empty), fewer if the workspace is smaller. Returns false when a CUDA query fails. */
static bool plan_launch(const attngen_forward_params &p, size_t workspace_size, DecodeLaunch &launch) {
    launch.kv_group = p.heads_q / p.heads_kv;
    launch.packed_rows = (int32_t)(launch.kv_group * p.seqlen_q);
    launch.wide = kHasWideBlock && launch.packed_rows > BlockShape<NarrowBlock>::kRows;
    const int rows_per_block = launch.wide ? BlockShape<WideBlock>::kRows : BlockShape<NarrowBlock>::kRows;
    launch.row_tiles = (launch.packed_rows + rows_per_block - 1) / rows_per_block;
    launch.units = p.batch * (int64_t)p.heads_kv * launch.row_tiles;
    const int64_t rows = p.batch * (int64_t)p.heads_q * p.seqlen_q;
    launch.split_bytes = (size_t)rows * (kValueHeadDim + 1) * sizeof(float) + 512;
    int device = 0, multiprocessors = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) {
        return false;
    }
    const int64_t slots = (int64_t)multiprocessors *
                          (launch.wide ? WideBlock::kBlocksPerMultiprocessor : NarrowBlock::kBlocksPerMultiprocessor);
    const int64_t key_tiles = (p.seqlen_k + kTileKeys - 1) / kTileKeys;
    /* Whole waves: as many splits as leave every (unit, split) block a slot of the first wave. */
    int64_t splits = launch.units >= slots ? 1 : slots / launch.units;
    splits = attngen_min64(attngen_min64(splits, kMaxSplits), key_tiles);
    if (splits > 1) {
        const int64_t fitting = (int64_t)(workspace_size / launch.split_bytes);
        splits = attngen_min64(splits, fitting);
    }
    launch.splits = splits > 1 ? (int32_t)splits : 1;
    return true;
}

{{tensor_map_launch}}

/* Runs the checked call `p` through the decode kernel (and the combine kernel when the keys are split). */
static attngen_status launch_decode(const attngen_forward_params &p, cudaStream_t stream) {
    DecodeLaunch launch;
    if (!plan_launch(p, p.workspace != NULL && ((uintptr_t)p.workspace & 15u) == 0 ? p.workspace_size : 0, launch)) {
        return ATTNGEN_ERROR_CUDA;
    }
    /* (y, z): the units folded under the 65535 limit of each (decode_applies bounds their product). */
    const int64_t grid_y = launch.units < 65535 ? launch.units : 65535;
    const int64_t grid_z = (launch.units + grid_y - 1) / grid_y;

    DecodeArguments arguments;
    arguments.params = p;
    arguments.kv_group = launch.kv_group;
    arguments.packed_rows = launch.packed_rows;
    arguments.row_tiles = launch.row_tiles;
    arguments.splits = launch.splits;
    arguments.aligned16 = attngen_rows_aligned16(p.k, p.k_layout, (int64_t)sizeof(Raw)) &&
                                  attngen_rows_aligned16(p.v, p.v_layout, (int64_t)sizeof(Raw))
                              ? 1
                              : 0;
    const int64_t rows = p.batch * (int64_t)p.heads_q * p.seqlen_q;
    const size_t o_bytes = (size_t)launch.splits * (size_t)rows * kValueHeadDim * sizeof(float);
    arguments.o_partial = launch.splits > 1 ? static_cast<float *>(p.workspace) : NULL;
    arguments.lse_partial =
        launch.splits > 1 ? reinterpret_cast<float *>(static_cast<unsigned char *>(p.workspace) + partial_lse_offset(o_bytes))
                          : NULL;

    /* The instance: whole batch or packed, narrow or wide (WideBlock is NarrowBlock again when the plan has no
       wide shape, and then never chosen), TMA tiles where they apply. */
    const bool packed = p.cu_seqlens_q != NULL || p.cu_seqlens_k != NULL;
    DecodeKernel kernel = packed ? decode_kernel<true, NarrowBlock, CopiedTiles<BlockShape<NarrowBlock>>>
                                 : decode_kernel<false, NarrowBlock, CopiedTiles<BlockShape<NarrowBlock>>>;
    int shared_bytes = NarrowBlock::kSharedBytes;
    if constexpr (kHasWideBlock) {
        if (launch.wide) {
            kernel = packed ? decode_kernel<true, WideBlock, CopiedTiles<BlockShape<WideBlock>>>
                            : decode_kernel<false, WideBlock, CopiedTiles<BlockShape<WideBlock>>>;
            shared_bytes = WideBlock::kSharedBytes;
        }
    }
    TileMaps maps{};
    if (!packed) choose_tensor_map_tiles(p, launch.wide, kernel, shared_bytes, maps);
    if (attngen_check_shared_memory((size_t)shared_bytes) != ATTNGEN_OK) return ATTNGEN_ERROR_CUDA;
    if (cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, shared_bytes) != cudaSuccess) {
        return ATTNGEN_ERROR_CUDA;
    }
    const dim3 grid((unsigned)launch.splits, (unsigned)grid_y, (unsigned)grid_z);
    kernel<<<grid, kThreads, (size_t)shared_bytes, stream>>>(arguments, maps);
    if (cudaGetLastError() != cudaSuccess) return ATTNGEN_ERROR_CUDA;
    if (launch.splits == 1) return ATTNGEN_OK;

    /* Merge the partial results: [splits][batch][heads_q][seqlen_q] rows, contiguous, into each sequence's rows of O
       and LSE (packed by cu_seqlens_q, whose rows past a shorter sequence's end the decode kernel left unwritten). */
    attngen_combine_params merge = {};
    merge.struct_size = sizeof(merge);
    merge.splits = launch.splits;
    merge.batch = p.batch;
    merge.seqlen_q = p.seqlen_q;
    merge.heads_q = p.heads_q;
    merge.o_partial = arguments.o_partial;
    merge.o_partial_layout = {p.heads_q * p.seqlen_q * kValueHeadDim, p.seqlen_q * kValueHeadDim, kValueHeadDim};
    merge.o_partial_split_stride = rows * kValueHeadDim;
    merge.lse_partial = arguments.lse_partial;
    merge.lse_partial_layout = {p.heads_q * p.seqlen_q, p.seqlen_q, 1};
    merge.lse_partial_split_stride = rows;
    merge.o = p.o;
    merge.o_layout = p.o_layout;
    merge.lse = kSavesLogSumExp ? p.lse : NULL;
    merge.lse_layout = p.lse_layout;
    return attngen_{{name}}_combine::launch_combine(merge, p.cu_seqlens_q, p.total_q, stream, kDependentCombine);
}

/* The workspace a call's key splits need (0 when it does not split). */
static size_t workspace_size(const attngen_forward_params &p) {
    if (!decode_applies(p)) return 0;
    DecodeLaunch launch;
    if (!plan_launch(p, SIZE_MAX, launch) || launch.splits == 1) return 0;
    return launch.split_bytes * (size_t)launch.splits;
}

}  // namespace attngen_{{name}}_decode
