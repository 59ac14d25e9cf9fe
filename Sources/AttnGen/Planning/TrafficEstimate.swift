/// Predicted device-memory traffic of a plan against standard attention, after the IO model of the
/// FlashAttention paper (Theorem 2), for one batch·head and given sequence lengths.
///
/// Standard attention reads Q and K, writes S = QKᵀ (Nq·Nk), reads it back for the softmax, writes P,
/// reads P and V, and writes O: Θ(Nd + N²). The tiled kernel reads each Q tile once, streams K and V once
/// per query tile whose key tile is not skipped, and writes O (and the fp32 log-sum-exp) once: Θ(N²d²/M).
public struct TrafficEstimate: Sendable, Hashable {
    public var queryLength: Int
    public var keyLength: Int
    /// Bytes standard attention moves (S and P stored in the storage type; Q, K and V in theirs, fp8 inputs 1 byte).
    public var standardBytes: Int
    /// Bytes the tiled kernel moves.
    public var tiledBytes: Int
    /// Key tiles visited over all query tiles, and the number there would be with no mask.
    public var visitedTiles: Int
    public var totalTiles: Int

    public init(spec: AttentionSpec, plan: TilePlan, queryLength nq: Int, keyLength nk: Int, blockDensity: Double = 1)
        throws(SpecError)
    {
        self.init(variant: try VariantModel(lowering: spec), plan: plan, queryLength: nq, keyLength: nk,
                  blockDensity: blockDensity)
    }

    public init(variant: VariantModel, plan: TilePlan, queryLength nq: Int, keyLength nk: Int, blockDensity: Double = 1) {
        let spec = variant.spec
        let e = spec.storage.byteSize, i = variant.inputBytes, d = spec.headDim, dv = spec.valueHeadDim
        queryLength = nq
        keyLength = nk
        standardBytes = i * (nq * d + nk * d + nk * dv) + e * (4 * nq * nk + nq * dv)
        let rowTiles = (nq + plan.blockRows - 1) / plan.blockRows
        let columnTiles = (nk + plan.blockColumns - 1) / plan.blockColumns
        totalTiles = rowTiles * columnTiles
        var visited = 0
        var kvBytes = 0
        for rowTile in 0..<rowTiles {
            for columnTile in 0..<columnTiles {
                let rows = Int64(rowTile * plan.blockRows) ..< Int64(min(nq, (rowTile + 1) * plan.blockRows))
                let keys = Int64(columnTile * plan.blockColumns) ..< Int64(min(nk, (columnTile + 1) * plan.blockColumns))
                if variant.masks.staticallySkips(rows: rows, keys: keys, queryLength: Int64(nq), keyLength: Int64(nk)) {
                    continue
                }
                visited += 1
                kvBytes += keys.count * (d + dv) * i
            }
        }
        visitedTiles = visited
        let density = variant.blockSparse == nil ? 1.0 : max(0, min(blockDensity, 1))
        let lse = spec.savesLogSumExp ? nq * 4 : 0
        tiledBytes = nq * d * i + Int((Double(kvBytes) * density).rounded()) + nq * dv * e + lse
    }
}

/// A rectangle of query rows and key columns.
public struct TileRange: Sendable, Hashable {
    public var rows: Range<Int>
    public var columns: Range<Int>
}
