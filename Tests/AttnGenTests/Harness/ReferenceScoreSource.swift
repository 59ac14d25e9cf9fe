@testable import AttnGen

/// Score modifiers as C for the float64 reference, written independently of the generator: each modifier of the
/// spec is rendered from the spec itself (not from the generator's lowered expression), ALiBi's slopes from the
/// paper's own construction, and the derivatives by dual numbers (forward-mode differentiation, seeded in s or in
/// one run-time array's entry), so that the generator's symbolic derivatives are checked against unrelated ones.
enum ReferenceScoreSource {
    static let helpers = """
        typedef struct ref_dual { double v, d; } ref_dual; /* a value and its derivative (in s, or in one array entry) */
        static inline ref_dual rd(double v, double d) { ref_dual r; r.v = v; r.d = d; return r; }
        static inline ref_dual rd_const(double v) { return rd(v, 0.0); }
        static inline ref_dual rd_add(ref_dual a, ref_dual b) { return rd(a.v + b.v, a.d + b.d); }
        static inline ref_dual rd_sub(ref_dual a, ref_dual b) { return rd(a.v - b.v, a.d - b.d); }
        static inline ref_dual rd_mul(ref_dual a, ref_dual b) { return rd(a.v * b.v, a.d * b.v + a.v * b.d); }
        static inline ref_dual rd_div(ref_dual a, ref_dual b) { return rd(a.v / b.v, (a.d * b.v - a.v * b.d) / (b.v * b.v)); }
        static inline ref_dual rd_neg(ref_dual a) { return rd(-a.v, -a.d); }
        static inline ref_dual rd_exp(ref_dual a) { const double e = exp(a.v); return rd(e, e * a.d); }
        static inline ref_dual rd_log(ref_dual a) { return rd(log(a.v), a.d / a.v); }
        static inline ref_dual rd_tanh(ref_dual a) { const double c = cosh(a.v); return rd(tanh(a.v), a.d / (c * c)); }
        static inline ref_dual rd_sech2(ref_dual a) {
            const double c = cosh(a.v);
            return rd(1.0 / (c * c), -2.0 * tanh(a.v) / (c * c) * a.d);
        }
        static inline ref_dual rd_abs(ref_dual a) { return a.v < 0.0 ? rd_neg(a) : a; }
        static inline ref_dual rd_min(ref_dual a, ref_dual b) { return a.v <= b.v ? a : b; }
        static inline ref_dual rd_max(ref_dual a, ref_dual b) { return a.v >= b.v ? a : b; }
        static inline ref_dual rd_where(int c, ref_dual a, ref_dual b) { return c ? a : b; }
        /* The ALiBi paper's slopes: for p the largest power of two <= n, the geometric sequence 2^(-8/p)^(i+1) for
           the first p heads, then every other slope of 2p heads (indices 0, 2, 4, ...) for the rest. */
        static inline double ref_alibi_slope(int64_t h, int64_t n) {
            int64_t p = 1;
            while (p * 2 <= n) p *= 2;
            if (h < p) return pow(pow(2.0, -8.0 / (double)p), (double)(h + 1));
            return pow(pow(2.0, -8.0 / (double)(2 * p)), (double)(2 * (h - p) + 1));
        }

        """

