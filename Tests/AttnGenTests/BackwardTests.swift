import Foundation
import Testing
@testable import AttnGen

/// The C backward pass against float64 reference gradients (Fixtures/backward_driver.c), which are
/// themselves checked by central finite differences on small sizes.
@Suite struct BackwardTests {
    /// One backward case: a variant and the shapes it runs.
    struct Case: CustomStringConvertible, Sendable {
        var spec: AttentionSpec
        /// (batch, heads_q, heads_kv, Nq, Nk, layout, finite differences); a layout "bshd+v3" also packs a
        /// variable-length batch (the driver's VARLEN: 1 queries, 2 keys, 3 both).
        var shapes: [(Int, Int, Int, Int, Int, String, Bool)]
        var description: String { spec.name }
    }

    static let cases: [Case] = {
        let small: [(Int, Int, Int, Int, Int, String, Bool)] = [
            (1, 2, 1, 17, 23, "bshd", true), (2, 2, 2, 1, 9, "bhsd", true), (1, 4, 2, 40, 33, "bhsd", false),
            (4, 2, 1, 37, 50, "bshd+v3", true),
        ]
        let large: [(Int, Int, Int, Int, Int, String, Bool)] = [
            (1, 4, 1, 130, 257, "bshd", false), (1, 2, 2, 200, 77, "bhsd", false), (5, 2, 2, 90, 140, "bhsd+v1", false),
        ]
        func spec(_ name: String, _ d: Int, _ storage: StorageType) -> AttentionSpec {
            AttentionSpec(name: name, headDim: d).storage(storage).withBackward()
        }
        return [
            Case(spec: spec("bwd_plain_f32", 16, .fp32), shapes: small + large),
            Case(spec: spec("bwd_causal_f32", 40, .fp32).masked(by: .causal), shapes: small + large),
            Case(spec: spec("bwd_causal_br_f16", 64, .fp16).masked(by: .causal(.bottomRight)), shapes: small + large),
            Case(spec: spec("bwd_window_bf16", 72, .bf16).masked(by: .slidingWindow(left: 20, right: 5, alignment: .bottomRight)),
                 shapes: small + large),
            Case(spec: spec("bwd_sparse_f32", 32, .fp32).masked(by: .blockSparse(blockSize: 16)), shapes: small + large),
            Case(spec: spec("bwd_predicate_f32", 24, .fp32).masked(by: .predicate { q, k in (q + k) % 3 != 0 || q == k }),
                 shapes: small),
            Case(spec: spec("bwd_dropout_f32", 16, .fp32).dropout(0.2).masked(by: .causal), shapes: small + large),
            Case(spec: spec("bwd_dropout_bf16", 128, .bf16).dropout(0.1), shapes: small),
            Case(spec: spec("bwd_gqa_f16", 48, .fp16).heads(query: 4, keyValue: 2).valueHeadDim(32), shapes: [
                (1, 4, 2, 17, 23, "bshd", false), (2, 4, 2, 130, 90, "bhsd", false), (4, 4, 2, 40, 70, "bhsd+v2", false),
            ]),
            // Score modifiers: the kernels' symbolic derivative against the reference's dual numbers.
            Case(spec: spec("bwd_alibi_causal_f32", 32, .fp32).modified(by: .alibi).masked(by: .causal),
                 shapes: small + large),
            Case(spec: spec("bwd_softcap_f32", 40, .fp32).scale(0.6).modified(by: .softcap(1.5)), shapes: small + large),
            Case(spec: spec("bwd_scoremod_dropout_f32", 24, .fp32).dropout(0.2)
                    .modified(by: ForwardMatrix.score("where(s > 0, s * gain[h], tanh(s)) - slope[h] * abs(q - k) / 16"))
                    .modified(by: .alibi(slopes: .runtime, alignment: .bottomRight)),
                 shapes: small),
            Case(spec: spec("bwd_alibi_softcap_bf16", 64, .bf16).heads(query: 4, keyValue: 2).modified(by: .alibi)
                    .modified(by: .softcap(3)).masked(by: .slidingWindow(left: 30, right: 10, alignment: .bottomRight)),
                 shapes: [(1, 4, 2, 17, 23, "bshd", false), (2, 4, 2, 130, 90, "bhsd", false), (4, 4, 2, 40, 70, "bhsd+v2", false)]),
            // The run-time arrays' gradient (dscore_parameters) against the reference's dual numbers and finite differences.
            Case(spec: spec("bwd_params_causal_f32", 32, .fp32).modified(by: .alibi(slopes: .runtime, alignment: .bottomRight))
                    .modified(by: ForwardMatrix.score("s * gain[h] + 0.25 * tanh(s) * bias[h]")).masked(by: .causal(.bottomRight)),
                 shapes: small + large),
            Case(spec: spec("bwd_params_gqa_sinks_bf16", 64, .bf16).heads(query: 4, keyValue: 2).withSinks()
                    .modified(by: .alibi(slopes: .runtime, alignment: .topLeft)).modified(by: .softcap(5)),
                 shapes: [(1, 4, 2, 17, 23, "bshd", false), (2, 4, 2, 130, 90, "bhsd", false), (4, 4, 2, 40, 70, "bhsd+v2", false)]),
            // Attention sinks: dsinks against the reference and (fd) finite differences; every fourth head's sink is -inf.
            Case(spec: spec("bwd_sinks_causal_f32", 32, .fp32).withSinks().masked(by: .causal(.bottomRight)),
                 shapes: small + large),
            Case(spec: spec("bwd_sinks_gqa_dropout_bf16", 64, .bf16).heads(query: 4, keyValue: 2).withSinks().dropout(0.1)
                    .masked(by: .slidingWindow(left: 12, right: 3)),
                 shapes: [(1, 4, 2, 17, 23, "bshd", false), (2, 4, 2, 130, 90, "bhsd", false), (4, 4, 2, 40, 70, "bhsd+v2", false)]),
            Case(spec: spec("bwd_sinks_softcap_f32", 24, .fp32).withSinks().modified(by: .softcap(2)).masked(by: .causal),
                 shapes: small),
            // Every score deep in a soft cap's saturation (tanh(x) near -1, derivative ~1e-6): the derivative must not
            // come from 1 - tanh² (fp32 keeps ~4 of its bits there: dQ was 0.8 % off), and fp16's gradients, below its
            // smallest normal, are judged against what it can hold (fuzz spec 815 of seed 64970708883563).
            Case(spec: spec("bwd_softcap_saturated_f32", 28, .fp32).modified(by: ForwardMatrix.score("s - abs(q - k) / 32 - 10"))
                    .modified(by: .softcap(1.5)).masked(by: .causal), shapes: small + large),
            Case(spec: spec("bwd_softcap_saturated_f16", 28, .fp16).withSinks()
                    .modified(by: ForwardMatrix.score("s - abs(q - k) / 32 - 10")).modified(by: .softcap(1.5))
                    .masked(by: .causal(.bottomRight)), shapes: small + large),
            Case(spec: spec("bwd_mqa_f32", 16, .fp32).heads(query: 4, keyValue: 1), shapes: [
                (1, 4, 1, 17, 23, "bshd", true), (1, 4, 1, 64, 200, "bhsd", false),
            ]),
        ]
    }()

