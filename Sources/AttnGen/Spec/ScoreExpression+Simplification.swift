import Foundation

// A small algebraic simplifier, for the derivative (ScoreExpression+Derivative.swift) above all: the product and
// chain rules leave terms like `0 * abs(q - k)` and `1 * x` that these rules remove, so that the derivative of
// ALiBi is the constant 1 and that of a soft cap `sech2(s / c)` (1 / cosh²).
//
// The rules assume the operands finite, as a score modifier must be at every kept element (README.md, "Score
// modifiers"): `x * 0` and `0 / x` become 0 although an infinite or NaN x would give NaN. Constant operations are
// folded in float64 (the kernels would round each step to fp32) and only when the result is finite in fp32;
// division by a constant 0 and functions outside their domain (`log(-1)`) are left as they are.

extension ScoreExpression {
    /// The expression with the rules above applied bottom-up: constant operations folded; `x + 0`, `0 + x`,
    /// `x - 0`, `x * 1`, `1 * x`, `x / 1` → x; `0 - x` → -x; `x * 0`, `0 * x`, `0 / x` → 0; `-(-x)` → x;
    /// `x + -y` → x - y, `x - -y` → x + y; constant factors gathered on the left (`c1 * (x * c2)` → `c * x`);
    /// `min(x, x)`, `max(x, x)` → x; `where` with equal branches, or a condition of constants, → the branch taken.
    public func simplified() -> ScoreExpression {
        switch self {
        case .score, .variable, .constant, .parameter, .standardAlibiSlope: self
        case .unary(let function, let operand): .applying(function, operand.simplified())
        case .binary(let op, let lhs, let rhs): .applying(op, lhs.simplified(), rhs.simplified())
        case .select(let condition, let lhs, let rhs):
            .choosing(condition.simplified(), lhs.simplified(), rhs.simplified())
        }
    }

    /// The constant's value, if the expression is one.
    var constantValue: Double? {
        if case .constant(let value) = self { return value }
        return nil
    }

    var isZero: Bool { constantValue == 0 }
    var isOne: Bool { constantValue == 1 }

    /// `value` as a constant, when it is finite in fp32 (so that the kernels' literal is too).
    static func folded(_ value: Double) -> ScoreExpression? {
        value.isFinite && Float(value).isFinite ? .constant(value) : nil
    }

    /// `function(operand)`, simplified at the root (the operand is taken as simplified already).
    static func applying(_ function: ScoreFunction, _ operand: ScoreExpression) -> ScoreExpression {
        if let value = operand.constantValue {
            let result: Double
            switch function {
            case .negate: result = -value
            case .exp: result = Foundation.exp(value)
            case .log: result = Foundation.log(value)
            case .tanh, .tanhApprox: result = Foundation.tanh(value)
            case .abs: result = Swift.abs(value)
            case .sechSquared: result = Self.sechSquared(value)
            }
            if let folded = folded(result) { return folded }
        }
        switch (function, operand) {
        case (.negate, .unary(.negate, let inner)): return inner
        case (.negate, .binary(.subtract, let lhs, let rhs)) where lhs.isZero: return rhs
        case (.abs, .unary(.abs, _)): return operand
        case (.abs, .unary(.negate, let inner)): return applying(.abs, inner)
        default: return .unary(function, operand)
        }
    }

    /// `lhs op rhs`, simplified at the root (the operands are taken as simplified already).
    static func applying(_ op: ScoreOperator, _ lhs: ScoreExpression, _ rhs: ScoreExpression) -> ScoreExpression {
        if let x = lhs.constantValue, let y = rhs.constantValue, !(op == .divide && y == 0) {
            let result: Double
            switch op {
            case .add: result = x + y
            case .subtract: result = x - y
            case .multiply: result = x * y
            case .divide: result = x / y
            case .minimum: result = Swift.min(x, y)
            case .maximum: result = Swift.max(x, y)
            }
            if let folded = folded(result) { return folded }
        }
        switch op {
        case .add:
            if lhs.isZero { return rhs }
            if rhs.isZero { return lhs }
            if case .unary(.negate, let negated) = rhs { return applying(.subtract, lhs, negated) }
            if case .unary(.negate, let negated) = lhs { return applying(.subtract, rhs, negated) }
        case .subtract:
            if rhs.isZero { return lhs }
            if lhs.isZero { return applying(.negate, rhs) }
            if case .unary(.negate, let negated) = rhs { return applying(.add, lhs, negated) }
        case .multiply:
            if lhs.isZero || rhs.isZero { return .constant(0) }
            if lhs.isOne { return rhs }
            if rhs.isOne { return lhs }
            if lhs.constantValue == -1 { return applying(.negate, rhs) }
            if rhs.constantValue == -1 { return applying(.negate, lhs) }
            // Constant factors on the left, gathered: c1 * (c2 * x) → (c1 c2) * x.
            if rhs.constantValue != nil && lhs.constantValue == nil { return applying(.multiply, rhs, lhs) }
            if let c1 = lhs.constantValue, case .binary(.multiply, let inner, let x) = rhs, let c2 = inner.constantValue,
               let product = folded(c1 * c2) {
                return applying(.multiply, product, x)
            }
        case .divide:
            if rhs.isOne { return lhs }
            if lhs.isZero && !rhs.isZero { return .constant(0) }
        case .minimum, .maximum:
            if lhs == rhs { return lhs }
        }
        return .binary(op, lhs, rhs)
    }

    /// `where(condition, lhs, rhs)`, simplified at the root.
    static func choosing(_ condition: ScoreCondition, _ lhs: ScoreExpression, _ rhs: ScoreExpression) -> ScoreExpression {
        if lhs == rhs { return lhs }
        if let value = condition.constantValue { return value ? lhs : rhs }
        return .select(condition, lhs, rhs)
    }
}

extension ScoreCondition {
    /// The condition with its expressions simplified.
    public func simplified() -> ScoreCondition {
        switch self {
        case .comparison(let op, let lhs, let rhs): .comparison(op, lhs.simplified(), rhs.simplified())
        case .and(let lhs, let rhs): .and(lhs.simplified(), rhs.simplified())
        case .or(let lhs, let rhs): .or(lhs.simplified(), rhs.simplified())
        case .not(let operand): .not(operand.simplified())
        }
    }

    /// The condition's value when it compares constants only (or is decided by such a part), else nil.
    var constantValue: Bool? {
        switch self {
        case .comparison(let op, let lhs, let rhs):
            guard let x = lhs.constantValue, let y = rhs.constantValue else { return nil }
            switch op {
            case .equal: return x == y
            case .notEqual: return x != y
            case .less: return x < y
            case .lessOrEqual: return x <= y
            case .greater: return x > y
            case .greaterOrEqual: return x >= y
            }
        case .and(let lhs, let rhs):
            let (x, y) = (lhs.constantValue, rhs.constantValue)
            if x == false || y == false { return false }
            if x == true && y == true { return true }
            return nil
        case .or(let lhs, let rhs):
            let (x, y) = (lhs.constantValue, rhs.constantValue)
            if x == true || y == true { return true }
            if x == false && y == false { return false }
            return nil
        case .not(let operand):
            return operand.constantValue.map { !$0 }
        }
    }
}
