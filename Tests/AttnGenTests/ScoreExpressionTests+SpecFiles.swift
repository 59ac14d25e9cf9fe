import Foundation
import Testing
@testable import AttnGen

/// Score modifiers in validation, spec files and command-line flags.
extension ScoreExpressionTests {
    /// The refusal of `spec`'s validation.
    func validationError(_ spec: AttentionSpec) -> SpecError? {
        do {
            try spec.validate()
            return nil
        } catch {
            return error
        }
    }

    @Test func validationRefusesBadValuesNamingTheModifier() throws {
        try spec(.alibi, .alibi(slopes: .runtime, alignment: .bottomRight), .softcap(30),
                 .expression(try parse("s - 0.5 * abs(q - k) + w[h] / 1e-30"))).validate()
        for cap in [0, -1, Double.infinity, .nan, 1e-40, 1e39] {
            let error = try #require(validationError(spec(.alibi, .softcap(cap))), "cap \(cap)")
            #expect(error.field == "scoreModifiers[1].softcap")
            #expect(error.message.contains("finite number above 0"), "\(error.message)")
        }
        let cases: [(ScoreExpression, String)] = [
            (.binary(.add, .score, .constant(1e39)), "the constant 1e+39 is not finite in fp32"),
            (.binary(.add, .score, .constant(.infinity)), "the constant inf is not finite in fp32"),
            (try parse("s / (q - q) + s / 0"), "divides by the constant 0, in 's / (q - q) + s / 0'"),
            (.parameter(String(repeating: "a", count: 65)), "a C identifier of 1...64 characters"),
            (.parameter("9lives"), "a C identifier"),
            (.parameter("alibi_slope"), "'alibi_slope' is reserved"),
            (.parameter("q"), "'q' is reserved"),
            ((0..<65).reduce(ScoreExpression.score) { e, _ in .unary(.negate, e) }, "nests more than 64 operators deep"),
        ]
        for (expression, message) in cases {
            let error = try #require(validationError(spec(.softcap(2), .expression(expression))))
            #expect(error.field == "scoreModifiers[1].expression")
            #expect(error.message.contains(message), "\(error.message)")
        }
        try spec(.expression(.parameter(String(repeating: "a", count: 64)))).validate()
    }

