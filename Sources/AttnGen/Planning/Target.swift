/// What a kernel is generated for.
public enum Target: String, Sendable, Hashable, CaseIterable {
    /// Portable C11 for a CPU; the on-chip budget is a cache size.
    case c
    /// CUDA for compute capability 8.0 (A100) and later, on mma.sync tensor cores.
    case cudaSM80 = "sm80"
    /// CUDA for compute capability 9.0 (H100, H200).
    case cudaSM90 = "sm90"

    /// The default on-chip budget in bytes: shared memory per block for CUDA
    /// (227 KB on sm_90, 163 KB on sm_80), and for C the share of a core's cache the working set may use.
    public var defaultBudget: Int {
        switch self {
        case .c: 256 * 1024
        case .cudaSM80: 163 * 1024
        case .cudaSM90: 227 * 1024
        }
    }

    public var isCUDA: Bool { self != .c }

    /// Tile dimensions must be multiples of these: 16 for the tensor cores' m16n8k16 fragments,
    /// 4 key columns for the C kernel's vector lanes (rows are free on the CPU).
    public var tileGranularity: (rows: Int, columns: Int) {
        switch self {
        case .c: (1, 4)
        case .cudaSM80, .cudaSM90: (16, 16)
        }
    }

    /// The largest tile the emitters handle.
    public var maximumTile: (rows: Int, columns: Int) {
        switch self {
        case .c: (128, 512)
        case .cudaSM80, .cudaSM90: (128, 128)
        }
    }
}
