/// The decode path of the C forward kernel (Templates/c/pieces/forward_decode.c): what a call with few query rows
/// runs instead of the tiles, whose query rows live in vector lanes and would leave most of them idle. One task
/// takes the packed rows of one key/value head (its query heads times the query rows) against one split of the
/// keys, vectorised along the head dimension, so that K and V are read once for all of them; when batch x
/// heads_kv tasks cannot occupy the threads, the keys are split and the variant's combine call merges the partial
/// (O, LSE) pairs.
public struct CPUDecodePlan: Sendable, Hashable {
    /// Packed rows per task, at most: calls with more take the tiles (with 16 rows, a 16-lane tile would be full).
    public static let maximumPackedRows = 16
    /// Keys per split, at least: a split of fewer keys would spend more on its merge than it saves.
    public static let minimumKeysPerSplit = 256

    /// Bytes of K and V per key of one key/value head: what decoding reads.
    public var bytesPerKey: Int

    /// The decode plan of `variant`, or nil when its calls all take the tiles: dropout (the decode path packs query
    /// heads into rows, which the Philox mapping addresses one at a time) and block-sparse layouts (per query
    /// head, as the CUDA decode kernel).
    public static func plan(_ variant: VariantModel) -> CPUDecodePlan? {
        guard unsupportedReason(variant) == nil else { return nil }
        return CPUDecodePlan(bytesPerKey: (variant.headDim + variant.valueHeadDim) * variant.inputBytes)
    }

    /// Why the decode path does not run `variant`, or nil when it does.
    public static func unsupportedReason(_ variant: VariantModel) -> String? {
        if variant.dropout != nil { return "dropout (the decode path packs query heads into rows)" }
        if variant.blockSparse != nil { return "a block-sparse layout (the decode path packs query heads into rows)" }
        return nil
    }

    /// What `attngen plan` prints about the path.
    public var summary: KernelSummary {
        KernelSummary(kernel: "decode (calls whose query heads per key/value head x query rows are at most "
                      + "\(Self.maximumPackedRows))", shape: [
            "task     the packed rows of one key/value head against one split of the keys, vectorised along the head "
                + "dimension, one vector of keys per step",
            "splits   chosen per call: enough for twice the threads, at least \(Self.minimumKeysPerSplit) keys each, "
                + "merged by the combine call",
            "traffic  \(bytesPerKey) bytes of K and V per key and key/value head, read once per task: the time bound "
                + "is batch x heads_kv x keys x that over the memory bandwidth",
        ], accounts: [])
    }
}
