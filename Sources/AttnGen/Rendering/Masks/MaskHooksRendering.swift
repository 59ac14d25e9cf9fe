/// The bodies of the mask hooks every kernel of a variant calls, rendered from its `MaskModel` for C or CUDA.
/// The function shells are fixed code in each family's variant-header template (Templates/c/variant.h,
/// Templates/cuda/variant.cuh); each body here is a list of statements over the shells' parameters and locals:
///
/// | hook                          | answers                                                    | locals      |
/// |-------------------------------|------------------------------------------------------------|-------------|
/// | `visible_key_range`           | keys `[begin, end)` query rows `[q_begin, q_end)` can keep  | begin, end  |
/// | `tile_is_interior`            | whether every element of a tile is kept (no element test)  |             |
/// | `row_key_bounds`              | keys `[lo, hi)` of query `q` the key ranges keep            | lo, hi      |
/// | `key_query_bounds`            | queries `[lo, hi)` that keep key `k` by the key ranges      | lo, hi      |
/// | `element_predicate_holds`     | the predicates at one element                              |             |
/// | `element_is_kept`             | every mask known at generation time, at one element        |             |
/// | `key_tile_is_skipped`         | the block-sparse layout's byte for a tile                  |             |
///
/// Each key-range rule writes its own statements (`KeyRangeRuleRendering`); predicates and the block-sparse
/// layout are written here.
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

    private var yes: String { dialect.boolean(true) }
    private var no: String { dialect.boolean(false) }

    private func lines(_ body: [String], empty: String) -> String {
        body.isEmpty ? empty : body.joined(separator: "\n")
    }

    /// The rendering of each key-range rule (every rule type conforms in Rendering/Masks/).
    private var ranges: [any KeyRangeRuleRendering] {
        masks.ranges.map { rule in
            guard let rendering = rule as? any KeyRangeRuleRendering else {
                preconditionFailure("\(type(of: rule)) has no C/CUDA rendering (KeyRangeRuleRendering)")
            }
            return rendering
        }
    }

    var keyRange: String {
        lines(ranges.flatMap { $0.keyRange(dialect) }, empty: "/* no causal or window mask: every key */")
    }

    var tileInterior: String {
        var body = ["if (k_end > nk) return \(no);  /* keys past the end */"]
        body += ranges.flatMap { $0.tileInterior(dialect) }
        body.append(masks.hasPredicates ? "return \(no);  /* the predicate is tested on every element */" : "return \(yes);")
        return body.joined(separator: "\n")
    }

    var rowBounds: String {
        lines(ranges.flatMap { $0.rowBounds(dialect) }, empty: "/* no causal or window mask: every key */")
    }

    var keyQueryBounds: String {
        lines(ranges.flatMap { $0.keyQueryBounds(dialect) }, empty: "/* no causal or window mask: every query */")
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
        (["if (k >= nk) return \(no);"] + ranges.flatMap { $0.elementKept(dialect) } + predicateTests + ["return \(yes);"])
            .joined(separator: "\n")
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
