import Testing
@testable import AttnGen

/// A CPU model of the CUDA kernels' dropout index math (no GPU here): the lanes of a warp, their Philox calls,
/// the SWAR keep test, the quad shuffles and the warp ballots, statement for statement as in
/// `CUDAEmitter.dropoutSource` (forward) and `CUDABackwardEmitter.dropoutKeepBitsSource` (backward). Every
/// (lane, fragment, value) must get the keep decision of README "Dropout" (PhiloxMapping, the Swift statement).
@Suite struct DropoutLaneMappingTests {
    /// The problem and the Philox seed/offset of one check.
    struct Problem {
        var seed: UInt64 = 0x0123_4567_89ab_cdef
        var offset: UInt64 = 0xfeed_f00d_0000_0007
        var headsQ = 3, nq = 300, nk = 237, b = 1, h = 2
        var threshold: UInt16

        func keeps(q: Int, k: Int) -> Bool {
            PhiloxMapping.keeps(seed: seed, offset: offset, headsQ: headsQ, queryLength: nq, keyLength: nk,
                                b: b, h: h, q: q, k: k, threshold: threshold)
        }

        /// `attngen_dropout_words`: the four Philox words of element group `e`.
        func words(_ e: UInt64) -> [UInt32] {
            PhiloxMapping.philox(counter: (UInt32(truncatingIfNeeded: e), UInt32(truncatingIfNeeded: e >> 32),
                                           UInt32(truncatingIfNeeded: offset), UInt32(truncatingIfNeeded: offset >> 32)),
                                 key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        }

        var groupsPerRow: UInt64 { UInt64((nk + 7) / 8) }
        var headRow: UInt64 { (UInt64(b) * UInt64(headsQ) + UInt64(h)) * UInt64(nq) }

        /// `keep_halves` / `dropout_keep_halves`: keep bits of both halves at bits 15 and 31.
        func keepHalves(_ word: UInt32) -> UInt32 {
            let topBits: UInt32 = 0x8000_8000
            let lowThresholds = (UInt32(threshold) & 0x7fff) &* 0x10001
            let lowKeep = (word | topBits) &- lowThresholds
            return (threshold >= 0x8000 ? (word & lowKeep) : (word | lowKeep)) & topBits
        }

        /// A lane's pack of its call's keep bits: low half of word w at bit 4·quadLane + w, high half at 16 + ...
        func pack(_ words: [UInt32], quadLane: Int) -> UInt32 {
            let keep = (keepHalves(words[0]) >> 15) | (keepHalves(words[1]) >> 14) |
                (keepHalves(words[2]) >> 13) | (keepHalves(words[3]) >> 12)
            return keep << UInt32(4 * quadLane)
        }
    }

    /// `__shfl_xor_sync` over a warp's values.
    static func shuffleXor(_ values: [UInt32], _ mask: Int) -> [UInt32] {
        (0..<32).map { values[$0 ^ mask] }
    }

    /// `__ballot_sync`.
    static func ballot(_ predicates: [Bool]) -> UInt32 {
        predicates.enumerated().reduce(0) { $0 | ($1.element ? 1 << UInt32($1.offset) : 0) }
    }

    static let problems: [Problem] = [0, 1, 6553, 13107, 0x7fff, 0x8000, 0x8001, 52428, 65535].map { Problem(threshold: $0) }

    @Test func swarKeepTestMatchesHalfwordCompare() {
        for problem in Self.problems {
            var mismatches = 0
            for low in stride(from: 0, to: 65536, by: 1) {
                let high = (low &* 40503) & 0xffff
                let word = UInt32(high) << 16 | UInt32(low)
                let expected = (UInt16(low) >= problem.threshold ? UInt32(0x8000) : 0)
                    | (UInt16(high) >= problem.threshold ? 0x8000_0000 : 0)
                if problem.keepHalves(word) != expected { mismatches += 1 }
            }
            #expect(mismatches == 0, "threshold \(problem.threshold)")
        }
    }

