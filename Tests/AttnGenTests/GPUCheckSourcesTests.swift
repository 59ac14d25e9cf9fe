import Foundation
import Testing
@testable import AttnGen

/// The sources of the GPU checks, emitted when a check runs (never committed): the kernels of
/// benchmarks/gpu/check_variants.json and benchmarks/gpu-backward/check_variants.json for sm90, and the variant
/// tables the drivers walk (`check_variants.inc`: per variant its launchers, its float64 reference setup and
/// predicate). `bash benchmarks/gpu/prepare.sh` runs this suite with `ATTNGEN_GPU_CHECK_OUT` set, which writes
/// `forward/` (the mma.sync family), `forward-hopper/` (the same variants with `--family auto`: the Hopper kernel
/// where it runs), `backward/` (the mma.sync family), `backward-hopper/` (`--family auto` with the Hopper key kernel
/// of the backward pass where it runs) under that folder; without it the suite checks that everything emits.
@Suite struct GPUCheckSourcesTests {
    @Test func checkSourcesEmitAndAreWrittenWhenAsked() throws {
        let forward = try GPUCheckSources.forwardFiles()
        let backward = try GPUCheckSources.backwardFiles()
        let forwardHopper = try GPUCheckSources.forwardFiles(choice: TargetChoice(device: .sm90, family: nil))
        #expect(forwardHopper.contains { $0.path.hasSuffix("_mma.cu") }, "no check variant runs on the Hopper family")
        let backwardHopper = try GPUCheckSources.backwardFiles(choice: TargetChoice(device: .sm90, family: nil))
        #expect(backwardHopper.contains { $0.path.hasSuffix("_backward.cu") && $0.contents.contains("namespace hopper") },
                "no backward check variant runs the Hopper key kernel")
        #expect(forward.contains { $0.path == "check_variants.inc" } && backward.contains { $0.path == "check_variants.inc" })
        #expect(try GPUCheckSources.forwardFiles() == forward, "emission is deterministic")
        guard let out = ProcessInfo.processInfo.environment["ATTNGEN_GPU_CHECK_OUT"], !out.isEmpty else { return }
        for (folder, files) in [("forward", forward), ("forward-hopper", forwardHopper), ("backward", backward),
                                ("backward-hopper", backwardHopper)] {
            let url = URL(fileURLWithPath: out).appendingPathComponent(folder)
            try? FileManager.default.removeItem(at: url)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for file in files {
                try file.contents.write(to: url.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
            }
        }
    }
}

enum GPUCheckSources {
    /// The forward check's kernels: sm90's mma.sync family unless `choice` says otherwise.
    static func forwardFiles(choice: TargetChoice = TargetChoice(device: .sm90, family: .mma)) throws -> [GeneratedFile] {
        let specs = try CheckSpecFiles.forward()
        var files = try KernelGenerator(choice: choice).generate(specs)
        files.append(GeneratedFile(path: "check_variants.inc", contents: try forwardTable(specs, choice: choice)))
        return files
    }

    /// The backward check's kernels: sm90's mma.sync family unless `choice` says otherwise.
    static func backwardFiles(choice: TargetChoice = TargetChoice(device: .sm90, family: .mma)) throws -> [GeneratedFile] {
        let specs = try CheckSpecFiles.backward()
        var files = try KernelGenerator(choice: choice).generate(specs)
        files.append(GeneratedFile(path: "check_variants.inc", contents: backwardTable(specs)))
        return files
    }

