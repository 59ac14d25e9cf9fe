import Foundation
import Testing
@testable import AttnGen

/// The Hopper family (sm_90a) without a GPU: what it accepts and refuses (naming the field), what `--family auto`
/// falls back to, and nvcc + ptxas + cuobjdump on every kernel it emits: warnings are errors, no spills, no local
/// memory, and the SASS of each Hopper kernel holds wgmma (`HGMMA`) and TMA loads (`UTMALDG`).
/// cuobjdump comes from `ATTNGEN_CUOBJDUMP`, else beside nvcc, else PATH, else the pip install under `.cuda/venv`
/// (the install step of `.ci/test`); it needs nvdisasm in the same folder.
@Suite struct HopperCompileTests {
    // MARK: - Variants

    /// One variant of each code path the Hopper kernel has: every mask kind the family runs, both storages,
    /// head dims 64 to 256 and dv != d, dropout, GQA, LSE, and a backward pass (the mma.sync one).
    static let matrix: [AttentionSpec] = [
        AttentionSpec(name: "hp_dense_d128_bf16", headDim: 128).storage(.bf16).savingLogSumExp(),
        AttentionSpec(name: "hp_causal_d64_fp16", headDim: 64).storage(.fp16).masked(by: .causal(.topLeft)),
        AttentionSpec(name: "hp_causal_br_gqa_d128_bf16", headDim: 128).storage(.bf16).heads(query: 32, keyValue: 8)
            .masked(by: .causal(.bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "hp_window_d64_bf16", headDim: 64).storage(.bf16)
            .masked(by: .slidingWindow(left: 200, right: 0, alignment: .bottomRight)),
        AttentionSpec(name: "hp_sparse_d128_fp16", headDim: 128).storage(.fp16)
            .masked(by: .blockSparse(BlockSparseLayout(blockRows: 128, blockColumns: 256))),
        AttentionSpec(name: "hp_predicate_d64_bf16", headDim: 64).storage(.bf16)
            .masked(by: .predicate(try! MaskExpressionParser.parse("(q + 2 * k) % 5 != 0"))),
        // Predicates at both head dims: their verdicts are gathered in a rolled loop, or their 64-bit arithmetic
        // spills the consumer's registers (these two spilled 40 and 20 bytes before).
        AttentionSpec(name: "hp_predicate_d128_bf16", headDim: 128).storage(.bf16)
            .masked(by: .predicate(try! MaskExpressionParser.parse("k < 64 || k <= q"))),
        AttentionSpec(name: "hp_predicate_bh_d64_bf16", headDim: 64).storage(.bf16)
            .masked(by: .predicate(try! MaskExpressionParser.parse("(h % 2 == 0 && b == 0) || abs(q - k) <= 8"))),
        AttentionSpec(name: "hp_train_d128_bf16", headDim: 128).storage(.bf16).masked(by: .causal(.topLeft)).withBackward(),
        // Head dims past 128 and dv != d: key tiles of 64 (d = 256, also block-sparse),
        // 112 (d = dv = 192) and 128 (d = 192, dv = 128); O += P·V with N = 256, 192 and 64.
        AttentionSpec(name: "hp_causal_d256_bf16", headDim: 256).storage(.bf16).masked(by: .causal(.topLeft))
            .savingLogSumExp(),
        AttentionSpec(name: "hp_d192_v128_fp16", headDim: 192).valueHeadDim(128).storage(.fp16),
        AttentionSpec(name: "hp_predicate_d192_bf16", headDim: 192).storage(.bf16)
            .masked(by: .predicate(try! MaskExpressionParser.parse("(q + 2 * k) % 5 != 0"))),
        AttentionSpec(name: "hp_sparse_d256_bf16", headDim: 256).storage(.bf16)
            .masked(by: .blockSparse(BlockSparseLayout(blockRows: 128, blockColumns: 128))),
        AttentionSpec(name: "hp_window_d128_v64_bf16", headDim: 128).valueHeadDim(64).storage(.bf16)
            .masked(by: .slidingWindow(left: 200, right: 0, alignment: .bottomRight)),
        // Dropout: the mma.sync kernels' keep mask on the wgmma fragments (its Philox calls keep 20 registers).
        AttentionSpec(name: "hp_dropout_causal_d128_bf16", headDim: 128).storage(.bf16).masked(by: .causal(.topLeft))
            .dropout(0.1).savingLogSumExp(),
        AttentionSpec(name: "hp_dropout_d64_fp16", headDim: 64).storage(.fp16).dropout(0.25),
        // d = 256 at the register limit: key tiles of 80 with a causal mask, 48 with a window or a predicate.
        AttentionSpec(name: "hp_window_d256_fp16", headDim: 256).storage(.fp16)
            .masked(by: .causal(.bottomRight)).masked(by: .slidingWindow(left: 300, right: 0, alignment: .bottomRight)),
        AttentionSpec(name: "hp_predicate_gqa_d256_bf16", headDim: 256).storage(.bf16).heads(query: 8, keyValue: 2)
            .masked(by: .causal(.bottomRight))
            .masked(by: .predicate(try! MaskExpressionParser.parse("(q + 2 * k) % 5 != 0")))
            .savingLogSumExp(),
        // fp8 e4m3 inputs (fp8 wgmma, V transposed by the producer warpgroup, consumers at 232 registers): plain, and
        // with a predicate, GQA, a window, a block-sparse layout and dropout.
        AttentionSpec(name: "hp_fp8_d128_bf16", headDim: 128).storage(.bf16).inputs(.e4m3).savingLogSumExp(),
        AttentionSpec(name: "hp_fp8_predicate_gqa_d128_bf16", headDim: 128).storage(.bf16).inputs(.e4m3)
            .heads(query: 8, keyValue: 2).masked(by: .predicate(try! MaskExpressionParser.parse("k < 64 || k <= q"))),
        AttentionSpec(name: "hp_fp8_window_sparse_dropout_d128_fp16", headDim: 128).storage(.fp16).inputs(.e4m3)
            .masked(by: .slidingWindow(left: 200, right: 0, alignment: .bottomRight))
            .masked(by: .blockSparse(BlockSparseLayout(blockRows: 128, blockColumns: 256))).dropout(0.2).savingLogSumExp(),
        // d = 256: key tiles of 64, the transposed V 64-byte swizzled.
        AttentionSpec(name: "hp_fp8_causal_gqa_d256_bf16", headDim: 256).storage(.bf16).inputs(.e4m3)
            .heads(query: 8, keyValue: 2).masked(by: .causal(.bottomRight)).savingLogSumExp(),
        // Score modifiers (on the descaled scores) and sinks (beside P's 2^8 factor); d = 256 with sinks.
        AttentionSpec(name: "hp_fp8_alibi_softcap_sinks_d128_bf16", headDim: 128).storage(.bf16).inputs(.e4m3)
            .masked(by: .causal(.bottomRight)).modified(by: .alibi(slopes: .runtime, alignment: .bottomRight))
            .modified(by: .softcap(20)).withSinks().savingLogSumExp(),
        AttentionSpec(name: "hp_fp8_sinks_d256_bf16", headDim: 256).storage(.bf16).inputs(.e4m3).withSinks()
            .savingLogSumExp(),
    ]

    /// The catalogue's variants the Hopper family runs.
    static var hopperCatalogue: [AttentionSpec] { runsOnHopper(DefaultCatalogue.variants) }

    /// The variants of `specs` the Hopper family runs.
    static func runsOnHopper(_ specs: [AttentionSpec]) -> [AttentionSpec] {
        specs.filter { spec in
            guard let variant = try? VariantModel(lowering: spec) else { return false }
            return HopperForwardPlanner.unsupported(variant) == nil
        }
    }

    // MARK: - What the family runs (no nvcc needed)

    static func planned(_ spec: AttentionSpec, _ choice: TargetChoice) throws(SpecError) -> VariantPlan {
        try KernelGenerator.plan([spec], planners: choice.targets.map { FamilyPlanner(target: $0, budget: nil) })[0].plan
    }

    @Test func sm90DefaultsToTheHopperFamily() throws {
        let choice = TargetChoice(device: .sm90, family: Device.sm90.defaultFamily)
        let plan = try Self.planned(Self.matrix[0], choice)
        #expect(plan.target == .hopperSM90)
        #expect(plan.forward.warps == 12 && plan.forward.blockRows == 128)
        #expect(plan.fallbackForward?.target == .cudaSM90)
        #expect(Target.hopperSM90.rawValue == "sm90" && Target.cudaSM90.rawValue == "sm90-mma")
    }

    /// What the family cannot run is refused with the field named, and `auto` gives it to the mma family.
    @Test(arguments: [
        (AttentionSpec(name: "f32", headDim: 64).storage(.fp32), "f32.dtype"),
        (AttentionSpec(name: "d80", headDim: 80).storage(.bf16), "d80.headDim"),
        (AttentionSpec(name: "d96", headDim: 96).storage(.fp16), "d96.headDim"),
        (AttentionSpec(name: "mla", headDim: 128).valueHeadDim(96).storage(.bf16), "mla.valueHeadDim"),
        (AttentionSpec(name: "paged", headDim: 64).storage(.fp16).pagedKV(pageSize: 16), "paged.pagedKV"),
        (AttentionSpec(name: "sp64", headDim: 64).storage(.fp16).masked(by: .causal(.topLeft))
            .masked(by: .blockSparse(BlockSparseLayout(blockRows: 64, blockColumns: 128))),
         "sp64.masks[1].blockSparse.blockRows"),
    ])
    func refusesNamingTheFieldAndAutoFallsBack(spec: AttentionSpec, field: String) throws {
        do {
            _ = try Self.planned(spec, TargetChoice(device: .sm90, family: .hopper))
            Issue.record("the hopper family accepted \(spec.name)")
        } catch {
            #expect(error.field == field)
            #expect(error.message.contains("--family auto"), "\(error.message)")
        }
        let fallback = try Self.planned(spec, TargetChoice(device: .sm90, family: nil))
        #expect(fallback.target == .cudaSM90)
        let files = try KernelGenerator(choice: TargetChoice(device: .sm90, family: nil)).generate([spec])
        #expect(!files.contains { $0.path == "\(spec.name)_mma.cu" })
        #expect(files.first { $0.path == "\(spec.name).cu" }?.contents.contains("mma.sync") == true)
    }

    @Test func emitsTheKernelItsFallbackAndTheRuntimeHeader() throws {
        let spec = try #require(Self.matrix.first { $0.name == "hp_train_d128_bf16" })
        let files = try KernelGenerator(emitter: try HopperEmitter()).generate([spec])
        let paths = Set(files.map(\.path))
        for path in ["hp_train_d128_bf16.cu", "hp_train_d128_bf16_mma.cu", "hp_train_d128_bf16.cuh",
                     "hp_train_d128_bf16_variant.cuh", "hp_train_d128_bf16_backward.cu", "attngen_runtime_hopper.cuh",
                     "attngen_runtime_cuda.cuh", "attngen_checks.h", "attngen_abi.h"] {
            #expect(paths.contains(path), "missing \(path)")
        }
        let kernel = try #require(files.first { $0.path == "hp_train_d128_bf16.cu" }).contents
        let fallback = try #require(files.first { $0.path == "hp_train_d128_bf16_mma.cu" }).contents
        #expect(!kernel.contains("{{") && !fallback.contains("{{"))
        #expect(kernel.contains("attngen_status attngen_hp_train_d128_bf16_forward_cuda("))
        #expect(kernel.contains("return attngen_hp_train_d128_bf16_forward_mma_cuda(params, stream);"))
        #expect(fallback.contains("attngen_status attngen_hp_train_d128_bf16_forward_mma_cuda("))
        #expect(!fallback.contains("attngen_hp_train_d128_bf16_forward_cuda("))
        // d = 128 under the default budget: two Q tiles and two K/V stages (three and two would need 256 KB).
        #expect(kernel.contains("constexpr int kBlockM = 128;") && kernel.contains("constexpr int kStages = 2;")
                    && kernel.contains("constexpr int kQStages = 2;"))
        // Emitting twice gives the same bytes.
        let again = try KernelGenerator(emitter: try HopperEmitter()).generate([spec])
        #expect(again == files)
    }

