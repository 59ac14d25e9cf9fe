/// Reads a score expression written as text, as the CLI and JSON spec files give it:
/// `s - 0.5 * abs(q - k)`, `30 * tanh(s / 30)`, `where(q >= k, s, s - slope[h] * (k - q))`.
///
/// Grammar (C precedence): `||` < `&&` < `!` < comparison < `+ -` < `* /` < unary `-` < atoms.
/// Atoms are decimal numbers (`0.5`, `30`, `1e-3`), `s`, the index variables b, h, q, k, nq, nk, the calls
/// `exp(x)`, `log(x)`, `tanh(x)`, `abs(x)`, `min(x, y)`, `max(x, y)`, `where(condition, x, y)` and
/// `alibi_slope(h)`, run-time parameter arrays `name[h]`, and parenthesised expressions. A condition (the first
/// argument of `where`) is comparisons of expressions combined with `&&`, `||`, `!` and parentheses; the whole
/// text must be an expression, not a condition. A `-` written right before a number makes a negative constant.
///
/// The parser reads each token once and keeps the operators waiting for their operands on a stack of its own
/// (operator precedence), so it takes time linear in the text and never recurses. Parentheses, `!`, unary `-`
/// and calls may nest `maximumNesting` levels, and the tree built must stay within `ScoreExpression.maximumDepth`
/// and `.maximumOperators`, which bounds the recursion of every later stage. Every refusal names the character
/// (counting from 1) and the token where reading stopped: `at character 5: unknown name 'x' in "s + x"`.
public enum ScoreExpressionParser {
    /// The most parentheses, `!`, unary `-` and calls open at once. Twice `ScoreExpression.maximumDepth` and two
    /// more, so that the canonical text of every expression within the depth limit, which may open two levels per
    /// operator (`-(` and `!(`) and one more at a leaf (`(-2)`), reads back.
    public static let maximumNesting = 2 * ScoreExpression.maximumDepth + 2

    /// The names the text may not use for a parameter array: the variables, the functions, `true`, `false`
    /// and `alibi_slope`.
    public static let reservedNames: Set<String> = Set(["s", "exp", "log", "tanh", "tanh_approx", "abs", "min", "max", "where",
                                                        "true", "false", "alibi_slope"] + IndexVariable.allCases.map(\.rawValue))

    /// Parses `text`, throwing a `SpecError` on the field `scoreModifiers.expression` that says where it went wrong.
    public static func parse(_ text: String) throws(SpecError) -> ScoreExpression {
        var parser = Parser(text: text)
        try parser.advance()
        return try parser.parseExpression()
    }

    /// A refusal of `text` at character `position`, which the message quotes (shortened).
    static func refusal(_ message: String, at position: Int, in text: String) -> SpecError {
        let shown = text.prefix(81).count <= 80 ? text : text.prefix(77) + "..."
        return SpecError(field: "scoreModifiers.expression", message: "at character \(position): \(message) in \"\(shown)\"")
    }
}

/// The state of one parse (`ScoreExpressionParser.parse`).
private struct Parser {
    /// What a stretch of text parsed to: a condition or an expression, with the depth of its tree.
    struct Parsed {
        enum Value {
            case condition(ScoreCondition)
            case expression(ScoreExpression)
        }

        var value: Value
        var depth: Int
    }

    /// A binary operator, with its C precedence (higher binds tighter).
    enum Binary {
        case or
        case and
        case comparison(MaskPredicate.ComparisonOperator)
        case arithmetic(ScoreExpression.ScoreOperator)

        init?(_ symbol: String) {
            switch symbol {
            case "||": self = .or
            case "&&": self = .and
            case "+": self = .arithmetic(.add)
            case "-": self = .arithmetic(.subtract)
            case "*": self = .arithmetic(.multiply)
            case "/": self = .arithmetic(.divide)
            default:
                guard let op = MaskPredicate.ComparisonOperator(rawValue: symbol) else { return nil }
                self = .comparison(op)
            }
        }

        var precedence: Int {
            switch self {
            case .or: 1
            case .and: 2
            case .comparison: 4
            case .arithmetic(.add), .arithmetic(.subtract): 5
            case .arithmetic: 6
            }
        }

