/// The pipeline from specs to files, in named stages: validate → plan → emit → collect.
///
/// `generate` never writes to disk; writing (atomically) is the caller's job.
public struct KernelGenerator: Sendable {
    public var emitter: any KernelEmitter
    public var budget: Int?

    public init(emitter: any KernelEmitter, budget: Int? = nil) {
        self.emitter = emitter
        self.budget = budget
    }

    /// Validates and plans every spec first (so nothing is emitted if one is invalid), then emits.
    /// Names must be unique. `progress` is called after each variant with (done, total).
    public func generate(_ specs: [AttentionSpec],
                         progress: ((Int, Int) -> Void)? = nil) throws(SpecError) -> [GeneratedFile] {
        let planner = TilePlanner(target: emitter.target, budget: budget)
        var seen = Set<String>()
        var planned: [(AttentionSpec, TilePlan)] = []
        for spec in specs {
            guard seen.insert(spec.name).inserted else {
                throw SpecError(field: "name", message: "\"\(spec.name)\" names two variants; names must be unique")
            }
            do {
                planned.append((spec, try planner.plan(spec)))
            } catch {
                throw SpecError(field: "\(spec.name).\(error.field)", message: error.message)
            }
        }
        var files = try emitter.sharedFiles()
        for (index, (spec, plan)) in planned.enumerated() {
            files += try emitter.emit(spec, plan: plan)
            progress?(index + 1, planned.count)
        }
        var paths = Set<String>()
        for file in files where !paths.insert(file.path).inserted {
            throw SpecError(field: "output", message: "two generated files share the path \(file.path)")
        }
        return files
    }
}
