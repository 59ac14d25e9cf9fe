import Testing
@testable import AttnGen

@Suite struct SpecTests {
    @Test func dslBuildsPredicateTree() throws {
        let spec = AttentionSpec(name: "v", headDim: 64)
            .heads(query: 8, keyValue: 2)
            .masked(by: .predicate { q, k in q >= k && q - k < 256 })
        try spec.validate()
        guard case .predicate(let predicate) = spec.masks[0] else { Issue.record("no predicate"); return }
        #expect(predicate.description == "(q >= k && (q - k) < 256)")
        #expect(predicate.evaluate { $0 == .query ? 300 : 10 } == false)
        #expect(predicate.evaluate { $0 == .query ? 30 : 10 } == true)
    }

    @Test func parserRoundTripsAndRejectsUnknownVariables() throws {
        let parsed = try MaskExpressionParser.parse("q >= k && q - k < 256")
        #expect(parsed == .and(.comparison(.greaterOrEqual, .q, .k), .comparison(.less, .q - .k, 256)))
        #expect(try MaskExpressionParser.parse(parsed.description) == parsed)
        #expect(try MaskExpressionParser.parse("(q / 64) == (k / 64) || !(k < 16)").variables == [.query, .key])
        #expect(throws: SpecError.self) { try MaskExpressionParser.parse("q >= x") }
        do {
            _ = try MaskExpressionParser.parse("q >= x")
        } catch {
            #expect(error.field == "mask.predicate")
            #expect(error.message.contains("unknown variable 'x'"))
        }
    }

    @Test(arguments: [
        (AttentionSpec(name: "a", headDim: 0), "headDim"),
        (AttentionSpec(name: "a", headDim: 257), "headDim"),
        (AttentionSpec(name: "a", headDim: 64).valueHeadDim(300), "valueHeadDim"),
        (AttentionSpec(name: "a", headDim: 64).heads(query: 6, keyValue: 4), "heads.query"),
        (AttentionSpec(name: "a", headDim: 64).dropout(1.0), "dropout.probability"),
        (AttentionSpec(name: "a", headDim: 64).dropout(-0.1), "dropout.probability"),
        (AttentionSpec(name: "1a", headDim: 64), "name"),
        (AttentionSpec(name: "a", headDim: 64).masked(by: .predicate { q, k in q / k == 0 }), "masks[0].predicate"),
        (AttentionSpec(name: "a", headDim: 64).masked(by: .slidingWindow(left: -1, right: 0)), "masks[0].window.left"),
    ])
    func validationNamesTheField(spec: AttentionSpec, field: String) {
        do {
            try spec.validate()
            Issue.record("expected \(field) to be rejected")
        } catch {
            #expect(error.field == field)
        }
    }

    @Test func floorDivisionMatchesDefinition() {
        let expression: IndexExpression = (.q - .k) / 4
        #expect(expression.evaluate { $0 == .query ? 0 : 5 } == -2)
        let modulo: IndexExpression = (.q - .k) % 4
        #expect(modulo.evaluate { $0 == .query ? 0 : 5 } == 3)
    }
}