        var symbol: String {
            switch self {
            case .or: "||"
            case .and: "&&"
            case .comparison(let op): op.rawValue
            case .arithmetic(let op): op.rawValue
            }
        }
    }

    /// A function call's name and how many arguments it takes.
    enum Function {
        case unary(ScoreExpression.ScoreFunction)
        case binary(ScoreExpression.ScoreOperator)
        case select

        init?(_ name: String) {
            switch name {
            case "exp": self = .unary(.exp)
            case "log": self = .unary(.log)
            case "tanh": self = .unary(.tanh)
            case "tanh_approx": self = .unary(.tanhApprox)
            case "abs": self = .unary(.abs)
            case "min": self = .binary(.minimum)
            case "max": self = .binary(.maximum)
            case "where": self = .select
            default: return nil
            }
        }

        var name: String {
            switch self {
            case .unary(let function): function.rawValue
            case .binary(let op): op.rawValue
            case .select: "where"
            }
        }

        var arity: Int {
            switch self {
            case .unary: 1
            case .binary: 2
            case .select: 3
            }
        }
    }

    /// An operator still waiting for an operand, or a parenthesis waiting to be closed.
    enum Pending {
        case binary(Binary)
        /// `!`, which binds tighter than `&&` and looser than a comparison (precedence 3).
        case not
        /// Unary `-`, which binds tighter than `*` (precedence 7).
        case negate
        case group
        /// A call, with the arguments complete so far.
        case call(Function, arguments: Int)

        /// Nil for a group or a call: those wait for their `)`.
        var precedence: Int? {
            switch self {
            case .binary(let binary): binary.precedence
            case .not: 3
            case .negate: 7
            case .group, .call: nil
            }
        }
    }

    let text: String
    var tokenizer: ScoreExpressionTokenizer
    /// The current token.
    var peek = ScoreExpressionToken(kind: .end, position: 1)
    var operands: [Parsed] = []
    var pending: [Pending] = []
    /// Parentheses, `!`, unary `-` and calls open now.
    var nesting = 0
    /// Operators in the tree built so far.
    var operators = 0
    /// Whether the last token read was a unary `-`, which a number right after it joins (`-2`).
    var negateJustRead = false

    init(text: String) {
        self.text = text
        tokenizer = ScoreExpressionTokenizer(text)
    }

    /// A refusal at the current token.
    func error(_ message: String) -> SpecError {
        error(message, at: peek)
    }

    func error(_ message: String, at token: ScoreExpressionToken) -> SpecError {
        ScoreExpressionParser.refusal(message, at: token.position, in: text)
    }

    /// Steps to the next token.
    mutating func advance() throws(SpecError) {
        peek = try tokenizer.next()
    }

    mutating func parseExpression() throws(SpecError) -> ScoreExpression {
        var expectingOperand = true
        while true {
            let token = peek
            if expectingOperand {
                expectingOperand = try readOperand(token)
                continue
            }
            switch token.kind {
            case .symbol(let symbol) where Binary(symbol) != nil:
                let binary = Binary(symbol)!
                try reduce(downTo: binary.precedence)
                // The left operand is complete: check its kind now, while the message can point at the operator.
                switch binary {
                case .or, .and: _ = try condition(operands[operands.count - 1], for: "'\(symbol)'")
                case .comparison, .arithmetic: _ = try expression(operands[operands.count - 1], for: "'\(symbol)'")
                }
                pending.append(.binary(binary))
                try advance()
                expectingOperand = true
            case .symbol(")"):
                try reduce(downTo: 0)
                try close()
                try advance()
            case .symbol(","):
                try reduce(downTo: 0)
                guard case .call(let function, let arguments)? = pending.last, arguments + 1 < function.arity else {
                    if case .call(let function, _)? = pending.last {
                        throw error("\(function.name)() takes \(function.arity) argument\(function.arity == 1 ? "" : "s")")
                    }
                    throw error("unexpected ','")
                }
                try checkArgument(operands[operands.count - 1], of: function, at: arguments)
                pending[pending.count - 1] = .call(function, arguments: arguments + 1)
                try advance()
                expectingOperand = true
            case .end:
                try reduce(downTo: 0)
                guard pending.isEmpty else { throw error("expected ')' but found end of expression") }
                switch operands[0].value {
                case .expression(let expression): return expression
                case .condition:
                    throw error("the text is a condition, not a score expression (a condition chooses between two "
                                + "expressions in where(condition, x, y))")
                }
            default:
                throw error("expected an operator, ')' or the end but found \(token.described)")
            }
        }
    }

