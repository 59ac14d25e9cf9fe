import Foundation
import Testing
@testable import AttnGen

/// The package root, found from this file's path (Tests/AttnGenTests/CatalogueTests.swift).
let attngenPackageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Every file under `root` that is not a build product (`make` may have run in generated/), with its bytes.
func generatedTree(at root: URL) throws -> [String: Data] {
    var tree: [String: Data] = [:]
    for path in relativeFilePaths(under: root) {
        let name = (path as NSString).lastPathComponent
        let fileExtension = (name as NSString).pathExtension
        if AttngenOutputFolder.buildProductExtensions.contains(fileExtension) { continue }
        tree[path] = try Data(contentsOf: root.appendingPathComponent(path))
    }
    return tree
}

/// Fails with the first differences between two trees.
func expectSameTree(_ actual: [String: Data], _ committed: [String: Data], label: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let missing = Set(actual.keys).subtracting(committed.keys).sorted()
    let extra = Set(committed.keys).subtracting(actual.keys).sorted()
    let changed = Set(actual.keys).intersection(committed.keys).filter { actual[$0] != committed[$0] }.sorted()
    #expect(missing.isEmpty, "\(label): not in the committed tree: \(missing.prefix(10))", sourceLocation: sourceLocation)
    #expect(extra.isEmpty, "\(label): committed but no longer generated: \(extra.prefix(10))", sourceLocation: sourceLocation)
    let hint = "regenerate with 'swift run attngen emit all --catalogue --out generated'"
    #expect(changed.isEmpty, "\(label): bytes differ in \(changed.prefix(10)); \(hint)", sourceLocation: sourceLocation)
}

@Suite struct CatalogueTests {
    @Test func catalogueIsSmallUniqueAndValid() throws {
        let variants = DefaultCatalogue.variants
        #expect((16...32).contains(variants.count))
        #expect(Set(variants.map(\.name)).count == variants.count)
        for spec in variants {
            try spec.validate()
        }
    }

    /// Every variant plans on every device (on sm90 with the Hopper family where it runs, the mma family elsewhere).
    @Test(arguments: TargetChoice.all)
    func everyVariantPlansOnEveryTarget(target: TargetChoice) throws {
        let planned = try KernelGenerator.plan(DefaultCatalogue.variants,
                                               planners: target.targets.map { FamilyPlanner(target: $0, budget: nil) })
        for entry in planned {
            let kernels = [entry.plan.forward] + (entry.plan.fallbackForward.map { [$0] } ?? [])
            for plan in kernels {
                #expect(plan.onChipBytes <= plan.budget, "\(entry.variant.name) on \(target)")
            }
        }
        if target.device == .sm90 {
            #expect(planned.contains { $0.plan.target == .hopperSM90 } && planned.contains { $0.plan.target == .cudaSM90 })
        }
    }

    @Test func catalogueCoversEveryFeature() {
        let variants = DefaultCatalogue.variants
        let masks = variants.flatMap(\.masks)
        #expect(masks.contains(.causal(.topLeft)))
        #expect(masks.contains(.causal(.bottomRight)))
        #expect(masks.contains { if case .slidingWindow(_, _, .bottomRight) = $0 { true } else { false } })
        #expect(masks.contains { if case .slidingWindow(let left, let right, _) = $0 { left != 0 && right != 0 && right != nil } else { false } })
        #expect(masks.contains { if case .blockSparse = $0 { true } else { false } })
        #expect(masks.contains { if case .predicate = $0 { true } else { false } })
        #expect(variants.contains { $0.dropout != nil })
        #expect(variants.contains { $0.savesLogSumExp && $0.dropout == nil })
        for storage in StorageType.allCases {
            #expect(variants.contains { $0.storage == storage })
        }
        #expect(variants.contains { ($0.heads.queryHeads ?? 0) > ($0.heads.keyValueHeads ?? 0) && $0.heads.keyValueHeads! > 1 })
        #expect(variants.contains { $0.heads.keyValueHeads == 1 })
        #expect(variants.contains { $0.heads == .runtime })
        #expect(variants.contains { $0.headDim == AttentionSpec.maximumHeadDim })
        #expect(variants.contains { $0.valueHeadDim != $0.headDim })
        #expect(variants.contains { $0.scaleOverride != nil })
    }

    /// Regenerates every backend folder of the catalogue and compares it byte for byte with generated/.
    @Test(arguments: TargetChoice.all)
    func committedCatalogueIsUpToDate(target: TargetChoice) throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        var arguments = ["emit", target.device.isCUDA ? "cuda" : "c"]
        if target.device.isCUDA { arguments += ["--arch", target.device.rawValue, "--family", "auto"] }
        arguments += ["--catalogue", "--out", out.path, "--quiet"]
        let status = AttngenCommand.run(arguments, output: CommandOutput(standardOutput: { _ in }, standardError: { text in
            Issue.record("attngen said: \(text)")
        }))
        try #require(status == 0)
        let committed = attngenPackageRoot.appendingPathComponent("generated").appendingPathComponent(CatalogueLayout.subfolder(for: target))
        expectSameTree(try generatedTree(at: out), try generatedTree(at: committed), label: "generated/\(CatalogueLayout.subfolder(for: target))")
    }

    @Test func committedTopLevelMakefileIsUpToDate() throws {
        let committed = try Data(contentsOf: attngenPackageRoot.appendingPathComponent("generated/Makefile"))
        #expect(committed == Data(CatalogueLayout.topLevelMakefile(choices: TargetChoice.all).contents.utf8))
    }

    @Test func committedTopLevelManifestIsUpToDate() throws {
        let committed = try Data(contentsOf: attngenPackageRoot.appendingPathComponent("generated/attngen-manifest.txt"))
        let manifest = OutputManifest(targets: TargetChoice.all, budget: nil, variants: .catalogue).file
        #expect(committed == Data(manifest.contents.utf8))
        #expect(manifest.contents.hasPrefix("# Generated by attngen"))
    }

    @Test func regeneratingGivesIdenticalBytes() throws {
        let files1 = try KernelGenerator(emitter: EmitterFactory.emitter(for: .c)).generate(DefaultCatalogue.variants)
        let files2 = try KernelGenerator(emitter: EmitterFactory.emitter(for: .c)).generate(DefaultCatalogue.variants)
        #expect(files1 == files2)
        for file in files1 {
            #expect(file.contents.contains("Generated by attngen"), "\(file.path) lacks the banner")
        }
    }

    @Test func catalogueEmitsQuickly() throws {
        let start = ContinuousClock.now
        let files = try KernelGenerator(emitter: EmitterFactory.emitter(for: .c)).generate(DefaultCatalogue.variants)
        let elapsed = ContinuousClock.now - start
        #expect(files.count > DefaultCatalogue.variants.count)
        // A release build emits it in about 0.05 s of CPU time; this debug-build bound only catches a
        // pathological slowdown, with room for a machine busy running the other tests in parallel.
        #expect(elapsed < .seconds(5), "emitting the C catalogue took \(elapsed)")
    }
}
