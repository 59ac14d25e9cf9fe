/// One call of a variant: sizes, layout and input seed, as the driver's CASE argument.
struct ShapeCase: Sendable, Hashable, CustomStringConvertible {
    /// `mixed`: each tensor in another layout (Q BHSD, K padded, V BSHD, O padded, LSE [b][s][h]).
    enum Layout: String, Sendable, CaseIterable { case bshd, bhsd, padded, mixed }

    var batch = 1
    /// Query and key/value heads; nil leaves the spec's fixed counts.
    var heads: (query: Int, keyValue: Int)?
    var queryLength: Int
    var keyLength: Int
    var layout: Layout = .bshd
    var seed: UInt64 = 1
    /// Inputs scaled so that the logits reach about 1e4.
    var hugeLogits = false
    /// Block-sparse variants: one layout shared by every batch and head (strides 0) instead of one each.
    var sharedBlockMask = false
    /// OpenMP threads (0 = default).
    var threads = 0
    /// Per-sequence key counts (seqlens_k): sequence 0 all keys, sequence 1 none, the others random.
    var usedKeys = false
    /// A variable-length batch (README, "Variable-length batches"): 1 packs the query rows (cu_seqlens_q), 2 the keys
    /// (cu_seqlens_k), 3 both; sequence 0 has every row, sequence 1 none, sequence 2 one, the others a random count.
    var packing = 0

    /// The driver's CASE argument.
    var argument: String {
        var parts = ["b=\(batch)"]
        if let heads { parts += ["hq=\(heads.query)", "hkv=\(heads.keyValue)"] }
        parts += ["nq=\(queryLength)", "nk=\(keyLength)", "layout=\(layout.rawValue)", "seed=\(seed)",
                  "huge=\(hugeLogits ? 1 : 0)", "block=\(sharedBlockMask ? "shared" : "perhead")", "threads=\(threads)"]
        if usedKeys { parts.append("used=1") }
        if packing != 0 { parts.append("varlen=\(packing)") }
        return parts.joined(separator: ",")
    }

    var description: String { argument }

    static func == (lhs: ShapeCase, rhs: ShapeCase) -> Bool { lhs.argument == rhs.argument }
    func hash(into hasher: inout Hasher) { hasher.combine(argument) }
}
