import Foundation

// The fragments of `Templates/c/forward.c` that differ between variants, one small function each.
// Each returns C source without the indentation of its placeholder (the template adds that).

extension CEmitter {
    /// Window bounds at or above this are treated as unbounded, so that `q + shift + bound` cannot overflow.
    static let unboundedWindow = 1 << 62

    /// `scale · log2(e)` as an fp32 literal.
    func scoreScaleLiteral(_ spec: AttentionSpec) throws(SpecError) -> String {
        let value = Float(spec.scale * 1.4426950408889634)
        guard value.isFinite else {
            throw SpecError(field: "scale", message: "scale · log2(e) must be a finite fp32 number, got \(spec.scale)")
        }
        return Self.floatLiteral(value)
    }

    /// A C `float` literal that reads back as exactly `value`.
    static func floatLiteral(_ value: Float) -> String {
        var text = "\(value)"
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        return text + "f"
    }

    /// The element type and its conversions to and from fp32.
    func storageFragment(_ storage: StorageType) -> String {
        let (comment, load, store): (String, String, String)
        switch storage {
        case .fp32:
            comment = "Q, K, V and O are fp32."
            load = "return value;"
            store = "return value;"
        case .fp16:
            comment = "Q, K, V and O are fp16, passed as raw IEEE binary16 bits (round to nearest even on store)."
            load = "return attngen_half_to_float(value);"
            store = "return attngen_float_to_half(value);"
        case .bf16:
            comment = "Q, K, V and O are bf16, passed as raw bfloat16 bits (round to nearest even on store)."
            load = "return attngen_bf16_to_float(value);"
            store = "return attngen_float_to_bf16(value);"
        }
        return """
            /* \(comment) */
            typedef \(storage.cStorageType) element_t;
            #define ELEMENT_IS_FLOAT \(storage == .fp32 ? 1 : 0)

            static inline float load_element(element_t value)
            {
                \(load)
            }

            static inline element_t store_element(float value)
            {
                \(store)
            }
            """
    }

    /// The predicate function (when the spec has predicate masks) and the block-sparse block size.
    func maskHelpersFragment(_ spec: AttentionSpec) -> String {
        var parts: [String] = []
        if let layout = spec.blockSparseLayout {
            parts.append("""
                /* Block-sparse: one mask byte per \(layout.blockRows) x \(layout.blockColumns) block; the plan's tiles divide it. */
                enum { SPARSE_BLOCK_ROWS = \(layout.blockRows), SPARSE_BLOCK_COLUMNS = \(layout.blockColumns) };
                """)
        }
        let predicates = predicates(of: spec)
        if !predicates.isEmpty {
            let used = predicates.reduce(Set<IndexVariable>()) { $0.union($1.variables) }
            let unused = IndexVariable.allCases.filter { !used.contains($0) }
                .map { "(void)\($0.rawValue);" }
            var body = unused.isEmpty ? "" : "    " + unused.joined(separator: " ") + "\n"
            let conditions = predicates.map { $0.cSource(names: { $0.rawValue }) }
            body += "    return " + conditions.joined(separator: "\n        && ") + ";\n"
            let comments = predicates.map { " *   " + Self.commentSafe($0.description) }
            parts.append("""
                /*
                 * Predicate masks (kept where all hold):
                \(comments.joined(separator: "\n"))
                 */
                static inline int predicate_keeps(int64_t b, int64_t h, int64_t q, int64_t k, int64_t nq, int64_t nk)
                {
                \(body)}
                """)
        }
        if parts.isEmpty {
            return "/* No block-sparse or predicate mask. */"
        }
        return parts.joined(separator: "\n\n")
    }

    /// The dropout threshold and keep scale.
    func dropoutConstantsFragment(_ spec: AttentionSpec) -> String {
        guard let dropout = spec.dropout else { return "/* No dropout. */" }
        return """
            /* Dropout p = \(dropout.probability): a probability is dropped when its 16-bit Philox value is below
               floor(p * 65536); kept ones are scaled by 1 / (1 - p), rounded once to fp32. */
            static const uint16_t DROPOUT_THRESHOLD = \(dropout.dropThreshold)u;
            static const float DROPOUT_KEEP_SCALE = \(Self.floatLiteral(Float(dropout.keepScale)));
            """
    }

