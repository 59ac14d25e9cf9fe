import Foundation
import Testing
@testable import AttnGen

/// Predicate text nested or chained `count` times, in the compact form (a 50,000-deep one fits one argv string).
enum DeepPredicate: String, CaseIterable, Sendable {
    case parentheses, negations, unaryMinus, sumChain, functionCalls, conjunctionChain

    func text(_ count: Int) -> String {
        switch self {
        case .parentheses: String(repeating: "(", count: count) + "q" + String(repeating: ")", count: count) + ">=k"
        case .negations: String(repeating: "!", count: count) + "(q>=k)"
        case .unaryMinus: String(repeating: "-", count: count) + "q>=k"
        case .sumChain: Array(repeating: "q", count: count).joined(separator: "+") + ">=k"
        case .functionCalls: String(repeating: "abs(", count: count) + "q" + String(repeating: ")", count: count) + ">=k"
        case .conjunctionChain: Array(repeating: "q>=k", count: count).joined(separator: "&&")
        }
    }

    /// The largest `count` that stays within every limit: 256 levels of nesting, and 256 operators deep
    /// (the comparison at the top is one of them, and a chain of n terms has n - 1 operators).
    var largestAccepted: Int {
        switch self {
        case .parentheses: MaskExpressionParser.maximumNesting
        case .negations, .functionCalls, .unaryMinus: MaskPredicate.maximumDepth - 1
        case .sumChain, .conjunctionChain: MaskPredicate.maximumDepth
        }
    }
}

extension SpecTests {
    @Test(arguments: DeepPredicate.allCases, [1_000, 10_000, 50_000, 100_000])
    func deepPredicatesAreRefusedQuickly(kind: DeepPredicate, depth: Int) {
        let text = kind.text(depth)
        let start = ContinuousClock.now
        do {
            _ = try MaskExpressionParser.parse(text)
            Issue.record("\(kind) \(depth) parsed")
        } catch {
            #expect(error.field == "mask.predicate")
            #expect(error.message.contains("the limit is"), "\(error.message)")
            // The text is quoted, shortened.
            #expect(error.message.count < 400)
        }
        let elapsed = ContinuousClock.now - start
        // A few milliseconds: reading stops at the limit. The old parser overflowed the stack at 5,000 and
        // took 9 s at 2,000.
        #expect(elapsed < .milliseconds(250), "\(kind) \(depth) took \(elapsed)")
    }

    @Test(arguments: DeepPredicate.allCases)
    func predicatesJustWithinTheLimitsParse(kind: DeepPredicate) throws {
        let largest = kind.largestAccepted
        let parsed = try MaskExpressionParser.parse(kind.text(largest))
        #expect(parsed.measuredSize.depth <= MaskPredicate.maximumDepth)
        #expect(try MaskExpressionParser.parse(parsed.description) == parsed)
        try AttentionSpec(name: "deep", headDim: 64).masked(by: .predicate(parsed)).validate()
        #expect(throws: SpecError.self) { try MaskExpressionParser.parse(kind.text(largest + 1)) }
    }

    /// 63 groups of a 64-term sum compared with k, joined by &&: 4,094 operators yet only 126 deep.
    static func wideShallowPredicate(extraTerms: Int) -> String {
        let group = Array(repeating: "q", count: 64).joined(separator: " + ")
        var groups = Array(repeating: "(\(group) >= k)", count: 63)
        groups[62] = "(\(group)\(String(repeating: " + q", count: extraTerms)) >= k)"
        return groups.joined(separator: " && ")
    }

    @Test func operatorCountIsLimited() throws {
        let largest = try MaskExpressionParser.parse(Self.wideShallowPredicate(extraTerms: 2))
        #expect(largest.measuredSize.operators == MaskPredicate.maximumOperators)
        try AttentionSpec(name: "wide", headDim: 64).masked(by: .predicate(largest)).validate()
        do {
            _ = try MaskExpressionParser.parse(Self.wideShallowPredicate(extraTerms: 3))
            Issue.record("4,097 operators parsed")
        } catch {
            #expect(error.field == "mask.predicate")
            #expect(error.message.contains("more than 4096 operators"), "\(error.message)")
        }
    }

