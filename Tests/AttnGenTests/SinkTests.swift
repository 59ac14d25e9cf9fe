import Foundation
import Testing
@testable import AttnGen

/// Attention sinks (README.md, "Attention sinks") in the DSL, spec files, flags, the ABI and the rendered kernels.
/// Their numerics are checked elsewhere: ForwardMatrixTests and BackwardTests (C, float64 reference and finite
/// differences), TorchPackageTests (the package's sinks argument and its gradient), the GPU checks.
@Suite struct SinkTests {
    func decodeSpecs(_ fields: String) throws(SpecFileError) -> [AttentionSpec] {
        let json = #"{"variants": [{"name": "v", "headDim": 64"# + fields + "}]}"
        return try SpecFile.decode(Data(json.utf8)).validatedSpecs()
    }

    @Test func specFilesReadAndWriteSinks() throws {
        #expect(try decodeSpecs(#", "sinks": true"#) == [AttentionSpec(name: "v", headDim: 64).withSinks()])
        #expect(try decodeSpecs(#", "sinks": false"#) == [AttentionSpec(name: "v", headDim: 64)])
        let file = SpecFile(specs: [AttentionSpec(name: "v", headDim: 64).withSinks().withBackward()])
        let text = String(decoding: try file.encoded(), as: UTF8.self)
        #expect(text.contains(#""sinks" : true"#), "\(text)")
        #expect(try SpecFile.decode(file.encoded()) == file)
        let plain = String(decoding: try SpecFile(specs: [AttentionSpec(name: "v", headDim: 64)]).encoded(), as: UTF8.self)
        #expect(!plain.contains("sinks"), "no key for the default")
        do {
            let specs = try decodeSpecs(#", "sinks": 1"#)
            Issue.record("\"sinks\": 1 gave \(specs)")
        } catch {
            #expect(error.field == "sinks", "\(error)")
        }
    }

    @Test func theFlagGivesSinksAndIsDocumented() throws {
        guard case .plan(let plan) = try CommandLineParser.parse(["plan", "--head-dim", "64", "--sinks", "--causal"]),
              case .flags(let flags) = plan.source else { throw CLITestFailure("not a plan") }
        let spec = try flags.spec()
        #expect(spec.sinks && spec.masks == [.causal])
        #expect(HelpText.text(for: .emitC).contains("--sinks") && HelpText.text(for: .plan).contains("--sinks"))
        let twice = try AttngenTool.run(["plan", "--head-dim", "64", "--sinks", "--sinks"])
        #expect(twice.status == 64, "\(twice.standardError)")
        let valued = try AttngenTool.run(["plan", "--head-dim", "64", "--sinks=1"])
        #expect(valued.status == 64, "\(valued.standardError)")
        let planned = try AttngenTool.run(["plan", "--head-dim", "64", "--sinks"])
        #expect(planned.status == 0 && planned.standardOutput.contains("masks none, attention sinks (run-time logits per query head)"),
                "\(planned.standardOutput)\(planned.standardError)")
    }

    @Test func theABICarriesSinksAndTheirGradient() throws {
        #expect(ABIDefinition.version >= 4)
        #expect(ABIDefinition.forwardParams.fields.contains { $0.name == "sinks" && $0.type == .constFloatPointer })
        #expect(ABIDefinition.backwardParams.fields.contains { $0.name == "sinks" && $0.type == .constFloatPointer })
        #expect(ABIDefinition.backwardParams.fields.contains { $0.name == "dsinks" && $0.type == .floatPointer })
        #expect(!ABIDefinition.forwardParams.fields.contains { $0.name == "dsinks" })
        let model = try VariantModel(lowering: AttentionSpec(name: "v", headDim: 64).withSinks())
        #expect(model.describingMacros.contains { $0.key == "SINKS" && $0.value == "1" })
        let plain = try VariantModel(lowering: AttentionSpec(name: "v", headDim: 64))
        #expect(plain.describingMacros.contains { $0.key == "SINKS" && $0.value == "0" })
    }

    /// Each kernel gets the sink's pieces only when the variant has sinks (and is otherwise the kernel it was).
    @Test func kernelsJoinTheSinkOnlyWhenAsked() throws {
        func sources(_ spec: AttentionSpec, _ choice: TargetChoice?) throws -> [String: String] {
            let generator = try choice.map { try KernelGenerator(choice: $0) } ?? KernelGenerator(emitter: try CEmitter())
            return Dictionary(uniqueKeysWithValues: try generator.generate([spec]).map { ($0.path, $0.contents) })
        }
        let with = AttentionSpec(name: "s", headDim: 64).storage(.bf16).withSinks().withBackward()
        let without = AttentionSpec(name: "s", headDim: 64).storage(.bf16).withBackward()
        let c = try sources(with, nil), cPlain = try sources(without, nil)
        #expect(c["s.c"]?.contains("join_sink(params->sinks[h], &row_max[r], &row_sum[r])") == true)
        #expect(c["s_backward.c"]?.contains("params->dsinks[h] -= (float)total;") == true)
        #expect(c["s_variant.h"]?.contains("#define HAS_SINKS 1") == true)
        #expect(c["s.c"]?.contains("static inline float join_sink(float sink, float *m, float *l)") == true)
        #expect(cPlain["s.c"]?.contains("static inline float join_sink") == false)
        #expect(cPlain["s.c"]?.contains("ot_tile[i * LANES + r] *= sink_scale;") == false)
        #expect(cPlain["s_backward.c"]?.contains("dsinks") == false)
        let cuda = try sources(with, TargetChoice(device: .sm90, family: .mma))
        #expect(cuda["s.cu"]?.contains("attngen_join_sink(p.sinks[h], row_log2, sum)") == true)
        #expect(cuda["s_backward.cu"]?.contains("sink_gradient_kernel<false><<<") == true)
        let hopper = try sources(with, TargetChoice(device: .sm90, family: .hopper))
        #expect(hopper["s.cu"]?.contains("attngen_join_sink(p.sinks[h], row_log2, sum)") == true)
        let cudaPlain = try sources(without, TargetChoice(device: .sm90, family: .mma))
        #expect(cudaPlain["s.cu"]?.contains("attngen_join_sink(p.sinks") == false)
        #expect(cudaPlain["s_backward.cu"]?.contains("sink_gradient_kernel") == false)
    }
}
