/// The pipeline from specs to files, in typed stages:
///
///     AttentionSpec --validate, lower--> VariantModel --plan--> VariantPlan --render--> [GeneratedFile] --package
///
/// Every spec is validated, lowered and planned before anything is rendered, so one invalid spec renders nothing;
/// names are checked for collisions across all variants first. `generate` never writes to disk; writing
/// (atomically) is the caller's job.
public struct KernelGenerator: Sendable {
    /// The renderers to try, in order: each variant is planned and rendered by the first whose planner accepts it.
    public var emitters: [any KernelEmitter]
    public var budget: Int?
    /// The Hopper family's wgmma key kernel of the backward pass (`FamilyPlanner.hopperBackward`); false plans the
    /// mma.sync key kernel instead.
    public var hopperBackward = true

    /// One family.
    public init(emitter: any KernelEmitter, budget: Int? = nil) {
        self.emitters = [emitter]
        self.budget = budget
    }

    /// A device's families as `choice` asks (with `auto`, the first that runs each variant).
    public init(choice: TargetChoice, budget: Int? = nil) throws(SpecError) {
        var emitters: [any KernelEmitter] = []
        for target in choice.targets {
            do {
                emitters.append(try EmitterFactory.emitter(for: target))
            } catch {
                throw SpecError(field: "templates", message: error.message)
            }
        }
        self.emitters = emitters
        self.budget = budget
    }

    /// One variant, lowered and planned.
    public struct PlannedVariant: Sendable, Hashable {
        public var variant: VariantModel
        public var plan: VariantPlan
    }

    /// Validates, lowers and plans every spec; throws the first problem, its field prefixed by the variant's name.
    public func plan(_ specs: [AttentionSpec]) throws(SpecError) -> [PlannedVariant] {
        try Self.plan(specs, planners: emitters.map {
            FamilyPlanner(target: $0.target, budget: budget, hopperBackward: hopperBackward)
        })
    }

    /// The same, for any targets (`attngen plan` needs no renderer): each variant gets the first planner that
    /// accepts it; when none does, the last planner's refusal (with `auto`, that of the family it falls back to).
    public static func plan(_ specs: [AttentionSpec], planners: [FamilyPlanner]) throws(SpecError) -> [PlannedVariant] {
        var planned: [PlannedVariant] = []
        for spec in specs {
            do throws(SpecError) {
                let variant = try VariantModel(lowering: spec)
                var refusal: SpecError?
                for planner in planners {
                    do throws(SpecError) {
                        planned.append(PlannedVariant(variant: variant, plan: try planner.plan(variant)))
                        refusal = nil
                        break
                    } catch {
                        refusal = error
                    }
                }
                if let refusal { throw refusal }
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
        // The shared files of every renderer a variant uses (files of one path are the same in every family).
        var files: [GeneratedFile] = []
        for emitter in emitters where planned.contains(where: { $0.plan.target == emitter.target }) || emitter.target == emitters[0].target {
            for file in try emitter.sharedFiles() where !files.contains(where: { $0.path == file.path }) {
                files.append(file)
            }
        }
        for (index, item) in planned.enumerated() {
            guard let emitter = emitters.first(where: { $0.target == item.plan.target }) else {
                throw SpecError(field: "plan.target", message: "no renderer for \(item.plan.target.rawValue)")
            }
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
