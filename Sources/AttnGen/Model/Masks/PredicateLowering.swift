/// Lowers a predicate mask for the backends, once:
///
/// - **No overflow.** Every subexpression's values, over the index ranges the ABI admits (`RuntimeLimits`), must
///   fit in a signed 64-bit integer, or the spec is refused naming the subexpression: C and CUDA would have
///   undefined behaviour there, and optimisers would make different masks of it.
/// - **No tautology.** Comparisons that C compilers flag as always true or false (`k <= k`, `q > 5 || q < 10`)
///   are folded to constants, and constants are folded out of `&&`, `||` and `!`, so that generated code stays
///   warning-free under `-Wall -Wextra` for every spec validation accepts. Folding never changes the mask.
enum PredicateLowering {
    /// The simplified predicate, or a `SpecError` on `field` naming the subexpression that can overflow.
    static func lower(_ predicate: MaskPredicate, field: String) throws(SpecError) -> MaskPredicate {
        do {
            try checkOverflow(predicate)
        } catch {
            throw SpecError(field: field,
                            message: "\"\(error.expression)\" can overflow 64-bit integers: over the index ranges "
                                + "the ABI admits (sizes up to \(RuntimeLimits.maximumSequenceLength)) it reaches "
                                + "\(error.bound)")
        }
        return simplified(predicate)
    }

    // MARK: overflow

    struct Overflow: Error {
        var expression: String
        var bound: String
    }

    static func checkOverflow(_ predicate: MaskPredicate) throws(Overflow) {
        switch predicate {
        case .comparison(_, let lhs, let rhs):
            _ = try range(of: lhs)
            _ = try range(of: rhs)
        case .and(let lhs, let rhs), .or(let lhs, let rhs):
            try checkOverflow(lhs)
            try checkOverflow(rhs)
        case .not(let operand):
            try checkOverflow(operand)
        case .constant:
            break
        }
    }

    /// The values `expression` takes over the run-time index ranges; throws where a subexpression leaves Int64.
    static func range(of expression: IndexExpression) throws(Overflow) -> ClosedRange<Int64> {
        let wide: (Int128, Int128)
        switch expression {
        case .variable(let variable):
            return RuntimeLimits.range(of: variable)
        case .constant(let value):
            return value...value
        case .arithmetic(let op, let lhs, let rhs):
            let (l, r) = (try range(of: lhs), try range(of: rhs))
            let (a, b, c, d) = (Int128(l.lowerBound), Int128(l.upperBound), Int128(r.lowerBound), Int128(r.upperBound))
            switch op {
            case .add: wide = (a + c, b + d)
            case .subtract: wide = (a - d, b - c)
            case .multiply:
                let corners = [a * c, a * d, b * c, b * d]
                wide = (corners.min()!, corners.max()!)
            case .floorDivide:
                // Validation admits only positive constant divisors.
                let divisor = Swift.max(c, 1)
                wide = (floorDivide(a, divisor), floorDivide(b, divisor))
            case .floorModulo:
                wide = (0, Swift.max(d, 1) - 1)
            }
        case .negated(let operand):
            let r = try range(of: operand)
            wide = (-Int128(r.upperBound), -Int128(r.lowerBound))
        case .absolute(let operand):
            let r = try range(of: operand)
            let (a, b) = (Int128(r.lowerBound), Int128(r.upperBound))
            wide = a >= 0 ? (a, b) : (b <= 0 ? (-b, -a) : (0, Swift.max(-a, b)))
        case .minimum(let lhs, let rhs):
            let (l, r) = (try range(of: lhs), try range(of: rhs))
            return Swift.min(l.lowerBound, r.lowerBound)...Swift.min(l.upperBound, r.upperBound)
        case .maximum(let lhs, let rhs):
            let (l, r) = (try range(of: lhs), try range(of: rhs))
            return Swift.max(l.lowerBound, r.lowerBound)...Swift.max(l.upperBound, r.upperBound)
        }
        let limits = (Int128(Int64.min), Int128(Int64.max))
        guard wide.0 >= limits.0, wide.1 <= limits.1 else {
            let outside = wide.1 > limits.1 ? wide.1 : wide.0
            throw Overflow(expression: expression.description, bound: "\(outside)")
        }
        return Int64(wide.0)...Int64(wide.1)
    }