    /// Largest relative gradient error allowed per storage type: fp32 arithmetic throughout for fp32;
    /// for fp16/bf16 the gradients are rounded once to the storage type, and D = rowsum(dO * O) reads
    /// the rounded O, which dS = P * (dP - D) amplifies where dP and D nearly cancel.
    static func tolerance(_ storage: StorageType) -> Double {
        switch storage {
        case .fp32: 2e-4
        case .fp16: 1e-2
        case .bf16: 5e-2
        }
    }

    @Test(arguments: cases)
    func gradientsMatchReference(_ testCase: Case) throws {
        let spec = testCase.spec
        let folder = try HarnessFixtures.temporaryFolder(spec.name)
        defer { try? FileManager.default.removeItem(at: folder) }
        try BackwardBuild.prepare(spec, in: folder)
        try BackwardBuild.compile(spec, in: folder, extraFlags: ["-fopenmp"])
        let tolerance = Self.tolerance(spec.storage)
        for (index, shape) in testCase.shapes.enumerated() {
            let (batch, hq, hkv, nq, nk, layoutAndPacking, fd) = shape
            let layout = String(layoutAndPacking.prefix { $0 != "+" })
            let varlen = layoutAndPacking.split(separator: "+v").dropFirst().first.map(String.init) ?? "0"
            let outcome = try ChildProcess.run(
                ["./\(BackwardBuild.driverName)", "\(batch)", "\(hq)", "\(hkv)", "\(nq)", "\(nk)", "\(index + 1)", layout,
                 fd ? "1" : "0", varlen],
                in: folder, timeoutSeconds: 300)
            try #require(outcome.status == 0, "\(spec.name) \(shape): driver failed: \(outcome.output)")
            let report = Self.parse(outcome.output)
            let label = "\(spec.name) B=\(batch) Hq=\(hq) Hkv=\(hkv) Nq=\(nq) Nk=\(nk) \(layoutAndPacking)"
            print("backward \(label): \(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))")
            #expect(report["status"] == "0,0,0,0", "\(label): status codes \(report["status"] ?? "?")")
            for gradient in ["dq", "dk", "dv", "fast"] {
                let error = Double(report[gradient] ?? "") ?? .infinity
                #expect(error <= tolerance, "\(label): \(gradient) relative error \(error) > \(tolerance)")
            }
            if !HarnessVariantSource.scoreParameters(of: spec).isEmpty {
                let error = Double(report["dparameters"] ?? "") ?? .infinity
                #expect(error >= 0 && error <= tolerance, "\(label): dscore_parameters relative error \(error) > \(tolerance)")
            }
            if spec.sinks {
                let error = Double(report["dsinks"] ?? "") ?? .infinity
                #expect(error >= 0 && error <= tolerance, "\(label): dsinks relative error \(error) > \(tolerance)")
            }
            #expect(report["deterministic"] == "1", "\(label): deterministic mode differs between runs")
            #expect(report["outside"] == "0", "\(label): gradients written outside the packed sequences")
            if fd {
                let error = Double(report["fd"] ?? "") ?? .infinity
                #expect(error >= 0 && error < 1e-6, "\(label): reference gradient vs finite differences \(error)")
            }
        }
    }

