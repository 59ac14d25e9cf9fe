/* The sink joins the row's softmax denominator: m, l and O move to the new maximum. */
const float sink_scale = join_sink(params->sinks[h], &row_max[r], &row_sum[r]);
for (int i = 0; i < VALUE_HEAD_DIM; ++i) {
    ot_tile[i * LANES + r] *= sink_scale;
}
