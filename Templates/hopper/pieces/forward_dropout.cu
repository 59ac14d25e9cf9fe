    /* Dropout (README.md, "Dropout"): the keep mask of the mma.sync kernels (Templates/cuda/pieces/forward_dropout.cu)
       on this kernel's fragments, bit for bit. One Philox4x32-10 call per row and group of 8 keys; for each pair of
       8-key groups (n, n + 1) quad lane c makes call c (row thread_row + 8 (c % 2), group n + c / 2 of the tile) and
       attngen_dropout_quad_keep hands every lane its keep bits: those of call j at 4j (key 2c) and 16 + 4j (key
       2c + 1). Lanes of rows past nq make calls no one stores. */
    const uint64_t groups_per_row = (uint64_t)((p.seqlen_k + 7) / 8);
    const uint64_t call_row = (uint64_t)thread_row + (uint64_t)((quad_lane & 1) * 8);
    const uint64_t first_group =
        (((uint64_t)b * (uint64_t)p.heads_q + (uint64_t)h) * (uint64_t)p.seqlen_q + call_row) * groups_per_row +
        (uint64_t)(k0 / 8 + (quad_lane >> 1));
#pragma unroll
    for (int n = 0; n < kBlockN / 8; n += 2) {
        const attngen_philox_words words =
            attngen_dropout_words(first_group + (uint64_t)n, p.dropout_seed, p.dropout_offset);
        const uint32_t keep = attngen_dropout_quad_keep(words, kDropThreshold, quad_lane);
#pragma unroll
        for (int j = 0; j < 4; ++j) { /* call j: row r = j % 2, group n + j / 2 */
            if ((keep & (1u << (4 * j))) == 0) s[4 * (n + j / 2) + 2 * (j % 2)] = 0.0f;
            if ((keep & (1u << (16 + 4 * j))) == 0) s[4 * (n + j / 2) + 2 * (j % 2) + 1] = 0.0f;
        }
    }
