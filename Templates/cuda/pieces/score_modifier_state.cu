const ScoreModifierState modifier_state = score_modifier_prepare(b, h, nq, nk, p.heads_q, p.score_parameters);
