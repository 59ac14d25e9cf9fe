// How large a mask predicate may be. Every stage after parsing (rendering to text and C, evaluation, the
// divisor check, hashing, equality, and the deallocation of the indirect enums) recurses over the tree, about
// 1.5 KB of stack per level in a debug build, so a predicate must stay shallow enough for a 512 KB thread stack.
// The parser refuses text beyond these limits and `AttentionSpec.validate()` refuses trees built in Swift.

extension MaskPredicate {
    /// The deepest a predicate may nest: operators on the longest path from the root to a leaf. Each operator of
    /// a chain such as `a + b + c` adds a level, since the chain is `(a + b) + c`.
    public static let maximumDepth = 256
    /// The most operators a predicate may hold: comparisons, `&&`, `||`, `!`, arithmetic, unary `-`, `abs`,
    /// `min` and `max`.
    public static let maximumOperators = 4096

    /// The depth and operator count of the tree (as `maximumDepth` and `maximumOperators` count them), measured
    /// without recursion. The walk stops as soon as either passes its limit, so it costs at most
    /// `maximumOperators` steps however large the tree is.
    public var measuredSize: (depth: Int, operators: Int) {
        enum Node {
            case predicate(MaskPredicate)
            case expression(IndexExpression)
        }
        var pending: [(node: Node, level: Int)] = [(.predicate(self), 0)]
        var depth = 0
        var operators = 0
        while let (node, level) = pending.popLast() {
            let children: [Node]
            switch node {
            case .predicate(let predicate):
                switch predicate {
                case .comparison(_, let lhs, let rhs): children = [.expression(lhs), .expression(rhs)]
                case .and(let lhs, let rhs), .or(let lhs, let rhs): children = [.predicate(lhs), .predicate(rhs)]
                case .not(let operand): children = [.predicate(operand)]
                case .constant: children = []
                }
            case .expression(let expression):
                switch expression {
                case .variable, .constant: children = []
                case .arithmetic(_, let lhs, let rhs), .minimum(let lhs, let rhs), .maximum(let lhs, let rhs):
                    children = [.expression(lhs), .expression(rhs)]
                case .negated(let operand), .absolute(let operand): children = [.expression(operand)]
                }
            }
            guard !children.isEmpty else { continue }
            operators += 1
            depth = Swift.max(depth, level + 1)
            if depth > Self.maximumDepth || operators > Self.maximumOperators { break }
            pending += children.map { ($0, level + 1) }
        }
        return (depth, operators)
    }

    /// Why the predicate is too large, or nil when it is within the limits.
    var sizeProblem: String? {
        let (depth, operators) = measuredSize
        if depth > Self.maximumDepth {
            return "nests more than \(Self.maximumDepth) operators deep (the limit is \(Self.maximumDepth) levels)"
        }
        if operators > Self.maximumOperators {
            return "has more than \(Self.maximumOperators) operators (the limit is \(Self.maximumOperators))"
        }
        return nil
    }
}
