import Foundation
import Testing
@testable import AttnGen

@Suite struct SpecFileTests {
    func decode(_ json: String) throws(SpecFileError) -> SpecFile {
        try SpecFile.decode(Data(json.utf8))
    }

    /// Decodes, expecting a refusal, and returns it.
    func refusal(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> SpecFileError? {
        do {
            let file = try decode(json)
            _ = try file.validatedSpecs()
            Issue.record("expected a refusal of \(json)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test func fullVariantBecomesTheSpec() throws {
        let json = """
            {"variants": [{"name": "gqa_window", "headDim": 128, "valueHeadDim": 64,
              "heads": {"query": 32, "keyValue": 8}, "dtype": "bf16", "scale": 0.125,
              "masks": [{"causal": "bottom-right"},
                        {"window": {"left": 256, "right": 0, "alignment": "bottom-right"}},
                        {"blockSparse": {"blockRows": 64, "blockColumns": 32}},
                        {"predicate": "q >= k && q - k < 256"}],
              "dropout": 0.1, "lse": true}]}
            """
        let specs = try decode(json).validatedSpecs()
        let expected = AttentionSpec(name: "gqa_window", headDim: 128)
            .valueHeadDim(64)
            .heads(query: 32, keyValue: 8)
            .storage(.bf16)
            .scale(0.125)
            .masked(by: .causal(.bottomRight))
            .masked(by: .slidingWindow(left: 256, right: 0, alignment: .bottomRight))
            .masked(by: .blockSparse(blockRows: 64, blockColumns: 32))
            .masked(by: .predicate { q, k in q >= k && q - k < 256 })
            .dropout(0.1)
            .savingLogSumExp()
        #expect(specs == [expected])
    }

    @Test func minimalVariantTakesTheDefaults() throws {
        let specs = try decode(#"{"variants": [{"name": "v", "headDim": 64}]}"#).validatedSpecs()
        #expect(specs == [AttentionSpec(name: "v", headDim: 64)])
        #expect(specs[0].heads == .runtime)
        #expect(specs[0].storage == .fp16)
    }

    @Test func windowSidesMayBeUnbounded() throws {
        let json = #"{"variants": [{"name": "v", "headDim": 64, "masks": [{"window": {"left": null, "right": 4}}, {"window": {"left": 8}}]}]}"#
        let spec = try #require(try decode(json).validatedSpecs().first)
        #expect(spec.masks == [.slidingWindow(left: nil, right: 4, alignment: .topLeft),
                               .slidingWindow(left: 8, right: nil, alignment: .topLeft)])
    }

    @Test func backwardImpliesTheLogSumExp() throws {
        let json = #"{"variants": [{"name": "v", "headDim": 64, "backward": true}]}"#
        let spec = try #require(try decode(json).validatedSpecs().first)
        #expect(spec.includesBackward)
        #expect(spec.savesLogSumExp)
    }

    @Test func unknownKeysAreRefusedWithTheirPlace() throws {
        let top = try #require(refusal(#"{"variants": [], "extra": 1}"#))
        #expect(top.message.contains("unknown key \"extra\""))

        let inVariant = try #require(refusal(#"{"variants": [{"name": "a", "headDim": 64}, {"name": "b", "headDim": 64, "headdim": 3}]}"#))
        #expect(inVariant.variantIndex == 1)
        #expect(inVariant.variantName == "b")
        #expect(inVariant.field == "headdim")
        #expect(inVariant.description.contains("variants[1] \"b\""))
        #expect(inVariant.description.contains("unknown key \"headdim\""))

        let inWindow = try #require(refusal(#"{"variants": [{"name": "w", "headDim": 64, "masks": [{"causal": "top-left"}, {"window": {"left": 1, "size": 2}}]}]}"#))
        #expect(inWindow.variantName == "w")
        #expect(inWindow.field == "masks[1].window.size")
    }

    @Test func wrongTypesNameTheField() throws {
        let error = try #require(refusal(#"{"variants": [{"name": "v", "headDim": "64"}]}"#))
        #expect(error.variantIndex == 0)
        #expect(error.variantName == "v")
        #expect(error.field == "headDim")
        #expect(error.message == "expected an integer")

        let dtype = try #require(refusal(#"{"variants": [{"name": "v", "headDim": 64, "dtype": "fp8"}]}"#))
        #expect(dtype.field == "dtype")
        #expect(dtype.message.contains("\"bf16\""))

        let heads = try #require(refusal(#"{"variants": [{"name": "v", "headDim": 64, "heads": {"query": 8}}]}"#))
        #expect(heads.field == "heads.keyValue")
        #expect(heads.message == "is required")

        let missingName = try #require(refusal(#"{"variants": [{"headDim": 64}]}"#))
        #expect(missingName.variantIndex == 0)
        #expect(missingName.variantName == nil)
        #expect(missingName.field == "name")
    }

    @Test func maskObjectsHoldExactlyOneKey() throws {
        let two = try #require(refusal(#"{"variants": [{"name": "v", "headDim": 64, "masks": [{"causal": "top-left", "predicate": "q >= k"}]}]}"#))
        #expect(two.field == "masks[0]")
        #expect(two.message.contains("exactly one key"))
        let none = try #require(refusal(#"{"variants": [{"name": "v", "headDim": 64, "masks": [{}]}]}"#))
        #expect(none.field == "masks[0]")
        let alignment = try #require(refusal(#"{"variants": [{"name": "v", "headDim": 64, "masks": [{"causal": "diagonal"}]}]}"#))
        #expect(alignment.field == "masks[0].causal")
        #expect(alignment.message.contains("\"top-left\""))
    }

    @Test func badPredicatesAndInvalidValuesNameTheVariant() throws {
        let predicate = try #require(refusal(#"{"variants": [{"name": "p", "headDim": 64, "masks": [{"predicate": "q >= x"}]}]}"#))
        #expect(predicate.variantName == "p")
        #expect(predicate.field == "masks[0].predicate")
        #expect(predicate.message.contains("unknown variable 'x'"))

        let dropout = try #require(refusal(#"{"variants": [{"name": "ok", "headDim": 64}, {"name": "d", "headDim": 64, "dropout": 1.5}]}"#))
        #expect(dropout.variantIndex == 1)
        #expect(dropout.field == "dropout.probability")

        let window = try #require(refusal(#"{"variants": [{"name": "w", "headDim": 64, "masks": [{"window": {"left": -1, "right": 0}}]}]}"#))
        #expect(window.field == "masks[0].window.left")
    }

    @Test func malformedJSONIsRefused() throws {
        let error = try #require(refusal(#"{"variants": [{"name": "v", "headDim": 64}"#))
        #expect(error.variantIndex == nil)
        #expect(!error.message.isEmpty)
    }

    @Test func catalogueRoundTripsThroughJSON() throws {
        let file = SpecFile(specs: DefaultCatalogue.variants)
        let data = try file.encoded()
        let decoded = try SpecFile.decode(data)
        #expect(decoded == file)
        #expect(try decoded.validatedSpecs() == DefaultCatalogue.variants)
    }
}
