import Foundation
import Testing
@testable import AttnGen

/// The Hopper family's key kernel of the backward pass (issue 14) without a GPU: what its planner takes and refuses
/// (naming the field), that it is on by default and off when asked, what the backward file holds with it, and nvcc +
/// ptxas + cuobjdump on it: no spills, no local memory, no wgmma serialised for lack of registers (ptxas's C7512),
/// and wgmma (`HGMMA`) with TMA loads (`UTMALDG`) and reductions (`UTMAREDG`) in its SASS.
@Suite struct HopperBackwardTests {
    static func variant(_ spec: AttentionSpec) throws -> VariantModel { try VariantModel(lowering: spec) }

    static func plan(_ spec: AttentionSpec, hopperBackward: Bool) throws -> VariantPlan {
        try FamilyPlanner(target: .hopperSM90, hopperBackward: hopperBackward).plan(try variant(spec))
    }

    // MARK: - Planner (no nvcc needed)

    @Test(arguments: [(64, 64, 128, 199_736), (128, 128, 64, 198_712), (128, 64, 64, 165_944)])
    func plansTheTileAndItsAccount(headDim: Int, valueHeadDim: Int, queryRows: Int, sharedBytes: Int) throws {
        let spec = AttentionSpec(name: "hb", headDim: headDim).valueHeadDim(valueHeadDim).storage(.bf16).withBackward()
        let plan = try HopperBackwardPlanner.plan(try Self.variant(spec), budget: Device.sm90.defaultBudget).get()
        #expect(plan.keyRows == 128 && plan.queryRows == queryRows && plan.stages == 2)
        #expect(plan.dqOrder == .staggered, "no mask bounds the keys from above: staggered walks")
        // Half the SMs where a head has as many query tiles as key tiles, a quarter where twice as many (B12).
        #expect(plan.staggerSMDivisor == (queryRows == 128 ? 2 : 4))
        // K, V, two Q and dO buffers, two dS tiles, the fp32 dQ tile, the LSE and D rows, 7 mbarriers, 1024 bytes of
        // alignment slack.
        let d = headDim, dv = valueHeadDim
        let expected = 128 * (d + dv) * 2 + 2 * queryRows * (d + dv) * 2 + 2 * 128 * queryRows * 2 + queryRows * d * 4
            + 2 * 2 * queryRows * 4 + 7 * 8 + 1024
        #expect(plan.sharedBytes == expected && plan.sharedBytes == sharedBytes)
        #expect(!plan.consumersSplitColumns)
    }