    /// A score within a float32 rounding of a kink of the modifier (here abs of a score-dependent term 2e-7 from 0):
    /// which derivative the kernel takes depends on its own rounding of the score, so either side is right, and the
    /// reference's slack (reference.h, dq_slack) admits exactly that. Fuzz spec 27 of seed 116312007438687 failed
    /// with dQ 0.46 % off before the slack; the same call must now pass, and its slack must be large enough that the
    /// case really sits on a kink. A smooth modifier (soft cap) must get no slack worth a rounding.
    @Test func scoresOnAKinkOfTheModifierAreJudgedOnEitherSide() throws {
        let kinked = AttentionSpec(name: "bwd_kink_f32", headDim: 226).valueHeadDim(72).heads(query: 3, keyValue: 1)
            .storage(.fp32).modified(by: .softcap(46.5))
            .modified(by: ForwardMatrix.score("2.42 * tanh((s + exp(-(abs(s) / 2.87)) + exp(-(abs(s + exp(-(abs(s) "
                                              + "/ 2.87))) / 0.67))) / 2.42)"))
            .withSinks().savingLogSumExp().withBackward()
        let smooth = AttentionSpec(name: "bwd_smooth_f32", headDim: 40).storage(.fp32).modified(by: .softcap(1.5))
            .withBackward()
        let tolerance = Self.tolerance(.fp32)
        for (spec, arguments) in [(kinked, ["2", "3", "1", "58", "224", "35287", "bshd", "0"]),
                                  (smooth, ["1", "2", "2", "130", "257", "7", "bhsd", "0"])] {
            let folder = try HarnessFixtures.temporaryFolder(spec.name)
            defer { try? FileManager.default.removeItem(at: folder) }
            try BackwardBuild.prepare(spec, in: folder)
            try BackwardBuild.compile(spec, in: folder, extraFlags: [])
            let outcome = try ChildProcess.run(["./\(BackwardBuild.driverName)"] + arguments, in: folder, timeoutSeconds: 300)
            try #require(outcome.status == 0, "\(spec.name): driver failed: \(outcome.output)")
            let report = Self.parse(outcome.output)
            print("backward \(spec.name) \(arguments): \(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))")
            #expect(report["status"] == "0,0,0,0", "\(spec.name): status codes \(report["status"] ?? "?")")
            for gradient in ["dq", "dk", "dv", "fast"] {
                let error = Double(report[gradient] ?? "") ?? .infinity
                #expect(error <= tolerance, "\(spec.name): \(gradient) relative error \(error) > \(tolerance)")
            }
            let slack = Double(report["kink_slack"] ?? "") ?? .nan
            if spec.name == kinked.name {
                #expect(slack > tolerance, "\(spec.name): the call should sit on a kink (slack \(slack))")
            } else {
                #expect(slack >= 0 && slack < 1e-7, "\(spec.name): a smooth modifier got slack \(slack)")
            }
        }
    }