    /// The C source of the functions `PREFIX_score_modifier`, `PREFIX_score_modifier_derivative` (in s) and
    /// `PREFIX_score_modifier_parameter_derivative` (in entry h of run-time array `index`) for `spec` (identity, 1
    /// and 0 when it has no modifier), static when `isStatic`.
    static func functions(_ spec: AttentionSpec, parameters: [String], prefix: String = "harness",
                          isStatic: Bool = false) -> String {
        var steps: [String] = []
        for (index, modifier) in spec.scoreModifiers.enumerated() {
            let input = "m\(index)"
            let value: String
            switch modifier {
            case .alibi(let slopes, let alignment):
                let slope = slopes == .standard ? "rd_const(ref_alibi_slope(h, heads_q))"
                    : parameter("alibi_slopes", parameters: parameters)
                let shift = alignment == .bottomRight ? "(double)(nk - nq)" : "0.0"
                value = "rd_sub(\(input), rd_mul(\(slope), rd_const(fabs((double)q + \(shift) - (double)k))))"
            case .softcap(let cap):
                value = "rd_mul(rd_const(\(literal(cap))), rd_tanh(rd_div(\(input), rd_const(\(literal(cap))))))"
            case .expression(let expression):
                value = Self.expression(expression, score: input, parameters: parameters)
            }
            steps.append("const ref_dual m\(index + 1) = \(value);")
        }
        let result = "m\(spec.scoreModifiers.count)"
        let arguments = "int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk, int64_t heads_q, "
            + "const float *score_parameters"
        let linkage = isStatic ? "static " : ""
        return """
            /* seed -1: derivatives in s; seed i: in entry h of run-time array i. */
            static ref_dual \(prefix)_modify(double s, int seed, \(arguments)) {
                (void)b; (void)h; (void)q; (void)k; (void)nq; (void)nk; (void)heads_q; (void)score_parameters; (void)seed;
                const ref_dual m0 = rd(s, seed < 0 ? 1.0 : 0.0);
                \(steps.joined(separator: "\n    "))
                return \(result);
            }

            \(linkage)double \(prefix)_score_modifier(double s, \(arguments)) {
                return \(prefix)_modify(s, -1, b, h, q, k, nq, nk, heads_q, score_parameters).v;
            }

            \(linkage)double \(prefix)_score_modifier_derivative(double s, \(arguments)) {
                return \(prefix)_modify(s, -1, b, h, q, k, nq, nk, heads_q, score_parameters).d;
            }

            \(linkage)double \(prefix)_score_modifier_parameter_derivative(double s, int index, \(arguments)) {
                return \(prefix)_modify(s, index, b, h, q, k, nq, nk, heads_q, score_parameters).d;
            }

            """
    }

    private static func literal(_ value: Double) -> String { "(\(value))" }

    private static func parameter(_ name: String, parameters: [String]) -> String {
        guard let index = parameters.firstIndex(of: name) else { preconditionFailure("no parameter \(name)") }
        return "rd((double)score_parameters[\(index) * heads_q + h], seed == \(index) ? 1.0 : 0.0)"
    }

    static func expression(_ expression: ScoreExpression, score: String, parameters: [String]) -> String {
        let recurse = { (e: ScoreExpression) in Self.expression(e, score: score, parameters: parameters) }
        switch expression {
        case .score: return score
        case .variable(let variable): return "rd_const((double)\(variable.rawValue))"
        case .constant(let value): return "rd_const(\(literal(value)))"
        case .parameter(let name): return parameter(name, parameters: parameters)
        case .standardAlibiSlope: return "rd_const(ref_alibi_slope(h, heads_q))"
        case .unary(let function, let operand):
            let name = switch function {
            case .negate: "rd_neg"
            case .exp: "rd_exp"
            case .log: "rd_log"
            case .tanh, .tanhApprox: "rd_tanh"
            case .abs: "rd_abs"
            case .sechSquared: "rd_sech2"
            }
            return "\(name)(\(recurse(operand)))"
        case .binary(let op, let lhs, let rhs):
            let name = switch op {
            case .add: "rd_add"
            case .subtract: "rd_sub"
            case .multiply: "rd_mul"
            case .divide: "rd_div"
            case .minimum: "rd_min"
            case .maximum: "rd_max"
            }
            return "\(name)(\(recurse(lhs)), \(recurse(rhs)))"
        case .select(let condition, let then, let otherwise):
            return "rd_where(\(Self.condition(condition, score: score, parameters: parameters)), \(recurse(then)), "
                + "\(recurse(otherwise)))"
        }
    }

    static func condition(_ condition: ScoreCondition, score: String, parameters: [String]) -> String {
        switch condition {
        case .comparison(let op, let lhs, let rhs):
            return "((\(expression(lhs, score: score, parameters: parameters))).v \(op.rawValue) "
                + "(\(expression(rhs, score: score, parameters: parameters))).v)"
        case .and(let lhs, let rhs):
            return "(\(Self.condition(lhs, score: score, parameters: parameters)) && "
                + "\(Self.condition(rhs, score: score, parameters: parameters)))"
        case .or(let lhs, let rhs):
            return "(\(Self.condition(lhs, score: score, parameters: parameters)) || "
                + "\(Self.condition(rhs, score: score, parameters: parameters)))"
        case .not(let operand):
            return "(!\(Self.condition(operand, score: score, parameters: parameters)))"
        }
    }
}
