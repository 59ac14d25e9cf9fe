    /* Calls with at least {{minimum_keys}} keys run the kernel with the wider key tile ({{wide_columns}} keys against
       {{narrow_columns}}: fewer waits, barriers and rescales per key; at short key ranges its last tile's padding costs
       more than that saves; TUNING.md H8, H12). */
    if (p.seqlen_k >= {{minimum_keys}}) return attngen_{{name}}_hopper_wide_detail::launch(p, stream);
