/* The score modifier: the raw score S becomes the modified score in base 2 (SCORE_TO_LOG2 is 1 below), and g
   keeps the derivative m'(scale * S) for dS. Keys past the end are masked below. */
for (int j = 0; j < KEY_LANES; ++j) {
    const float key = (float)(col0 + j);
    g_row[j] = score_modifier_derivative(s_row[j], (float)q, key, &modifier_state);
    s_row[j] = score_modifier_log2(s_row[j], (float)q, key, &modifier_state);
}
