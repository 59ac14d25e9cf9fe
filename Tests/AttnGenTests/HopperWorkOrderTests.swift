import Foundation
import Testing
@testable import AttnGen

/// The Hopper forward's persistent work order (Templates/hopper/pieces/forward_kernel.cu, `cta_step`, waves of
/// uniform items): a model of its arithmetic, checked to hand every (head, query tile) to exactly one step of one CTA
/// in both orders, and, head by head (`head_major`, at most `kHeadMajorQueryTiles` tiles a head), to put a head's
/// tiles in one wave on adjacent CTAs; and the emitted kernel, checked to hold the same rule. The GPU check runs the
/// kernel itself (benchmarks/gpu/check.sh on the forward-hopper folder).
@Suite struct HopperWorkOrderTests {
    /// `cta_step`'s item for step `n` of CTA `c` of `grid`, or nil past the items (kStepNone / kStepDone).
    static func item(step n: Int, cta c: Int, grid: Int, queryTiles: Int, headsTotal: Int, headsPerGroup: Int,
                     headMajor: Bool) -> (head: Int, rank: Int)? {
        let items = queryTiles * headsTotal
        let w = n * grid + (n % 2 != 0 ? grid - 1 - c : c)
        guard w < items else { return nil }
        let groupItems = headsPerGroup * queryTiles
        let group = w / groupItems, within = w - group * groupItems
        let firstHead = group * headsPerGroup
        let headsHere = min(headsTotal - firstHead, headsPerGroup)
        if headMajor {
            let head = firstHead + within / queryTiles
            return (head, within - (head - firstHead) * queryTiles)
        }
        let rank = within / headsHere
        return (firstHead + (within - rank * headsHere), rank)
    }

    @Test(arguments: [(4, 512, 100, 132), (3, 7, 2, 5), (8, 33, 33, 132), (1, 1, 1, 132), (16, 40, 13, 132)])
    func everyItemOnceInBothOrders(queryTiles: Int, headsTotal: Int, headsPerGroup: Int, grid: Int) {
        for headMajor in [false, true] {
            var seen: [Int: Int] = [:]
            let steps = (queryTiles * headsTotal + grid - 1) / grid
            for n in 0..<steps {
                for c in 0..<grid {
                    guard let item = Self.item(step: n, cta: c, grid: grid, queryTiles: queryTiles,
                                               headsTotal: headsTotal, headsPerGroup: headsPerGroup,
                                               headMajor: headMajor) else { continue }
                    #expect(item.head >= 0 && item.head < headsTotal && item.rank >= 0 && item.rank < queryTiles)
                    seen[item.head * queryTiles + item.rank, default: 0] += 1
                }
            }
            #expect(seen.count == queryTiles * headsTotal && seen.values.allSatisfy { $0 == 1 },
                    "head-major \(headMajor): \(seen.count) of \(queryTiles * headsTotal) items")
        }
    }

    /// N = 512 with 128-row tiles: 4 tiles a head. Head by head, a wave holds whole heads (but where it ends), on
    /// adjacent CTAs; rank by rank, a head's tiles fall in different waves.
    @Test func headMajorKeepsAHeadsTilesInOneWave() {
        let (tiles, heads, group, grid) = (4, 512, 100, 132)
        func waves(ofHead head: Int, headMajor: Bool) -> Set<Int> {
            var found = Set<Int>()
            for n in 0..<(tiles * heads / grid + 1) {
                for c in 0..<grid {
                    if let item = Self.item(step: n, cta: c, grid: grid, queryTiles: tiles, headsTotal: heads,
                                            headsPerGroup: group, headMajor: headMajor), item.head == head {
                        found.insert(n)
                    }
                }
            }
            return found
        }
        #expect(waves(ofHead: 5, headMajor: true).count == 1)
        #expect(waves(ofHead: 5, headMajor: false).count > 1)
    }

    @Test func theKernelGoesHeadByHeadForFewUniformTiles() throws {
        let plain = try KernelGenerator(emitter: try HopperEmitter())
            .generate([AttentionSpec(name: "ho_plain", headDim: 128).storage(.bf16)])
        let kernel = try #require(plain.first { $0.path == "ho_plain.cu" }).contents
        #expect(kernel.contains("constexpr int64_t kHeadMajorQueryTiles = 8;"))
        #expect(kernel.contains("arguments.head_major = kUniformItems && query_tiles <= kHeadMajorQueryTiles ? 1u : 0u;"))
        #expect(kernel.contains("head_index = first_head + within / arguments.query_tiles;"))
        #expect(kernel.contains("constexpr bool kUniformItems = true;"))
        let causal = try KernelGenerator(emitter: try HopperEmitter())
            .generate([AttentionSpec(name: "ho_causal", headDim: 128).storage(.bf16).masked(by: .causal(.topLeft))])
        let causalKernel = try #require(causal.first { $0.path == "ho_causal.cu" }).contents
        #expect(causalKernel.contains("constexpr bool kUniformItems = false;"))
    }
}
