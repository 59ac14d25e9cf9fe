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
}
