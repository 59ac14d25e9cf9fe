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

    /// The dropout step between the softmax and P·V (empty without dropout), the same on sm_80 and sm_90.
    ///
    /// One Philox call gives the 16-bit values of 8 keys of one row (README "Dropout"): in the m16n8
    /// accumulator layout, the keys 2c, 2c + 1 that quad lane c holds in an n8 tile are the two halves of
    /// word c. For each pair of n8 tiles, the 4 lanes of a quad make the 4 calls of (row r, r + 8) × (tile
    /// n, n + 1), one each; each lane turns its call's 8 values into 8 keep bits (two SWAR compares per
    /// word, no per-halfword branches), packs them at bits 4·call + word and 16 + 4·call + word, and two
    /// xor-shuffles OR the quad's four packs together. Shifted right by the lane's word index c, the pack
    /// holds this lane's keep bits at fixed positions: call j's low half at bit 4j, high half at 16 + 4j.
    /// One call per 8 elements of a lane, 2 shuffles, no dynamic register indexing.
    func dropoutSource(_ spec: AttentionSpec) -> String {
        guard spec.dropout != nil else { return "" }
        return """

            /* Dropout (README.md, "Dropout"): one Philox4x32-10 call per row and group of 8 keys; key k's
               16-bit value is halfword k % 8 (word (k % 8) / 2: low half for even k, high half for odd k),
               and the probability is dropped when that value is below kDropThreshold. The row sums above
               are taken before dropout, as the log-sum-exp wants; kept probabilities are scaled by
               kKeepScale in the epilogue.
               For each pair of n8 tiles (n, n + 1), quad lane c makes call c: row r = c % 2 (fragment row
               group or group + 8), tile n + c / 2; quad lane c holds keys 2c, 2c + 1 of every tile, the
               halves of word c of the calls; attngen_dropout_quad_keep exchanges the quad's keep bits, after
               which this lane's bits of call j sit at 4j (key 2c) and 16 + 4j (key 2c + 1). Lanes of rows
               past nq make calls no one stores; every lane takes part in the shuffles. */
            {
                const uint64_t groups_per_row = (uint64_t)((nk + 7) / 8);
                const int call_row = (quad_lane & 1) * 8;  /* this lane's call: row r = quad_lane % 2 ... */
                const int call_tile = quad_lane >> 1;      /* ... of tile n + quad_lane / 2 */
            #pragma unroll
                for (int m = 0; m < kMTiles; ++m) {
                    const int64_t q = warp_row + m * 16 + call_row;
                    const uint64_t first_group =
                        (((uint64_t)b * (uint64_t)p.heads_q + (uint64_t)h) * (uint64_t)nq + (uint64_t)q) * groups_per_row +
                        (uint64_t)(k0 / 8 + call_tile);
            #pragma unroll
                    for (int n = 0; n < kBlockColumns / 8; n += 2) {
                        const attngen_philox_words words =
                            attngen_dropout_words(first_group + (uint64_t)n, p.dropout_seed, p.dropout_offset);
                        const uint32_t keep = attngen_dropout_quad_keep(words, kDropThreshold, quad_lane);
            #pragma unroll
                        for (int j = 0; j < 4; ++j) {  /* call j: row r = j % 2, tile n + j / 2 */
                            if ((keep & (1u << (4 * j))) == 0) s[m][n + j / 2][2 * (j % 2)] = 0.0f;
                            if ((keep & (1u << (16 + 4 * j))) == 0) s[m][n + j / 2][2 * (j % 2) + 1] = 0.0f;
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
            if (quad_lane == 0 && q < nq) {
                p.lse[b * p.lse_layout.batch_stride + h * p.lse_layout.head_stride + q * p.lse_layout.row_stride] =
                    kept_any ? row_max[m][r] * kScale + logf(sum) : -INFINITY;
            }
            """
    }
}
