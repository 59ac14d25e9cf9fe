        /* The score modifier's state of this item's (batch, head), before the products: its values (a slope, say)
           then take no registers beyond their own while the accumulators are in flight. */
        const ScoreModifierState modifier_state = score_modifier_prepare(b, h, nq, nk, p.heads_q, p.score_parameters);