    /// Reads what may start an operand: a prefix operator or an opening parenthesis (after which an operand is
    /// still expected), or an atom. Returns whether an operand is still expected.
    mutating func readOperand(_ token: ScoreExpressionToken) throws(SpecError) -> Bool {
        let followsNegate = negateJustRead
        negateJustRead = false
        switch token.kind {
        case .symbol("!"):
            try open(.not)
        case .symbol("-"):
            try open(.negate)
            negateJustRead = true
        case .symbol("("):
            try open(.group)
        case .number(let value, _):
            try advance()
            if followsNegate {
                // `-2` is the constant -2, not the negation of 2: the canonical text writes negative constants so.
                pending.removeLast()
                nesting -= 1
                operands.append(Parsed(value: .expression(.constant(-value)), depth: 0))
            } else {
                operands.append(Parsed(value: .expression(.constant(value)), depth: 0))
            }
            return false
        case .identifier(let name):
            try advance()
            if peek.isSymbol("[") {
                try readParameter(name, at: token)
                return false
            }
            if let function = Function(name) {
                guard peek.isSymbol("(") else { throw error("expected '(' after '\(name)' but found \(peek.described)") }
                try open(.call(function, arguments: 0))
                return true
            }
            let leaf: ScoreExpression
            switch name {
            case "s":
                leaf = .score
            case "alibi_slope":
                for expected in ["(", "h", ")"] {
                    let matches = expected == "h" ? peek.kind == .identifier("h") : peek.isSymbol(expected)
                    guard matches else {
                        throw error("alibi_slope is written alibi_slope(h): expected '\(expected)' but found \(peek.described)")
                    }
                    try advance()
                }
                leaf = .standardAlibiSlope
            case "true", "false":
                throw error("'\(name)' is reserved: a condition is a comparison such as 'q >= k'", at: token)
            default:
                guard let variable = IndexVariable(rawValue: name) else {
                    let variables = IndexVariable.allCases.map(\.rawValue).joined(separator: ", ")
                    throw error("unknown name '\(name)' (allowed: s, \(variables), exp, log, tanh, abs, min, max, "
                                + "where, alibi_slope(h), or a parameter array written name[h])", at: token)
                }
                leaf = .variable(variable)
            }
            operands.append(Parsed(value: .expression(leaf), depth: 0))
            return false
        default:
            throw error("expected a number, a name or '(' but found \(token.described)")
        }
        return true
    }

    /// Reads `[h]` after the name of a parameter array (the current token is the `[`).
    mutating func readParameter(_ name: String, at token: ScoreExpressionToken) throws(SpecError) {
        guard !ScoreExpressionParser.reservedNames.contains(name) else {
            throw error("'\(name)' is reserved and cannot name a parameter array", at: token)
        }
        try advance()
        guard peek.kind == .identifier("h") else {
            throw error("a parameter array is indexed by the query head only, written \(name)[h], but found \(peek.described)")
        }
        try advance()
        guard peek.isSymbol("]") else { throw error("expected ']' but found \(peek.described)") }
        try advance()
        operands.append(Parsed(value: .expression(.parameter(name)), depth: 0))
    }

    /// Pushes a prefix operator, a group or a call, and steps over its token.
    mutating func open(_ operator: Pending) throws(SpecError) {
        nesting += 1
        guard nesting <= ScoreExpressionParser.maximumNesting else {
            let limit = ScoreExpressionParser.maximumNesting
            throw error("nests more than \(limit) levels of parentheses, '!', unary '-' and calls (the limit is \(limit))")
        }
        pending.append(`operator`)
        try advance()
    }