    @Test func groupsParseOnceWhateverTheyHold() throws {
        #expect(try MaskExpressionParser.parse("((q)) < ((k) + 1)") == .comparison(.less, .q, .k + 1))
        #expect(try MaskExpressionParser.parse("((q < k)) || !((k >= 0))") == .or(.comparison(.less, .q, .k),
                                                                               .not(.comparison(.greaterOrEqual, .k, 0))))
        #expect(try MaskExpressionParser.parse("min((q), max(k, 2)) == -(-3)")
                == .comparison(.equal, min(.q, max(.k, 2)), 3))
        for (text, message) in [("(q < k) + 1 > 0", "'+' needs an integer expression, not a predicate"),
                                ("-(q < k) > 0", "unary '-' needs an integer expression"),
                                ("abs(q < k) > 0", "abs() needs an integer expression"),
                                ("(q < k) == (k < q)", "'==' needs an integer expression"),
                                ("(q) || k < 1", "expected a comparison (==, !=, <, <=, >, >=) but found '||'"),
                                ("!(q + 1)", "expected a comparison"),
                                ("q", "expected a comparison (==, !=, <, <=, >, >=) but found end of expression")] {
            do {
                _ = try MaskExpressionParser.parse(text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.message.contains(message), "\(text): \(error.message)")
            }
        }
    }

    /// A predicate tree built in Swift, `depth` levels deep.
    static func deepTree(_ kind: DeepPredicate, depth: Int) -> MaskPredicate {
        var expression = IndexExpression.q
        var predicate = MaskPredicate.comparison(.greaterOrEqual, .q, .k)
        for _ in 0..<depth {
            switch kind {
            case .parentheses, .sumChain: expression = expression + .q
            case .unaryMinus: expression = -expression
            case .functionCalls: expression = abs(expression)
            case .negations: predicate = !predicate
            case .conjunctionChain: predicate = predicate && .comparison(.less, .q, .k)
            }
        }
        switch kind {
        case .negations, .conjunctionChain: return predicate
        default: return .comparison(.greaterOrEqual, expression, .k)
        }
    }

    // Trees much deeper than 10,000 cannot even be deallocated on a test thread: Swift releases an indirect
    // enum recursively. Validation only has to refuse them without recursing itself.
    @Test(arguments: DeepPredicate.allCases, [1_000, 10_000])
    func validationRefusesDeepTreesBuiltInSwift(kind: DeepPredicate, depth: Int) {
        let spec = AttentionSpec(name: "deep", headDim: 64).masked(by: .causal).masked(by: .predicate(Self.deepTree(kind, depth: depth)))
        let start = ContinuousClock.now
        do {
            try spec.validate()
            Issue.record("\(kind) \(depth) validated")
        } catch {
            #expect(error.field == "masks[1].predicate")
            #expect(error.message == "nests more than 256 operators deep (the limit is 256 levels)")
        }
        #expect(ContinuousClock.now - start < .milliseconds(250))
    }

    @Test func validationRefusesTooManyOperators() throws {
        // 64 comparisons of 64-term sums: 64 * 64 + 63 = 4,159 operators, 127 deep.
        var sum = IndexExpression.q
        for _ in 1..<64 { sum = sum + .q }
        var predicate = MaskPredicate.comparison(.less, sum, .k)
        for _ in 1..<64 { predicate = predicate && .comparison(.less, sum, .k) }
        #expect(predicate.measuredSize.depth == 127)
        do {
            try AttentionSpec(name: "wide", headDim: 64).masked(by: .predicate(predicate)).validate()
            Issue.record("4,159 operators validated")
        } catch {
            #expect(error.field == "masks[0].predicate")
            #expect(error.message == "has more than 4096 operators (the limit is 4096)")
        }
    }
}