    func headsCheckFragment(_ spec: AttentionSpec) -> String {
        guard case .fixed(let query, let keyValue) = spec.heads else {
            return "/* Head counts come from the parameters. */"
        }
        return """
            /* The spec fixes \(query) query heads and \(keyValue) key/value heads. */
            if (params->heads_q != \(query) || params->heads_kv != \(keyValue)) {
                return ATTNGEN_ERROR_INVALID_HEADS;
            }
            """
    }

    func pointerChecksFragment(_ spec: AttentionSpec) -> String {
        var lines: [String] = []
        if spec.savesLogSumExp {
            lines.append("""
                if (params->lse == NULL) {
                    return ATTNGEN_ERROR_NULL_POINTER; /* this variant saves the log-sum-exp */
                }
                """)
        }
        if spec.blockSparseLayout != nil {
            lines.append("""
                if (params->block_mask == NULL) {
                    return ATTNGEN_ERROR_NULL_POINTER; /* this variant is block-sparse */
                }
                """)
        }
        return lines.joined(separator: "\n")
    }

    func layoutChecksFragment(_ spec: AttentionSpec) -> String {
        var lines: [String] = []
        if spec.savesLogSumExp {
            lines.append("""
                if (!attngen_layout_is_valid(params->lse_layout, nb, hq, nq, 1, (int64_t)sizeof(float), 1)) {
                    return ATTNGEN_ERROR_INVALID_LAYOUT;
                }
                """)
        }
        if spec.blockSparseLayout != nil {
            lines.append(blockMaskLayoutCheck)
        }
        return lines.joined(separator: "\n")
    }

    /// The block mask's layout check, forward and backward: batch x heads_q x ⌈Nq / block rows⌉ rows of
    /// ⌈Nk / block columns⌉ bytes (`nb`, `hq`, `nq` and `nk` are the caller's locals).
    var blockMaskLayoutCheck: String {
        """
        if (!attngen_layout_is_valid(params->block_mask_layout, nb, hq, (nq + SPARSE_BLOCK_ROWS - 1) / SPARSE_BLOCK_ROWS,
                                     (nk + SPARSE_BLOCK_COLUMNS - 1) / SPARSE_BLOCK_COLUMNS, 1, 0)) {
            return ATTNGEN_ERROR_INVALID_LAYOUT;
        }
        """
    }

    /// The diagonal masks (causal and sliding window) with their bounds, unbounded sides dropped.
    struct DiagonalBound {
        /// C text for the shift: "" (top-left) or " + (nk - nq)" (bottom-right).
        var shift: String
        var description: String
        /// Keys kept up to `q + shift + upper` (causal: 0).
        var upper: Int?
        /// Keys kept from `q + shift - lower`.
        var lower: Int?
    }

    func diagonalBounds(_ spec: AttentionSpec) -> [DiagonalBound] {
        spec.masks.compactMap { mask in
            switch mask {
            case .causal(let alignment):
                return DiagonalBound(shift: Self.shiftText(alignment), description: "causal (\(alignment.rawValue))",
                                     upper: 0, lower: nil)
            case .slidingWindow(let left, let right, let alignment):
                let bounded: (Int?) -> Int? = { value in value.flatMap { $0 >= Self.unboundedWindow ? nil : $0 } }
                let text: (Int?) -> String = { $0.map(String.init) ?? "unbounded" }
                return DiagonalBound(shift: Self.shiftText(alignment),
                                     description: "sliding window (\(alignment.rawValue), left \(text(left)), right \(text(right)))",
                                     upper: bounded(right), lower: bounded(left))
            case .blockSparse, .predicate:
                return nil
            }
        }
    }

    static func shiftText(_ alignment: DiagonalAlignment) -> String {
        alignment == .bottomRight ? " + (nk - nq)" : ""
    }

