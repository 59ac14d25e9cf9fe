/// The decode kernel of the mma family (Templates/cuda/decode.cu): what a forward call with few query rows runs
/// instead of the tiled forward kernel (and every call with per-sequence key counts or a paged cache). Each thread
/// block takes packed rows — the query heads that share a key/value head, times the query rows, so that their K and
/// V are read once — against one split of the keys. Two block shapes: 16 rows, whose four warps take alternate keys
/// of every K/V tile and merge their softmax states at the end, and (for calls of more packed rows) 64 rows, each
/// warp 16 of them against whole tiles. When the blocks would not fill the GPU, the launcher splits the keys across
/// blocks (Flash-Decoding) and the variant's combine kernel merges the partial (O, LSE) pairs.
public struct DecodePlan: Sendable, Hashable {
    /// Packed rows per thread block of the narrow shape: one m16 fragment.
    public static let rows = 16
    /// Packed rows per thread block of the wide shape: one m16 fragment per warp.
    public static let wideRows = 64
    /// Warps per block.
    public static let warps = 4
    /// The keys per warp and tile the planner tries, in order of preference: 32 measured 0–3 % faster than 16 at
    /// d = 128 on the H200 (TUNING.md, D2), where its 64 KB tiles leave one block of three stages per SM.
    public static let warpColumnChoices = [32, 16]
    /// The query rows per call up to which the decode kernel runs (1 for decoding, more for speculative decoding).
    public static let maximumQueryRows = 16
    /// The most key splits one call uses.
    public static let maximumSplits = 128
    /// The largest head dim (d and dv) with 64-row blocks.
    public static let maximumWideHeadDim = 128

    /// One block shape of the decode kernel: `rowGroups` groups of 16 packed rows, each group's keys of a K/V tile
    /// shared by `warps / rowGroups` warps (merged at the end).
    public struct BlockShape: Sendable, Hashable {
        /// Groups of 16 packed rows per block; warp w takes group w / (warps / rowGroups).
        public var rowGroups: Int
        /// K/V tiles in the cp.async ring.
        public var stages: Int
        /// Thread blocks that share one multiprocessor (the launcher sizes the split count for them).
        public var blocksPerMultiprocessor: Int
        /// The shared-memory layout (same padding rules as the forward kernel's).
        public var layout: MMAForwardLayout
        /// Bytes of shared memory: the larger of the Q tile with the K/V ring and the warps' merge buffer.
        public var sharedBytes: Int
        /// Bytes of shared memory of the same shape with K and V tiles by TMA (`TensorMapTiles`), nil when the plan
        /// has no such tiles or two stages of them do not fit beside the shape's other blocks on a multiprocessor.
        public var tensorMapSharedBytes: Int? = nil
        /// Stages of TMA tiles: the cp.async ring's, or fewer where its unpadded but panel-rounded tiles need more room
        /// (d = 96: four padded stages fit, three panel stages do).
        public var tensorMapStages: Int? = nil

        /// Packed rows per block.
        public var rows: Int { 16 * rowGroups }
        /// Warps that share each row group's keys.
        public var keyWarps: Int { DecodePlan.warps / rowGroups }
    }

    /// Keys of each warp per K/V tile in the narrow shape (the wide shape's warps take whole tiles).
    public var warpColumns: Int
    /// Blocks of 16 packed rows, four warps taking alternate keys of each tile: calls of at most 16 packed rows
    /// (query heads per key/value head x query rows), and every call when the wide shape is absent.
    public var narrow: BlockShape
    /// Blocks of 64 packed rows, each warp 16 of them against whole tiles: calls of more packed rows (speculative
    /// decoding with grouped heads), which in 16-row blocks would read the same K and V once per 16 rows. Nil above
    /// d = dv = 128 (maximumWideHeadDim) and when its Q tile leaves no room for two stages.
    public var wide: BlockShape?
    /// Bytes of K and V per key of one key/value head: what decoding reads.
    public var bytesPerKey: Int
    /// K and V tiles by TMA instead of cp.async (sm_90, a contiguous cache or pages TMA boxes can cover), nil without.
    public var tensorMapTiles: TensorMapTiles? = nil
    /// The combine kernel launched as a programmatic dependent of the decode kernel (sm_90: its launch overlaps the
    /// decode kernel's last blocks, and it waits for their results on the device), else after it in stream order.
    public var dependentCombine = false

