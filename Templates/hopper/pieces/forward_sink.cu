/* The sink joins the row's softmax denominator (README.md, "Attention sinks"): maximum, sum and O move to it. */
float row_log2 = sum > 0.0f ? row_max[r] * kScoreToLog2 : -INFINITY;
const float sink_scale = attngen_join_sink(p.sinks[h], row_log2, sum);
row_max[r] = row_log2 * (1.0f / kScoreToLog2);
#pragma unroll
for (int j = 0; j < kValueHeadDim / 8; ++j) {
    o[4 * j + 2 * r] *= sink_scale;
    o[4 * j + 2 * r + 1] *= sink_scale;
}