    /// Narrows [key_begin, key_end) to the keys some row of the tile keeps.
    func tileKeyRangeFragment(_ spec: AttentionSpec) -> String {
        var lines: [String] = []
        for bound in diagonalBounds(spec) {
            lines.append("/* \(bound.description) */")
            if let upper = bound.upper {
                lines.append("key_end = attngen_min_i64(key_end, row0 + rows\(bound.shift)\(upper == 0 ? "" : " + \(upper)"));")
            }
            if let lower = bound.lower {
                lines.append("key_begin = attngen_max_i64(key_begin, row0\(bound.shift)\(lower == 0 ? "" : " - \(lower)"));")
            }
        }
        if lines.isEmpty {
            lines.append("/* No diagonal mask: every key tile is visited. */")
        }
        if spec.blockSparseLayout != nil {
            lines.append("""
                /* Block-sparse: the row of the block mask that holds this tile (a tile lies inside one block). */
                const uint8_t *block_row = params->block_mask + b * params->block_mask_layout.batch_stride
                                           + h * params->block_mask_layout.head_stride
                                           + (row0 / SPARSE_BLOCK_ROWS) * params->block_mask_layout.row_stride;
                """)
        }
        return lines.joined(separator: "\n")
    }

    func tileSkipFragment(_ spec: AttentionSpec) -> String {
        guard spec.blockSparseLayout != nil else { return "" }
        return """
            if (block_row[col0 / SPARSE_BLOCK_COLUMNS] == 0) {
                continue; /* the whole tile lies in a block that is off */
            }
            """
    }

