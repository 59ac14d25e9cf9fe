/// The variables a mask predicate may read.
public enum IndexVariable: String, Sendable, Hashable, CaseIterable {
    /// Batch index, 0 ..< batch.
    case batch = "b"
    /// Query head index, 0 ..< query heads.
    case head = "h"
    /// Query (row) index, 0 ..< Nq.
    case query = "q"
    /// Key (column) index, 0 ..< Nk.
    case key = "k"
    /// The query sequence length Nq.
    case queryLength = "nq"
    /// The key sequence length Nk.
    case keyLength = "nk"
}

/// An integer expression over the index variables, built by operator overloading
/// (`q - k`, `q / 64`, `abs(q - k)`) and rendered into C or CUDA.
///
/// All arithmetic is on signed 64-bit integers. `/` and `%` take a positive constant divisor and
/// round toward negative infinity (floor division; the remainder has the divisor's sign), so
/// `(q - k) / 64` means the same for negative differences in Swift, C and CUDA.
public indirect enum IndexExpression: Sendable, Hashable, ExpressibleByIntegerLiteral {
    case variable(IndexVariable)
    case constant(Int64)
    case arithmetic(ArithmeticOperator, IndexExpression, IndexExpression)
    case negated(IndexExpression)
    case absolute(IndexExpression)
    case minimum(IndexExpression, IndexExpression)
    case maximum(IndexExpression, IndexExpression)

    public init(integerLiteral value: Int64) {
        self = .constant(value)
    }

    public enum ArithmeticOperator: String, Sendable, Hashable, CaseIterable {
        case add = "+"
        case subtract = "-"
        case multiply = "*"
        case floorDivide = "/"
        case floorModulo = "%"
    }

    public static let b = IndexExpression.variable(.batch)
    public static let h = IndexExpression.variable(.head)
    public static let q = IndexExpression.variable(.query)
    public static let k = IndexExpression.variable(.key)
    public static let nq = IndexExpression.variable(.queryLength)
    public static let nk = IndexExpression.variable(.keyLength)
}

extension IndexExpression {
    public static func + (lhs: IndexExpression, rhs: IndexExpression) -> IndexExpression {
        .arithmetic(.add, lhs, rhs)
    }
    public static func - (lhs: IndexExpression, rhs: IndexExpression) -> IndexExpression {
        .arithmetic(.subtract, lhs, rhs)
    }
    public static func * (lhs: IndexExpression, rhs: IndexExpression) -> IndexExpression {
        .arithmetic(.multiply, lhs, rhs)
    }
    public static func / (lhs: IndexExpression, rhs: IndexExpression) -> IndexExpression {
        .arithmetic(.floorDivide, lhs, rhs)
    }
    public static func % (lhs: IndexExpression, rhs: IndexExpression) -> IndexExpression {
        .arithmetic(.floorModulo, lhs, rhs)
    }
    public static prefix func - (operand: IndexExpression) -> IndexExpression {
        .negated(operand)
    }
}

/// `|x|` over index expressions.
public func abs(_ operand: IndexExpression) -> IndexExpression { .absolute(operand) }
/// The smaller of two index expressions.
public func min(_ lhs: IndexExpression, _ rhs: IndexExpression) -> IndexExpression { .minimum(lhs, rhs) }
/// The larger of two index expressions.
public func max(_ lhs: IndexExpression, _ rhs: IndexExpression) -> IndexExpression { .maximum(lhs, rhs) }
