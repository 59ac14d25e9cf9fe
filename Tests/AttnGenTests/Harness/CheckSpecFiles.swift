import Foundation
@testable import AttnGen

/// The committed spec files of the GPU checks: the variants CI compiles (no GPU) are the variants the GPU machine
/// runs, emitted when the check runs (benchmarks/gpu/prepare.sh) rather than committed as kernels.
enum CheckSpecFiles {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// benchmarks/gpu/check_variants.json: every forward code path, and the four timed variants.
    static func forward() throws -> [AttentionSpec] {
        try load("benchmarks/gpu/check_variants.json")
    }

    /// benchmarks/gpu-backward/check_variants.json: every backward code path, and one timed variant.
    static func backward() throws -> [AttentionSpec] {
        try load("benchmarks/gpu-backward/check_variants.json")
    }

    static func load(_ path: String) throws -> [AttentionSpec] {
        try SpecFile.load(path: packageRoot.appendingPathComponent(path).path).validatedSpecs()
    }
}
