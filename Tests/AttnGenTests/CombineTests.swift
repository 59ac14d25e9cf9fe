import Foundation
import Testing
@testable import AttnGen

/// The combine call (`attngen_NAME_combine`, the merge of partial (O, LSE) pairs that split-KV decoding, cascade
/// attention and context parallelism use) in the C backend: random fp32 partials with strided layouts, some at
/// LSE = -inf and some rows with every partial there, against the merge in double precision (Fixtures/driver.c,
/// `driver combine`), and its documented refusals.
@Suite struct CombineTests {
    static let specs: [AttentionSpec] = [
        AttentionSpec(name: "combine_fp32_d40", headDim: 40).storage(.fp32),
        AttentionSpec(name: "combine_fp16_d64", headDim: 64).storage(.fp16),
        AttentionSpec(name: "combine_bf16_d96_v33", headDim: 96).valueHeadDim(33).storage(.bf16),
    ]

    @Test(arguments: specs)
    func mergesAsDoublePrecisionDoes(_ spec: AttentionSpec) throws {
        let build = try VariantBuild(spec: spec, openMP: false)
        defer { build.remove() }
        let cases = ["b=2,hq=3,nq=5,splits=3,seed=1", "b=1,hq=1,nq=1,splits=1,seed=2", "b=3,hq=2,nq=7,splits=40,seed=3",
                     "b=0,hq=2,nq=7,splits=2,seed=4", "b=1,hq=4,nq=0,splits=0,seed=5"]
        let outcome = try build.run(["combine"] + cases)
        #expect(outcome.status == 0, "driver exited with \(outcome.status):\n\(outcome.output)")
        let lines = DriverLine.parse(outcome.output, kind: "COMBINE")
        #expect(lines.count == cases.count, "expected \(cases.count) COMBINE lines:\n\(outcome.output)")
        // O is rounded once to the storage type; the merge itself is fp32 against double.
        let oTolerance = spec.storage == .fp32 ? 1e-5 : (spec.storage == .fp16 ? 2e-3 : 1e-2)
        for line in lines {
            let context = "\(spec.name) \(line.caseText)"
            #expect(line.int("status") == 0, "\(context): status\n\(line)")
            #expect((line.double("o_err") ?? 1) <= oTolerance, "\(context): O error\n\(line)")
            #expect((line.double("lse_err") ?? 1) <= 1e-5, "\(context): LSE error\n\(line)")
            for key in ["nan", "inf_mismatch", "masked_nonzero", "poison", "bad_status"] {
                #expect(line.int(key) == 0, "\(context): \(key)\n\(line)")
            }
        }
    }
}