    /// K and V tiles copied by the TMA engine (cp.async.bulk.tensor, one request per 64-column panel of a tile or of
    /// a page, completing on an mbarrier per tile), sm_90's choice for calls of whole batches: reading 2 GiB of K and
    /// V through such tiles measured 4,465-4,599 GB/s on the H200 against 4,236-4,282 for the cp.async ring
    /// (benchmarks/decode/read_ceiling.cu, TUNING.md D10). A tile is `keyPanels` (K) and `valuePanels` (V) panels of
    /// the tile's keys x 64 columns (128 bytes, the 128-byte swizzle's row, which ldmatrix reads without bank
    /// conflicts), each panel 1024-byte aligned; zero columns past the head dim come from the TMA's out-of-bounds
    /// fill, and the kernel zeroes the V rows of a tile's keys past the sequence's. A paged cache's tile is one box
    /// of its page (pages of a multiple of the tile's keys) or one box per page (pages of 8 keys or more that divide
    /// the tile): `boxRows` keys.
    public struct TensorMapTiles: Sendable, Hashable {
        /// Elements per panel row: 128 bytes of 16-bit elements.
        public static let panelColumns = 64
        /// Bytes of a panel row.
        public static let panelRowBytes = 128
        /// The alignment of each tile (the 128-byte swizzle repeats every 1024 bytes).
        public static let alignment = 1024
        /// Panels of a K tile: head-dim columns / 64, rounded up.
        public var keyPanels: Int
        /// Panels of a V tile.
        public var valuePanels: Int
        /// Bytes of one panel: the tile's keys x 128.
        public var panelBytes: Int
        /// Keys per TMA box: the tile's, or a page's when pages are smaller.
        public var boxRows: Int

        /// The smallest page whose keys one TMA box per page covers (smaller pages keep cp.async).
        public static let minimumPageSize = 8

        /// The keys per box for pages of `pageSize` keys (nil: contiguous) and tiles of `tileColumns`, or nil when
        /// pages and tiles do not nest (a page of 48 keys) or the pages are too small for a box each.
        public static func boxRows(pageSize: Int?, tileColumns: Int) -> Int? {
            guard let pageSize else { return tileColumns }
            if pageSize % tileColumns == 0 { return tileColumns }
            if tileColumns % pageSize == 0 && pageSize >= minimumPageSize { return pageSize }
            return nil
        }

        /// Bytes of one stage: a K tile and a V tile.
        public var stageBytes: Int { (keyPanels + valuePanels) * panelBytes }

        /// The shared memory of a block with a Q tile of `queryBytes` and `stages` stages: the Q tile, the stages
        /// from the next 1024-byte boundary, and two mbarriers per stage (K arrived, V arrived) after them; at least
        /// `mergeBytes` (the warps' merge buffer, which reuses the Q tile and the stages, never the barriers).
        public func sharedBytes(queryBytes: Int, stages: Int, mergeBytes: Int) -> Int {
            let stagesOffset = (queryBytes + Self.alignment - 1) / Self.alignment * Self.alignment
            return max(stagesOffset + stages * stageBytes, mergeBytes) + 2 * stages * 8
        }
    }

    /// K/V tiles in the narrow shape's ring.
    public var stages: Int { narrow.stages }
    /// Narrow blocks per multiprocessor.
    public var blocksPerMultiprocessor: Int { narrow.blocksPerMultiprocessor }
    /// The narrow shape's shared-memory layout.
    public var layout: MMAForwardLayout { narrow.layout }
    /// The narrow shape's shared memory.
    public var sharedBytes: Int { narrow.sharedBytes }
    /// Keys of one K/V tile (both shapes).
    public var tileColumns: Int { Self.warps * warpColumns }

    /// The decode plan of `variant` within `budget` bytes of shared memory per block, or nil when the
    /// decode kernel does not run the variant (every call then takes the forward kernel): fp32 storage (the
    /// m16n8k16 products are 16-bit), dropout and block-sparse layouts (its packed rows mix query heads, which
    /// those address one at a time), or a budget without room for two K/V tiles.
    /// With `tensorMaps` (sm_90), calls of whole batches read K and V through TMA tiles (`TensorMapTiles`) in the
    /// shapes where those fit, unless pages and tiles do not nest; with `dependentCombine` (sm_90), the combine
    /// kernel is a programmatic dependent launch.
    public static func plan(_ variant: VariantModel, budget: Int, tensorMaps: Bool = false,
                            dependentCombine: Bool = false) -> DecodePlan? {
        guard unsupportedReason(variant) == nil, var plan = fitting(variant, budget: budget) else { return nil }
        plan.dependentCombine = dependentCombine
        if tensorMaps, let boxRows = TensorMapTiles.boxRows(pageSize: variant.pageSize, tileColumns: plan.tileColumns) {
            plan.addTensorMapTiles(variant, budget: budget, boxRows: boxRows)
        }
        return plan
    }