    /// Empty sequences with the strides PyTorch gives an empty tensor (`torch.empty(B, H, 0, D)`: batch and head
    /// strides 0 in BHSD; batch stride 0 in BSHD), batch 2: Nq = 0 with keys writes dK = dV = 0 and Nk = 0 with
    /// queries writes dQ = 0 (every row fully masked), in both dQ modes. The gradients are poisoned with NaN first,
    /// so every element must be written, and exactly 0.
    static let emptyCases: [Case] = {
        let shapes: [(Int, Int, Int, Int, Int, String, Bool)] = [
            (2, 4, 2, 0, 23, "bhsd", false), (2, 4, 2, 0, 23, "bshd", false),
            (2, 4, 2, 19, 0, "bhsd", false), (2, 4, 2, 19, 0, "bshd", false),
        ]
        return [
            Case(spec: AttentionSpec(name: "bwd_empty_f32", headDim: 16).storage(.fp32).withBackward(), shapes: shapes),
            Case(spec: AttentionSpec(name: "bwd_empty_sparse_f16", headDim: 24).storage(.fp16)
                .masked(by: .blockSparse(blockSize: 16)).masked(by: .causal(.bottomRight)).withBackward(), shapes: shapes),
            Case(spec: AttentionSpec(name: "bwd_empty_sinks_f32", headDim: 8).storage(.fp32).withSinks().withBackward(),
                 shapes: shapes),
            Case(spec: AttentionSpec(name: "bwd_empty_gqa_bf16", headDim: 40).storage(.bf16).heads(query: 4, keyValue: 2)
                .dropout(0.1).withBackward(), shapes: shapes),
        ]
    }()

