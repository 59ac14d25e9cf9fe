// Causal masks and sliding windows in C and CUDA. Every bound is below 2^31 (DiagonalBand), so no sum here can
// overflow; `shift` is `nk - nq` for bottom-right bands and `0` for top-left ones.

extension DiagonalBand: KeyRangeRuleRendering {
    private var shift: String { alignment == .bottomRight ? "nk - nq" : "0" }
    private func plus(_ value: Int64) -> String { value == 0 ? "" : " + \(value)" }
    private func minus(_ value: Int64) -> String { value == 0 ? "" : " - \(value)" }

    func keyRange(_ dialect: SourceDialect) -> [String] {
        var lines = ["/* \(description) */"]
        if let upper { lines.append("end = \(dialect.minimum)(end, q_end + (\(shift))\(plus(upper)));") }
        if let lower { lines.append("begin = \(dialect.maximum)(begin, q_begin + (\(shift))\(minus(lower)));") }
        return lines
    }

    func tileInterior(_ dialect: SourceDialect) -> [String] {
        let no = dialect.boolean(false)
        var lines: [String] = []
        if let upper {
            lines.append("if (k_end - 1 > q_begin + (\(shift))\(plus(upper))) return \(no);  /* \(description): right edge */")
        }
        if let lower {
            lines.append("if (k_begin < q_end - 1 + (\(shift))\(minus(lower))) return \(no);  /* \(description): left edge */")
        }
        return lines
    }

    func rowBounds(_ dialect: SourceDialect) -> [String] {
        var lines: [String] = []
        if let upper { lines.append("hi = \(dialect.minimum)(hi, q + (\(shift))\(plus(upper + 1)));  /* \(description) */") }
        if let lower { lines.append("lo = \(dialect.maximum)(lo, q + (\(shift))\(minus(lower)));  /* \(description) */") }
        return lines
    }

    func keyQueryBounds(_ dialect: SourceDialect) -> [String] {
        // k <= q + shift + upper  <=>  q >= k - shift - upper;   k >= q + shift - lower  <=>  q <= k - shift + lower.
        var lines: [String] = []
        if let upper { lines.append("lo = \(dialect.maximum)(lo, k - (\(shift))\(minus(upper)));  /* \(description) */") }
        if let lower { lines.append("hi = \(dialect.minimum)(hi, k - (\(shift))\(plus(lower + 1)));  /* \(description) */") }
        return lines
    }

    func elementKept(_ dialect: SourceDialect) -> [String] {
        let no = dialect.boolean(false)
        var lines: [String] = []
        if let upper { lines.append("if (k > q + (\(shift))\(plus(upper))) return \(no);  /* \(description) */") }
        if let lower { lines.append("if (k < q + (\(shift))\(minus(lower))) return \(no);  /* \(description) */") }
        return lines
    }
}
