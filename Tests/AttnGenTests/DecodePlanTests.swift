import Testing
@testable import AttnGen

/// The decode kernel's plan (DecodePlan): which variants it runs, and the tile, stage and occupancy choice the
/// launcher's split count and the kernel's shared memory follow.
@Suite struct DecodePlanTests {
    private func plan(_ spec: AttentionSpec, device: Device = .sm90) throws -> DecodePlan? {
        DecodePlan.plan(try VariantModel(lowering: spec), budget: device.defaultBudget)
    }

    @Test func prefersWideWarpTilesWhereThreeStagesFit() throws {
        let d128 = try #require(try plan(AttentionSpec(name: "d128", headDim: 128).storage(.bf16)))
        #expect(d128.warpColumns == 32 && d128.stages == 3 && d128.blocksPerMultiprocessor == 1)
        #expect(d128.sharedBytes == 16 * 136 * 2 + 3 * 2 * 128 * 136 * 2)
        let d64 = try #require(try plan(AttentionSpec(name: "d64", headDim: 64).storage(.fp16)))
        #expect(d64.warpColumns == 32 && d64.stages == 3 && d64.blocksPerMultiprocessor == 2)
        #expect(2 * d64.sharedBytes <= Device.sm90.defaultBudget)
        // d = 256: 128-key tiles leave room for one stage, so 64-key tiles with three.
        let d256 = try #require(try plan(AttentionSpec(name: "d256", headDim: 256).storage(.bf16)))
        #expect(d256.warpColumns == 16 && d256.stages == 3)
        // sm_80's smaller shared memory: 64-key tiles with four stages rather than 128-key tiles with two.
        let sm80 = try #require(try plan(AttentionSpec(name: "d128", headDim: 128).storage(.fp16), device: .sm80))
        #expect(sm80.warpColumns == 16 && sm80.stages == 4)
    }

    @Test func wideBlocksShareTheTilesWithTheirOwnQTileAndStages() throws {
        // d = 128: the 64-row Q tile (64 x 136 x 2 B) still leaves three 128-key stages in one block per SM.
        let d128 = try #require(try plan(AttentionSpec(name: "d128", headDim: 128).storage(.bf16)))
        let wide128 = try #require(d128.wide)
        #expect(wide128.rows == 64 && wide128.keyWarps == 1 && wide128.stages == 3 && wide128.blocksPerMultiprocessor == 1)
        #expect(wide128.sharedBytes == 64 * 136 * 2 + 3 * 2 * 128 * 136 * 2)
        #expect(wide128.layout.keyTileElements == d128.layout.keyTileElements)
        // d = 64: two narrow blocks of three stages per SM, but the wide Q tile does not fit twice: one block of four.
        let d64 = try #require(try plan(AttentionSpec(name: "d64", headDim: 64).storage(.fp16)))
        #expect(d64.wide?.blocksPerMultiprocessor == 1 && d64.wide?.stages == 4)
        // Above d = dv = 128 every call keeps the 16-row blocks (the 64-row ones spilled at d = 256 with a predicate
        // and grouped heads), on both devices; d = 128 with dv = 64 still gets them.
        let d256 = try #require(try plan(AttentionSpec(name: "d256", headDim: 256).storage(.bf16)))
        #expect(d256.wide == nil)
        #expect(d256.summary.shape.contains { $0.hasPrefix("wide     none") })
        let d256sm80 = try #require(try plan(AttentionSpec(name: "d256", headDim: 256).storage(.bf16), device: .sm80))
        #expect(d256sm80.wide == nil)
        let d192 = try #require(try plan(AttentionSpec(name: "mla", headDim: 192).valueHeadDim(128).storage(.bf16)))
        #expect(d192.wide == nil)
        let d128v64 = try #require(try plan(AttentionSpec(name: "v64", headDim: 128).valueHeadDim(64).storage(.bf16)))
        #expect(d128v64.wide != nil)
    }

