// The mask code of a CUDA kernel: which key range a query tile can see, which tiles need no
// per-element test, the per-element test itself, and the block-sparse skip.

extension CUDAEmitter {
    private func shiftSource(_ alignment: DiagonalAlignment) -> String {
        alignment == .bottomRight ? "nk - nq" : "0"
    }

    /// Body of `visible_key_range`: narrows [begin, end) by the causal and window masks.
    func keyRangeSource(_ spec: AttentionSpec) -> String {
        var lines: [String] = []
        for mask in spec.masks {
            switch mask {
            case .causal(let alignment):
                lines.append("/* causal (\(alignment.rawValue)): keys k <= q + shift */")
                lines.append("end = attngen_min64(end, q_end + (\(shiftSource(alignment))));")
            case .slidingWindow(let left, let right, let alignment):
                lines.append("/* sliding window (\(alignment.rawValue)): q + shift - left <= k <= q + shift + right */")
                if let right {
                    lines.append("end = attngen_min64(end, q_end + (\(shiftSource(alignment))) + \(right));")
                }
                if let left {
                    lines.append("begin = attngen_max64(begin, q_begin + (\(shiftSource(alignment))) - \(left));")
                }
            case .blockSparse, .predicate:
                break
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Body of `tile_is_interior`.
    func tileInteriorSource(_ spec: AttentionSpec) -> String {
        var lines = ["if (k_end > nk) return false;  /* keys past the end */"]
        for mask in spec.masks {
            switch mask {
            case .causal(let alignment):
                lines.append("if (k_end - 1 > q_begin + (\(shiftSource(alignment)))) return false;  /* crosses the causal diagonal */")
            case .slidingWindow(let left, let right, let alignment):
                if let right {
                    lines.append("if (k_end - 1 > q_begin + (\(shiftSource(alignment))) + \(right)) return false;  /* crosses the window's right edge */")
                }
                if let left {
                    lines.append("if (k_begin < q_end - 1 + (\(shiftSource(alignment))) - \(left)) return false;  /* crosses the window's left edge */")
                }
            case .predicate:
                lines.append("return false;  /* the predicate is tested on every element */")
                return lines.joined(separator: "\n")
            case .blockSparse:
                break
            }
        }
        lines.append("return true;")
        return lines.joined(separator: "\n")
    }

    /// Body of `element_is_kept`.
    func elementKeptSource(_ spec: AttentionSpec) -> String {
        var lines = ["if (k >= nk) return false;"]
        for mask in spec.masks {
            switch mask {
            case .causal(let alignment):
                lines.append("if (k > q + (\(shiftSource(alignment)))) return false;  /* causal (\(alignment.rawValue)) */")
            case .slidingWindow(let left, let right, let alignment):
                if let right {
                    lines.append("if (k > q + (\(shiftSource(alignment))) + \(right)) return false;  /* window, right */")
                }
                if let left {
                    lines.append("if (k < q + (\(shiftSource(alignment))) - \(left)) return false;  /* window, left */")
                }
            case .predicate(let predicate):
                lines.append("/* predicate: \(predicate) */")
                lines.append("if (!\(predicate.cSource(names: { $0.rawValue }))) return false;")
            case .blockSparse:
                break
            }
        }
        lines.append("return true;")
        return lines.joined(separator: "\n")
    }

    /// Body of the forward kernel's `row_key_bounds`: narrows a row's kept keys [lo, hi) (starting as
    /// [0, nk)) by the causal and window masks; the same keys `elementKeptSource` keeps, a row at a time.
    func rowKeyBoundsSource(_ spec: AttentionSpec) -> String {
        var lines: [String] = []
        for mask in spec.masks {
            switch mask {
            case .causal(let alignment):
                lines.append("hi = attngen_min64(hi, q + (\(shiftSource(alignment))) + 1);  /* causal (\(alignment.rawValue)): k <= q + shift */")
            case .slidingWindow(let left, let right, let alignment):
                if let right {
                    lines.append("hi = attngen_min64(hi, q + (\(shiftSource(alignment))) + \(right) + 1);  /* window, right */")
                }
                if let left {
                    lines.append("lo = attngen_max64(lo, q + (\(shiftSource(alignment))) - \(left));  /* window, left */")
                }
            case .blockSparse, .predicate:
                break
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Body of the forward kernel's `element_predicate_holds`: the predicate masks alone.
    func elementPredicateSource(_ spec: AttentionSpec) -> String {
        var terms: [String] = []
        for mask in spec.masks {
            if case .predicate(let predicate) = mask {
                terms.append("/* predicate: \(predicate) */")
                terms.append("if (!\(predicate.cSource(names: { $0.rawValue }))) return false;")
            }
        }
        terms.append("return true;")
        return terms.joined(separator: "\n")
    }

    /// Body of `key_tile_is_skipped`: the planner makes Br divide blockRows and Bc divide blockColumns,
    /// so one byte of the layout covers the whole tile.
    func tileSkippedSource(_ spec: AttentionSpec) -> String {
        guard let sparse = spec.blockSparseLayout else { return "return false;" }
        return """
            /* block-sparse, \(sparse.blockRows) x \(sparse.blockColumns) blocks: one byte covers this whole tile */
            const attngen_layout &layout = p.block_mask_layout;
            const int64_t block_row = q_begin / \(sparse.blockRows);
            const int64_t block_column = k_begin / \(sparse.blockColumns);
            return p.block_mask[b * layout.batch_stride + h * layout.head_stride + block_row * layout.row_stride +
                                block_column] == 0;
            """
    }

    /// The dropout step between the softmax and P·V (empty without dropout). On sm_90 the two lanes of a
    /// quad that hold the same key group share each Philox call (half the calls); on sm_80 each lane makes
    /// its own calls, since the shared form spilled registers there (ptxas, 32-row warps).
    func dropoutSource(_ spec: AttentionSpec) -> String {
        guard spec.dropout != nil else { return "" }
        return target == .cudaSM80 ? perLaneDropoutSource : sharedDropoutSource
    }

    /// Dropout with one Philox call per lane, row and key group (sm_80).
    private var perLaneDropoutSource: String {
        """

            /* Dropout (README.md, "Dropout"): the Philox4x32-10 word of (b, h, q, k); a probability is
               dropped when its word is below kDropThreshold. The row sums above are taken before dropout,
               as the log-sum-exp wants; kept probabilities are scaled by kKeepScale in the epilogue. */
            {
                const uint64_t groups_per_row = (uint64_t)((nk + 3) / 4);
            #pragma unroll
                for (int m = 0; m < kMTiles; ++m) {
            #pragma unroll
                    for (int r = 0; r < 2; ++r) {
                        const int64_t q = warp_row + m * 16 + r * 8;
                        if (q >= nq) continue;
                        const uint64_t row = ((uint64_t)b * (uint64_t)p.heads_q + (uint64_t)h) * (uint64_t)nq + (uint64_t)q;
            #pragma unroll
                        for (int n = 0; n < kBlockColumns / 8; ++n) {
                            /* k is even, so k and k + 1 share one Philox call (words k % 4 and k % 4 + 1). */
                            const int64_t k = k0 + n * 8 + quad_lane * 2;
                            const attngen_philox_words words =
                                attngen_dropout_words(row * groups_per_row + (uint64_t)(k / 4), p.dropout_seed, p.dropout_offset);
                            const bool upper = (k & 2) != 0;
                            const uint32_t word0 = upper ? words.w[2] : words.w[0];
                            const uint32_t word1 = upper ? words.w[3] : words.w[1];
                            if (word0 < kDropThreshold) s[m][n][2 * r] = 0.0f;
                            if (word1 < kDropThreshold) s[m][n][2 * r + 1] = 0.0f;
                        }
                    }
                }
            }
            """
    }

    /// Dropout with one Philox call per pair of lanes, row and key group, swapped by a shuffle (sm_90).
    private var sharedDropoutSource: String {
        """

            /* Dropout (README.md, "Dropout"): the Philox4x32-10 word of (b, h, q, k); a probability is
               dropped when its word is below kDropThreshold. The row sums above are taken before dropout,
               as the log-sum-exp wants; kept probabilities are scaled by kKeepScale in the epilogue.
               One Philox call gives the four words of a group of 4 keys of one row. Lanes 2j and 2j + 1 of
               a quad hold the same group (keys k % 4 = 0, 1 and 2, 3) for rows r = 0 and r = 1: the lower
               lane computes the group of row 0, the upper lane that of row 1, and they swap the two words
               the other needs, so each call serves four elements, not two. Rows past nq compute words no
               one stores (every lane takes part in the swap). */
            {
                const uint64_t groups_per_row = (uint64_t)((nk + 3) / 4);
                const bool upper = (quad_lane & 1) != 0;  /* this lane holds keys k % 4 = 2, 3 of its group */
            #pragma unroll
                for (int m = 0; m < kMTiles; ++m) {
                    const int64_t q = warp_row + m * 16 + (upper ? 8 : 0);  /* the row this lane's call serves */
                    const uint64_t row = ((uint64_t)b * (uint64_t)p.heads_q + (uint64_t)h) * (uint64_t)nq + (uint64_t)q;
            #pragma unroll
                    for (int n = 0; n < kBlockColumns / 8; ++n) {
                        const int64_t k = k0 + n * 8 + quad_lane * 2;  /* even; the pair shares k / 4 */
                        const attngen_philox_words words =
                            attngen_dropout_words(row * groups_per_row + (uint64_t)(k / 4), p.dropout_seed, p.dropout_offset);
                        /* the lower lane gives words 2, 3 of row 0; the upper lane words 0, 1 of row 1 */
                        const uint32_t other0 = __shfl_xor_sync(0xffffffffu, upper ? words.w[0] : words.w[2], 1);
                        const uint32_t other1 = __shfl_xor_sync(0xffffffffu, upper ? words.w[1] : words.w[3], 1);
                        const uint32_t row0_word0 = upper ? other0 : words.w[0], row0_word1 = upper ? other1 : words.w[1];
                        const uint32_t row1_word0 = upper ? words.w[2] : other0, row1_word1 = upper ? words.w[3] : other1;
                        if (row0_word0 < kDropThreshold) s[m][n][0] = 0.0f;
                        if (row0_word1 < kDropThreshold) s[m][n][1] = 0.0f;
                        if (row1_word0 < kDropThreshold) s[m][n][2] = 0.0f;
                        if (row1_word1 < kDropThreshold) s[m][n][3] = 0.0f;
                    }
                }
            }
            """
    }

    /// The log-sum-exp store in the epilogue (empty when the variant does not save it).
    func saveLogSumExpSource(_ spec: AttentionSpec) -> String {
        guard spec.savesLogSumExp else { return "" }
        return """
            if (quad_lane == 0) {
                p.lse[b * p.lse_layout.batch_stride + h * p.lse_layout.head_stride + q * p.lse_layout.row_stride] =
                    kept_any ? row_max[m][r] * kScale + logf(sum) : -INFINITY;
            }
            """
    }
}