    @Test(arguments: emptyCases)
    func emptySequencesWriteZeroGradients(_ testCase: Case) throws {
        let spec = testCase.spec
        let folder = try HarnessFixtures.temporaryFolder(spec.name)
        defer { try? FileManager.default.removeItem(at: folder) }
        try BackwardBuild.prepare(spec, in: folder)
        try BackwardBuild.compile(spec, in: folder, extraFlags: ["-fopenmp"])
        for (index, shape) in testCase.shapes.enumerated() {
            let (batch, hq, hkv, nq, nk, layout, _) = shape
            let outcome = try ChildProcess.run(
                ["./\(BackwardBuild.driverName)", "\(batch)", "\(hq)", "\(hkv)", "\(nq)", "\(nk)", "\(index + 1)", layout, "0"],
                in: folder, timeoutSeconds: 120)
            try #require(outcome.status == 0, "\(spec.name) \(shape): driver failed: \(outcome.output)")
            let report = Self.parse(outcome.output)
            let label = "\(spec.name) B=\(batch) Hq=\(hq) Hkv=\(hkv) Nq=\(nq) Nk=\(nk) \(layout)"
            print("backward empty \(label): \(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))")
            #expect(report["status"] == "0,0,0,0", "\(label): status codes \(report["status"] ?? "?") (forward, deterministic x2, fast)")
            // With no reference gradient the driver's measure is ||kernel||: exactly 0 when every element is +-0.
            for gradient in ["dq", "dk", "dv", "fast"] + (spec.sinks ? ["dsinks"] : []) {
                #expect(Double(report[gradient] ?? "") == 0, "\(label): \(gradient) = \(report[gradient] ?? "?"), expected all zeros")
            }
        }
    }

    /// Every call of Fixtures/argument_cases.h (NULL pointers, ABI mismatch, negative sizes, sizes above
    /// ATTNGEN_MAX_BATCH / ATTNGEN_MAX_SEQLEN, strides that overflow or pass ATTNGEN_MAX_TENSOR_BYTES, overlapping
    /// gradients, bad dq_mode, heads, a NULL, short or unaligned workspace, and valid calls with empty tensors)
    /// returns its documented status, and a failing call writes nothing; the workspace size is SIZE_MAX for sizes the
    /// call refuses, 0 without query rows, and the documented byte count otherwise.
    @Test(arguments: emptyCases)
    func argumentsAreCheckedInTheDocumentedOrder(_ testCase: Case) throws {
        let spec = testCase.spec
        let folder = try HarnessFixtures.temporaryFolder(spec.name)
        defer { try? FileManager.default.removeItem(at: folder) }
        try BackwardBuild.prepare(spec, in: folder)
        try BackwardBuild.compile(spec, in: folder, extraFlags: ["-fopenmp"])
        let outcome = try ChildProcess.run(["./\(BackwardBuild.driverName)", "errors"], in: folder, timeoutSeconds: 120)
        try #require(outcome.status == 0, "\(spec.name): errors mode failed (\(outcome.status)):\n\(outcome.output)")
        let checks = DriverLine.parse(outcome.output, kind: "CHECK")
        let sizes = DriverLine.parse(outcome.output, kind: "WORKSPACE")
        #expect(checks.count >= 80 && sizes.count >= 15, "\(spec.name): too few cases:\n\(outcome.output)")
        Self.expectChecks(checks, label: spec.name)
        for line in sizes {
            #expect(line.int("got") == line.int("expected"), "\(spec.name): workspace \(line)")
        }
        print("backward errors \(spec.name): \(checks.count) calls, \(sizes.count) workspace sizes")
    }

    /// The CHECK lines of an `errors` run: each status as expected, failing calls leave the gradients alone, valid
    /// calls with an empty side zero the other side's gradients.
    static func expectChecks(_ checks: [DriverLine], label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for check in checks {
            let name = check.values["name"] ?? "?"
            #expect(check.int("got") == check.int("expected"),
                    "\(label): \(name) returned \(check.values["got"] ?? "?"), expected \(check.values["expected"] ?? "?")",
                    sourceLocation: sourceLocation)
            if check.int("expected") != 0 {
                #expect(check.int("untouched") == 1, "\(label): \(name) wrote a gradient before failing", sourceLocation: sourceLocation)
            }
            #expect(check.int("zeros") == 1, "\(label): \(name) left a gradient of the empty case nonzero", sourceLocation: sourceLocation)
        }
    }

    static func parse(_ line: String) -> [String: String] {
        var fields: [String: String] = [:]
        for token in line.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = token.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }
}
