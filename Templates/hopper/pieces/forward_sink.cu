/* The sink joins the row's softmax denominator (README.md, "Attention sinks"): maximum, sum and O move to it.
   fp8: the row's sum carries P's factor 2^kPOffsetLog2 (online_softmax), so the row's maximum in base 2 is
   taken that much lower here; its raw scores' factor holds the descale factors (score_to_log2). */
float row_log2 = sum > 0.0f ? row_max[r] * score_to_log2 - kPOffsetLog2 : -INFINITY;
const float sink_scale = attngen_join_sink(p.sinks[h], row_log2, sum);
row_max[r] = (row_log2 + kPOffsetLog2) * (1.0f / score_to_log2);
#pragma unroll
for (int j = 0; j < kValueHeadDim / 8; ++j) {
    o[4 * j + 2 * r] *= sink_scale;
    o[4 * j + 2 * r + 1] *= sink_scale;
}
