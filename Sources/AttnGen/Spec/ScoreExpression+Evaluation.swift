import Foundation

// Score expressions evaluated in Swift, in float64: the reference the tests compare the kernels and the
// derivative with. The kernels compute the same operations in fp32.

extension ScoreExpression {
    /// The standard ALiBi slope of query head `head` of `heads` (Press et al., "Train Short, Test Long", and the
    /// paper's `get_slopes`): with p the largest power of two not above `heads`, head i < p has the slope
    /// 2^(-8 (i + 1) / p); head i ≥ p takes the (i - p)-th of the slopes of 2p heads that the first p skip,
    /// 2^(-8 (2 (i - p) + 1) / (2p)) = 2^(-4 (2 (i - p) + 1) / p). For 8 heads: 1/2, 1/4, ..., 1/256.
    ///
    /// The one definition in Swift; the runtimes' `attngen_alibi_slope(h, heads_q)` computes the same.
    /// `heads` below 1 is taken as 1.
    public static func standardAlibiSlope(head: Int64, heads: Int64) -> Double {
        let n = Swift.max(heads, 1)
        var p: Int64 = 1
        while p <= n / 2 { p *= 2 }
        if head < p {
            return Foundation.pow(2.0, -8.0 * Double(head + 1) / Double(p))
        }
        return Foundation.pow(2.0, -4.0 * Double(2 * (head - p) + 1) / Double(p))
    }

    /// 1 / cosh²(x), the derivative of tanh (0 where cosh overflows).
    static func sechSquared(_ x: Double) -> Double {
        let c = Foundation.cosh(x)
        return 1 / (c * c)
    }

    /// The expression's value in float64 for the score `score` at (b, h, q, k) of an nq × nk problem with
    /// `headsQ` query heads; `parameters` holds each parameter array (one value per query head). A parameter
    /// that is missing, or shorter than `h + 1`, reads as NaN. `/` is real division; `where` evaluates only the
    /// branch its condition picks.
    public func evaluate(score: Double, b: Int64, h: Int64, q: Int64, k: Int64, nq: Int64, nk: Int64, headsQ: Int64,
                         parameters: [String: [Double]]) -> Double {
        evaluate(ScoreEnvironment(score: score, b: b, h: h, q: q, k: k, nq: nq, nk: nk, headsQ: headsQ,
                                  parameters: parameters))
    }

    func evaluate(_ environment: ScoreEnvironment) -> Double {
        switch self {
        case .score: return environment.score
        case .variable(let variable): return Double(environment.value(of: variable))
        case .constant(let value): return value
        case .parameter(let name):
            guard let values = environment.parameters[name], environment.h >= 0, environment.h < values.count else {
                return .nan
            }
            return values[Int(environment.h)]
        case .standardAlibiSlope:
            return Self.standardAlibiSlope(head: environment.h, heads: environment.headsQ)
        case .unary(let function, let operand):
            let x = operand.evaluate(environment)
            switch function {
            case .negate: return -x
            case .exp: return Foundation.exp(x)
            case .log: return Foundation.log(x)
            case .tanh, .tanhApprox: return Foundation.tanh(x)
            case .abs: return Swift.abs(x)
            case .sechSquared: return Self.sechSquared(x)
            }
        case .binary(let op, let lhs, let rhs):
            let (x, y) = (lhs.evaluate(environment), rhs.evaluate(environment))
            switch op {
            case .add: return x + y
            case .subtract: return x - y
            case .multiply: return x * y
            case .divide: return x / y
            // fminf and fmaxf: a NaN operand gives the other one.
            case .minimum: return x.isNaN ? y : (y.isNaN ? x : Swift.min(x, y))
            case .maximum: return x.isNaN ? y : (y.isNaN ? x : Swift.max(x, y))
            }
        case .select(let condition, let lhs, let rhs):
            return condition.evaluate(environment) ? lhs.evaluate(environment) : rhs.evaluate(environment)
        }
    }
}

extension ScoreCondition {
    /// The condition's value at the same point as `ScoreExpression.evaluate` (IEEE comparisons: false with a NaN,
    /// except `!=`).
    public func evaluate(score: Double, b: Int64, h: Int64, q: Int64, k: Int64, nq: Int64, nk: Int64, headsQ: Int64,
                         parameters: [String: [Double]]) -> Bool {
        evaluate(ScoreEnvironment(score: score, b: b, h: h, q: q, k: k, nq: nq, nk: nk, headsQ: headsQ,
                                  parameters: parameters))
    }

    func evaluate(_ environment: ScoreEnvironment) -> Bool {
        switch self {
        case .comparison(let op, let lhs, let rhs):
            let (x, y) = (lhs.evaluate(environment), rhs.evaluate(environment))
            switch op {
            case .equal: return x == y
            case .notEqual: return x != y
            case .less: return x < y
            case .lessOrEqual: return x <= y
            case .greater: return x > y
            case .greaterOrEqual: return x >= y
            }
        case .and(let lhs, let rhs): return lhs.evaluate(environment) && rhs.evaluate(environment)
        case .or(let lhs, let rhs): return lhs.evaluate(environment) || rhs.evaluate(environment)
        case .not(let operand): return !operand.evaluate(environment)
        }
    }
}

/// The values an evaluation reads.
struct ScoreEnvironment {
    var score: Double
    var b, h, q, k, nq, nk, headsQ: Int64
    var parameters: [String: [Double]]

    func value(of variable: IndexVariable) -> Int64 {
        switch variable {
        case .batch: b
        case .head: h
        case .query: q
        case .key: k
        case .queryLength: nq
        case .keyLength: nk
        }
    }
}
