/* ---- attention sinks (README.md, "Attention sinks") --------------------------------------------- */

/* Joins the sink logit `sink` (natural-log units) to a row's running maximum *m (base 2) and sum *l: the maximum
   becomes max(m, sink * log2(e)), l is rescaled to it and gains 2^(sink * log2(e) - m), like the scores of one
   more key without a value row. Returns the factor the row's unnormalised O is rescaled by (0 when the row kept
   nothing, whose O is 0). A sink of -inf changes nothing; a NaN sink makes the row NaN. */
static inline float join_sink(float sink, float *m, float *l)
{
    const float sink_log2 = sink * 1.44269504088896341f;
    const float row_log2 = *l > 0.0f ? *m : -INFINITY;
    const float top = row_log2 > sink_log2 ? row_log2 : sink_log2;
    if (top == -INFINITY) {
        return 1.0f;
    }
    const float scale = exp2f(row_log2 - top);
    *l = *l * scale + exp2f(sink_log2 - top);
    *m = top;
    return scale;
}

