const int lane = threadIdx.x % 32;
const int group = lane / 4, quad_lane = lane % 4;
const uint64_t groups_per_row = (uint64_t)((p.seqlen_k + 7) / 8);
const uint64_t head_row = ((uint64_t)b * (uint64_t)p.heads_q + (uint64_t)h) * (uint64_t)p.seqlen_q;
uint32_t bits = 0u;
if constexpr (!RowsAreKeys) {
    /* This lane's call: query row0 + (quad_lane % 2) * 8, key group (column0 - 2 * quad_lane) / 8 + quad_lane / 2. */
    const uint64_t query = (uint64_t)(row0 + (quad_lane & 1) * 8);
    const uint64_t first_group = (head_row + query) * groups_per_row +
                                 (uint64_t)((column0 - 2 * quad_lane) / 8 + (quad_lane >> 1));
#pragma unroll 1
    for (int n = 0; n < Fragments; n += 2) {
        const attngen_philox_words words =
            attngen_dropout_words(first_group + (uint64_t)n, p.dropout_seed, p.dropout_offset);
        uint32_t keep = attngen_dropout_quad_keep(words, kDropThreshold, quad_lane) & 0x11111111u;
        /* call j: column 2c at bit 4j, 2c + 1 at 16 + 4j */
        keep = (keep | (keep >> 15)) & 0x3333u;      /* call j: bits 4j, 4j + 1 */
        keep = (keep | (keep >> 2)) & 0x0f0fu;
        keep = (keep | (keep >> 4)) & 0xffu;         /* call j: bits 2j, 2j + 1 = values [n + j / 2][2 (j % 2) + 0, 1] */
        bits |= keep << (4 * n);
    }
} else {
    /* This lane's calls: query column0 + 16u + 8 (group / 4) + group % 2, key group of keys
       row0 - group + 8 ((group / 2) % 2); it keeps the bits of halfword `group`. */
    const uint64_t key_group = (uint64_t)((row0 - group) / 8 + ((group >> 1) & 1));
    const uint64_t query = (uint64_t)(column0 + 8 * (group >> 2) + (group & 1));
#pragma unroll 1
    for (int u = 0; u < Fragments / 2; ++u) {
        const attngen_philox_words words = attngen_dropout_words(
            (head_row + query + 16u * (uint64_t)u) * groups_per_row + key_group, p.dropout_seed, p.dropout_offset);
        uint32_t mine = 0u;  /* bit 4g' + quad_lane: the call of lane group g' keeps halfword `group` */
#pragma unroll
        for (int x = 0; x < 8; ++x) {
            const uint32_t word = words.w[x / 2];
            const uint32_t value = x % 2 == 0 ? (word & 0xffffu) : (word >> 16);
            /* value >= kDropThreshold, written so that p = 0 (threshold 0) is no pointless comparison */
            const uint32_t ballot = __ballot_sync(0xffffffffu, value + 1u > kDropThreshold);
            mine = group == x ? ballot : mine;
        }
        uint32_t keep = (mine >> quad_lane) & 0x11111111u;  /* lane group g' at bit 4g' */
        keep = (keep | (keep >> 3)) & 0x03030303u;
        keep = (keep | (keep >> 6)) & 0x000f000fu;
        keep = (keep | (keep >> 12)) & 0xffu;                 /* g' at bit g' = value [2u + g' / 4][g' % 4] */
        bits |= keep << (8 * u);
    }
}
return bits;