    /// The TMA tiles of the plan's tile (same keys and stages as the cp.async ring), in each shape where they fit
    /// the shape's blocks per multiprocessor; none when they fit no shape.
    private mutating func addTensorMapTiles(_ variant: VariantModel, budget: Int, boxRows: Int) {
        let panels = { (dim: Int) in (dim + TensorMapTiles.panelColumns - 1) / TensorMapTiles.panelColumns }
        let tiles = TensorMapTiles(keyPanels: panels(variant.headDim), valuePanels: panels(variant.valueHeadDim),
                                   panelBytes: tileColumns * TensorMapTiles.panelRowBytes, boxRows: boxRows)
        let sized = { (shape: BlockShape) -> BlockShape in
            var sized = shape
            let queryBytes = shape.layout.queryTileElements * shape.layout.elementBytes
            let mergeBytes = Self.mergeBytes(rows: shape.rows, rowGroups: shape.rowGroups, layout: shape.layout)
            let fitting = stride(from: shape.stages, through: 2, by: -1).first { stages in
                tiles.sharedBytes(queryBytes: queryBytes, stages: stages, mergeBytes: mergeBytes)
                    <= budget / shape.blocksPerMultiprocessor
            }
            sized.tensorMapStages = fitting
            sized.tensorMapSharedBytes = fitting.map {
                tiles.sharedBytes(queryBytes: queryBytes, stages: $0, mergeBytes: mergeBytes)
            }
            return sized
        }
        narrow = sized(narrow)
        wide = wide.map(sized)
        if narrow.tensorMapSharedBytes != nil || wide?.tensorMapSharedBytes != nil {
            tensorMapTiles = tiles
        }
    }

    /// The warps' merge buffer: O, the running maximum and the sum of each row, per warp sharing a row group's keys.
    private static func mergeBytes(rows: Int, rowGroups: Int, layout: MMAForwardLayout) -> Int {
        (warps / rowGroups) * rows * (layout.valueHeadDimPadded + 2) * 4
    }

    /// Why the decode kernel does not run `variant`, or nil when it does.
    public static func unsupportedReason(_ variant: VariantModel) -> String? {
        if variant.storage == .fp32 { return "fp32 storage (the decode kernel's products are 16-bit)" }
        if let inputs = variant.inputStorage { return "\(inputs.rawValue) inputs (the decode kernel's products are 16-bit)" }
        if variant.dropout != nil { return "dropout (the decode kernel packs query heads into rows)" }
        if variant.blockSparse != nil { return "a block-sparse layout (the decode kernel packs query heads into rows)" }
        return nil
    }

    /// The first choice of keys per warp whose narrow shape fits three stages (two blocks per SM if they fit, else
    /// one), or else the first that fits two; the wide shape with the same K/V tiles, as many stages as fit.
    private static func fitting(_ variant: VariantModel, budget: Int) -> DecodePlan? {
        let options = warpColumnChoices.compactMap { warpColumns -> DecodePlan? in
            let tileColumns = warps * warpColumns
            guard let narrow = shape(variant, rowGroups: 1, tileColumns: tileColumns, budget: budget) else { return nil }
            // 64-row blocks only up to d = dv = 128: above, a warp's whole-tile scores and O spill registers where a
            // mask needs them (a predicate with grouped heads at d = 256 did, under ptxas, in the packed instance).
            let wide = max(variant.headDim, variant.valueHeadDim) <= maximumWideHeadDim
                ? shape(variant, rowGroups: wideRows / 16, tileColumns: tileColumns, budget: budget) : nil
            return DecodePlan(warpColumns: warpColumns, narrow: narrow, wide: wide,
                              bytesPerKey: (variant.headDim + variant.valueHeadDim) * variant.storage.byteSize)
        }
        return options.first { $0.stages >= 3 } ?? options.first
    }

