@testable import AttnGen

/// Predicates as C for the float64 reference, written independently of the generator's rendering: every operation
/// is a call of a helper defined here, the arithmetic checked for 64-bit overflow (the reference aborts on one,
/// so every reference run also checks the generator's claim that accepted predicates cannot overflow), and no
/// comparison ever looks tautological to a compiler, whatever the predicate.
enum ReferencePredicateSource {
    static let helpers = """
        static inline int64_t ref_checked(int overflow, int64_t value) {
            if (overflow) abort(); /* an accepted predicate overflowed: the generator's proof is wrong */
            return value;
        }
        static inline int64_t ref_add(int64_t a, int64_t b) { int64_t r; const int o = __builtin_add_overflow(a, b, &r); return ref_checked(o, r); }
        static inline int64_t ref_sub(int64_t a, int64_t b) { int64_t r; const int o = __builtin_sub_overflow(a, b, &r); return ref_checked(o, r); }
        static inline int64_t ref_mul(int64_t a, int64_t b) { int64_t r; const int o = __builtin_mul_overflow(a, b, &r); return ref_checked(o, r); }
        static inline int64_t ref_neg(int64_t a) { return ref_sub(0, a); }
        static inline int64_t ref_abs(int64_t a) { return a < 0 ? ref_neg(a) : a; }
        static inline int64_t ref_min(int64_t a, int64_t b) { return a < b ? a : b; }
        static inline int64_t ref_max(int64_t a, int64_t b) { return a > b ? a : b; }
        static inline int64_t ref_div(int64_t a, int64_t b) { /* floor */
            int64_t q = a / b;
            return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
        }
        static inline int64_t ref_mod(int64_t a, int64_t b) { return ref_sub(a, ref_mul(ref_div(a, b), b)); }
        static inline int ref_eq(int64_t a, int64_t b) { return a == b; }
        static inline int ref_ne(int64_t a, int64_t b) { return a != b; }
        static inline int ref_lt(int64_t a, int64_t b) { return a < b; }
        static inline int ref_le(int64_t a, int64_t b) { return a <= b; }
        static inline int ref_gt(int64_t a, int64_t b) { return a > b; }
        static inline int ref_ge(int64_t a, int64_t b) { return a >= b; }
        static inline int ref_and(int a, int b) { return a && b; }
        static inline int ref_or(int a, int b) { return a || b; }
        static inline int ref_not(int a) { return !a; }
        static inline int ref_const(int a) { return a; }
        static inline int64_t ref_int(int64_t a) { return a; }

        """

    static func expression(_ predicate: MaskPredicate) -> String {
        switch predicate {
        case .comparison(let op, let lhs, let rhs):
            let name = switch op {
            case .equal: "ref_eq"
            case .notEqual: "ref_ne"
            case .less: "ref_lt"
            case .lessOrEqual: "ref_le"
            case .greater: "ref_gt"
            case .greaterOrEqual: "ref_ge"
            }
            return "\(name)(\(expression(lhs)), \(expression(rhs)))"
        case .and(let lhs, let rhs): return "ref_and(\(expression(lhs)), \(expression(rhs)))"
        case .or(let lhs, let rhs): return "ref_or(\(expression(lhs)), \(expression(rhs)))"
        case .not(let operand): return "ref_not(\(expression(operand)))"
        case .constant(let value): return "ref_const(\(value ? 1 : 0))"
        }
    }

    static func expression(_ expression: IndexExpression) -> String {
        switch expression {
        case .variable(let variable): return variable.rawValue
        case .constant(let value):
            return value == Int64.min ? "ref_int(INT64_MIN)" : "ref_int(\(value < 0 ? "-" : "")\(value.magnitude)LL)"
        case .arithmetic(let op, let lhs, let rhs):
            let name = switch op {
            case .add: "ref_add"
            case .subtract: "ref_sub"
            case .multiply: "ref_mul"
            case .floorDivide: "ref_div"
            case .floorModulo: "ref_mod"
            }
            return "\(name)(\(Self.expression(lhs)), \(Self.expression(rhs)))"
        case .negated(let operand): return "ref_neg(\(Self.expression(operand)))"
        case .absolute(let operand): return "ref_abs(\(Self.expression(operand)))"
        case .minimum(let lhs, let rhs): return "ref_min(\(Self.expression(lhs)), \(Self.expression(rhs)))"
        case .maximum(let lhs, let rhs): return "ref_max(\(Self.expression(lhs)), \(Self.expression(rhs)))"
        }
    }
}
