/// The renderer of one kernel family: turns a lowered variant and its plans into source files. It never
/// validates or plans (the pipeline has done both) and never calls another family's renderer.
public protocol KernelEmitter: Sendable {
    /// The target whose plans this renderer follows.
    var target: Target { get }
    /// The files of one variant, every kernel of it (paths relative to the output folder).
    func emit(_ variant: VariantModel, plan: VariantPlan) throws(SpecError) -> [GeneratedFile]
    /// Files every variant shares (the ABI header, runtime helpers), emitted once per output folder.
    func sharedFiles() throws(SpecError) -> [GeneratedFile]
}

extension KernelEmitter {
    /// Lowers, plans (with the target's default budget) and renders one spec: a shortcut for tests and tools.
    public func emit(_ spec: AttentionSpec, budget: Int? = nil) throws(SpecError) -> [GeneratedFile] {
        let variant = try VariantModel(lowering: spec)
        return try emit(variant, plan: FamilyPlanner(target: target, budget: budget).plan(variant))
    }

    /// Checks that `plan` was made for this renderer's target.
    func checkTarget(of plan: VariantPlan) throws(SpecError) {
        guard plan.target == target else {
            throw SpecError(field: "plan.target",
                            message: "the plan is for \(plan.target.rawValue), the emitter for \(target.rawValue)")
        }
    }
}