    @Test func aSpecReadsAtMostEightParameterArrays() throws {
        let eight = try parse((0..<7).map { "p\($0)[h]" }.joined(separator: " + ") + " + s")
        try spec(.expression(eight), .alibi(slopes: .runtime, alignment: .topLeft), .expression(eight)).validate()
        let error = try #require(validationError(spec(.expression(eight), .alibi(slopes: .runtime, alignment: .topLeft),
                                                      .expression(try parse("s * extra[h]")))))
        #expect(error.field == "scoreModifiers[2]")
        #expect(error.message.contains("more than 8 parameter arrays"), "\(error.message)")
    }

    @Test func compositionsAreBounded() throws {
        let cube = ScoreModifier.expression(try parse("s * s * s"))
        try AttentionSpec(name: "cubes", headDim: 64).modified(by: cube).modified(by: cube).modified(by: cube).validate()
        let start = ContinuousClock.now
        let many = (0..<40).reduce(AttentionSpec(name: "cubes", headDim: 64)) { spec, _ in spec.modified(by: cube) }
        let error = try #require(validationError(many))
        #expect(error.field == "scoreModifiers")
        #expect(error.message.contains("the composition of score modifiers 0...6 has more than 1024 operators"), "\(error.message)")
        #expect(ContinuousClock.now - start < .milliseconds(500))
    }

    func decodeSpecs(_ modifiers: String) throws(SpecFileError) -> [AttentionSpec] {
        let json = #"{"variants": [{"name": "v", "headDim": 64, "scoreModifiers": "# + modifiers + "}]}"
        return try SpecFile.decode(Data(json.utf8)).validatedSpecs()
    }

    @Test func specFilesReadAndWriteModifiers() throws {
        let specs = try decodeSpecs(#"""
            [{"alibi": {}}, {"alibi": {"slopes": "runtime", "alignment": "bottom-right"}}, {"softcap": 30},
             {"expression": "((s)) - 0.5*abs(q-k)"}]
            """#)
        let expected = AttentionSpec(name: "v", headDim: 64).modified(by: .alibi)
            .modified(by: .alibi(slopes: .runtime, alignment: .bottomRight)).modified(by: .softcap(30))
            .modified(by: .expression(try parse("s - 0.5 * abs(q - k)")))
        #expect(specs == [expected])
        let file = SpecFile(specs: specs)
        let text = String(decoding: try file.encoded(), as: UTF8.self)
        #expect(text.contains(#""expression" : "s - 0.5 * abs(q - k)""#), "\(text)")
        #expect(text.contains(#""slopes" : "standard""#))
        #expect(try SpecFile.decode(file.encoded()) == file)
        #expect(try decodeSpecs("[]") == [AttentionSpec(name: "v", headDim: 64)])
    }

    @Test func specFilesRefuseBadModifiersWithTheirField() {
        let cases: [(json: String, field: String, message: String)] = [
            (#"[{"softcap": 30, "alibi": {}}]"#, "scoreModifiers[0]", "exactly one key of alibi, softcap, expression"),
            (#"[{}]"#, "scoreModifiers[0]", "exactly one key"),
            (#"[{"bias": 1}]"#, "scoreModifiers[0].bias", "unknown key \"bias\""),
            (#"[{"alibi": {"slope": "standard"}}]"#, "scoreModifiers[0].alibi.slope", "unknown key \"slope\""),
            (#"[{"alibi": {"slopes": "fixed"}}]"#, "scoreModifiers[0].alibi.slopes", "expected one of \"standard\", \"runtime\""),
            (#"[{"alibi": {"alignment": "diagonal"}}]"#, "scoreModifiers[0].alibi.alignment", "\"top-left\""),
            (#"[{"alibi": true}]"#, "scoreModifiers[0].alibi", "expected a value"),
            (#"[{"softcap": "30"}]"#, "scoreModifiers[0].softcap", "expected a number"),
            (#"[{"softcap": 30}, {"softcap": 0}]"#, "scoreModifiers[1].softcap", "finite number above 0"),
            (#"[{"expression": "s + x"}]"#, "scoreModifiers[0].expression", "at character 5: unknown name 'x'"),
            (#"[{"expression": "s / 0"}]"#, "scoreModifiers[0].expression", "divides by the constant 0"),
            (#"{"softcap": 30}"#, "scoreModifiers", "expected a value"),
        ]
        for (json, field, message) in cases {
            do {
                let specs = try decodeSpecs(json)
                Issue.record("\(json) gave \(specs)")
            } catch {
                #expect(error.field == field, "\(json): \(error)")
                #expect(error.message.contains(message), "\(json): \(error)")
            }
        }
    }

    func flagSpec(_ arguments: [String]) throws -> AttentionSpec {
        guard case .plan(let plan) = try CommandLineParser.parse(["plan", "--head-dim", "64"] + arguments),
              case .flags(let flags) = plan.source else { throw CLITestFailure("not a plan") }
        return try flags.spec()
    }

    @Test func flagsGiveTheModifiersInOrder() throws {
        let spec = try flagSpec(["--alibi", "--softcap", "30", "--score-mod", "s - 0.5 * abs(q - k)", "--alibi-runtime",
                                 "--alibi-align", "bottom-right", "--causal", "--softcap=2.5"])
        #expect(spec.scoreModifiers == [.alibi(slopes: .standard, alignment: .bottomRight), .softcap(30),
                                        .expression(try parse("s - 0.5 * abs(q - k)")),
                                        .alibi(slopes: .runtime, alignment: .bottomRight), .softcap(2.5)])
        #expect(spec.masks == [.causal])
        #expect(try flagSpec(["--alibi"]).scoreModifiers == [.alibi])
        #expect(try flagSpec(["--score-mod=--s"]).scoreModifiers == [.expression(.unary(.negate, .unary(.negate, .score)))])
        for text in ["--alibi", "--alibi-runtime", "--alibi-align", "--softcap", "--score-mod"] {
            #expect(HelpText.text(for: .emitC).contains(text) && HelpText.text(for: .plan).contains(text), "\(text)")
        }
    }

    @Test func badFlagValuesAreUsageErrors() {
        let cases: [([String], String)] = [
            (["--alibi", "--alibi-align", "diagonal"], "--alibi-align takes top-left or bottom-right, got \"diagonal\""),
            (["--alibi-align", "top-left"], "--alibi-align sets the alignment of --alibi and --alibi-runtime"),
            (["--alibi", "--alibi-align", "top-left", "--alibi-align", "top-left"], "--alibi-align is given twice"),
            (["--softcap", "abc"], "--softcap needs a finite number, got \"abc\""),
            (["--softcap"], "--softcap needs a value"),
            (["--score-mod", "s + x"], "--score-mod: at character 5: unknown name 'x'"),
            (["--score-mod", "--s"], "write --score-mod='...' for a value that starts with --"),
            (["--alibi=yes"], "--alibi takes no value, got \"yes\""),
        ]
        for (arguments, message) in cases {
            do {
                let spec = try flagSpec(arguments)
                Issue.record("\(arguments) gave \(spec)")
            } catch let error as CommandLineError {
                #expect(error.kind == .usage, "\(arguments): \(error)")
                #expect(error.message.contains(message), "\(arguments): \(error.message)")
            } catch {
                Issue.record("\(arguments): \(error)")
            }
        }
    }

    @Test func invalidModifierValuesExitOne() throws {
        let result = try AttngenTool.run(["plan", "--head-dim", "64", "--alibi", "--softcap", "0"])
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains("invalid spec: scoreModifiers[1].softcap: the cap must be"), "\(result.standardError)")
    }
}
