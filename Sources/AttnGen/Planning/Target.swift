/// What a kernel is generated for: a device and the kernel family that runs on it.
///
/// `rawValue` is the name the command line and the output folders use: the device's name for its default family
/// (`c`, `sm80`, `sm90`, the last the Hopper family), `device-family` for another (`sm90-mma`).
public struct Target: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    public var device: Device
    public var family: KernelFamily

    public init(device: Device, family: KernelFamily) {
        precondition(family.devices.contains(device), "the \(family.rawValue) family does not run on \(device.rawValue)")
        self.device = device
        self.family = family
    }

    /// Portable C11 for a CPU.
    public static let c = Target(device: .cpu, family: .cpu)
    /// CUDA for sm_80 and later, on mma.sync tensor cores.
    public static let cudaSM80 = Target(device: .sm80, family: .mma)
    /// CUDA for sm_90, on mma.sync tensor cores (with the sm_90 shared-memory budget): the explicit choice
    /// `--family mma`, and where the Hopper family cannot run a variant.
    public static let cudaSM90 = Target(device: .sm90, family: .mma)
    /// CUDA for sm_90a with TMA and wgmma: what `--arch sm90` emits by default.
    public static let hopperSM90 = Target(device: .sm90, family: .hopper)

    public static let allCases: [Target] = [.c, .cudaSM80, .hopperSM90, .cudaSM90]

    /// Each device with its default family: what `emit all` writes and the catalogue holds.
    public static let defaults: [Target] = Device.allCases.map { Target(device: $0, family: $0.defaultFamily) }

    /// `c`, `sm80`, `sm90`, `sm90-mma`.
    public var rawValue: String {
        let device = self.device == .cpu ? "c" : self.device.rawValue
        return family == self.device.defaultFamily ? device : "\(device)-\(family.rawValue)"
    }

    public init?(rawValue: String) {
        guard let target = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = target
    }

    public var description: String { rawValue }

    public var isCUDA: Bool { device.isCUDA }

    /// The default on-chip budget in bytes (the device's).
    public var defaultBudget: Int { device.defaultBudget }

    /// Tile dimensions must be multiples of these: 16 for the tensor cores' m16n8k16 fragments,
    /// 4 key columns for the C kernel's vector lanes (rows are free on the CPU).
    public var tileGranularity: (rows: Int, columns: Int) {
        switch family {
        case .cpu: (1, 4)
        case .mma: (16, 16)
        case .hopper: (64, 64)
        }
    }

    /// The largest tile the family's kernels handle.
    public var maximumTile: (rows: Int, columns: Int) {
        switch family {
        case .cpu: (128, 512)
        case .mma, .hopper: (128, 128)
        }
    }
}
