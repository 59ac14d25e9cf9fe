/* The sink joins the row's softmax denominator (README.md, "Attention sinks") once: in the first split (the
   combine adds the splits' sums). */
if (split == 0) {
    float row_log2 = sum > 0.0f ? scaled_max : -INFINITY;
    value *= attngen_join_sink(p.sinks[h], row_log2, sum);
    scaled_max = row_log2;
}