    /// A block shape of `rowGroups` row groups and K/V tiles of `tileColumns` keys: two blocks per multiprocessor
    /// with three or more stages if they fit, else one block with as many stages as fit (at most four), nil when
    /// fewer than two do.
    private static func shape(_ variant: VariantModel, rowGroups: Int, tileColumns: Int, budget: Int) -> BlockShape? {
        let rows = 16 * rowGroups
        let account = { (stages: Int) in
            MMAForwardLayout(spec: variant.spec, rows: rows, columns: tileColumns, stages: stages)
        }
        let single = account(1)
        let queryBytes = single.queryTileElements * single.elementBytes
        let stageBytes = (single.keyTileElements + single.valueTileElements) * single.elementBytes
        let twoBlocks = (budget / 2 - queryBytes) / stageBytes
        let (stages, blocks) = twoBlocks >= 3 ? (min(twoBlocks, 4), 2) : (min((budget - queryBytes) / stageBytes, 4), 1)
        guard stages >= 2 else { return nil }
        let layout = account(stages)
        let mergeBytes = Self.mergeBytes(rows: rows, rowGroups: rowGroups, layout: layout)
        let shared = max(queryBytes + stages * stageBytes, mergeBytes)
        guard shared <= budget else { return nil }
        return BlockShape(rowGroups: rowGroups, stages: stages, blocksPerMultiprocessor: blocks, layout: layout,
                          sharedBytes: shared)
    }

    /// The byte account of the narrow shape, for `attngen plan`.
    public var accounts: [TilePlan.ByteAccount] { Self.accounts(narrow, tileColumns: tileColumns) }

    private static func accounts(_ shape: BlockShape, tileColumns: Int) -> [TilePlan.ByteAccount] {
        // The Q tile and the K/V ring (the softmax sums stay in registers); the merge buffer reuses them.
        shape.layout.accounts.prefix(3).map { account in
            var renamed = account
            renamed.item = account.item.replacingOccurrences(of: "Br", with: "\(shape.rows)")
                .replacingOccurrences(of: "Bc", with: "\(tileColumns)")
            return renamed
        }
    }

    /// The summary's line on TMA tiles, when the plan has them.
    private var tensorMapLines: [String] {
        guard let tiles = tensorMapTiles else { return [] }
        let shapes = [("narrow", narrow.tensorMapSharedBytes), ("wide", wide?.tensorMapSharedBytes)]
            .compactMap { name, bytes in bytes.map { "\(name) \($0) bytes" } }.joined(separator: ", ")
        let boxes = tiles.boxRows == tileColumns ? "" : ", a box of \(tiles.boxRows) keys per page"
        return ["tma      whole batches: K and V tiles by TMA, \(tiles.keyPanels) + \(tiles.valuePanels) panels of "
                + "\(TensorMapTiles.panelColumns) columns (128-byte swizzle) per stage\(boxes), \(shapes) of shared "
                + "memory; variable-length batches and layouts TMA cannot address by cp.async"]
    }

    /// What `attngen plan` prints about the kernel.
    public var summary: KernelSummary {
        let wideLine = wide.map { wide in
            "wide     calls of more than \(Self.rows) packed rows: \(wide.rows) rows per block, each warp 16 rows "
                + "against whole tiles, \(wide.stages) K/V stages, \(wide.sharedBytes) bytes of shared memory, "
                + "\(wide.blocksPerMultiprocessor) block" + (wide.blocksPerMultiprocessor == 1 ? "" : "s") + " per SM"
        } ?? "wide     none (head dims above \(Self.maximumWideHeadDim), or no room for two K/V stages beside a "
            + "\(Self.wideRows)-row Q tile): every call in \(Self.rows)-row blocks"
        return KernelSummary(kernel: "decode (calls with at most \(Self.maximumQueryRows) query rows, or with seqlens_k "
                             + "or a paged cache)", shape: [
            "tile     \(Self.rows) packed rows (query heads of a key/value head x query rows), \(tileColumns) keys "
                + "per K/V tile",
            "warps    \(Self.warps) (each \(warpColumns) keys of every tile, merged at the end), \(stages) K/V "
                + "stages, \(blocksPerMultiprocessor) block" + (blocksPerMultiprocessor == 1 ? "" : "s") + " per SM",
            wideLine,
            "splits   chosen per call: enough key ranges for every block slot of the GPU (at most "
                + "\(Self.maximumSplits)), merged by the combine kernel"
                + (dependentCombine ? " (a programmatic dependent launch)" : ""),
            "traffic  \(bytesPerKey) bytes of K and V per key and key/value head, read once per block of packed rows: "
                + "the time bound is batch x heads_kv x keys x that over the memory bandwidth",
        ] + tensorMapLines, accounts: accounts)
    }
}
