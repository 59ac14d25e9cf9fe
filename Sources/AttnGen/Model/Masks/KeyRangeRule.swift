/// A mask that keeps, for each query, one range of keys computed from the query index and the lengths: causal
/// masks and sliding windows (`DiagonalBand`). The planner and the traffic estimate evaluate it here in Swift; the
/// kernels skip the keys outside it without reading them, and test an element against it with two compares
/// (its C and CUDA form is its conformance to `KeyRangeRuleRendering`, in Rendering/Masks/). A new kind of
/// range mask is one type conforming to both, and one line of `MaskModel`'s lowering.
public protocol KeyRangeRule: Sendable {
    /// The mask in words, for banners and `attngen plan`.
    var description: String { get }

    /// Whether query `q` keeps key `k` by this rule alone (the sequence end, `k < nk`, is not its concern).
    func keeps(query q: Int64, key k: Int64, queryLength nq: Int64, keyLength nk: Int64) -> Bool

    /// The keys `[lo, hi)` query `q` keeps (within `0..<nk`; empty when none).
    func keys(ofQuery q: Int64, queryLength nq: Int64, keyLength nk: Int64) -> Range<Int64>

    /// The keys `[begin, end)` some query of `rows` keeps (within `0..<nk`; empty when none).
    func visibleKeys(rows: Range<Int64>, queryLength nq: Int64, keyLength nk: Int64) -> Range<Int64>

    /// The queries `[lo, hi)` that keep key `k` (within `0..<nq`; empty when none).
    func queries(keeping k: Int64, queryLength nq: Int64, keyLength nk: Int64) -> Range<Int64>

    /// Whether every element of `rows` × `keys` is kept (an interior tile needs no element test).
    func keepsWholeTile(rows: Range<Int64>, keys: Range<Int64>, queryLength nq: Int64, keyLength nk: Int64) -> Bool
}
