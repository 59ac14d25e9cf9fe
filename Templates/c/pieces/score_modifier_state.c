const score_modifier_state modifier_state = score_modifier_prepare(b, h, nq, nk, params->heads_q, params->score_parameters);