    /// The forward kernel: s[m][n][i] of lane (group, quadLane) is row warpRow + m·16 + (i / 2)·8, key
    /// k0 + n·8 + quadLane·2 + i % 2.
    @Test func forwardQuadExchangeGivesEveryLaneItsKeepBits() {
        for problem in Self.problems {
            let mTiles = 2, blockColumns = 64, warpBase = 37, k0 = 128
            var mismatches = 0, checked = 0
            for m in 0..<mTiles {
                for n in stride(from: 0, to: blockColumns / 8, by: 2) {
                    var keep = (0..<32).map { lane -> UInt32 in
                        let group = lane / 4, quadLane = lane % 4
                        let q = warpBase + group + m * 16 + (quadLane & 1) * 8
                        let firstGroup = (problem.headRow + UInt64(q)) * problem.groupsPerRow + UInt64(k0 / 8 + (quadLane >> 1))
                        return problem.pack(problem.words(firstGroup + UInt64(n)), quadLane: quadLane)
                    }
                    keep = zip(keep, Self.shuffleXor(keep, 1)).map { $0 | $1 }
                    keep = zip(keep, Self.shuffleXor(keep, 2)).map { $0 | $1 }
                    for lane in 0..<32 {
                        let group = lane / 4, quadLane = lane % 4
                        let bits = keep[lane] >> UInt32(quadLane)
                        for j in 0..<4 {
                            let tile = n + j / 2, i = 2 * (j % 2)
                            let q = warpBase + group + m * 16 + (i / 2) * 8
                            let k = k0 + tile * 8 + quadLane * 2
                            guard k + 1 < problem.nk else { continue }
                            if (bits & (1 << UInt32(4 * j)) != 0) != problem.keeps(q: q, k: k) { mismatches += 1 }
                            if (bits & (1 << UInt32(16 + 4 * j)) != 0) != problem.keeps(q: q, k: k + 1) { mismatches += 1 }
                            checked += 2
                        }
                    }
                }
            }
            #expect(checked > 1000)
            #expect(mismatches == 0, "threshold \(problem.threshold): \(mismatches) of \(checked)")
        }
    }

    /// `dropout_keep_bits<Fragments, false>` (dQ kernel, rows are queries).
    static func keepBitsRowsAreQueries(_ problem: Problem, fragments: Int, row0s: [Int], column0s: [Int]) -> [UInt32] {
        var bits = [UInt32](repeating: 0, count: 32)
        let firstGroups = (0..<32).map { lane -> UInt64 in
            let quadLane = lane % 4
            let query = UInt64(row0s[lane] + (quadLane & 1) * 8)
            return (problem.headRow + query) * problem.groupsPerRow + UInt64((column0s[lane] - 2 * quadLane) / 8 + (quadLane >> 1))
        }
        for n in stride(from: 0, to: fragments, by: 2) {
            var keep = (0..<32).map { lane in problem.pack(problem.words(firstGroups[lane] + UInt64(n)), quadLane: lane % 4) }
            keep = zip(keep, shuffleXor(keep, 1)).map { $0 | $1 }
            keep = zip(keep, shuffleXor(keep, 2)).map { $0 | $1 }
            for lane in 0..<32 {
                var value = (keep[lane] >> UInt32(lane % 4)) & 0x1111_1111
                value = (value | (value >> 15)) & 0x3333
                value = (value | (value >> 2)) & 0x0f0f
                value = (value | (value >> 4)) & 0xff
                bits[lane] |= value << UInt32(4 * n)
            }
        }
        return bits
    }

    /// `dropout_keep_bits<Fragments, true>` (key kernel, rows are keys).
    static func keepBitsRowsAreKeys(_ problem: Problem, fragments: Int, row0s: [Int], column0s: [Int]) -> [UInt32] {
        var bits = [UInt32](repeating: 0, count: 32)
        for u in 0..<(fragments / 2) {
            let words = (0..<32).map { lane -> [UInt32] in
                let group = lane / 4
                let keyGroup = UInt64((row0s[lane] - group) / 8 + ((group >> 1) & 1))
                let query = UInt64(column0s[lane] + 8 * (group >> 2) + (group & 1))
                return problem.words((problem.headRow + query + 16 * UInt64(u)) * problem.groupsPerRow + keyGroup)
            }
            var mine = [UInt32](repeating: 0, count: 32)
            for x in 0..<8 {
                let ballot = Self.ballot((0..<32).map { lane in
                    let word = words[lane][x / 2]
                    let value = x % 2 == 0 ? (word & 0xffff) : (word >> 16)
                    return value >= UInt32(problem.threshold)
                })
                for lane in 0..<32 where lane / 4 == x { mine[lane] = ballot }
            }
            for lane in 0..<32 {
                var keep = (mine[lane] >> UInt32(lane % 4)) & 0x1111_1111
                keep = (keep | (keep >> 3)) & 0x0303_0303
                keep = (keep | (keep >> 6)) & 0x000f_000f
                keep = (keep | (keep >> 12)) & 0xff
                bits[lane] |= keep << UInt32(8 * u)
            }
        }
        return bits
    }

