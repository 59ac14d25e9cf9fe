    /* Calls with at least {{minimum_keys}} keys run the long-range kernel ({{long_tile}}, against
       {{short_tile}}): a wider key tile has fewer waits, barriers and rescales per key, three consumers keep the
       tensor cores busier under a causal mask; at short key ranges the wide tile's last-tile padding, and the
       192-row tile's coarser balance, cost more than that saves (TUNING.md H8, H12, H22). */
    if (p.seqlen_k >= {{minimum_keys}}) return attngen_{{name}}_hopper_long_detail::launch(p, stream);
