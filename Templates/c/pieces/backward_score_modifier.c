/* The score modifier: the raw score S becomes m(scale * S) / scale, so that the exponent below is the modified
   score in base 2; g keeps the derivative m'(scale * S) for dS. Keys past the end are masked below. */
for (int j = 0; j < KEY_LANES; ++j) {
    const float s = s_row[j] * SOFTMAX_SCALE, key = (float)(col0 + j);
    g_row[j] = score_modifier_derivative(s, (float)b, h, (float)q, key, (float)nq, (float)nk, params->heads_q,
                                         params->score_parameters);
    s_row[j] = score_modifier(s, (float)b, h, (float)q, key, (float)nq, (float)nk, params->heads_q,
                              params->score_parameters) / SOFTMAX_SCALE;
}