    /// d = dv = 256: 64 keys per CTA that both consumers own, each accumulating half of dK's and dV's columns
    /// (consumer 0 forms Sᵀ and P, consumer 1 dPᵀ and dS, P crossing in a 16 KB fp32 exchange); one buffer of Q and
    /// dO beside the 64 KB fp32 dQ tile.
    @Test func plansTheSplitColumnTileAtD256() throws {
        let spec = AttentionSpec(name: "hb", headDim: 256).storage(.bf16).masked(by: .causal(.topLeft)).withBackward()
        let plan = try HopperBackwardPlanner.plan(try Self.variant(spec), budget: Device.sm90.defaultBudget).get()
        #expect(plan.keyRows == 64 && plan.queryRows == 64 && plan.stages == 1 && plan.consumersSplitColumns)
        #expect(plan.dqOrder == .descending)
        // K, V (64 x 256), one Q and dO buffer (64 x 256), two dS tiles (64 x 64), the fp32 dQ tile (64 x 256), the
        // fp32 P exchange (64 x 64), the LSE and D rows, 5 mbarriers, 1024 bytes of slack: within sm_90's 227 KB.
        let expected = 64 * 512 * 2 + 64 * 512 * 2 + 2 * 64 * 64 * 2 + 64 * 256 * 4 + 64 * 64 * 4 + 2 * 64 * 4 + 5 * 8
            + 1024
        #expect(plan.sharedBytes == expected && plan.sharedBytes == 230_952 && expected <= 227 * 1024)
        #expect(plan.accounts.contains { $0.item.hasPrefix("Pᵀ exchange") })
        let source = try Self.backwardSource(spec, hopperBackward: true)
        #expect(source.contains("constexpr bool kConsumersSplitColumns = true;"))
        #expect(source.contains("consume<true, false>(smem, walk, arguments, 0);")
                    && source.contains("attngen_named_barrier_sync(kProbabilitiesBarrier, kConsumerThreads);"))
        #expect(source.contains("Hopper key kernel (wgmma, TMA): 64 keys x 64 queries per step (1 buffer)"))
        let d128 = try Self.backwardSource(AttentionSpec(name: "hc", headDim: 128).storage(.bf16).withBackward(),
                                           hopperBackward: true)
        #expect(d128.contains("constexpr bool kConsumersSplitColumns = false;"))
    }

    @Test(arguments: [
        (AttentionSpec(name: "f32", headDim: 64).storage(.fp32).withBackward(), "f32.dtype"),
        (AttentionSpec(name: "d192", headDim: 192).storage(.bf16).withBackward(), "d192.headDim"),
        (AttentionSpec(name: "d256v128", headDim: 256).valueHeadDim(128).storage(.bf16).withBackward(),
         "d256v128.headDim"),
        (AttentionSpec(name: "alibi256", headDim: 256).storage(.bf16).modified(by: .alibi).withBackward(),
         "alibi256.scoreModifiers"),
        (AttentionSpec(name: "d40", headDim: 40).storage(.bf16).withBackward(), "d40.headDim"),
        (AttentionSpec(name: "v128", headDim: 64).valueHeadDim(128).storage(.bf16).withBackward(), "v128.valueHeadDim"),
        (AttentionSpec(name: "slopes", headDim: 128).storage(.bf16)
            .modified(by: .alibi(slopes: .runtime, alignment: .bottomRight)).withBackward(), "slopes.scoreModifiers"),
        (AttentionSpec(name: "alibi64", headDim: 64).storage(.bf16).modified(by: .alibi).withBackward(),
         "alibi64.scoreModifiers"),
        (AttentionSpec(name: "sp64", headDim: 64).storage(.fp16)
            .masked(by: .blockSparse(BlockSparseLayout(blockRows: 128, blockColumns: 64))).withBackward(), "sp64.masks"),
        (AttentionSpec(name: "sp_rows", headDim: 64).storage(.fp16)
            .masked(by: .blockSparse(BlockSparseLayout(blockRows: 64, blockColumns: 128))).withBackward(), "sp_rows.masks"),
    ])
    func refusesNamingTheField(spec: AttentionSpec, field: String) throws {
        let result = HopperBackwardPlanner.plan(try Self.variant(spec), budget: Device.sm90.defaultBudget)
        guard case .failure(let error) = result else {
            Issue.record("\(spec.name): planned, expected a refusal naming \(field)")
            return
        }
        #expect(error.field == field, "\(spec.name): \(error)")
        // The variant keeps the mma.sync key kernel: the family still plans its backward pass.
        if HopperForwardPlanner.unsupported(try Self.variant(spec)) == nil {
            let plan = try Self.plan(spec, hopperBackward: true)
            #expect(plan.hopperBackward == nil)
            if case .mma = plan.backward {} else { Issue.record("\(spec.name): no mma.sync backward plan") }
        }
    }

    /// The deterministic mode's key-tile order: descending where the masks bound the keys from above (a key tile's
    /// first item is then the diagonal one), ascending otherwise.
    /// d = 192 with dv = 128: the split in whole 64-column blocks of at most 128 (consumer 0: dK 0..<128, dV 0..<64;
    /// consumer 1 the rest), two buffers of Q and dO (no 64 KB dQ tile here).
    @Test func plansTheSplitColumnTileAtD192V128() throws {
        let spec = AttentionSpec(name: "hd", headDim: 192).valueHeadDim(128).storage(.fp16).dropout(0.1).withBackward()
        let plan = try HopperBackwardPlanner.plan(try Self.variant(spec), budget: Device.sm90.defaultBudget).get()
        #expect(plan.keyRows == 64 && plan.queryRows == 64 && plan.stages == 2 && plan.consumersSplitColumns)
        #expect(plan.splitHeadColumns == 128 && plan.splitValueColumns == 64)
        let expected = 64 * 192 * 2 + 64 * 128 * 2 + 2 * 64 * (192 + 128) * 2 + 2 * 64 * 64 * 2 + 64 * 192 * 4
            + 64 * 64 * 4 + 2 * 2 * 64 * 4 + 7 * 8 + 1024
        #expect(plan.sharedBytes == expected && plan.sharedBytes == 206_904)
        let source = try Self.backwardSource(spec, hopperBackward: true)
        #expect(source.contains("constexpr int kSplitHeadColumns = 128;")
                    && source.contains("constexpr int kSplitValueColumns = 64;"))
        #expect(source.contains("using Columns = ConsumerColumns<!kConsumersSplitColumns ? -1 : kFormsScores ? 0 : 1>;"))
    }

    @Test(arguments: [(Mask.causal(.topLeft), true), (.causal(.bottomRight), true),
                      (.slidingWindow(left: 100, right: 0, alignment: .topLeft), true),
                      (.slidingWindow(left: 100, right: nil, alignment: .topLeft), false)])
    func ordersTheDeterministicDqByTheMasks(mask: Mask, descending: Bool) throws {
        let spec = AttentionSpec(name: "ho", headDim: 128).storage(.bf16).masked(by: mask).withBackward()
        let plan = try HopperBackwardPlanner.plan(try Self.variant(spec), budget: Device.sm90.defaultBudget).get()
        #expect(plan.dqOrder == (descending ? .descending : .staggered))
        // The kernel gets the order as two constants, exactly one of them true.
        let source = try Self.backwardSource(spec, hopperBackward: true)
        #expect(source.contains("constexpr bool kDescendingDqOrder = \(descending);"))
        #expect(source.contains("constexpr bool kStaggeredWalk = \(!descending);"))
        #expect(source.contains("constexpr int kStaggerSMDivisor = 4;"), "d = 128: 64-row steps, a quarter")
    }

    @Test func refusesWhatDoesNotFitTheBudget() throws {
        let spec = AttentionSpec(name: "hb", headDim: 128).storage(.bf16).withBackward()
        let result = HopperBackwardPlanner.plan(try Self.variant(spec), budget: 100_000)
        guard case .failure(let error) = result else {
            Issue.record("planned within 100000 bytes")
            return
        }
        #expect(error.field == "budget")
    }

    @Test func onByDefaultOffWhenAskedAndOnlyInTheHopperFamily() throws {
        let spec = AttentionSpec(name: "hb", headDim: 128).storage(.bf16).masked(by: .causal(.topLeft)).withBackward()
        #expect(try Self.plan(spec, hopperBackward: false).hopperBackward == nil)
        #expect(try FamilyPlanner(target: .hopperSM90).plan(try Self.variant(spec)).hopperBackward?.queryRows == 64)
        let asked = try Self.plan(spec, hopperBackward: true)
        #expect(asked.hopperBackward?.queryRows == 64)
        #expect(asked.kernels.contains { $0.kernel.hasPrefix("backward key kernel, Hopper") })
        let mma = try FamilyPlanner(target: .cudaSM90, hopperBackward: true).plan(try Self.variant(spec))
        #expect(mma.hopperBackward == nil, "the mma.sync family has no Hopper kernel")
        let forwardOnly = AttentionSpec(name: "fo", headDim: 128).storage(.bf16)
        #expect(try Self.plan(forwardOnly, hopperBackward: true).hopperBackward == nil)
    }

    // MARK: - Rendered files (no nvcc needed)

    static func backwardSource(_ spec: AttentionSpec, hopperBackward: Bool) throws -> String {
        var generator = KernelGenerator(emitter: try HopperEmitter())
        generator.hopperBackward = hopperBackward
        let files = try generator.generate([spec])
        return try #require(files.first { $0.path == "\(spec.name)_backward.cu" }).contents
    }

    @Test func theBackwardFileHoldsTheKernelAndTheLauncherChoosesIt() throws {
        let spec = AttentionSpec(name: "hb", headDim: 64).storage(.fp16).masked(by: .causal(.bottomRight)).withBackward()
        let with = try Self.backwardSource(spec, hopperBackward: true)
        #expect(with.contains("namespace hopper {") && with.contains("#include \"attngen_runtime_hopper.cuh\""))
        #expect(with.contains("constexpr int kBlockQueries = 128;"))
        #expect(with.contains("if (wgmma_key) return hopper::launch(arguments, grid_y, grid_z, stream);"))
        #expect(with.contains("Hopper key kernel (wgmma, TMA): 128 keys x 128 queries per step"))
        #expect(!with.contains("{{"))
        let without = try Self.backwardSource(spec, hopperBackward: false)
        #expect(!without.contains("namespace hopper") && !without.contains("attngen_runtime_hopper.cuh"))
        #expect(without.contains("   key_kernel. */"))
        // Predicates gather their verdicts in a rolled loop (registers); the rest unroll it 16 verdicts at a time.
        let predicate = AttentionSpec(name: "hp", headDim: 64).storage(.bf16)
            .masked(by: .predicate(try MaskExpressionParser.parse("abs(q - k) <= 8"))).withBackward()
        #expect(try Self.backwardSource(predicate, hopperBackward: true).contains("#pragma unroll 1\n                for (int i = 0; i < kBlockQueries / 4; ++i) {"))
        #expect(with.contains("#pragma unroll 16\n                for (int i = 0; i < kBlockQueries / 4; ++i) {"))
        // Both dQ modes add dQ through the accumulator by bulk reductions; the deterministic one in key-tile order.
        #expect(with.contains("const bool wgmma_key = hopper::runs(used);"))
        #expect(with.contains("attngen_tma_reduce_add_4d(") && with.contains("attngen_counter_wait_equal(counter, earlier)"))
        #expect(without.contains("const bool wgmma_key = false;"))
    }

    /// Dropout runs in the Hopper key kernel, with the mma.sync key kernel's keep bits (rows are keys) on each
    /// 64-query half of the step; without dropout the kernel computes none.
    @Test(arguments: [(64, 128), (128, 64)])
    func takesDropoutWithTheKeyKernelsKeepBits(headDim: Int, queryRows: Int) throws {
        let spec = AttentionSpec(name: "hd", headDim: headDim).storage(.fp16).dropout(0.1).withBackward()
        #expect(try Self.plan(spec, hopperBackward: true).hopperBackward?.queryRows == queryRows)
        let source = try Self.backwardSource(spec, hopperBackward: true)
        let hopper = String(try #require(source.components(separatedBy: "namespace hopper {").last))
        #expect(hopper.contains("keep[w] = dropout_keep_bits<8, true>(p, b, h, thread_key, q0 + 64 * w + 2 * quad_lane);"))
        #expect(hopper.contains("dp[4 * j + i] = s[4 * j + i] * (dp[4 * j + i] * z - s_d["))
        #expect(hopper.contains("const float z = keep_factor(keep, j, i);"))
        #expect(hopper.contains("return ((keep[j / 8] >> (4 * (j % 8) + i)) & 1u) != 0u ? kKeepScale : 0.0f;"))
        #expect(source.contains("if (!kDropout) return 0xffffffffu;"))
    }

    /// Score modifiers run in the Hopper key kernel at d = 128: the state before the products; one of a constant
    /// derivative (ALiBi, biases) as the modified scores' exponentials while dPᵀ's product runs and the constant on
    /// dS, any other in one pass once dPᵀ has landed.
    @Test func takesScoreModifiersAtD128() throws {
        let spec = AttentionSpec(name: "ha", headDim: 128).storage(.bf16).masked(by: .causal(.topLeft))
            .modified(by: .expression(try ScoreExpressionParser.parse("2 * s - abs(q - k) / 64"))).withBackward()
        #expect(try Self.plan(spec, hopperBackward: true).hopperBackward?.queryRows == 64)
        let source = try Self.backwardSource(spec, hopperBackward: true)
        let hopper = String(try #require(source.components(separatedBy: "namespace hopper {").last))
        #expect(hopper.contains("const ScoreModifierState modifier_state = score_modifier_prepare(b, h, nq, nk, p.heads_q, p.score_parameters);"))
        #expect(hopper.contains("attngen_exp2(modified_score(s[4 * j + i], at, modifier_state)"))
        #expect(hopper.contains("(dp[4 * j + i] * z - s_d[8 * j + 2 * quad_lane + (i % 2)]) * 2.0f;"))
        let plain = try Self.backwardSource(AttentionSpec(name: "hp", headDim: 128).storage(.bf16).withBackward(),
                                            hopperBackward: true)
        #expect(!plain.contains("modified_score(s[4 * j + i]")
                    && plain.contains("(dp[4 * j + i] * z - s_d[8 * j + 2 * quad_lane + (i % 2)]);"))
        // A derivative that varies: one pass once dPᵀ has landed, the derivative at the raw score.
        let capped = try Self.backwardSource(AttentionSpec(name: "hc", headDim: 128).storage(.bf16)
                                                .modified(by: .softcap(30)).withBackward(), hopperBackward: true)
        let cappedHopper = String(try #require(capped.components(separatedBy: "namespace hopper {").last))
        #expect(cappedHopper.contains("dp[4 * j + i] = dm * score_modifier_derivative(raw, q, k, modifier_state);"))
        #expect(!cappedHopper.contains("attngen_exp2(fmaf(s[4 * j + i], kScoreToLog2"))
    }

    // MARK: - nvcc, ptxas and the SASS

    /// The backward check's variants the Hopper key kernel runs (benchmarks/gpu-backward/check_variants.json).
    static var checkVariants: [AttentionSpec] {
        get throws {
            try CheckSpecFiles.backward().filter { spec in
                guard let variant = try? VariantModel(lowering: spec) else { return false }
                return HopperBackwardPlanner.unsupportedReason(variant) == nil
            }
        }
    }

    @Test func checkVariantsCompileWithoutSpillsToWgmmaAndTMA() async throws {
        let specs = try Self.checkVariants
        #expect(specs.count >= 8, "the backward check runs the Hopper key kernel on \(specs.map(\.name))")
        let nvcc = try CUDACompileTests.nvccPath()
        let cuobjdump = try HopperCompileTests.cuobjdumpPath(nvcc: nvcc)
        let folder = try HarnessFixtures.temporaryFolder("hopper-backward")
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try KernelGenerator(emitter: try HopperEmitter()).generate(specs) {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for spec in specs {
                group.addTask {
                    let compiled = try await CUDACompileSlots.compile(
                        nvcc: nvcc, gencode: "arch=compute_90a,code=sm_90a", source: "\(spec.name)_backward.cu",
                        object: "\(spec.name)_backward.o", in: folder)
                    #expect(compiled.status == 0, "nvcc failed on \(spec.name):\n\(compiled.output)")
                    guard compiled.status == 0 else { return }
                    #expect(!compiled.output.contains("lmem") && !compiled.output.contains("C7512"),
                            "\(spec.name): \(compiled.output)")
                    let reports = PTXASReport.parse(compiled.output)
                    let hopper = reports.filter { $0.function.contains("hopper10key_kernel") }
                    #expect(hopper.count == 1, "\(spec.name): expected the Hopper key kernel, got \(hopper.count)")
                    for report in reports {
                        #expect(report.spillStoreBytes == 0 && report.spillLoadBytes == 0 && report.stackFrameBytes == 0,
                                "\(spec.name) \(report.function) spills or uses local memory: \(report)")
                    }
                    let sass = try await CUDAToolOutcome.runOffThePool(cuobjdump, ["-sass", "\(spec.name)_backward.o"],
                                                                       in: folder)
                    #expect(sass.status == 0, "cuobjdump failed: \(sass.output)")
                    let bodies = sass.output.components(separatedBy: "Function : ").dropFirst()
                        .filter { $0.prefix { $0 != "\n" }.contains("hopper10key_kernel") }
                    #expect(bodies.count == 1, "\(spec.name): the Hopper key kernel's SASS")
                    for body in bodies {
                        #expect(body.contains("HGMMA") && body.contains("UTMALDG") && body.contains("UTMAREDG")
                                    && !body.contains("HMMA"),
                                "\(spec.name): the Hopper key kernel lacks wgmma, TMA loads or reductions, or uses mma.sync")
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
