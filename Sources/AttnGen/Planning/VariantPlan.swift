/// Every kernel plan of one variant on one target, chosen before anything is rendered: the forward tile plan, and
/// the backward plan when the variant has a backward pass. Each family's renderer follows its own kind of plan.
public struct VariantPlan: Sendable, Hashable {
    public var target: Target
    /// The on-chip budget the plans were made for, in bytes.
    public var budget: Int
    /// The forward kernel's tiling and byte account.
    public var forward: TilePlan
    /// The Hopper family: the mma.sync forward its launcher runs for layouts TMA cannot address.
    public var fallbackForward: TilePlan? = nil
    /// The Hopper family: a second forward kernel for long key ranges, which the launcher runs from
    /// `HopperForwardPlanner.longMinimumKeys` keys on (a wider key tile without masks or dropout, three consumer
    /// warpgroups for causal d = 64: `HopperForwardPlanner.longPlan`); nil when there is none.
    public var longForward: TilePlan? = nil
    /// The backward kernels' plan, when the variant has a backward pass.
    public var backward: BackwardPlan?
    /// The Hopper family: the wgmma key kernel of the backward pass, which replaces the mma.sync one where it runs
    /// (nil when the variant keeps the mma.sync key kernel: `HopperBackwardPlanner.unsupportedReason`).
    public var hopperBackward: HopperBackwardPlan? = nil
    /// CUDA: the decode kernel calls with few query rows take (DecodePlan), nil when it does not run the variant.
    public var decode: DecodePlan? = nil
    /// C: the decode path calls with few query rows take (CPUDecodePlan), nil when it does not run the variant.
    public var cpuDecode: CPUDecodePlan? = nil
    /// Variants with fp8 inputs: the quantize call (C and the Hopper family), nil otherwise.
    public var quantize: QuantizePlan? = nil

    /// The backward plan of each family.
    public enum BackwardPlan: Sendable, Hashable {
        case cpu(CPUBackwardPlan)
        case mma(MMABackwardPlan)
    }

    /// One entry per kernel, for `attngen plan` and banners: its name, its shape and its on-chip byte account.
    public var kernels: [KernelSummary] {
        var kernels = [forward.summary]
        if let longForward {
            var summary = longForward.summary
            summary.kernel = "forward, long key ranges (seqlen_k >= \(HopperForwardPlanner.longMinimumKeys))"
            kernels.append(summary)
        }
        if let fallbackForward {
            var summary = fallbackForward.summary
            summary.kernel = "forward fallback (mma.sync, for layouts TMA cannot address)"
            kernels.append(summary)
        }
        switch backward {
        case .cpu(let plan): kernels.append(plan.summary)
        case .mma(let plan): kernels += plan.summaries
        case nil: break
        }
        if let hopperBackward { kernels.append(hopperBackward.summary) }
        if let decode { kernels.append(decode.summary) }
        if let cpuDecode { kernels.append(cpuDecode.summary) }
        if let quantize { kernels.append(quantize.summary) }
        return kernels
    }
}

/// What `attngen plan` prints about one kernel.
public struct KernelSummary: Sendable, Hashable {
    /// "forward", "backward (key kernel)", ...
    public var kernel: String
    /// Lines describing the tile and the launch shape.
    public var shape: [String]
    /// The on-chip byte account.
    public var accounts: [TilePlan.ByteAccount]

    public var onChipBytes: Int { accounts.reduce(0) { $0 + $1.bytes } }
}
