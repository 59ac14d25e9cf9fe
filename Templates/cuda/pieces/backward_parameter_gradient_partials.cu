if (p.dscore_parameters != NULL && p.seqlen_q > 0) {
    arguments.parameter_partials = reinterpret_cast<float *>(workspace + layout.parameter_partials);
}