    /// The key tile is the widest multiple of 16 up to 128 whose accumulators fit the registers (Bc / 2 + Bc / 4 +
    /// dv / 2 <= 188, 168 with a sliding window or a predicate), whose two-stage ring fits shared memory beside one Q
    /// tile, and that
    /// divides a sparse block's columns.
    @Test(arguments: [
        (64, 64, nil, false, 128), (128, 128, nil, false, 128), (256, 256, nil, false, 80), (256, 256, nil, true, 48),
        (192, 128, nil, false, 128), (192, 192, nil, false, 112), (192, 192, nil, true, 96), (192, 192, 128, false, 64),
        (256, 64, nil, false, 128), (128, 256, nil, false, 80), (64, 64, 48, false, 48), (128, 128, nil, true, 128),
    ] as [(Int, Int, Int?, Bool, Int)])
    func keyTileIsTheWidestThatFits(headDim: Int, valueHeadDim: Int, sparseColumns: Int?, window: Bool,
                                    expected: Int) throws {
        var spec = AttentionSpec(name: "v", headDim: headDim).valueHeadDim(valueHeadDim).storage(.bf16)
        if let sparseColumns {
            spec = spec.masked(by: .blockSparse(BlockSparseLayout(blockRows: 128, blockColumns: sparseColumns)))
        }
        if window { spec = spec.masked(by: .slidingWindow(left: 100, right: 0, alignment: .bottomRight)) }
        let variant = try VariantModel(lowering: spec)
        let plan = try HopperForwardPlanner(budget: Device.sm90.maximumBudget).plan(variant)
        #expect(plan.blockColumns == expected)
        #expect(plan.onChipBytes <= Device.sm90.maximumBudget)
        #expect(plan.accumulatorRegistersPerThread == expected / 2 + expected / 4 + valueHeadDim / 2)
        #expect(plan.accumulatorRegistersPerThread <= HopperForwardPlanner.accumulatorRegisterLimit(variant))
    }

