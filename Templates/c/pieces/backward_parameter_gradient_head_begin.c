double parameter_gradient[SCORE_PARAMETER_COUNT] = {0.0}; /* this head's share of dL/d(array i)[h] */
