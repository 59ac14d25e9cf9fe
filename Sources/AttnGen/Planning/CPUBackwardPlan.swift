/// The tiling of the C backward pass: one task owns `keyColumns` keys of one (batch, key/value head) and walks the
/// query tiles of `queryRows` rows (the forward plan's Br).
public struct CPUBackwardPlan: Sendable, Hashable {
    /// Query rows per inner step.
    public var queryRows: Int
    /// Keys per task.
    public var keyColumns: Int

    /// Keys per backward task: the forward plan's Bc, split to at most 128 keys (8 AVX-512 vectors) when it is
    /// larger. Every query tile a task visits computes all of its keys, so on the diagonal of a causal mask about
    /// half a key tile per query tile is masked work: smaller key tiles waste less there, and 128 keys still fill
    /// the register tiles. The result divides the forward Bc, so tiles still never straddle a sparse block.
    public init(forward: TilePlan) {
        queryRows = forward.blockRows
        let columns = forward.blockColumns
        keyColumns = columns > 128 ? (stride(from: 128, through: 4, by: -4).first { columns % $0 == 0 } ?? columns) : columns
    }

    var summary: KernelSummary {
        KernelSummary(kernel: "backward",
                      shape: ["tile     \(keyColumns) keys per task x \(queryRows) query rows per step"],
                      accounts: [])
    }
}
