/* The score modifier: the raw score S becomes m(scale * S) / scale, so that the exponent below is the modified
   score in base 2; g keeps the derivative m'(scale * S) for dS. Keys past the end are masked below. */
for (int j = 0; j < KEY_LANES; ++j) {
    const float s = s_row[j] * SOFTMAX_SCALE;
    g_row[j] = score_modifier_derivative(s, b, h, q, col0 + j, nq, nk, params->heads_q, params->score_parameters);
    s_row[j] = score_modifier(s, b, h, q, col0 + j, nq, nk, params->heads_q, params->score_parameters) / SOFTMAX_SCALE;
}
