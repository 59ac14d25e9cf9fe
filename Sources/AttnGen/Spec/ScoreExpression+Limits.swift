// How large a score expression may be. Every stage after parsing (canonical text, C and CUDA source, evaluation,
// the derivative, the simplifier, hashing, equality and the deallocation of the indirect enums) recurses over the
// tree, and the derivative and the composition of several modifiers make larger trees than the text written, so
// the limits are tighter than those of mask predicates (MaskPredicate+Limits.swift). The parser refuses text
// beyond them, `AttentionSpec.validate()` refuses trees built in Swift, and `ScoreModifierModel` bounds what
// composition and differentiation make.

extension ScoreExpression {
    /// The deepest a score expression of one modifier may nest: operators on the longest path from the root to a
    /// leaf, the nodes of a `where` condition included. Each operator of a chain such as `a + b + c` adds a level.
    public static let maximumDepth = 64
    /// The most operators a score expression of one modifier may hold: arithmetic, unary `-`, functions,
    /// `where`, comparisons, `&&`, `||` and `!`.
    public static let maximumOperators = 256

    /// The depth and operator count of the tree (as `maximumDepth` and `maximumOperators` count them), measured
    /// without recursion. A subtree reached twice (shared by a composition) counts twice. The walk stops as soon
    /// as either passes its limit (`depthLimit`, `operatorLimit`), so it costs at most `operatorLimit` steps
    /// however large the tree is.
    public func measuredSize(depthLimit: Int = maximumDepth,
                             operatorLimit: Int = maximumOperators) -> (depth: Int, operators: Int) {
        var pending: [(node: ScoreNode, level: Int)] = [(.expression(self), 0)]
        var depth = 0
        var operators = 0
        while let (node, level) = pending.popLast() {
            let children = node.children
            guard !children.isEmpty else { continue }
            operators += 1
            depth = Swift.max(depth, level + 1)
            if depth > depthLimit || operators > operatorLimit { break }
            pending += children.map { ($0, level + 1) }
        }
        return (depth, operators)
    }

    /// Why the expression is larger than `depthLimit` and `operatorLimit`, or nil when it is within them.
    func sizeProblem(depthLimit: Int = maximumDepth, operatorLimit: Int = maximumOperators) -> String? {
        let (depth, operators) = measuredSize(depthLimit: depthLimit, operatorLimit: operatorLimit)
        if depth > depthLimit {
            return "nests more than \(depthLimit) operators deep (the limit is \(depthLimit) levels)"
        }
        if operators > operatorLimit {
            return "has more than \(operatorLimit) operators (the limit is \(operatorLimit))"
        }
        return nil
    }

    /// Every node of the tree, visited without recursion in the order the canonical text writes them (left to
    /// right). For trees within the limits (checked first); `visit` returns false to stop the walk.
    func forEachNode(_ visit: (ScoreNode) -> Bool) {
        var pending: [ScoreNode] = [.expression(self)]
        while let node = pending.popLast() {
            guard visit(node) else { return }
            pending += node.children.reversed()
        }
    }
}

/// A node of a score expression tree: an expression or a `where` condition.
enum ScoreNode {
    case expression(ScoreExpression)
    case condition(ScoreCondition)

    /// The operands, left to right.
    var children: [ScoreNode] {
        switch self {
        case .expression(let expression):
            switch expression {
            case .score, .variable, .constant, .parameter, .standardAlibiSlope: []
            case .unary(_, let operand): [.expression(operand)]
            case .binary(_, let lhs, let rhs): [.expression(lhs), .expression(rhs)]
            case .select(let condition, let lhs, let rhs): [.condition(condition), .expression(lhs), .expression(rhs)]
            }
        case .condition(let condition):
            switch condition {
            case .comparison(_, let lhs, let rhs): [.expression(lhs), .expression(rhs)]
            case .and(let lhs, let rhs), .or(let lhs, let rhs): [.condition(lhs), .condition(rhs)]
            case .not(let operand): [.condition(operand)]
            }
        }
    }
}
