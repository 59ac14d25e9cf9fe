/// A causal mask or a sliding window, lowered to one band around the diagonal: query `q` keeps key `k` when
///
///     q + shift − lower ≤ k ≤ q + shift + upper,     shift = 0 (top-left) or Nk − Nq (bottom-right),
///
/// a side being `nil` when it is unbounded. Causal is `upper = 0` with no lower side.
///
/// A side at or beyond `RuntimeLimits.maximumSequenceLength` is unbounded, exactly: no query and key within the
/// limits reach it. So every bound is below 2^31, and `q + shift ± bound` cannot overflow 64-bit arithmetic in
/// Swift, C or CUDA. This is the one place where that clamp lives.
public struct DiagonalBand: KeyRangeRule, Hashable {
    /// Keys kept before the diagonal (`nil`: unbounded).
    public var lower: Int64?
    /// Keys kept after the diagonal (`nil`: unbounded).
    public var upper: Int64?
    public var alignment: DiagonalAlignment
    /// What the band came from, in words ("causal (top-left)", "sliding window (...)").
    public var description: String

    /// The band of a causal mask.
    public static func causal(_ alignment: DiagonalAlignment) -> DiagonalBand {
        DiagonalBand(lower: nil, upper: 0, alignment: alignment, description: "causal (\(alignment.rawValue))")
    }

    /// The band of a sliding window; sides at or beyond the longest sequence become unbounded.
    public static func window(left: Int?, right: Int?, alignment: DiagonalAlignment) -> DiagonalBand {
        let text: (Int?) -> String = { $0.map(String.init) ?? "unbounded" }
        return DiagonalBand(lower: bounded(left), upper: bounded(right), alignment: alignment,
                            description: "sliding window (\(alignment.rawValue), left \(text(left)), right \(text(right)))")
    }

    /// `side` as a bound, or nil when it is unbounded or reaches past every sequence the ABI admits.
    static func bounded(_ side: Int?) -> Int64? {
        guard let side else { return nil }
        let value = Int64(side)
        return value >= RuntimeLimits.maximumSequenceLength ? nil : value
    }

    /// Whether the band keeps every (q, k): both sides unbounded.
    public var isUnbounded: Bool { lower == nil && upper == nil }

    /// The shift of the diagonal for lengths `nq`, `nk`.
    public func shift(queryLength nq: Int64, keyLength nk: Int64) -> Int64 {
        alignment == .bottomRight ? nk - nq : 0
    }

    public func keeps(query q: Int64, key k: Int64, queryLength nq: Int64, keyLength nk: Int64) -> Bool {
        let diagonal = q + shift(queryLength: nq, keyLength: nk)
        if let upper, k > diagonal + upper { return false }
        if let lower, k < diagonal - lower { return false }
        return true
    }

    /// The keys `[begin, end)` some query of `rows` keeps (within `0..<nk`; empty when none).
    public func visibleKeys(rows: Range<Int64>, queryLength nq: Int64, keyLength nk: Int64) -> Range<Int64> {
        guard !rows.isEmpty else { return 0..<0 }
        let shift = shift(queryLength: nq, keyLength: nk)
        var begin: Int64 = 0, end = nk
        if let upper { end = Swift.min(end, rows.upperBound + shift + upper) }
        if let lower { begin = Swift.max(begin, rows.lowerBound + shift - lower) }
        return begin < end ? begin..<end : begin..<begin
    }

    /// The keys `[lo, hi)` query `q` keeps (within `0..<nk`; empty when none).
    public func keys(ofQuery q: Int64, queryLength nq: Int64, keyLength nk: Int64) -> Range<Int64> {
        visibleKeys(rows: q..<(q + 1), queryLength: nq, keyLength: nk)
    }

    /// The queries `[lo, hi)` that keep key `k` (within `0..<nq`; empty when none).
    public func queries(keeping k: Int64, queryLength nq: Int64, keyLength nk: Int64) -> Range<Int64> {
        let shift = shift(queryLength: nq, keyLength: nk)
        var begin: Int64 = 0, end = nq
        // k <= q + shift + upper  <=>  q >= k - shift - upper;   k >= q + shift - lower  <=>  q <= k - shift + lower.
        if let upper { begin = Swift.max(begin, k - shift - upper) }
        if let lower { end = Swift.min(end, k - shift + lower + 1) }
        return begin < end ? begin..<end : begin..<begin
    }

    /// Whether the band keeps every element of `rows` × `keys` (an interior tile needs no element test).
    public func keepsWholeTile(rows: Range<Int64>, keys: Range<Int64>, queryLength nq: Int64, keyLength nk: Int64) -> Bool {
        guard !rows.isEmpty, !keys.isEmpty else { return true }
        let shift = shift(queryLength: nq, keyLength: nk)
        if let upper, keys.upperBound - 1 > rows.lowerBound + shift + upper { return false }
        if let lower, keys.lowerBound < rows.upperBound - 1 + shift - lower { return false }
        return true
    }
}
