/// The masks of a validated spec, lowered once into the three forms every backend, the planner, the traffic
/// estimate and the tests use: key ranges (causal masks and sliding windows as `DiagonalBand`s), at most one
/// block-sparse layout, and predicates. A score is kept where every mask keeps it (a conjunction), and never past
/// `nk`. Two models are equal when they were lowered from equal masks.
public struct MaskModel: Sendable, Hashable {
    /// The masks that keep a range of keys per query; windows unbounded on both sides are dropped (they keep
    /// everything).
    public var ranges: [any KeyRangeRule]
    /// The block-sparse layout, if any.
    public var blockSparse: BlockSparseLayout?
    /// Predicates, simplified (`PredicateLowering`); constant-true ones are dropped.
    public var predicates: [MaskPredicate]
    /// Each mask of the spec in words, in the spec's order: the one text every banner and `attngen plan` use.
    public var descriptions: [String]

    /// The masks this model was lowered from.
    public let source: [Mask]

    /// The causal masks and windows among `ranges`.
    public var bands: [DiagonalBand] { ranges.compactMap { $0 as? DiagonalBand } }

    public static func == (lhs: MaskModel, rhs: MaskModel) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    /// Lowers `masks` (of a validated spec); throws when a predicate can overflow 64-bit arithmetic.
    public init(lowering masks: [Mask]) throws(SpecError) {
        source = masks
        ranges = []
        blockSparse = nil
        predicates = []
        descriptions = []
        for (index, mask) in masks.enumerated() {
            switch mask {
            case .causal(let alignment):
                let band = DiagonalBand.causal(alignment)
                ranges.append(band)
                descriptions.append(band.description)
            case .slidingWindow(let left, let right, let alignment):
                let band = DiagonalBand.window(left: left, right: right, alignment: alignment)
                if !band.isUnbounded { ranges.append(band) }
                descriptions.append(band.description)
            case .blockSparse(let layout):
                blockSparse = layout
                descriptions.append("block-sparse (\(layout.blockRows) x \(layout.blockColumns) blocks)")
            case .predicate(let predicate):
                let lowered = try PredicateLowering.lower(predicate, field: "masks[\(index)].predicate")
                if lowered != .constant(true) { predicates.append(lowered) }
                descriptions.append("predicate \(predicate)")
            }
        }
    }

    /// "causal (top-left); predicate ..." or "none".
    public var summary: String {
        descriptions.isEmpty ? "none" : descriptions.joined(separator: "; ")
    }

    /// Whether the band masks leave a per-element test to the kernels besides the key range (a predicate does).
    public var hasPredicates: Bool { !predicates.isEmpty }

    /// Whether query `q` keeps key `k` (a block-sparse layout is asked through `blockKept(queryBlock, keyBlock)`).
    public func keeps(batch b: Int64, head h: Int64, query q: Int64, key k: Int64, queryLength nq: Int64,
                      keyLength nk: Int64, blockKept: (Int64, Int64) -> Bool = { _, _ in true }) -> Bool {
        guard k >= 0, k < nk, q >= 0, q < nq else { return false }
        for range in ranges where !range.keeps(query: q, key: k, queryLength: nq, keyLength: nk) { return false }
        if let layout = blockSparse,
           !blockKept(q / Int64(layout.blockRows), k / Int64(layout.blockColumns)) { return false }
        let value: (IndexVariable) -> Int64 = { variable in
            switch variable {
            case .batch: b
            case .head: h
            case .query: q
            case .key: k
            case .queryLength: nq
            case .keyLength: nk
            }
        }
        return predicates.allSatisfy { $0.evaluate(value) }
    }

    /// The keys `[begin, end)` that queries `rows` can keep at all, from the key ranges (within `0..<nk`).
    public func visibleKeys(rows: Range<Int64>, queryLength nq: Int64, keyLength nk: Int64) -> Range<Int64> {
        var begin: Int64 = 0, end = nk
        for range in ranges {
            let keys = range.visibleKeys(rows: rows, queryLength: nq, keyLength: nk)
            begin = Swift.max(begin, keys.lowerBound)
            end = Swift.min(end, keys.upperBound)
        }
        return begin < end ? begin..<end : begin..<begin
    }

    /// Whether the masks known when generating (the key ranges) remove every element of the tile; block-sparse
    /// layouts and predicates are known only at run time and never skip here.
    public func staticallySkips(rows: Range<Int64>, keys: Range<Int64>, queryLength nq: Int64, keyLength nk: Int64) -> Bool {
        guard !rows.isEmpty, !keys.isEmpty else { return true }
        return !visibleKeys(rows: rows, queryLength: nq, keyLength: nk).overlaps(keys)
    }
}
