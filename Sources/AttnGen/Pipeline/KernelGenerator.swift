/// The pipeline from specs to files, in typed stages:
///
///     AttentionSpec --validate, lower--> VariantModel --plan--> VariantPlan --render--> [GeneratedFile] --package
///
/// Every spec is validated, lowered and planned before anything is rendered, so one invalid spec renders nothing;
/// names are checked for collisions across all variants first. `generate` never writes to disk; writing
/// (atomically) is the caller's job.
public struct KernelGenerator: Sendable {
    public var emitter: any KernelEmitter
    public var budget: Int?

    public init(emitter: any KernelEmitter, budget: Int? = nil) {
        self.emitter = emitter
        self.budget = budget
    }

    /// One variant, lowered and planned.
    public struct PlannedVariant: Sendable, Hashable {
        public var variant: VariantModel
        public var plan: VariantPlan
    }

    /// Validates, lowers and plans every spec; throws the first problem, its field prefixed by the variant's name.
    public func plan(_ specs: [AttentionSpec]) throws(SpecError) -> [PlannedVariant] {
        try Self.plan(specs, planner: FamilyPlanner(target: emitter.target, budget: budget))
    }

    /// The same, for any target (`attngen plan` needs no renderer).
    public static func plan(_ specs: [AttentionSpec], planner: FamilyPlanner) throws(SpecError) -> [PlannedVariant] {
        var planned: [PlannedVariant] = []
        for spec in specs {
            do {
                let variant = try VariantModel(lowering: spec)
                planned.append(PlannedVariant(variant: variant, plan: try planner.plan(variant)))
            } catch {
                throw SpecError(field: "\(spec.name).\(error.field)", message: error.message)
            }
        }
        try VariantNames.checkDistinct(planned.map(\.variant.names))
        return planned
    }

    /// Plans every spec, then renders them. `progress` is called after each variant with (done, total).
    public func generate(_ specs: [AttentionSpec],
                         progress: ((Int, Int) -> Void)? = nil) throws(SpecError) -> [GeneratedFile] {
        let planned = try plan(specs)
        var files = try emitter.sharedFiles()
        for (index, item) in planned.enumerated() {
            files += try emitter.emit(item.variant, plan: item.plan)
            progress?(index + 1, planned.count)
        }
        var paths = Set<String>()
        for file in files where !paths.insert(file.path).inserted {
            throw SpecError(field: "output", message: "two generated files share the path \(file.path)")
        }
        return files
    }
}
