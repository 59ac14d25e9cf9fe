/// The bodies of the mask hooks every kernel of a variant calls, rendered from its `MaskModel` for C or CUDA.
/// The function shells are fixed code in each family's variant-header template (Templates/c/variant.h,
/// Templates/cuda/variant.cuh); each body here is a list of statements over the shells' parameters and locals:
///
/// | hook                          | answers                                                    | locals      |
/// |-------------------------------|------------------------------------------------------------|-------------|
/// | `visible_key_range`           | keys `[begin, end)` query rows `[q_begin, q_end)` can keep  | begin, end  |
/// | `tile_is_interior`            | whether every element of a tile is kept (no element test)  |             |
/// | `row_key_bounds`              | keys `[lo, hi)` of query `q` the bands keep                 | lo, hi      |
/// | `key_query_bounds`            | queries `[lo, hi)` that keep key `k` by the bands           | lo, hi      |
/// | `element_predicate_holds`     | the predicates at one element                              |             |
/// | `element_is_kept`             | every mask known at generation time, at one element        |             |
/// | `key_tile_is_skipped`         | the block-sparse layout's byte for a tile                  |             |
///
/// Every band bound is below 2^31 (`DiagonalBand`), so no sum here can overflow.
struct MaskHooksRendering {
    var masks: MaskModel
    var dialect: SourceDialect

    /// The template values of the hooks, by placeholder.
    var values: [String: String] {
        [
            "key_range": keyRange,
            "tile_interior": tileInterior,
            "row_bounds": rowBounds,
            "key_query_bounds": keyQueryBounds,
            "element_predicate": elementPredicate,
            "element_kept": elementKept,
            "tile_skipped": tileSkipped,
        ]
    }

    private func shift(_ band: DiagonalBand) -> String {
        band.alignment == .bottomRight ? "nk - nq" : "0"
    }

    private func plus(_ value: Int64) -> String { value == 0 ? "" : " + \(value)" }
    private func minus(_ value: Int64) -> String { value == 0 ? "" : " - \(value)" }

    private var yes: String { dialect.boolean(true) }
    private var no: String { dialect.boolean(false) }

    private func lines(_ body: [String], empty: String) -> String {
        body.isEmpty ? empty : body.joined(separator: "\n")
    }

    var keyRange: String {
        var body: [String] = []
        for band in masks.bands {
            body.append("/* \(band.description) */")
            if let upper = band.upper {
                body.append("end = \(dialect.minimum)(end, q_end + (\(shift(band)))\(plus(upper)));")
            }
            if let lower = band.lower {
                body.append("begin = \(dialect.maximum)(begin, q_begin + (\(shift(band)))\(minus(lower)));")
            }
        }
        return lines(body, empty: "/* no causal or window mask: every key */")
    }

    var tileInterior: String {
        var body = ["if (k_end > nk) return \(no);  /* keys past the end */"]
        for band in masks.bands {
            if let upper = band.upper {
                body.append("if (k_end - 1 > q_begin + (\(shift(band)))\(plus(upper))) return \(no);  /* \(band.description): right edge */")
            }
            if let lower = band.lower {
                body.append("if (k_begin < q_end - 1 + (\(shift(band)))\(minus(lower))) return \(no);  /* \(band.description): left edge */")
            }
        }
        if masks.hasPredicates {
            body.append("return \(no);  /* the predicate is tested on every element */")
        } else {
            body.append("return \(yes);")
        }
        return lines(body, empty: "")
    }

    var rowBounds: String {
        var body: [String] = []
        for band in masks.bands {
            if let upper = band.upper {
                body.append("hi = \(dialect.minimum)(hi, q + (\(shift(band)))\(plus(upper + 1)));  /* \(band.description) */")
            }
            if let lower = band.lower {
                body.append("lo = \(dialect.maximum)(lo, q + (\(shift(band)))\(minus(lower)));  /* \(band.description) */")
            }
        }
        return lines(body, empty: "/* no causal or window mask: every key */")
    }

    var keyQueryBounds: String {
        var body: [String] = []
        for band in masks.bands {
            // k <= q + shift + upper  <=>  q >= k - shift - upper;   k >= q + shift - lower  <=>  q <= k - shift + lower.
            if let upper = band.upper {
                body.append("lo = \(dialect.maximum)(lo, k - (\(shift(band)))\(minus(upper)));  /* \(band.description) */")
            }
            if let lower = band.lower {
                body.append("hi = \(dialect.minimum)(hi, k - (\(shift(band)))\(plus(lower + 1)));  /* \(band.description) */")
            }
        }
        return lines(body, empty: "/* no causal or window mask: every query */")
    }

    /// `if (!(...)) return false;` per predicate, then `return true;`.
    private var predicateTests: [String] {
        var body: [String] = []
        for predicate in masks.predicates {
            body.append("/* predicate: \(Self.commentSafe(predicate.description)) */")
            body.append("if (!\(predicate.source(dialect))) return \(no);")
        }
        return body
    }

    var elementPredicate: String {
        (predicateTests + ["return \(yes);"]).joined(separator: "\n")
    }

    var elementKept: String {
        var body = ["if (k >= nk) return \(no);"]
        for band in masks.bands {
            if let upper = band.upper {
                body.append("if (k > q + (\(shift(band)))\(plus(upper))) return \(no);  /* \(band.description) */")
            }
            if let lower = band.lower {
                body.append("if (k < q + (\(shift(band)))\(minus(lower))) return \(no);  /* \(band.description) */")
            }
        }
        return (body + predicateTests + ["return \(yes);"]).joined(separator: "\n")
    }

    var tileSkipped: String {
        guard let sparse = masks.blockSparse else { return "return \(no);" }
        let layout = dialect == .c ? "layout->" : "layout."
        return """
            /* block-sparse, \(sparse.blockRows) x \(sparse.blockColumns) blocks: the tiles divide the blocks, so one byte covers the tile */
            const int64_t block_row = q_begin / \(sparse.blockRows);
            const int64_t block_column = k_begin / \(sparse.blockColumns);
            return block_mask[b * \(layout)batch_stride + h * \(layout)head_stride + block_row * \(layout)row_stride + block_column] == 0;
            """
    }

    /// Text safe inside a C block comment.
    static func commentSafe(_ text: String) -> String {
        text.replacingOccurrences(of: "*/", with: "* /").replacingOccurrences(of: "/*", with: "/ *")
    }
}
