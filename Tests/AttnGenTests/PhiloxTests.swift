import Foundation
import Testing
@testable import AttnGen

/// The dropout random numbers: the reference's Philox4x32-10 against the Random123 known answers, its
/// (seed, offset, b, h, q, k) mapping against a Swift statement of README "Dropout", and the generated
/// C kernel's dropout mask against the reference, bit for bit.
@Suite struct PhiloxTests {
    /// Builds Fixtures/reference_selftest.c into a fresh folder.
    private func selftest() throws -> URL {
        let folder = try HarnessFixtures.temporaryFolder("philox")
        try HarnessFixtures.copy(["reference.c", "reference.h", "reference_selftest.c"], to: folder)
        try HarnessFixtures.writeABIHeader(to: folder)
        try HarnessFixtures.compile(["reference_selftest.c", "reference.c"], output: "selftest", in: folder)
        return folder
    }

    @Test func referenceMatchesRandom123KnownAnswers() throws {
        let folder = try selftest()
        defer { try? FileManager.default.removeItem(at: folder) }
        let vectors: [(counter: [String], key: [String], expected: String)] = [
            (["0", "0", "0", "0"], ["0", "0"], "6627e8d5 e169c58d bc57ac4c 9b00dbd8"),
            (["ffffffff", "ffffffff", "ffffffff", "ffffffff"], ["ffffffff", "ffffffff"], "408f276d 41c83b0e a20bc7c6 6d5451fd"),
            (["243f6a88", "85a308d3", "13198a2e", "03707344"], ["a4093822", "299f31d0"], "d16cfe09 94fdcceb 5001e420 24126ea1"),
        ]
        for vector in vectors {
            let outcome = try ChildProcess.run(["./selftest", "philox"] + vector.counter + vector.key, in: folder)
            #expect(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines) == "PHILOX \(vector.expected)",
                    "counter \(vector.counter) key \(vector.key)")
            // The Swift statement gives the same words.
            let c = vector.counter.map { UInt32($0, radix: 16)! }, k = vector.key.map { UInt32($0, radix: 16)! }
            let words = PhiloxMapping.philox(counter: (c[0], c[1], c[2], c[3]), key: (k[0], k[1]))
            #expect(words.map { String(format: "%08x", $0) }.joined(separator: " ") == vector.expected)
        }
    }

    @Test func referenceMappingMatchesReadme() throws {
        let folder = try selftest()
        defer { try? FileManager.default.removeItem(at: folder) }
        var lines: [String] = []
        var expected = ""
        for index in 0..<4000 {
            let seed = UInt64.random(in: 0...UInt64.max), offset = index % 2 == 0 ? UInt64.random(in: 0...UInt64.max) : UInt64(index)
            let headsQ = Int.random(in: 1...64), nq = Int.random(in: 1...5000), nk = Int.random(in: 1...5000)
            let b = Int.random(in: 0...40), h = Int.random(in: 0..<headsQ), q = Int.random(in: 0..<nq), k = Int.random(in: 0..<nk)
            let threshold = Dropout(probability: [0.1, 0.5, 0.9, 0.0][index % 4]).dropThreshold
            lines.append("\(seed) \(offset) \(headsQ) \(nq) \(nk) \(b) \(h) \(q) \(k) \(threshold)")
            expected += PhiloxMapping.keeps(seed: seed, offset: offset, headsQ: headsQ, queryLength: nq, keyLength: nk,
                                            b: b, h: h, q: q, k: k, threshold: threshold) ? "1" : "0"
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("points.txt"),
                                                         atomically: true, encoding: .utf8)
        let outcome = try ChildProcess.run(["./selftest", "keeps", "points.txt"], in: folder)
        let got = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(got.count == expected.count)
        let differences = zip(got, expected).filter { $0 != $1 }.count
        #expect(differences == 0, "\(differences) of \(expected.count) keep decisions differ")
        // p = 0 keeps everything; the rest drop a fair share.
        #expect(expected.contains("0") && expected.contains("1"))
    }

    /// The 16-bit threshold is floor(p · 65536): the effective drop probability T / 65536 is within 2^-16 below p.
    @Test func thresholdIsSixteenBits() {
        #expect(Dropout(probability: 0).dropThreshold == 0)
        #expect(Dropout(probability: 0.1).dropThreshold == 6553)
        #expect(Dropout(probability: 0.5).dropThreshold == 32768)
        #expect(Dropout(probability: 0.9).dropThreshold == 58982)
        #expect(Dropout(probability: 0.999_999).dropThreshold == 65535)
        for p in stride(from: 0.0, to: 1.0, by: 0.0137) {
            let effective = Double(Dropout(probability: p).dropThreshold) / 65536
            #expect(effective <= p && p - effective < 1.0 / 65536, "p = \(p)")
        }
    }

    /// One Philox call serves 8 consecutive keys of a row: key 8g + j takes halfword j of the call of group g.
    @Test func eightKeysShareOneCall() {
        let seed: UInt64 = 0xdead_beef_0bad_f00d, offset: UInt64 = 42
        let headsQ = 5, nq = 77, nk = 203, b = 2, h = 3, q = 40
        for group in [0, 1, 12, 25] {
            let row = (UInt64(b * headsQ + h)) * UInt64(nq) + UInt64(q)
            let e = row * UInt64((nk + 7) / 8) + UInt64(group)
            let words = PhiloxMapping.philox(counter: (UInt32(truncatingIfNeeded: e), UInt32(truncatingIfNeeded: e >> 32),
                                                       UInt32(offset), 0),
                                             key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
            for j in 0..<8 where group * 8 + j < nk {
                let value = PhiloxMapping.value(seed: seed, offset: offset, headsQ: headsQ, queryLength: nq, keyLength: nk,
                                                b: b, h: h, q: q, k: group * 8 + j)
                #expect(value == UInt16(truncatingIfNeeded: words[j / 2] >> (j % 2 == 0 ? 0 : 16)))
            }
        }
    }

    /// C key tiles whose first key is not a multiple of 8 (block-sparse columns of 20) split Philox groups
    /// between tiles: O must still match the reference (a wrong keep decision moves O by about 1/Nk of a row).
    @Test func kernelDropoutWithUnalignedKeyTilesMatchesReference() throws {
        let spec = AttentionSpec(name: "dropunaligned_fp32", headDim: 16).storage(.fp32)
            .masked(by: .blockSparse(blockRows: 8, blockColumns: 20)).dropout(0.3).savingLogSumExp()
        let build = try VariantBuild(spec: spec, checkWithClang: false)
        defer { build.remove() }
        #expect(build.plan.blockColumns % 8 != 0, "Bc = \(build.plan.blockColumns) does not split a Philox group")
        let cases = ["b=1,hq=2,hkv=1,nq=40,nk=203,layout=bshd,seed=11", "b=2,hq=1,hkv=1,nq=9,nk=61,layout=padded,seed=12"]
        let outcome = try build.run(["run"] + cases)
        let lines = DriverLine.parse(outcome.output, kind: "RESULT")
        try #require(lines.count == cases.count, "\(outcome.output)")
        for line in lines {
            let tolerance = Tolerance.forStorage(.fp32).forKeys(203)
            #expect(line.int("status") == 0, "\(line)")
            #expect((line.double("rel_max") ?? .infinity) <= tolerance.relativeMax, "\(line)")
            #expect(line.int("nan") == 0 && line.int("poison") == 0, "\(line)")
        }
    }

    /// Q = 0 and V = identity put each element's keep/drop in O: the kernel's mask must equal the reference's.
    @Test(arguments: [
        (AttentionSpec(name: "dropmask_fp32", headDim: 16).valueHeadDim(256).storage(.fp32).dropout(0.5).savingLogSumExp(),
         "b=2,hq=3,hkv=1,nq=37,nk=255,layout=bshd", 1e-6),
        (AttentionSpec(name: "dropmask_bf16", headDim: 16).valueHeadDim(128).storage(.bf16).dropout(0.1),
         "b=3,hq=2,hkv=2,nq=50,nk=126,layout=padded", 1e-2),
        (AttentionSpec(name: "dropmask_fp16_fixed", headDim: 40).valueHeadDim(64).storage(.fp16).heads(query: 4, keyValue: 2)
            .dropout(0.8), "b=1,nq=129,nk=61,layout=mixed", 2e-3),
    ])
    func kernelDropoutMaskMatchesReference(_ spec: AttentionSpec, _ shape: String, _ valueTolerance: Double) throws {
        let build = try VariantBuild(spec: spec, checkWithClang: false)
        defer { build.remove() }
        // A per-run input seed, from which the driver draws the 64-bit dropout seed and offset.
        let outcome = try build.run(["dropmask", shape + ",seed=\(UInt32.random(in: 1...1_000_000))"])
        let lines = DriverLine.parse(outcome.output, kind: "DROPMASK")
        try #require(lines.count == 1, "\(outcome.output)")
        let line = lines[0]
        let elements = Double(line.int("elements") ?? 0), kept = Double(line.int("kept") ?? 0)
        #expect(line.int("status") == 0, "\(line)")
        #expect(elements > 1000, "\(line)")
        #expect(line.int("mismatches") == 0, "\(spec.name): the kernel's dropout mask differs from the reference\n\(line)")
        #expect(line.int("stray") == 0, "\(line)")
        #expect((line.double("value_err") ?? .infinity) <= valueTolerance, "\(line)")
        let p = spec.dropout?.probability ?? 0
        #expect(abs(kept / elements - (1 - p)) < 0.05, "kept fraction \(kept / elements) for p = \(p)")
        print("HARNESS-DROPMASK variant=\(spec.name) \(line.text)")
    }
}
