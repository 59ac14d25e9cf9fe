/// Plans every kernel of a variant for one target: the forward tile (`TilePlanner`, the FlashAttention rule and
/// the family's limits) and the backward kernels of the family. Nothing is rendered here.
public struct FamilyPlanner: Sendable {
    public var target: Target
    public var budget: Int
    /// The Hopper family: plan its wgmma key kernel of the backward pass (`HopperBackwardPlanner`) where it runs the
    /// variant (on by default since it passed the GPU check, 2026-11-29; off gives the mma.sync key kernel, for A/B
    /// comparisons).
    public var hopperBackward: Bool

    /// A planner for `target` with `budget` bytes of on-chip memory (the device's default when nil).
    public init(target: Target, budget: Int? = nil, hopperBackward: Bool = true) {
        self.target = target
        self.budget = budget ?? target.defaultBudget
        self.hopperBackward = hopperBackward
    }

    /// Every kernel plan of `variant`, or a `SpecError` naming the field or the budget nothing fits.
    public func plan(_ variant: VariantModel) throws(SpecError) -> VariantPlan {
        switch target.family {
        case .cpu:
            let forward = try TilePlanner(target: target, budget: budget).plan(variant)
            return VariantPlan(target: target, budget: budget, forward: forward,
                               backward: variant.includesBackward ? .cpu(CPUBackwardPlan(forward: forward)) : nil,
                               cpuDecode: CPUDecodePlan.plan(variant), quantize: QuantizePlan.plan(variant))
        case .mma:
            try Self.checkInputs(variant, target: target)
            try Self.checkPagedCache(variant)
            let forward = try TilePlanner(target: target, budget: budget).plan(variant)
            let backward = variant.includesBackward
                ? VariantPlan.BackwardPlan.mma(try MMABackwardPlan(variant: variant, target: target, budget: budget)) : nil
            return VariantPlan(target: target, budget: budget, forward: forward, backward: backward,
                               decode: DecodePlan.plan(variant, budget: budget, tensorMaps: target.device == .sm90,
                                                       dependentCombine: target.device == .sm90))
        case .hopper:
            // The Hopper forward, the mma.sync forward of the same device for layouts TMA cannot address, and the
            // mma.sync backward pass, whose key kernel the Hopper one replaces where it runs the variant (when asked).
            let planner = HopperForwardPlanner(budget: budget)
            let forward = try planner.plan(variant)
            let mma = Target(device: target.device, family: .mma)
            // fp8 inputs have no mma.sync kernel: calls the TMA kernel cannot take return ATTNGEN_ERROR_UNSUPPORTED.
            let fallback = variant.inputStorage != nil ? nil : try TilePlanner(target: mma, budget: budget).plan(variant)
            let backward = variant.includesBackward
                ? VariantPlan.BackwardPlan.mma(try MMABackwardPlan(variant: variant, target: mma, budget: budget)) : nil
            return VariantPlan(target: target, budget: budget, forward: forward, fallbackForward: fallback,
                               longForward: planner.longPlan(variant, narrow: forward),
                               backward: backward,
                               hopperBackward: variant.includesBackward && hopperBackward
                                   ? try? HopperBackwardPlanner.plan(variant, budget: budget).get() : nil,
                               decode: DecodePlan.plan(variant, budget: budget, tensorMaps: true,
                                                       dependentCombine: true),
                               quantize: QuantizePlan.plan(variant))
        }
    }

    /// fp8 inputs run on the C backend and the Hopper family (README.md, "fp8 inputs"): the mma.sync family refuses
    /// them, naming the field.
    static func checkInputs(_ variant: VariantModel, target: Target) throws(SpecError) {
        guard let inputs = variant.inputStorage, !target.family.reads(inputs) else { return }
        let readers = KernelFamily.allCases.filter { $0.reads(inputs) }.map { family in
            family == .cpu ? "the C backend" : "the \(family.rawValue) family (--arch "
                + family.devices.map(\.rawValue).joined(separator: ", ") + ")"
        }
        throw SpecError(field: "inputDtype", message: "the \(target.family.rawValue) family (\(target.device.rawValue)) "
                            + "does not read \(inputs.rawValue) inputs; " + readers.reversed().joined(separator: " and ")
                            + " do")
    }

    /// A paged K/V cache is read by the decode kernel only (every call of a paged variant runs it), so a paged
    /// variant needs one: the field and the reason when it has none.
    static func checkPagedCache(_ variant: VariantModel) throws(SpecError) {
        guard variant.pageSize != nil, let reason = DecodePlan.unsupportedReason(variant) else { return }
        throw SpecError(field: "pagedKV", message: "the CUDA kernels read a paged cache in the decode kernel, which "
                            + "does not run \(reason)")
    }
}
