
/* Dropout (README.md, "Dropout"): one Philox4x32-10 call per row and group of 8 keys; key k's
   16-bit value is halfword k % 8 (word (k % 8) / 2: low half for even k, high half for odd k),
   and the probability is dropped when that value is below kDropThreshold. The row sums above
   are taken before dropout, as the log-sum-exp wants; kept probabilities are scaled by
   kKeepScale in the epilogue.
   For each pair of n8 tiles (n, n + 1), quad lane c makes call c: row r = c % 2 (fragment row
   group or group + 8), tile n + c / 2; quad lane c holds keys 2c, 2c + 1 of every tile, the
   halves of word c of the calls; attngen_dropout_quad_keep exchanges the quad's keep bits, after
   which this lane's bits of call j sit at 4j (key 2c) and 16 + 4j (key 2c + 1). Lanes of rows
   past nq make calls no one stores; every lane takes part in the shuffles. Rows and key groups count with the
   call's seqlen_q and seqlen_k, for every sequence of a variable-length batch too (README.md, "Variable-length
   batches"; per-sequence key counts, seqlens_k, never reach this kernel: dropout variants refuse them). */
{
    const uint64_t groups_per_row = (uint64_t)((p.seqlen_k + 7) / 8);
    const int call_row = (quad_lane & 1) * 8;  /* this lane's call: row r = quad_lane % 2 ... */
    const int call_tile = quad_lane >> 1;      /* ... of tile n + quad_lane / 2 */
#pragma unroll
    for (int m = 0; m < MTiles; ++m) {
        const int64_t q = warp_row + m * 16 + call_row;
        const uint64_t first_group =
            (((uint64_t)b * (uint64_t)p.heads_q + (uint64_t)h) * (uint64_t)p.seqlen_q + (uint64_t)q) * groups_per_row +
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
