/// How many query heads and key/value heads a variant has.
///
/// Query heads must be a multiple of key/value heads: equal counts are multi-head attention (MHA),
/// one key/value head is multi-query attention (MQA), anything between is grouped-query attention (GQA).
/// Query head `h` reads key/value head `h / (queryHeads / keyValueHeads)`.
public enum HeadCount: Sendable, Hashable {
    /// Both counts are fixed when the kernel is generated; the kernel refuses other counts at run time.
    case fixed(query: Int, keyValue: Int)
    /// Both counts come from the run-time parameters (which must still divide evenly).
    case runtime

    public var queryHeads: Int? {
        if case .fixed(let query, _) = self { return query }
        return nil
    }

    public var keyValueHeads: Int? {
        if case .fixed(_, let keyValue) = self { return keyValue }
        return nil
    }
}
