if (p.dscore_parameters != NULL && p.seqlen_q > 0) {
    arguments.parameter_partials = reinterpret_cast<float *>(
        static_cast<char *>(p.workspace)
        + attngen_size_add_aligned(row_dot_bytes(p), accumulator_bytes(p), 256));
}