    @Test(arguments: [2, 4, 8])
    func backwardKeepBitsMatchTheMapping(fragments: Int) {
        for problem in Self.problems {
            var mismatches = 0, checked = 0
            for rowsAreKeys in [false, true] {
                // Row bases: 16-aligned slices plus lane / 4; column bases: 16-aligned plus (lane % 4) · 2.
                let rowBase = rowsAreKeys ? 96 : 48, columnBase = rowsAreKeys ? 32 : 112
                let row0s = (0..<32).map { rowBase + $0 / 4 }, column0s = (0..<32).map { columnBase + ($0 % 4) * 2 }
                let bits = rowsAreKeys
                    ? Self.keepBitsRowsAreKeys(problem, fragments: fragments, row0s: row0s, column0s: column0s)
                    : Self.keepBitsRowsAreQueries(problem, fragments: fragments, row0s: row0s, column0s: column0s)
                for lane in 0..<32 {
                    for n in 0..<fragments {
                        for i in 0..<4 {
                            let row = row0s[lane] + (i / 2) * 8, column = column0s[lane] + n * 8 + i % 2
                            let (q, k) = rowsAreKeys ? (column, row) : (row, column)
                            guard q < problem.nq, k < problem.nk else { continue }
                            let kept = bits[lane] & (1 << UInt32(n * 4 + i)) != 0
                            if kept != problem.keeps(q: q, k: k) { mismatches += 1 }
                            checked += 1
                        }
                    }
                    #expect(bits[lane] >> UInt32(fragments * 4) == 0 || fragments == 8, "stray bits")
                }
            }
            #expect(checked >= 2 * 32 * fragments * 4 - 64)
            #expect(mismatches == 0, "threshold \(problem.threshold), \(fragments) fragments: \(mismatches) of \(checked)")
        }
    }
    /// The Hopper key kernel (Templates/hopper/pieces/backward_key_kernel.cu) calls `dropout_keep_bits<8, true>` once
    /// per 64-query half w of its step, with row0 = the thread's key and column0 = q0 + 64 w + 2 · (lane % 4), and
    /// reads value s[4 j + i] of its wgmma accumulator (key row0 + 8 (i / 2), query q0 + 8 j + 2 · (lane % 4) + i % 2)
    /// at bit 4 (j % 8) + i of keep[j / 8]. Every warp of both consumer warpgroups, steps of 64 and 128 queries.
    @Test(arguments: [64, 128])
    func hopperKeyKernelReadsTheKeepBitsOfItsFragment(queryRows: Int) {
        for problem in Self.problems {
            var mismatches = 0, checked = 0
            let k0 = 128, q0 = 128
            for consumer in 0..<2 {
                for warp in 0..<4 {
                    let row0s = (0..<32).map { k0 + 64 * consumer + 16 * warp + $0 / 4 }
                    let keep = (0..<(queryRows / 64)).map { half in
                        Self.keepBitsRowsAreKeys(problem, fragments: 8, row0s: row0s,
                                                 column0s: (0..<32).map { q0 + 64 * half + 2 * ($0 % 4) })
                    }
                    for lane in 0..<32 {
                        for j in 0..<(queryRows / 8) {
                            for i in 0..<4 {
                                let k = row0s[lane] + 8 * (i / 2), q = q0 + 8 * j + 2 * (lane % 4) + i % 2
                                guard q < problem.nq, k < problem.nk else { continue }
                                let kept = (keep[j / 8][lane] >> UInt32(4 * (j % 8) + i)) & 1 != 0
                                if kept != problem.keeps(q: q, k: k) { mismatches += 1 }
                                checked += 1
                            }
                        }
                    }
                }
            }
            #expect(checked == 109 * min(queryRows, problem.nq - q0))
            #expect(mismatches == 0, "threshold \(problem.threshold), \(queryRows) queries: \(mismatches) of \(checked)")
        }
    }
}
