/// The machine a kernel runs on: what it offers the planner (on-chip memory, tile granularity) and the build.
public enum Device: String, Sendable, Hashable, CaseIterable {
    /// Any CPU with a C11 compiler; the on-chip budget is a share of a core's cache.
    case cpu
    /// NVIDIA compute capability 8.0 (A100) and later.
    case sm80
    /// NVIDIA compute capability 9.0 (H100, H200).
    case sm90

    public var isCUDA: Bool { self != .cpu }

    /// The device in words, for banners.
    public var displayName: String {
        switch self {
        case .cpu: "any CPU with a C11 compiler"
        case .sm80: "sm_80 and later (A100)"
        case .sm90: "sm_90 (H100/H200)"
        }
    }

    /// The default on-chip budget in bytes: shared memory per block for CUDA (163 KB on sm_80, 227 KB on sm_90),
    /// and for the CPU the share of a core's cache the working set may use.
    public var defaultBudget: Int {
        switch self {
        case .cpu: 256 * 1024
        case .sm80: 163 * 1024
        case .sm90: 227 * 1024
        }
    }

    /// Shared memory of one streaming multiprocessor, which the blocks resident on it share (0 for the CPU), and
    /// what the runtime reserves of it per block (CUDA C Programming Guide, "Compute capabilities").
    public var sharedBytesPerMultiprocessor: Int {
        switch self {
        case .cpu: 0
        case .sm80: 164 * 1024
        case .sm90: 228 * 1024
        }
    }
    public var sharedBytesReservedPerBlock: Int { isCUDA ? 1024 : 0 }

    /// How many blocks of `sharedBytes` each fit one multiprocessor's shared memory (0 for the CPU).
    public func blocksPerMultiprocessor(sharedBytes: Int) -> Int {
        guard isCUDA else { return 0 }
        return sharedBytesPerMultiprocessor / (sharedBytes + sharedBytesReservedPerBlock)
    }

    /// The largest budget a plan may assume: all the shared memory one CUDA block can have; for the CPU a bound
    /// far past any cache, which keeps the planner's arithmetic small.
    public var maximumBudget: Int {
        switch self {
        case .cpu: 1 << 30
        case .sm80, .sm90: defaultBudget
        }
    }

    /// The nvcc architecture of the device ("" for the CPU).
    public var nvccArchitecture: String {
        switch self {
        case .cpu: ""
        case .sm80: "sm_80"
        case .sm90: "sm_90a"
        }
    }

    /// The family a device gets unless another is asked for: the fastest one that runs on it.
    public var defaultFamily: KernelFamily {
        switch self {
        case .cpu: .cpu
        case .sm80: .mma
        case .sm90: .hopper
        }
    }

    /// The compute capability as the `TARGET_SM` define spells it (0 for the CPU).
    public var computeCapability: Int {
        switch self {
        case .cpu: 0
        case .sm80: 80
        case .sm90: 90
        }
    }
}

/// A family of kernels: one algorithm and code shape, planned by its own planner and rendered from its own
/// templates. A family may run on several devices (mma.sync runs on sm_80 and sm_90).
public enum KernelFamily: String, Sendable, Hashable, CaseIterable {
    /// Portable C11 with register-tiled vector micro-kernels (Templates/c).
    case cpu
    /// FlashAttention-2 on `mma.sync` tensor cores with cp.async pipelines (Templates/cuda).
    case mma
    /// Hopper's own: TMA loads on mbarriers, wgmma, a producer warpgroup and consumer warpgroups
    /// (Templates/hopper); its backward pass is the mma family's.
    case hopper

    /// The devices the family can run on.
    public var devices: [Device] {
        switch self {
        case .cpu: [.cpu]
        case .mma: [.sm80, .sm90]
        case .hopper: [.sm90]
        }
    }

    /// Whether the family has kernels for Q, K and V stored as `inputs` (README.md, "fp8 inputs"): the C backend and
    /// the Hopper family do; mma.sync has no fp8 kernel.
    public func reads(_ inputs: InputStorage) -> Bool {
        switch self {
        case .cpu, .hopper: true
        case .mma: false
        }
    }
}
