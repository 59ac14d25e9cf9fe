import Foundation
import Testing
@testable import AttnGen

extension SpecFileTests {
    /// `{"variants": [{"name": "v", "headDim": 64, <members>}]}`.
    static func variant(_ members: String) -> String {
        #"{"variants": [{"name": "v", "headDim": 64, "# + members + "}]}"
    }

    @Test(arguments: [
        (#"{"variants": [{"name": "v", "headDim": 64.5}]}"#, "headDim", "expected an integer, got 64.5"),
        (variant(#""valueHeadDim": 32.25"#), "valueHeadDim", "expected an integer, got 32.25"),
        (variant(#""heads": {"query": 8.5, "keyValue": 8}"#), "heads.query", "expected an integer, got 8.5"),
        (variant(#""masks": [{"causal": "top-left"}, {"window": {"left": 1.5}}]"#), "masks[1].window.left",
         "expected an integer, got 1.5"),
        (variant(#""masks": [{"blockSparse": {"blockRows": 64, "blockColumns": 6.4e1}}, {"blockSparse": {"blockRows": 1e-1, "blockColumns": 1}}]"#),
         "masks[1].blockSparse.blockRows", "expected an integer, got 0.1"),
        (#"{"variants": [{"name": "v", "headDim": 1e30}]}"#, "headDim",
         "out of range: expected an integer in -9223372036854775808...9223372036854775807, got 1e+30"),
        (#"{"variants": [{"name": "v", "headDim": 9223372036854775808}]}"#, "headDim",
         "out of range: expected an integer in -9223372036854775808...9223372036854775807, got 9.223372036854776e+18"),
    ])
    func numbersThatAreNotIntegersNameTheFieldAndTheNumber(json: String, field: String, message: String) throws {
        let error = try #require(refusal(json))
        #expect(error.variantIndex == 0)
        #expect(error.variantName == "v")
        #expect(error.field == field)
        #expect(error.message == message)
        #expect(error.description == "variants[0] \"v\", field \(field): \(message)")
    }

    @Test func integralNumbersAreIntegers() throws {
        let spec = try #require(try decode(#"{"variants": [{"name": "v", "headDim": 64.0, "valueHeadDim": 3.2e1}]}"#)
            .validatedSpecs().first)
        #expect(spec.headDim == 64)
        #expect(spec.valueHeadDim == 32)
    }

    @Test(arguments: [
        (#"{"variants": [{"name": "v", "headDim": 1e400}]}"#, "headDim", "the number 1e400 is out of range", 40),
        (variant(#""scale": 1e400"#), "scale", "the number 1e400 is out of range", 53),
        (variant(#""dropout": -2E+999"#), "dropout", "the number -2E+999 is out of range", 55),
        (variant(#""scale": 1e-400"#), "scale", "the number 1e-400 is out of range", 53),
    ])
    func numbersNoDoubleHoldsAreOutOfRange(json: String, field: String, message: String, column: Int) throws {
        let error = try #require(refusal(json))
        #expect(error.variantIndex == 0)
        #expect(error.field == field)
        #expect(error.message.hasPrefix(message), "\(error.message)")
        #expect(error.message.hasSuffix("(line 1, column \(column))"), "\(error.message)")
    }

    @Test(arguments: [
        // A value is missing: the place is variants[0], field headDim, on line 3.
        ("{\n  \"variants\": [\n    {\"name\": \"v\", \"headDim\": }\n  ]\n}", 0, "headDim",
         "expected a value (an object, array, string, number, true, false or null) but found '}' (line 3, column 30)"),
        (#"{"variants": [{"name": "v", "headDim": 64,}]}"#, 0, "",
         "expected a key (a string in double quotes) but found '}' (line 1, column 43)"),
        // The missing value is element [1] of variants.
        (#"{"variants": [{"name": "v", "headDim": 64},]}"#, 1, "",
         "expected a value (an object, array, string, number, true, false or null) but found ']' (line 1, column 44)"),
        (#"{"variants": [{"name": "v" "headDim": 64}]}"#, 0, "", "expected ',' or '}' but found '\"' (line 1, column 28)"),
        (#"{"variants": [{"name": "v", "headDim" 64}]}"#, 0, "headDim", "expected ':' after the key but found '6' (line 1, column 39)"),
        (#"{"variants": [{"name": "v", "headDim": 64, "lse": True}]}"#, 0, "lse",
         "expected a value (an object, array, string, number, true, false or null) but found 'T' (line 1, column 51)"),
        (#"{"variants": [{"name": "v", "headDim": 064}]}"#, 0, "headDim",
         "the number 064 starts with 0 (JSON numbers have no leading zeros) (line 1, column 40)"),
        (#"{"variants": [{"name": "v", "headDim": 64}]} x"#, nil, "", "unexpected 'x' after the end of the JSON value (line 1, column 46)"),
        (#"{"variants": [{"name": "v", "headDim": 64}]"#, nil, "", "expected ',' or '}' but found end of file (line 1, column 44)"),
        (#"{"variants": [{"name": "v"#, 0, "name", "the string that starts here is not closed (line 1, column 24)"),
        ("{\"variants\": [{\"name\": \"a\tb\", \"headDim\": 64}]}", 0, "name",
         "a control character (line break, tab, ...) inside a string; write it as an escape (\\n, \\t, ...) (line 1, column 26)"),
        (#"{"variants": [{"name": "a\qb", "headDim": 64}]}"#, 0, "name",
         #"invalid escape in a string (allowed: \" \\ \/ \b \f \n \r \t \uXXXX) (line 1, column 26)"#),
        // Columns count characters, not bytes.
        ("{\"variants\": [{\"name\": \"é€😀\", \"headDim\": -}]}", 0, "headDim", "expected a digit after '-' but found '}' (line 1, column 43)"),
        ("", nil, "", "expected a value but found end of file (line 1, column 1)"),
        ("\n\n   ", nil, "", "expected a value but found end of file (line 3, column 4)"),
    ])
    func syntaxErrorsGiveTheLineAndColumn(json: String, variantIndex: Int?, field: String, message: String) throws {
        let error = try #require(refusal(json))
        #expect(error.variantIndex == variantIndex)
        #expect(error.variantName == nil)
        #expect(error.field == field)
        #expect(error.message == message)
    }

    @Test func bytesThatAreNotUTF8AreRefusedWithTheirPlace() throws {
        var bytes = Array(#"{"variants": [{"name": "v"#.utf8)
        bytes += [0xFF]
        bytes += Array(#"", "headDim": 64}]}"#.utf8)
        do {
            _ = try SpecFile.decode(Data(bytes))
            Issue.record("accepted")
        } catch {
            #expect(error.message == "the file is not UTF-8 text (line 1, column 26)")
        }
    }

    @Test(arguments: [
        (#"{"variants": [], "variants": []}"#, "duplicate key \"variants\" (line 1, column 18)"),
        (#"{"variants": [{"name": "a", "headDim": 64, "headDim": 32}]}"#,
         "variants[0]: duplicate key \"headDim\" (line 1, column 44)"),
        (#"{"variants": [{"name": "a", "headDim": 64}, {"name": "b", "headDim": 64, "heads": {"query": 8, "keyValue": 8, "query": 4}}]}"#,
         "variants[1], field heads: duplicate key \"query\" (line 1, column 111)"),
        (#"{"variants": [{"name": "a", "headDim": 64, "masks": [{"causal": "top-left"}, {"window": {"left": 1, "left": 2}}]}]}"#,
         "variants[0], field masks[1].window: duplicate key \"left\" (line 1, column 101)"),
        // The same key written with an escape.
        (#"{"variants": [{"name": "a", "headDim": 64, "head\u0044im": 32}]}"#,
         "variants[0]: duplicate key \"headDim\" (line 1, column 44)"),
    ])
    func duplicateKeysAreRefusedWithTheirPlace(json: String, description: String) throws {
        let error = try #require(refusal(json))
        #expect(error.description == description)
    }

    @Test func deepNestingIsRefusedWithoutRecursion() throws {
        let start = ContinuousClock.now
        for json in [String(repeating: "[", count: 100_000),
                     String(repeating: #"{"a": "#, count: 100_000) + "1" + String(repeating: "}", count: 100_000),
                     #"{"variants": [{"name": "v", "headDim": 64, "heads": "# + String(repeating: "[", count: 100_000)] {
            let error = try #require(refusal(json))
            #expect(error.message.hasPrefix("objects and arrays nest deeper than 64 levels (the limit is 64)"), "\(error.message)")
        }
        #expect(ContinuousClock.now - start < .seconds(1))
        let inVariant = try #require(refusal(#"{"variants": [{"name": "v", "headDim": 64, "heads": "# + String(repeating: "[", count: 70)))
        #expect(inVariant.variantIndex == 0)
        #expect(inVariant.field == "heads[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]")
        // 64 levels pass the check.
        try SpecFileJSONCheck.check(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8))
        #expect(throws: SpecFileError.self) {
            try SpecFileJSONCheck.check(Array((String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).utf8))
        }
    }
}
