/* The score modifier's state of each row's (batch, query head) (README.md, "Score modifiers"). */
ScoreModifierState modifier_states[2];
#pragma unroll
for (int r = 0; r < 2; ++r) modifier_states[r] = score_modifier_prepare(b, row_h[r], nq, nk, p.heads_q, p.score_parameters);