    /// The masks of one key tile, key by key: each diagonal mask keeps an interval of rows (lanes) per key,
    /// predicates are evaluated element by element inside it. Empty when the spec has neither.
    func masksFragment(_ spec: AttentionSpec) -> String {
        let bounds = diagonalBounds(spec)
        let hasPredicates = !predicates(of: spec).isEmpty
        guard !bounds.isEmpty || hasPredicates else { return "" }
        var lines = [
            "",
            "/* Masks, key by key: the rows (lanes) outside [keep_begin, keep_end) are masked for key k. */",
            "for (int64_t j = 0; j < cols; ++j) {",
            "    const int64_t k = col0 + j;",
            "    int64_t keep_begin = 0;",
            "    int64_t keep_end = LANES;",
        ]
        for bound in bounds {
            // q = row0 + r; kept when k <= q + shift + upper, i.e. r >= k - shift - upper - row0,
            // and when k >= q + shift - lower, i.e. r <= k - shift + lower - row0.
            let shift = bound.shift.isEmpty ? "" : " - (nk - nq)"
            if let upper = bound.upper {
                lines.append("    keep_begin = attngen_max_i64(keep_begin, k\(shift)\(upper == 0 ? "" : " - \(upper)") - row0); "
                             + "/* \(bound.description) */")
            }
            if let lower = bound.lower {
                lines.append("    keep_end = attngen_min_i64(keep_end, k\(shift) + \(lower + 1) - row0); /* \(bound.description) */")
            }
        }
        lines += [
            "    keep_begin = attngen_max_i64(0, attngen_min_i64(keep_begin, LANES));",
            "    keep_end = attngen_max_i64(keep_begin, attngen_min_i64(keep_end, LANES));",
            "    float *restrict s_row = st_tile + j * LANES;",
            "    for (int64_t r = 0; r < keep_begin; ++r) {",
            "        s_row[r] = -INFINITY;",
            "    }",
            "    for (int64_t r = keep_end; r < LANES; ++r) {",
            "        s_row[r] = -INFINITY;",
            "    }",
        ]
        if hasPredicates {
            lines += [
                "    /* Predicate masks, element by element, inside the kept rows. */",
                "    for (int64_t r = keep_begin; r < attngen_min_i64(keep_end, rows); ++r) {",
                "        if (!predicate_keeps(b, h, row0 + r, k, nq, nk)) {",
                "            s_row[r] = -INFINITY;",
                "        }",
                "    }",
            ]
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    // Row-wise masks, for kernels that keep one query row per loop iteration (the C backward pass,
    // Templates/c/backward.c): [keep_begin, keep_end) are key indices relative to col0.

    /// Narrows [keep_begin, keep_end) (relative to col0) to the keys row q keeps (backward pass).
    func rowKeyRangeFragment(_ spec: AttentionSpec) -> String {
        var lines: [String] = []
        for bound in diagonalBounds(spec) {
            if let upper = bound.upper {
                lines.append("keep_end = attngen_min_i64(keep_end, q\(bound.shift) + \(upper + 1) - col0); /* \(bound.description) */")
            }
            if let lower = bound.lower {
                lines.append("keep_begin = attngen_max_i64(keep_begin, q\(bound.shift)\(lower == 0 ? "" : " - \(lower)") - col0); /* \(bound.description) */")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Predicate masks of one row over [keep_begin, keep_end) (backward pass).
    func elementMaskFragment(_ spec: AttentionSpec) -> String {
        guard !predicates(of: spec).isEmpty else { return "" }
        return """
            /* Predicate masks, element by element, inside the kept range. */
            for (int64_t j = keep_begin; j < keep_end; ++j) {
                if (!predicate_keeps(b, h, q, col0 + j, nq, nk)) {
                    s_row[j] = -INFINITY;
                }
            }
            """
    }

    func predicates(of spec: AttentionSpec) -> [MaskPredicate] {
        spec.masks.compactMap { mask in
            if case .predicate(let predicate) = mask { return predicate }
            return nil
        }
    }

    func dropoutFragment(_ spec: AttentionSpec) -> String {
        guard spec.dropout != nil else { return "" }
        return """

            /* Dropout on P (l above keeps the sum before dropout). Keys come in groups of 8 that share one
               Philox call per row: for each group (the group of key col0 starts at tile column -(col0 % 8)),
               the calls of all LANES rows run together (padding rows draw values no one reads), and the
               16-bit value of key j in row r is halfword j - group_start of that row's call. Groups whose
               probabilities are all zero are skipped. */
            {
                const uint64_t groups_per_row = ((uint64_t)nk + 7u) / 8u;
                const uint64_t first_row = ((uint64_t)b * (uint64_t)params->heads_q + (uint64_t)h) * (uint64_t)nq
                                           + (uint64_t)row0;
                for (int64_t group_start = -(col0 % 8); group_start < cols; group_start += 8) {
                    const int64_t first = attngen_max_i64(0, group_start);
                    const int64_t last = attngen_min_i64(cols, group_start + 8);
                    int any_kept = 0;
                    for (int64_t j = first; j < last; ++j) {
                        for (int r = 0; r < LANES; ++r) {
                            any_kept |= st_tile[j * LANES + r] != 0.0f;
                        }
                    }
                    if (!any_kept) {
                        continue;
                    }
                    uint32_t words[4][LANES];
                    attngen_dropout_calls(params->dropout_seed, params->dropout_offset,
                                          first_row * groups_per_row + (uint64_t)(col0 + first) / 8u, groups_per_row,
                                          LANES, words[0], words[1], words[2], words[3]);
                    for (int64_t j = first; j < last; ++j) {
                        const uint32_t *restrict row_words = words[(j - group_start) / 2];
                        const int shift = (int)((j - group_start) % 2) * 16;
                        float *restrict p = st_tile + j * LANES;
                        for (int r = 0; r < LANES; ++r) {
                            const uint32_t value = (row_words[r] >> shift) & 0xffffu;
                            p[r] = value < DROPOUT_THRESHOLD ? 0.0f : p[r] * DROPOUT_KEEP_SCALE;
                        }
                    }
                }
            }
            """
    }

    func logSumExpFragment(_ spec: AttentionSpec) -> String {
        guard spec.savesLogSumExp else { return "" }
        return """
            /* Log-sum-exp of the kept scores in natural-log units: (m + log2(l)) * ln(2); -inf for a fully masked row. */
            params->lse[b * params->lse_layout.batch_stride + h * params->lse_layout.head_stride
                        + (row0 + r) * params->lse_layout.row_stride] =
                l > 0.0f ? (float)(((double)row_max[r] + log2((double)l)) * 0.69314718055994531) : -INFINITY;
            """
    }

    /// Text safe inside a C block comment.
    static func commentSafe(_ text: String) -> String {
        text.replacingOccurrences(of: "*/", with: "* /").replacingOccurrences(of: "/*", with: "/ *")
    }
}
