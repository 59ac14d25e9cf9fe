/// The argument checks of a C variant that depend on the variant: fixed head counts, the LSE and block-mask
/// pointers and layouts. The rest of the ABI's checks is fixed code in the templates and the runtime.
struct CArgumentChecks {
    var variant: VariantModel

    var heads: String {
        guard case .fixed(let query, let keyValue) = variant.heads else {
            return "/* Head counts come from the parameters. */"
        }
        return """
            /* The spec fixes \(query) query heads and \(keyValue) key/value heads. */
            if (params->heads_q != \(query) || params->heads_kv != \(keyValue)) {
                return ATTNGEN_ERROR_INVALID_HEADS;
            }
            """
    }

    var forwardPointers: String {
        var lines: [String] = []
        if variant.savesLogSumExp {
            lines.append("""
                if (params->lse == NULL) {
                    return ATTNGEN_ERROR_NULL_POINTER; /* this variant saves the log-sum-exp */
                }
                """)
        }
        if variant.blockSparse != nil {
            lines.append("""
                if (params->block_mask == NULL) {
                    return ATTNGEN_ERROR_NULL_POINTER; /* this variant is block-sparse */
                }
                """)
        }
        return lines.joined(separator: "\n")
    }

    var forwardLayouts: String {
        var lines: [String] = []
        if variant.savesLogSumExp {
            lines.append("""
                if (!attngen_layout_is_valid(params->lse_layout, nb, hq, nq, 1, (int64_t)sizeof(float), 1)) {
                    return ATTNGEN_ERROR_INVALID_LAYOUT;
                }
                """)
        }
        lines.append(blockMaskLayout)
        return lines.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// The block mask's layout check, forward and backward: batch x heads_q x ⌈Nq / block rows⌉ rows of
    /// ⌈Nk / block columns⌉ bytes (`nb`, `hq`, `nq` and `nk` are the caller's locals).
    var blockMaskLayout: String {
        guard let sparse = variant.blockSparse else { return "" }
        return """
            if (!attngen_layout_is_valid(params->block_mask_layout, nb, hq, (nq + \(sparse.blockRows - 1)) / \(sparse.blockRows),
                                         (nk + \(sparse.blockColumns - 1)) / \(sparse.blockColumns), 1, 0)) {
                return ATTNGEN_ERROR_INVALID_LAYOUT;
            }
            """
    }

    var backwardBlockMask: String {
        guard variant.blockSparse != nil else { return "/* Not block-sparse: no block mask to check. */" }
        return """
            if (params->block_mask == NULL) {
                return ATTNGEN_ERROR_NULL_POINTER; /* this variant is block-sparse */
            }
            """
    }
}