    @Test func mergeBufferFitsEveryPlan() throws {
        for dim in [1, 33, 64, 96, 128, 192, 256] {
            let spec = AttentionSpec(name: "v", headDim: dim).storage(.fp16)
            let decode = try #require(try plan(spec), "d = \(dim)")
            #expect(decode.sharedBytes >= DecodePlan.warps * DecodePlan.rows * (decode.layout.valueHeadDimPadded + 2) * 4)
            #expect(decode.sharedBytes <= Device.sm90.defaultBudget)
            if let wide = decode.wide {
                // One warp per row group: the merge buffer holds each of the 64 rows once.
                #expect(wide.sharedBytes >= wide.rows * (wide.layout.valueHeadDimPadded + 2) * 4)
                #expect(wide.sharedBytes >= (wide.layout.queryTileElements + wide.stages
                    * (wide.layout.keyTileElements + wide.layout.valueTileElements)) * 2)
                #expect(wide.sharedBytes <= Device.sm90.defaultBudget)
            }
        }
    }

    @Test func variantsItCannotRunKeepTheTiledKernel() throws {
        #expect(try plan(AttentionSpec(name: "f", headDim: 64).storage(.fp32)) == nil)
        #expect(try plan(AttentionSpec(name: "p", headDim: 64).dropout(0.1)) == nil)
        #expect(try plan(AttentionSpec(name: "s", headDim: 64)
            .masked(by: .blockSparse(BlockSparseLayout(blockRows: 64, blockColumns: 64)))) == nil)
        // Masks the decode kernel evaluates per packed row do not stop it.
        #expect(try plan(AttentionSpec(name: "c", headDim: 64).masked(by: .causal(.bottomRight))) != nil)
    }
    /// The Hopper family reads contiguous caches through TMA tiles: 64-column panels of the tile's keys, stages from
    /// the first 1024-byte boundary past the Q tile, two barriers per stage past the merge buffer; the mma family and
    /// paged caches keep cp.async, and sm_90 launches the combine kernel as a dependent of the decode kernel.
    @Test func hopperFamilyPlansTensorMapTiles() throws {
        let variant = try VariantModel(lowering: AttentionSpec(name: "d128", headDim: 128).storage(.bf16))
        let hopper = try #require(try FamilyPlanner(target: .hopperSM90).plan(variant).decode)
        let tiles = try #require(hopper.tensorMapTiles)
        #expect(tiles.keyPanels == 2 && tiles.valuePanels == 2 && tiles.panelBytes == 128 * 128)
        // 4,352 bytes of Q rounded up to 5,120; three stages of 64 KB; six barriers.
        #expect(hopper.narrow.tensorMapSharedBytes == 5120 + 3 * 65536 + 48 && hopper.narrow.tensorMapStages == 3)
        #expect(hopper.wide?.tensorMapSharedBytes == 64 * 136 * 2 + 3 * 65536 + 48)
        #expect(hopper.dependentCombine)
        #expect(hopper.summary.shape.contains { $0.hasPrefix("tma ") })

        #expect(tiles.boxRows == 128)
        // The mma family on sm_90 too; not on sm_80.
        let mma90 = try #require(try FamilyPlanner(target: .cudaSM90).plan(variant).decode)
        #expect(mma90.tensorMapTiles == tiles && mma90.dependentCombine)
        let mma80 = try #require(try FamilyPlanner(target: .cudaSM80).plan(variant).decode)
        #expect(mma80.tensorMapTiles == nil && mma80.narrow.tensorMapSharedBytes == nil && !mma80.dependentCombine)
    }

    /// Paged caches: pages that are whole tiles take a box of the tile's keys, pages of 8 keys or more that divide
    /// the tile a box per page; smaller pages and pages that do not nest with the tiles keep cp.async.
    @Test func pagedCachesTakeABoxPerPageOrPerTile() throws {
        func tiles(_ page: Int) throws -> DecodePlan.TensorMapTiles? {
            let spec = AttentionSpec(name: "p", headDim: 128).storage(.bf16).pagedKV(pageSize: page)
            return try FamilyPlanner(target: .cudaSM90).plan(try VariantModel(lowering: spec)).decode?.tensorMapTiles
        }
        #expect(try tiles(256)?.boxRows == 128 && tiles(128)?.boxRows == 128 && tiles(384)?.boxRows == 128)
        #expect(try tiles(64)?.boxRows == 64 && tiles(16)?.boxRows == 16 && tiles(8)?.boxRows == 8)
        #expect(try tiles(4) == nil && tiles(1) == nil && tiles(48) == nil && tiles(200) == nil)
    }

    /// TMA tiles fit wherever the planner gives them, for every head dim from 64 on: odd ones take whole panels (TMA
    /// fills the columns past the head dim with zeros), and each shape's blocks per multiprocessor still fit.
    @Test func tensorMapTilesFitTheirShapes() throws {
        for (dim, valueDim) in [(1, 1), (33, 33), (64, 64), (96, 96), (128, 64), (128, 128), (192, 128), (256, 256)] {
            let spec = AttentionSpec(name: "v", headDim: dim).valueHeadDim(valueDim).storage(.fp16)
            let decode = try #require(DecodePlan.plan(try VariantModel(lowering: spec), budget: Device.sm90.defaultBudget,
                                                      tensorMaps: true), "d = \(dim)")
            // Below 64 columns a panel's 128-byte rows outgrow the padded rows that let two blocks share an SM.
            guard let tiles = decode.tensorMapTiles else {
                #expect(dim < 64, "d = \(dim)")
                continue
            }
            #expect(tiles.keyPanels * 64 >= decode.layout.headDimPadded && tiles.valuePanels * 64 >= decode.layout.valueHeadDimPadded)
            for shape in [decode.narrow] + (decode.wide.map { [$0] } ?? []) {
                guard let bytes = shape.tensorMapSharedBytes, let stages = shape.tensorMapStages else { continue }
                #expect(bytes * shape.blocksPerMultiprocessor <= Device.sm90.defaultBudget, "d = \(dim)")
                #expect(stages >= 2 && stages <= shape.stages, "d = \(dim)")
                let stagesOffset = (shape.layout.queryTileElements * 2 + 1023) / 1024 * 1024
                #expect(bytes >= stagesOffset + stages * tiles.stageBytes + 16 * stages)
            }
        }
    }

    /// A model of the swizzled panels as Templates/cuda/pieces/decode_tensor_map_tiles.cu addresses them (SwizzledPanels)
    /// against where TMA's 128-byte swizzle puts each element (16-byte chunk c of row r of a 1024-byte-aligned panel at
    /// r * 128 + (c ^ r % 8) * 16): every lane's ldmatrix row address holds the 8 elements the fragment needs, and the
    /// 8 lanes of each 8x8 matrix read 8 different 16-byte bank groups.
    @Test func swizzledPanelAddressesAreRightAndConflictFree() {
        let panelBytes = 128 * 128, rowBytes = 128
        func placed(_ key: Int, _ column: Int) -> Int {
            let chunk = column % 64 / 8
            return column / 64 * panelBytes + key * rowBytes + ((chunk ^ key % 8) << 4) + column % 8 * 2
        }
        for firstKey in [0, 32, 64, 96] {  // a warp's keys start on multiples of 8
            for lane in 0..<32 {
                let keyLane = firstKey * rowBytes + (lane % 8 + lane / 16 * 8) * rowBytes
                let valueLane = firstKey * rowBytes + (lane % 8 + lane / 8 % 2 * 8) * rowBytes
                for kk in 0..<8 {
                    for n in stride(from: 0, to: 4, by: 2) {
                        let chunk = kk % 4 * 2 + lane / 8 % 2
                        let address = keyLane + kk / 4 * panelBytes + n * 8 * rowBytes + ((chunk ^ lane % 8) << 4)
                        // Q·Kᵀ: lane l reads key 8n + l % 8 + 8 (l / 16), columns 16kk + 8 ((l / 8) % 2) .. + 7.
                        #expect(address == placed(firstKey + 8 * n + lane % 8 + lane / 16 * 8, 16 * kk + lane / 8 % 2 * 8))
                    }
                }
                for kk in 0..<2 {
                    for n in stride(from: 0, to: 16, by: 2) {
                        let chunk = n % 8 + lane / 16
                        let address = valueLane + n / 8 * panelBytes + kk * 16 * rowBytes + ((chunk ^ lane % 8) << 4)
                        // P·V (ldmatrix.trans): lane l reads key 16kk + l % 8 + 8 ((l / 8) % 2), columns 8n + 8 (l / 16).
                        #expect(address == placed(firstKey + 16 * kk + lane % 8 + lane / 8 % 2 * 8, 8 * n + lane / 16 * 8))
                    }
                }
            }
            // Each 8-lane phase of an ldmatrix.x4: eight distinct 16-byte bank groups (address bits 4..6).
            for phase in 0..<4 {
                for kk in 0..<8 {
                    let groups = Set((8 * phase..<8 * phase + 8).map { lane -> Int in
                        let chunk = kk % 4 * 2 + lane / 8 % 2
                        return ((firstKey + lane % 8 + lane / 16 * 8) * rowBytes + ((chunk ^ lane % 8) << 4)) >> 4 & 7
                    })
                    #expect(groups.count == 8)
                }
            }
        }
    }
}