    /// Variants without masks or dropout get a second kernel with the widest key tile up to 192 that fits, for calls
    /// with at least 4096 keys, unless their kernel has three consumers; causal d = 64, predicates and score
    /// modifiers at d = 64 get the three-consumer one (96-key tiles beside the mask registers); masked d > 64,
    /// dropout, windows and d >= 192 variants get none (TUNING.md H12, H22, H23).
    @Test(arguments: [
        (AttentionSpec(name: "w64", headDim: 64).storage(.bf16), nil, nil),
        (AttentionSpec(name: "w128", headDim: 128).storage(.fp16).heads(query: 32, keyValue: 8), 160, 128),
        (AttentionSpec(name: "w256", headDim: 256).storage(.bf16), nil, nil),
        (AttentionSpec(name: "wc", headDim: 128).storage(.bf16).masked(by: .causal(.topLeft)), nil, nil),
        (AttentionSpec(name: "wc64", headDim: 64).storage(.bf16).masked(by: .causal(.topLeft)), 128, 192),
        (AttentionSpec(name: "wd", headDim: 64).storage(.bf16).dropout(0.1), nil, nil),
        (AttentionSpec(name: "wp", headDim: 64).storage(.bf16)
            .masked(by: .predicate(try! MaskExpressionParser.parse("k % 2 == 0"))), 96, 192),
        (AttentionSpec(name: "ws", headDim: 64).storage(.fp16).modified(by: .softcap(30)), 96, 192),
        (AttentionSpec(name: "ww", headDim: 64).storage(.bf16)
            .masked(by: .slidingWindow(left: 100, right: 0, alignment: .bottomRight)), nil, nil),
    ] as [(AttentionSpec, Int?, Int?)])
    func longKernelChoice(spec: AttentionSpec, columns: Int?, rows: Int?) throws {
        let plan = try Self.planned(spec, TargetChoice(device: .sm90, family: .hopper))
        #expect(plan.longForward?.blockColumns == columns)
        #expect(plan.longForward?.blockRows == rows)
        if let long = plan.longForward {
            #expect(long.onChipBytes <= Device.sm90.maximumBudget && long.threadsPerBlock == 32 * long.warps)
            #expect(long.blockColumns > plan.forward.blockColumns || long.blockRows > plan.forward.blockRows)
            let source = try #require(try KernelGenerator(emitter: try HopperEmitter()).generate([spec])
                .first { $0.path == "\(spec.name).cu" }).contents
            #expect(source.contains("namespace attngen_\(spec.name)_hopper_long_detail {"))
            #expect(source.contains("constexpr int kBlockN = \(long.blockColumns);"))
            #expect(source.contains("constexpr int kBlockM = \(long.blockRows);"))
            #expect(source.contains("if (p.seqlen_k >= \(HopperForwardPlanner.longMinimumKeys)) return "
                                    + "attngen_\(spec.name)_hopper_long_detail::launch(p, stream);"))
        }
    }

    /// Three consumer warpgroups (192 query rows, 160 registers a consumer thread) for 16-bit d <= 64 variants
    /// without the mask registers: for every call when the items are uniform, from 4096 keys on under a causal mask,
    /// a predicate or a score modifier (`longKernelChoice`); windows, dropout, fp8, d = 128 and sparse blocks of 128
    /// rows keep two, and so do predicates and score modifiers below 4096 keys (TUNING.md H22, H23).
    @Test(arguments: [
        (AttentionSpec(name: "t64", headDim: 64).storage(.bf16), 3),
        (AttentionSpec(name: "t64gqa", headDim: 64).storage(.fp16).heads(query: 8, keyValue: 2).withSinks()
            .savingLogSumExp(), 3),
        (AttentionSpec(name: "t64c", headDim: 64).storage(.bf16).masked(by: .causal(.bottomRight)), 2),
        (AttentionSpec(name: "t64w", headDim: 64).storage(.bf16)
            .masked(by: .slidingWindow(left: 100, right: 0, alignment: .bottomRight)), 2),
        (AttentionSpec(name: "t64d", headDim: 64).storage(.bf16).dropout(0.1), 2),
        (AttentionSpec(name: "t64s", headDim: 64).storage(.bf16).modified(by: .softcap(30)), 2),
        (AttentionSpec(name: "t64sp", headDim: 64).storage(.bf16)
            .masked(by: .blockSparse(BlockSparseLayout(blockRows: 128, blockColumns: 128))), 2),
        (AttentionSpec(name: "t64sp384", headDim: 64).storage(.bf16)
            .masked(by: .blockSparse(BlockSparseLayout(blockRows: 384, blockColumns: 128))), 2),
        (AttentionSpec(name: "t128", headDim: 128).storage(.bf16), 2),
        (AttentionSpec(name: "t128f8", headDim: 128).storage(.bf16).inputs(.e4m3), 2),
    ] as [(AttentionSpec, Int)])
    func threeConsumersWhereTheyPay(spec: AttentionSpec, consumers: Int) throws {
        let plan = try Self.planned(spec, TargetChoice(device: .sm90, family: .hopper))
        #expect(plan.forward.warps == 4 * (1 + consumers) && plan.forward.blockRows == 64 * consumers)
        let variant = try VariantModel(lowering: spec)
        #expect(plan.forward.accumulatorRegistersPerThread
                <= HopperForwardPlanner.accumulatorRegisterLimit(variant, consumerWarpgroups: consumers))
        let registers = HopperForwardPlanner.registerSplit(consumerWarpgroups: consumers, fp8: spec.inputStorage != nil)
        // setmaxnreg: the warpgroups' registers fit the 64K of the SM (the template asserts the same).
        #expect(128 * (registers.producer + consumers * registers.consumer) <= 65536)
        let source = try #require(try KernelGenerator(emitter: try HopperEmitter()).generate([spec])
            .first { $0.path == "\(spec.name).cu" }).contents
        #expect(source.contains("constexpr int kConsumerWarpgroups = \(consumers);")
                    && source.contains("constexpr int kConsumerRegisters = \(registers.consumer);"))
    }

    // MARK: - nvcc, ptxas and the SASS

    @Test func matrixCompilesToWgmmaAndTMA() async throws {
        try await Self.compile(Self.matrix)
    }

    /// The GPU check's variants (benchmarks/gpu/check_variants.json) that `--family auto` gives the Hopper family.
    @Test func checkVariantsCompileToWgmmaAndTMA() async throws {
        let specs = Self.runsOnHopper(try CheckSpecFiles.forward())
        #expect(specs.count >= 8, "the GPU check has \(specs.count) variants the Hopper family runs")
        try await Self.compile(specs)
    }

    @Test func catalogueCompilesToWgmmaAndTMA() async throws {
        let specs = Self.hopperCatalogue
        #expect(specs.count >= 10, "the catalogue has \(specs.count) variants the Hopper family runs")
        try await Self.compile(specs)
    }

    /// cuobjdump from ATTNGEN_CUOBJDUMP, beside nvcc, PATH, or the pip install under .cuda/venv.
    static func cuobjdumpPath(nvcc: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["ATTNGEN_CUOBJDUMP"], !explicit.isEmpty { return explicit }
        var candidates = [URL(fileURLWithPath: nvcc).deletingLastPathComponent().appendingPathComponent("cuobjdump").path]
        candidates += (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/cuobjdump" }
        candidates.append(CUDACompileTests.packageRoot
            .appendingPathComponent(".cuda/venv/lib/python3.11/site-packages/nvidia/cu13/bin/cuobjdump").path)
        // `cuobjdump -sass` runs nvdisasm from its own folder or PATH.
        if let found = candidates.first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
                && FileManager.default.isExecutableFile(atPath: URL(fileURLWithPath: $0).deletingLastPathComponent()
                    .appendingPathComponent("nvdisasm").path)
        }) { return found }
        throw CUDACompileFailure(message: "cuobjdump (with nvdisasm beside it) not found: set ATTNGEN_CUOBJDUMP, put "
                                 + "both on PATH, or run the CUDA install step of .ci/test (pip install "
                                 + "nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm into .cuda/venv)")
    }

    /// Emits `specs` with the Hopper family and compiles them (kernel, fallback, backward) as two unity
    /// translation units; checks ptxas's report of every kernel and the SASS of each Hopper kernel.
    static func compile(_ specs: [AttentionSpec]) async throws {
        let nvcc = try CUDACompileTests.nvccPath()
        let cuobjdump = try cuobjdumpPath(nvcc: nvcc)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("attngen-hopper-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try KernelGenerator(emitter: try HopperEmitter()).generate(specs)
        for file in files {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        let half = (specs.count + 1) / 2
        let units = stride(from: 0, to: specs.count, by: half).map { Array(specs[$0..<min($0 + half, specs.count)]) }
        let outcomes = try await withThrowingTaskGroup(of: ([PTXASReport], String).self) { group in
            for (index, unit) in units.enumerated() {
                try unit.map {
                    "#include \"\($0.name).cu\"\n"
                        + ($0.inputStorage == nil ? "#include \"\($0.name)_mma.cu\"\n" : "") // fp8: no mma.sync kernel
                        + ($0.includesBackward ? "#include \"\($0.name)_backward.cu\"\n" : "")
                }.joined().write(to: folder.appendingPathComponent("unit\(index).cu"), atomically: true, encoding: .utf8)
                group.addTask {
                    let compiled = try await CUDACompileSlots.compile(
                        nvcc: nvcc, gencode: "arch=compute_90a,code=sm_90a", source: "unit\(index).cu",
                        object: "unit\(index).o", in: folder)
                    #expect(compiled.status == 0, "nvcc failed on \(unit.map(\.name)):\n\(compiled.output)")
                    #expect(!compiled.output.contains("lmem"), "\(compiled.output)")
                    // ptxas waits after every wgmma when code between an issue and its wait diverges (C7518: the
                    // epilogue overlapped with the next item's S must not branch on the row, TUNING.md H20).
                    #expect(!compiled.output.contains("instructions are serialized"),
                            "ptxas serialized the wgmma of \(unit.map(\.name)):\n\(compiled.output)")
                    guard compiled.status == 0 else { return ([], "") }
                    // Every entry point the variant's header declares is defined (an fp8 variant, without the
                    // mma.sync file, defines the workspace query and the combine call in its Hopper file, beside its quantize call).
                    let symbols = try await CUDAToolOutcome.runOffThePool("/usr/bin/env", ["nm", "-g", "--defined-only", "unit\(index).o"],
                                                                          in: folder)
                    for spec in unit {
                        for entry in ["forward_cuda", "forward_workspace_size_cuda", "combine_cuda"] + (spec.inputStorage == nil ? [] : ["quantize_cuda"]) {
                            #expect(symbols.output.contains(" T attngen_\(spec.name)_\(entry)\n"),
                                    "unit\(index).o does not define attngen_\(spec.name)_\(entry)")
                        }
                    }
                    let sass = try await CUDAToolOutcome.runOffThePool(cuobjdump, ["-sass", "unit\(index).o"], in: folder)
                    #expect(sass.status == 0, "cuobjdump failed: \(sass.output)")
                    return (PTXASReport.parse(compiled.output), sass.output)
                }
            }
            var all: [([PTXASReport], String)] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        let reports = outcomes.flatMap(\.0)
        // cuobjdump prints each kernel after a "Function : <mangled name>" line.
        let functions = outcomes.flatMap { $0.1.components(separatedBy: "Function : ").dropFirst() }
        for report in reports {
            #expect(report.architecture == "sm_90a")
            #expect(report.spillStoreBytes == 0 && report.spillLoadBytes == 0 && report.stackFrameBytes == 0,
                    "\(report.function) spills or uses local memory: \(report)")
        }
        for spec in specs {
            let hopper = reports.filter { $0.function.contains("attngen_\(spec.name)_hopper_detail") }
            #expect(hopper.count == 1, "expected one Hopper kernel for \(spec.name), got \(hopper.count)")
            // Variants with a long-range plan also get its kernel (TUNING.md H12, H22).
            let plan = try KernelGenerator.plan([spec], planners: [FamilyPlanner(target: .hopperSM90)])[0].plan
            let long = reports.filter { $0.function.contains("attngen_\(spec.name)_hopper_long_detail") }
            #expect(long.count == (plan.longForward == nil ? 0 : 1), "\(spec.name): \(long.count) long-range kernels")
            let longSASS = functions.filter {
                $0.prefix { $0 != "\n" }.contains("attngen_\(spec.name)_hopper_long_detail")
            }
            for body in longSASS {
                #expect(body.contains("HGMMA") && body.contains("UTMALDG") && !body.contains("HMMA"),
                        "\(spec.name): the long-range kernel lacks wgmma or TMA")
            }
            let fallback = reports.filter { $0.function.contains("attngen_\(spec.name)_detail") }
            let fallbacks = plan.fallbackForward == nil ? 0 : 2
            #expect(fallback.count == fallbacks, "expected \(fallbacks) instances of the mma.sync fallback kernel (whole and variable-length batches) for \(spec.name), got \(fallback.count)")
            let sass = functions.filter { $0.prefix { $0 != "\n" }.contains("attngen_\(spec.name)_hopper_detail") }
            #expect(sass.count == 1, "expected the SASS of \(spec.name)'s Hopper kernel, got \(sass.count)")
            for body in sass {
                // wgmma is HGMMA in SASS for 16-bit operands, QGMMA for fp8 ones.
                let wgmma = spec.inputStorage == .e4m3 ? "QGMMA" : "HGMMA"
                #expect(body.contains(wgmma), "\(spec.name): no wgmma (\(wgmma)) in the SASS")
                #expect(body.contains("UTMALDG"), "\(spec.name): no TMA load (UTMALDG) in the SASS")
                #expect(!body.contains("HMMA"), "\(spec.name): the Hopper kernel uses mma.sync (HMMA)")
                // O leaves in 16-byte stores after a transpose in registers across each quad of lanes where a row
                // has 32 columns or more (TUNING.md H19), else in 4-byte stores straight from the fragments; not
                // through shared memory (H18's staging, replaced).
                let variant = try VariantModel(lowering: spec)
                let wide = variant.valueHeadDim >= 32
                #expect(body.contains("STG.E.128") == wide && !body.contains("LDS.128"),
                        "\(spec.name): expected \(wide ? "" : "no ")16-byte O stores (STG.E.128), none from shared memory (LDS.128)")
                if spec.inputStorage == .e4m3 {
                    // fp8 wgmma, and V transposed by ldmatrix / stmatrix in the producer warpgroup.
                    #expect(!body.contains("HGMMA") && body.contains(".E4M3.E4M3") && body.contains("LDSM") && body.contains("STSM"),
                            "\(spec.name): no fp8 wgmma or no transpose of V in the SASS")
                }
            }
        }
    }
}


