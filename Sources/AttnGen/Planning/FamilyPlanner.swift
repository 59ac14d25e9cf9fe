/// Plans every kernel of a variant for one target: the forward tile (`TilePlanner`, the FlashAttention rule and
/// the family's limits) and the backward kernels of the family. Nothing is rendered here.
public struct FamilyPlanner: Sendable {
    public var target: Target
    public var budget: Int

    /// A planner for `target` with `budget` bytes of on-chip memory (the device's default when nil).
    public init(target: Target, budget: Int? = nil) {
        self.target = target
        self.budget = budget ?? target.defaultBudget
    }

    /// Every kernel plan of `variant`, or a `SpecError` naming the field or the budget nothing fits.
    public func plan(_ variant: VariantModel) throws(SpecError) -> VariantPlan {
        let forward = try TilePlanner(target: target, budget: budget).plan(variant)
        var backward: VariantPlan.BackwardPlan?
        if variant.includesBackward {
            switch target.family {
            case .cpu: backward = .cpu(CPUBackwardPlan(forward: forward))
            case .mma: backward = .mma(try MMABackwardPlan(variant: variant, target: target, budget: budget))
            }
        }
        return VariantPlan(target: target, budget: budget, forward: forward, backward: backward)
    }
}
