import Foundation
@testable import AttnGen

/// One variant's forward and backward C kernels, generated into a folder with the backward driver
/// (`Fixtures/backward_driver.c`) and the small per-variant files it links against.
enum BackwardBuild {
    static let driverName = "backward_driver"

    /// Writes the generated kernels (which must include `NAME_backward.c`), the fixtures and the harness files.
    static func prepare(_ spec: AttentionSpec, in folder: URL) throws {
        guard spec.includesBackward else {
            throw HarnessError("\(spec.name) has no backward pass")
        }
        try prepareFiles(spec, in: folder)
    }

    /// Writes the generated kernels of `spec` (forward, and backward when it has one), the fixtures and the
    /// harness files.
    static func prepareFiles(_ spec: AttentionSpec, in folder: URL) throws {
        let files = try KernelGenerator(emitter: CEmitter()).generate([spec])
        for file in files {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        try HarnessFixtures.copy(HarnessFixtures.driverSources + ["backward_driver.c"], to: folder)
        try HarnessVariantSource.variantSource(spec)
            .write(to: folder.appendingPathComponent(HarnessVariantSource.variantFileName), atomically: true, encoding: .utf8)
        try HarnessVariantSource.predicateSource(spec)
            .write(to: folder.appendingPathComponent(HarnessVariantSource.predicateFileName), atomically: true, encoding: .utf8)
        try """
            /* Written by the attngen test harness: the backward entry points of variant \(spec.name). */
            #include "\(spec.name)_backward.h"

            attngen_status harness_backward(const attngen_backward_params *params);
            size_t harness_backward_workspace_size(const attngen_backward_params *params);

            attngen_status harness_backward(const attngen_backward_params *params) {
                return attngen_\(spec.name)_backward(params);
            }

            size_t harness_backward_workspace_size(const attngen_backward_params *params) {
                return attngen_\(spec.name)_backward_workspace_size(params);
            }

            """.write(to: folder.appendingPathComponent("harness_backward.c"), atomically: true, encoding: .utf8)
    }

    /// Compiles the backward driver with the project's warning policy plus `extraFlags`.
    static func compile(_ spec: AttentionSpec, in folder: URL, extraFlags: [String]) throws {
        try HarnessFixtures.compile(["backward_driver.c", "reference.c", HarnessVariantSource.variantFileName,
                                     HarnessVariantSource.predicateFileName, "harness_backward.c",
                                     "\(spec.name).c", "\(spec.name)_backward.c"],
                                    output: driverName, in: folder, extraFlags: extraFlags)
    }
}
