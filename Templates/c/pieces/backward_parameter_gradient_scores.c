if (parameter_partials != NULL) {
    memcpy(x_row, s_row, sizeof(float) * KEY_LANES); /* the raw scores, for the arrays' gradient */
}
