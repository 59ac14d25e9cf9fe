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

    /// The dropout step between the softmax and P·V (empty without dropout).
    func dropoutSource(_ spec: AttentionSpec) -> String {
        guard spec.dropout != nil else { return "" }
        return """

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
