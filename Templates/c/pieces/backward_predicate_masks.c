/* Predicate masks, element by element, inside the kept range. */
for (int64_t j = keep_begin; j < keep_end; ++j) {
    if (!element_predicate_holds(b, h, q, col0 + j, nq, nk)) {
        s_row[j] = -INFINITY;
    }
}
