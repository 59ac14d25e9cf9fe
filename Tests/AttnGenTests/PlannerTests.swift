import Testing
@testable import AttnGen

@Suite struct PlannerTests {
    @Test(arguments: Target.allCases, [16, 40, 64, 72, 128, 256])
    func plansFitTheBudget(target: Target, headDim: Int) throws {
        let spec = AttentionSpec(name: "v", headDim: headDim).storage(.bf16)
        if target.family == .hopper {
            // Two consumer warpgroups of 64 rows and a producer (three at d = 64, TUNING.md H22); two Q tiles, and
            // 3 K/V stages where they fit beside them under 227 KB (d = 64; at d = 128, 3 stages and 2 Q tiles would
            // need 256 KB: 2 stages). At d = 256 the registers limit the key tile to 80 (O alone is 128 a thread)
            // and one Q tile fits.
            guard HopperForwardPlanner.runs(headDim: headDim) else {
                #expect(throws: SpecError.self) { try TilePlanner(target: target).plan(spec) }
                return
            }
            let plan = try TilePlanner(target: target).plan(spec)
            #expect(plan.onChipBytes <= plan.budget && plan.budget == Device.sm90.maximumBudget)
            let consumers = headDim == 64 ? 3 : 2
            #expect(plan.blockRows == 64 * consumers && plan.blockColumns == (headDim == 256 ? 80 : 128)
                        && plan.warps == 4 * (1 + consumers))
            #expect(plan.stages == (headDim == 64 ? 3 : 2) && plan.queryBuffers == (headDim == 256 ? 1 : 2))
            #expect(plan.accumulatorRegistersPerThread
                        <= HopperForwardPlanner.accumulatorRegisterLimit(try VariantModel(lowering: spec),
                                                                          consumerWarpgroups: consumers))
            // A budget one byte short takes the next arrangement that fits, which needs fewer bytes (at d = 256 a
            // narrower key tile: 2 stages and 1 Q tile is the last arrangement).
            let smaller = try TilePlanner(target: target, budget: plan.onChipBytes - 1).plan(spec)
            #expect(smaller.onChipBytes < plan.onChipBytes)
            #expect(headDim == 64 ? (smaller.stages == 2 && smaller.queryBuffers == 2)
                                  : (smaller.stages == 2 && smaller.queryBuffers == 1))
            #expect(smaller.blockColumns == (headDim == 256 ? 64 : 128))
            return
        }
        let plan = try TilePlanner(target: target).plan(spec)
        #expect(plan.onChipBytes <= plan.budget)
        #expect(plan.blockRows % target.tileGranularity.rows == 0)
        #expect(plan.blockColumns % target.tileGranularity.columns == 0)
        if target.isCUDA {
            #expect(plan.accumulatorRegistersPerThread <= TilePlanner.accumulatorRegisterLimit)
            #expect(plan.blockRows % (plan.warps * 16) == 0)
        }
    }

    /// Accumulators depend on Bc, not Br: a tile whose accumulators do not fit shrinks Bc and keeps its rows
    /// (and warps). d = 256 used to end at 80 x 64 with 5 warps; FlashAttention-2's 128 x 64 of 8 warps of 16
    /// rows ran 1.33-1.43x faster on an H200 (benchmarks/gpu/TUNING.md #8).
    @Test(arguments: [Target.cudaSM80, .cudaSM90], [StorageType.fp16, .bf16])
    func registerLimitedTilesKeepTheirRows(target: Target, storage: StorageType) throws {
        let plan = try TilePlanner(target: target).plan(AttentionSpec(name: "v", headDim: 256).storage(storage))
        #expect(plan.blockRows == 128 && plan.warps == 8)
        #expect(plan.blockColumns == 64)
        #expect(plan.accumulatorRegistersPerThread <= TilePlanner.narrowAccumulatorRegisterLimit)
        #expect(plan.stages == (target == .cudaSM90 ? 2 : 1))
    }

    /// The softmax row sums stay in registers unless 32-row warps above value head dim 64, odd head dims or
    /// dropout need the room (ptxas spills otherwise, CUDACompileTests); in shared memory they cost 7-8 % at
    /// d = 64 and ~10 % at d = 256 (TUNING.md #7, #11). The byte account and the CUDA layout follow the rule.
    @Test func rowSumsLiveInRegistersWhereTheyFit() throws {
        let cases: [(AttentionSpec, Bool)] = [
            (AttentionSpec(name: "v", headDim: 64).storage(.bf16), false),
            (AttentionSpec(name: "v", headDim: 128).storage(.bf16), true),
            (AttentionSpec(name: "v", headDim: 256).storage(.bf16), false),
            (AttentionSpec(name: "v", headDim: 128).storage(.fp32), false),
            (AttentionSpec(name: "v", headDim: 40).storage(.fp16), true),
            (AttentionSpec(name: "v", headDim: 64).storage(.bf16).dropout(0.1), true),
        ]
        for (spec, inShared) in cases {
            #expect(TilePlanner.rowSumsInSharedMemory(spec) == inShared, "\(spec.headDim) \(spec.storage)")
            let plan = try TilePlanner(target: .cudaSM90).plan(spec)
            #expect(plan.accounts.contains { $0.item.hasPrefix("row sums") } == inShared)
            #expect(MMAForwardLayout(spec: spec, plan: plan).sharedBytes == plan.onChipBytes)
        }
    }

    /// The C kernel's S/P tile stays within three quarters of a 32 KB L1 data cache (TilePlanner.cScoreTileBytes):
    /// 64 × 96 at d = 64 and 128, where the FlashAttention rule alone gave 64 × 256 and 64 × 128 (1.04-1.18x slower
    /// on an AVX2 AMD EPYC, benchmarks/cpu/NOTES.md 15); a small head dim's 32-row tiles may take wider key tiles.
    @Test(arguments: [(32, 32, 192), (64, 64, 96), (128, 64, 96)])
    func cScoreTilesFitTheL1(headDim: Int, rows: Int, columns: Int) throws {
        let plan = try TilePlanner(target: .c).plan(AttentionSpec(name: "v", headDim: headDim).storage(.fp32))
        #expect(plan.blockRows == rows && plan.blockColumns == columns)
        #expect(plan.blockRows * plan.blockColumns * 4 <= TilePlanner.cScoreTileBytes)
    }

    @Test func tinyBudgetIsRefusedWithTheSmallestThatFits() throws {
        let spec = AttentionSpec(name: "v", headDim: 128)
        do {
            _ = try TilePlanner(target: .cudaSM80, budget: 1000).plan(spec)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.field == "budget")
            #expect(error.message.contains("needs"))
        }
    }

    @Test func blockSparseTilesDivideTheBlock() throws {
        let spec = AttentionSpec(name: "v", headDim: 64).masked(by: .blockSparse(blockSize: 48))
        let plan = try TilePlanner(target: .cudaSM80).plan(spec)
        #expect(48 % plan.blockRows == 0 && 48 % plan.blockColumns == 0)
        let bad = AttentionSpec(name: "v", headDim: 64).masked(by: .blockSparse(blockSize: 40))
        #expect(throws: SpecError.self) { try TilePlanner(target: .cudaSM80).plan(bad) }
    }

    @Test func causalTrafficIsAboutHalf() throws {
        let dense = AttentionSpec(name: "v", headDim: 64)
        let causal = dense.masked(by: .causal)
        let plan = try TilePlanner(target: .cudaSM90).plan(dense)
        let full = try TrafficEstimate(spec: dense, plan: plan, queryLength: 4096, keyLength: 4096)
        let half = try TrafficEstimate(spec: causal, plan: plan, queryLength: 4096, keyLength: 4096)
        #expect(full.tiledBytes < full.standardBytes)
        #expect(half.visitedTiles * 2 < full.visitedTiles + full.visitedTiles / 8)
    }
}