    /// The driver's table; the tile column is the forward plan of the family `choice` gives each variant.
    static func forwardTable(_ specs: [AttentionSpec], choice: TargetChoice) throws -> String {
        let planned = try KernelGenerator.plan(specs, planners: choice.targets.map { FamilyPlanner(target: $0, budget: nil) })
        var text = GeneratedBanner.cComment([
            "The variants of the GPU check (benchmarks/gpu/check.sh), for benchmarks/gpu/check_driver.cu.",
            "Written by Tests/AttnGenTests/GPUCheckSourcesTests.swift from benchmarks/gpu/check_variants.json.",
        ]) + "\n\n"
        for spec in specs { text += "#include \"\(spec.name).cuh\"\n" }
        text += "\n" + ReferencePredicateSource.helpers + ReferenceScoreSource.helpers
        var rows: [String] = []
        for (spec, entry) in zip(specs, planned) {
            let plan = entry.plan.forward
            text += GPUCheckReferenceSetup.source(for: spec)
            let sparse = spec.blockSparseLayout
            rows.append("    {\"\(spec.name)\", attngen_\(spec.name)_forward_cuda, "
                        + "attngen_\(spec.name)_forward_workspace_size_cuda, attngen_\(spec.name)_combine_cuda, "
                        + "check_setup_\(spec.name), "
                        + "\(HarnessVariantSource.storageConstant(spec.storage)), \(spec.headDim), \(spec.valueHeadDim), "
                        + "\(spec.heads.queryHeads ?? 0), \(spec.heads.keyValueHeads ?? 0), \(spec.savesLogSumExp ? 1 : 0), "
                        + "\(sparse?.blockRows ?? 0), \(sparse?.blockColumns ?? 0), \(spec.dropout?.probability ?? 0), "
                        + "\(spec.masks.isEmpty ? 0 : 1), \(plan.blockRows), \(plan.blockColumns), "
                        + "\(entry.plan.decode == nil ? 0 : 1), \(spec.pageSize ?? 0), "
                        + "\(HarnessVariantSource.scoreParameters(of: spec).count), \(spec.sinks ? 1 : 0)},")
        }
        text += "\n/* name, launcher, forward workspace size, combine, reference setup, storage, d, dv, fixed heads q/kv,\n"
        text += "   saves LSE, sparse block rows/columns, dropout p, masked, tile rows, tile columns, decode kernel,\n"
        text += "   page size, score parameter arrays, sinks */\n"
        text += "static const check_variant check_variants[] = {\n" + rows.joined(separator: "\n") + "\n};\n"
        return text
    }

    /// A PyTorch-expressible description of the masks for the driver's PyTorch comparison: "none", "causal"
    /// (top-left, as `is_causal`) or "" when PyTorch's scaled_dot_product_attention has no such variant.
    private static func torchMask(_ spec: AttentionSpec) -> String {
        if spec.dropout != nil || !spec.scoreModifiers.isEmpty || spec.sinks { return "" }
        if spec.masks.isEmpty { return "none" }
        if spec.masks == [.causal(.topLeft)] { return "causal" }
        return ""
    }

    static func backwardTable(_ specs: [AttentionSpec]) -> String {
        var text = GeneratedBanner.cComment([
            "The variants of the backward GPU check (benchmarks/gpu-backward/check.sh), for check_driver.cu.",
            "Written by Tests/AttnGenTests/GPUCheckSourcesTests.swift from benchmarks/gpu-backward/check_variants.json.",
        ]) + "\n\n"
        for spec in specs { text += "#include \"\(spec.name)_backward.cuh\"\n" }
        text += "\n" + ReferencePredicateSource.helpers + ReferenceScoreSource.helpers
        var rows: [String] = []
        for spec in specs {
            text += GPUCheckReferenceSetup.source(for: spec)
            rows.append("    {\"\(spec.name)\", attngen_\(spec.name)_backward_cuda, attngen_\(spec.name)_backward_workspace_size_cuda, "
                        + "check_setup_\(spec.name), \(HarnessVariantSource.storageConstant(spec.storage)), \(spec.headDim), \(spec.valueHeadDim), "
                        + "\(spec.heads.queryHeads ?? 0), \(spec.heads.keyValueHeads ?? 0), \"\(torchMask(spec))\", "
                        + "\(HarnessVariantSource.scoreParameters(of: spec).count), \(spec.sinks ? 1 : 0), "
                        + (spec.scoreModifiers.isEmpty ? "NULL" : "check_\(spec.name)_score_modifier_parameter_derivative")
                        + "},")
        }
        text += "\n/* name, launcher, workspace size, reference setup, storage, d, dv, fixed heads q/kv, PyTorch mask,\n"
        text += "   score parameter arrays, sinks, the modifier's derivative in an array entry (dual numbers) */\n"
        text += "static const check_variant check_variants[] = {\n" + rows.joined(separator: "\n") + "\n};\n"
        return text
    }
}
