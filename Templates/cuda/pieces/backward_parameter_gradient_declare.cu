/* The run-time arrays' gradient: this thread's share of the current head's sums (part 0 of each key slice only:
   the other parts compute the same scores). */
float parameter_gradient[kScoreParameterCount];
#pragma unroll
for (int i = 0; i < kScoreParameterCount; ++i) parameter_gradient[i] = 0.0f;
const bool accumulates_parameters = arguments.parameter_partials != NULL && part == 0;
