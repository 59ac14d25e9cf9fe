/* Predicate masks, element by element, inside the kept rows. */
for (int64_t r = keep_begin; r < attngen_min_i64(keep_end, rows); ++r) {
    if (!element_predicate_holds(b, h, row0 + r, k, nq, nk)) {
        s_row[r] = -INFINITY;
    }
}