    private static func floorDivide(_ a: Int128, _ b: Int128) -> Int128 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    // MARK: folding

    static func simplified(_ predicate: MaskPredicate) -> MaskPredicate {
        switch predicate {
        case .constant:
            return predicate
        case .comparison(let op, let lhs, let rhs):
            if lhs == rhs {
                return .constant([.equal, .lessOrEqual, .greaterOrEqual].contains(op))
            }
            if case .constant(let l) = lhs, case .constant(let r) = rhs {
                return .constant(compare(op, Int128(l), Int128(r)))
            }
            return predicate
        case .not(let operand):
            switch simplified(operand) {
            case .constant(let value): return .constant(!value)
            case .not(let inner): return inner
            case let other: return .not(other)
            }
        case .and(let lhs, let rhs):
            let (l, r) = (simplified(lhs), simplified(rhs))
            if l == .constant(false) || r == .constant(false) { return .constant(false) }
            if l == .constant(true) { return r }
            if r == .constant(true) { return l }
            if let folded = foldedPair(l, r, conjunction: true) { return .constant(folded) }
            return .and(l, r)
        case .or(let lhs, let rhs):
            let (l, r) = (simplified(lhs), simplified(rhs))
            if l == .constant(true) || r == .constant(true) { return .constant(true) }
            if l == .constant(false) { return r }
            if r == .constant(false) { return l }
            if let folded = foldedPair(l, r, conjunction: false) { return .constant(folded) }
            return .or(l, r)
        }
    }

    private static func compare(_ op: MaskPredicate.ComparisonOperator, _ l: Int128, _ r: Int128) -> Bool {
        switch op {
        case .equal: l == r
        case .notEqual: l != r
        case .less: l < r
        case .lessOrEqual: l <= r
        case .greater: l > r
        case .greaterOrEqual: l >= r
        }
    }

    /// `E op C` with the constant on the right (flipping the operator when it was on the left).
    private static func againstConstant(_ predicate: MaskPredicate) -> (IndexExpression, MaskPredicate.ComparisonOperator, Int64)? {
        guard case .comparison(let op, let lhs, let rhs) = predicate else { return nil }
        if case .constant(let value) = rhs { return (lhs, op, value) }
        if case .constant(let value) = lhs {
            let flipped: MaskPredicate.ComparisonOperator = switch op {
            case .less: .greater
            case .lessOrEqual: .greaterOrEqual
            case .greater: .less
            case .greaterOrEqual: .lessOrEqual
            case .equal, .notEqual: op
            }
            return (rhs, flipped, value)
        }
        return nil
    }

    /// Two comparisons of the same expression with constants whose conjunction (or disjunction) holds for every
    /// value or for none: the value it always has (clang's -Wtautological-overlap-compare flags them).
    private static func foldedPair(_ l: MaskPredicate, _ r: MaskPredicate, conjunction: Bool) -> Bool? {
        guard let (e1, op1, c1) = againstConstant(l), let (e2, op2, c2) = againstConstant(r), e1 == e2 else { return nil }
        // Test the values where either comparison can change: each constant and its neighbours, and the ends.
        var probes: Set<Int128> = [Int128(Int64.min), Int128(Int64.max)]
        for c in [Int128(c1), Int128(c2)] {
            for v in [c - 1, c, c + 1] where v >= Int128(Int64.min) && v <= Int128(Int64.max) { probes.insert(v) }
        }
        let outcomes = Set(probes.map { v in
            conjunction ? compare(op1, v, Int128(c1)) && compare(op2, v, Int128(c2))
                        : compare(op1, v, Int128(c1)) || compare(op2, v, Int128(c2))
        })
        return outcomes.count == 1 ? outcomes.first : nil
    }
}