    /// Applies the waiting operators that bind at least as tightly as `precedence`, innermost first.
    mutating func reduce(downTo precedence: Int) throws(SpecError) {
        while let top = pending.last, let topPrecedence = top.precedence, topPrecedence >= precedence {
            pending.removeLast()
            let operand = operands.removeLast()
            switch top {
            case .not:
                nesting -= 1
                operands.append(try node(.condition(.not(try condition(operand, for: "'!'"))), operand))
            case .negate:
                nesting -= 1
                operands.append(try node(.expression(.unary(.negate, try expression(operand, for: "unary '-'"))), operand))
            case .binary(let binary):
                let lhs = operands.removeLast()
                let value: Parsed.Value
                let use = "'\(binary.symbol)'"
                switch binary {
                case .or: value = .condition(.or(try condition(lhs, for: use), try condition(operand, for: use)))
                case .and: value = .condition(.and(try condition(lhs, for: use), try condition(operand, for: use)))
                case .comparison(let op):
                    value = .condition(.comparison(op, try expression(lhs, for: use), try expression(operand, for: use)))
                case .arithmetic(let op):
                    value = .expression(.binary(op, try expression(lhs, for: use), try expression(operand, for: use)))
                }
                operands.append(try node(value, lhs, operand))
            case .group, .call:
                preconditionFailure("groups and calls wait for their ')'")
            }
        }
    }

    /// Closes the innermost group (whose operand stays as it is) or call.
    mutating func close() throws(SpecError) {
        guard let top = pending.popLast() else { throw error("unexpected ')'") }
        nesting -= 1
        guard case .call(let function, let complete) = top else { return }
        guard complete + 1 == function.arity else {
            throw error("\(function.name)() takes \(function.arity) arguments, got \(complete + 1)")
        }
        try checkArgument(operands[operands.count - 1], of: function, at: complete)
        let arguments = Array(operands.suffix(function.arity))
        operands.removeLast(function.arity)
        let value: ScoreExpression
        switch function {
        case .unary(let name):
            value = .unary(name, try expression(arguments[0], for: "\(function.name)()"))
        case .binary(let op):
            value = .binary(op, try expression(arguments[0], for: "\(function.name)()"),
                            try expression(arguments[1], for: "\(function.name)()"))
        case .select:
            value = .select(try condition(arguments[0], for: "where()"), try expression(arguments[1], for: "where()"),
                            try expression(arguments[2], for: "where()"))
        }
        operands.append(try node(.expression(value), arguments))
    }

    /// Checks the kind of argument `index` of a call: `where` takes a condition first, everything else expressions.
    func checkArgument(_ argument: Parsed, of function: Function, at index: Int) throws(SpecError) {
        if case .select = function, index == 0 {
            _ = try condition(argument, for: "where()")
        } else {
            _ = try expression(argument, for: "\(function.name)()")
        }
    }

    /// The condition `parsed` holds, as an operand of `use`.
    func condition(_ parsed: Parsed, for use: String) throws(SpecError) -> ScoreCondition {
        switch parsed.value {
        case .condition(let condition): return condition
        case .expression:
            throw error("\(use) needs a condition (a comparison: ==, !=, <, <=, >, >=), not an expression; "
                        + "reading stopped at \(peek.described)")
        }
    }

    /// The expression `parsed` holds, as an operand of `use`.
    func expression(_ parsed: Parsed, for use: String) throws(SpecError) -> ScoreExpression {
        switch parsed.value {
        case .expression(let expression): return expression
        case .condition:
            throw error("\(use) needs an expression, not a condition; reading stopped at \(peek.described)")
        }
    }

    /// A new operator node over `children`, refused past the tree's limits.
    mutating func node(_ value: Parsed.Value, _ children: Parsed...) throws(SpecError) -> Parsed {
        try node(value, children)
    }

    mutating func node(_ value: Parsed.Value, _ children: [Parsed]) throws(SpecError) -> Parsed {
        let depth = 1 + (children.map(\.depth).max() ?? 0)
        operators += 1
        guard depth <= ScoreExpression.maximumDepth else {
            let limit = ScoreExpression.maximumDepth
            throw error("nests more than \(limit) operators deep (each operator of a chain like 'a + b + c' adds a "
                        + "level; the limit is \(limit))")
        }
        guard operators <= ScoreExpression.maximumOperators else {
            let limit = ScoreExpression.maximumOperators
            throw error("has more than \(limit) operators (the limit is \(limit))")
        }
        return Parsed(value: value, depth: depth)
    }
}
