/// The run-time limits of the C ABI, in one place: `attngen_abi.h` renders them as `ATTNGEN_MAX_*`, every entry
/// point refuses sizes above them, and the model relies on them: a window side at or beyond the longest sequence
/// is unbounded, and predicate arithmetic is proven free of 64-bit overflow over the index ranges they allow.
public enum RuntimeLimits {
    /// The largest `batch` a call accepts.
    public static let maximumBatch: Int64 = 2_147_483_647
    /// The largest `seqlen_q` and `seqlen_k` a call accepts.
    public static let maximumSequenceLength: Int64 = 2_147_483_647
    /// The largest head count (`heads_q`, `heads_kv` are `int32_t`), run-time or fixed in a spec.
    public static let maximumHeads: Int64 = Int64(Int32.max)
    /// The most bytes one tensor's layout may span (highest element offset + 1, times the element size).
    public static let maximumTensorBytes: Int64 = 1 << 62

    /// The values each index variable of a predicate can take at run time.
    public static func range(of variable: IndexVariable) -> ClosedRange<Int64> {
        switch variable {
        case .batch: 0...(maximumBatch - 1)
        case .head: 0...(maximumHeads - 1)
        case .query, .key: 0...(maximumSequenceLength - 1)
        case .queryLength, .keyLength: 0...maximumSequenceLength
        }
    }
}
