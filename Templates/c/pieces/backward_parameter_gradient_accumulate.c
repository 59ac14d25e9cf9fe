/* The run-time arrays' gradient: dL/dm times dm/d(array i)[h] at each kept score (dL/dm is 0 where masked). */
if (parameter_partials != NULL) {
    for (int64_t j = 0; j < cols; ++j) {
        if (dm_row[j] != 0.0f) {
            score_modifier_parameter_gradients(x_row[j], (float)q, (float)(col0 + j), &modifier_state, dm_row[j],
                                               parameter_gradient);
        }
    }
}
