/// The tiling chosen for one spec on one target: what the emitters follow.
public struct TilePlan: Sendable, Hashable {
    /// One line of the on-chip byte account.
    public struct ByteAccount: Sendable, Hashable {
        public var item: String
        public var bytes: Int
    }

    public var target: Target
    /// The on-chip budget this plan was made for, in bytes.
    public var budget: Int
    /// Query rows per tile (Br).
    public var blockRows: Int
    /// Key columns per tile (Bc).
    public var blockColumns: Int
    /// CUDA: warps per thread block (each owns `blockRows / warps` query rows). C: 1.
    public var warps: Int
    /// CUDA: K/V tiles in flight in the cp.async pipeline. C: 1.
    public var stages: Int
    /// What occupies on-chip memory, item by item.
    public var accounts: [ByteAccount]
    /// CUDA: estimated fp32 accumulator registers per thread (O and S fragments). C: 0.
    public var accumulatorRegistersPerThread: Int
    /// Hopper: query tiles in shared memory (2: the persistent kernel loads the next work item's Q while the
    /// current one is still in use). Otherwise 1.
    public var queryBuffers: Int = 1

    /// Total on-chip bytes the plan needs.
    public var onChipBytes: Int { accounts.reduce(0) { $0 + $1.bytes } }

    /// Threads per CUDA thread block.
    public var threadsPerBlock: Int { warps * 32 }

    /// Hopper: the consumer warpgroups beside the producer warpgroup (2, or 3: `HopperForwardPlanner`).
    public var consumerWarpgroups: Int { warps / 4 - 1 }
}

extension TilePlan {
    /// The forward kernel, for `attngen plan`.
    var summary: KernelSummary {
        var shape = ["tile     Br = \(blockRows) query rows, Bc = \(blockColumns) key columns"]
        if target.family == .hopper {
            shape.append("warps    \(warps) (\(threadsPerBlock) threads: a producer warpgroup, \(consumerWarpgroups) consumer "
                         + "warpgroups), \(stages) K/V TMA stages, \(queryBuffers) Q buffer" + (queryBuffers == 1 ? "" : "s"))
            shape.append("regs     ~\(accumulatorRegistersPerThread) fp32 accumulator registers per consumer thread")
        } else if target.isCUDA {
            shape.append("warps    \(warps) (\(threadsPerBlock) threads), \(stages) K/V pipeline stage" + (stages == 1 ? "" : "s"))
            shape.append("regs     ~\(accumulatorRegistersPerThread) fp32 accumulator registers per thread")
        } else {
            shape.append("threads  one task of Br rows per thread at a time")
        }
        return KernelSummary(kernel: "forward", shape: shape, accounts: accounts)
    }
}
