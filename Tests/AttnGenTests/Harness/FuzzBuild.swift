import Foundation
@testable import AttnGen

/// The variant-independent objects of the harness drivers (driver.c, backward_driver.c, reference.c), compiled once
/// per test process, so that each fuzz spec compiles only its kernels and two small files.
final class FuzzObjects: Sendable {
    let folder: URL

    private init(folder: URL) { self.folder = folder }

    private static let cache: Result<FuzzObjects, any Error> = Result {
        let folder = try HarnessFixtures.temporaryFolder("fuzz-objects")
        try HarnessFixtures.copy(HarnessFixtures.driverSources + ["backward_driver.c"], to: folder)
        try HarnessFixtures.writeABIHeader(to: folder)
        for source in ["driver.c", "backward_driver.c", "reference.c"] {
            let outcome = try ChildProcess.run([HarnessFixtures.compiler] + HarnessFixtures.strictFlags
                                               + ["-I.", "-c", source, "-o", source + ".o"], in: folder, timeoutSeconds: 300)
            guard outcome.status == 0 else { throw HarnessError("compiling \(source) failed:\n\(outcome.output)") }
        }
        return FuzzObjects(folder: folder)
    }

    static func shared() throws -> FuzzObjects { try cache.get() }

    func object(_ source: String) -> String { folder.appendingPathComponent(source + ".o").path }
}

/// One fuzz spec's C kernels (forward, and backward when it has one) built into the forward and backward drivers.
struct FuzzBuild {
    var spec: AttentionSpec
    var plan: TilePlan
    var folder: URL

    init(spec: AttentionSpec, objects: FuzzObjects) throws {
        self.spec = spec
        plan = try TilePlanner(target: .c).plan(spec)
        folder = try HarnessFixtures.temporaryFolder(spec.name)
        try BackwardBuild.prepareFiles(spec, in: folder)
        var units = ["\(spec.name).c", HarnessVariantSource.variantFileName, HarnessVariantSource.predicateFileName]
        if spec.includesBackward { units += ["\(spec.name)_backward.c", "harness_backward.c"] }
        for unit in units {
            // The project's warning policy with both compilers on the kernels; gcc builds what runs.
            let compilers = unit.hasPrefix(spec.name) ? [HarnessFixtures.compiler] + (HarnessFixtures.secondCompiler.map { [$0] } ?? [])
                                                      : [HarnessFixtures.compiler]
            for compiler in compilers {
                let output = compiler == HarnessFixtures.compiler ? unit + ".o" : unit + ".clang.o"
                let outcome = try ChildProcess.run([compiler] + HarnessFixtures.strictFlags + ["-I.", "-c", unit, "-o", output],
                                                   in: folder, timeoutSeconds: 300)
                guard outcome.status == 0 else { throw HarnessError("\(compiler) rejects \(unit):\n\(outcome.output)") }
            }
        }
        let common = ["\(spec.name).c.o", HarnessVariantSource.variantFileName + ".o", HarnessVariantSource.predicateFileName + ".o",
                      objects.object("reference.c")]
        try Self.link([objects.object("driver.c")] + common, output: VariantBuild.driverName, in: folder)
        if spec.includesBackward {
            try Self.link([objects.object("backward_driver.c"), "\(spec.name)_backward.c.o", "harness_backward.c.o"] + common,
                          output: BackwardBuild.driverName, in: folder)
        }
    }

    private static func link(_ objects: [String], output: String, in folder: URL) throws {
        let outcome = try ChildProcess.run([HarnessFixtures.compiler] + objects + ["-lm", "-o", output], in: folder,
                                           timeoutSeconds: 300)
        guard outcome.status == 0 else { throw HarnessError("linking \(output) failed:\n\(outcome.output)") }
    }

    func runForward(_ shapes: [ShapeCase]) throws -> ChildProcess.Outcome {
        try ChildProcess.run(["./\(VariantBuild.driverName)", "run"] + shapes.map(\.argument), in: folder, timeoutSeconds: 300)
    }

    /// The backward driver's report for `shape` (its batch, heads, lengths and layout; BSHD for the mixed layouts).
    func runBackward(_ shape: ShapeCase) throws -> [String: String] {
        let heads = shape.heads ?? (spec.heads.queryHeads ?? 1, spec.heads.keyValueHeads ?? 1)
        let layout = shape.layout == .bhsd ? "bhsd" : "bshd"
        let outcome = try ChildProcess.run(
            ["./\(BackwardBuild.driverName)", "\(shape.batch)", "\(heads.0)", "\(heads.1)", "\(shape.queryLength)",
             "\(shape.keyLength)", "\(shape.seed % 100_000)", layout, "0"], in: folder, timeoutSeconds: 300)
        guard outcome.status == 0 else { return ["driver": "exit \(outcome.status): \(outcome.output)"] }
        return BackwardTests.parse(outcome.output)
    }

    func remove() {
        if ProcessInfo.processInfo.environment["ATTNGEN_KEEP_HARNESS"] == nil {
            try? FileManager.default.removeItem(at: folder)
        }
    }
}
