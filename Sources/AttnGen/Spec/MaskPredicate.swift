/// A boolean expression over index expressions: true keeps the score, false masks it out.
public indirect enum MaskPredicate: Sendable, Hashable, ExpressibleByBooleanLiteral {
    case comparison(ComparisonOperator, IndexExpression, IndexExpression)
    case and(MaskPredicate, MaskPredicate)
    case or(MaskPredicate, MaskPredicate)
    case not(MaskPredicate)
    case constant(Bool)

    public init(booleanLiteral value: Bool) {
        self = .constant(value)
    }

    public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
    }
}

extension IndexExpression {
    public static func == (lhs: IndexExpression, rhs: IndexExpression) -> MaskPredicate {
        .comparison(.equal, lhs, rhs)
    }
    public static func != (lhs: IndexExpression, rhs: IndexExpression) -> MaskPredicate {
        .comparison(.notEqual, lhs, rhs)
    }
    public static func < (lhs: IndexExpression, rhs: IndexExpression) -> MaskPredicate {
        .comparison(.less, lhs, rhs)
    }
    public static func <= (lhs: IndexExpression, rhs: IndexExpression) -> MaskPredicate {
        .comparison(.lessOrEqual, lhs, rhs)
    }
    public static func > (lhs: IndexExpression, rhs: IndexExpression) -> MaskPredicate {
        .comparison(.greater, lhs, rhs)
    }
    public static func >= (lhs: IndexExpression, rhs: IndexExpression) -> MaskPredicate {
        .comparison(.greaterOrEqual, lhs, rhs)
    }
}

extension MaskPredicate {
    public static func && (lhs: MaskPredicate, rhs: MaskPredicate) -> MaskPredicate { .and(lhs, rhs) }
    public static func || (lhs: MaskPredicate, rhs: MaskPredicate) -> MaskPredicate { .or(lhs, rhs) }
    public static prefix func ! (operand: MaskPredicate) -> MaskPredicate { .not(operand) }
}
