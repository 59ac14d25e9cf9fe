/* ------------------------------------------------------------------------------------------------
 * Attention sinks (README.md, "Attention sinks"): dsinks[h] += -sum over (b, q) of exp(sinks[h] - LSE) · D, the
 * sink's probability times the row's D. One block per query head, in a fixed order of additions (deterministic
 * in both dQ modes); a sink of -inf has probability 0 and adds nothing.
 * ---------------------------------------------------------------------------------------------- */

template <bool Packed>
__global__ void __launch_bounds__(256) sink_gradient_kernel(const KernelArguments arguments) {
    const attngen_backward_params &p = arguments.params;
    const int64_t h = blockIdx.x;
    const float sink = p.sinks[h];
    const int64_t rows = sink == -INFINITY ? 0 : p.batch * p.seqlen_q;
    float total = 0.0f;
    for (int64_t i = threadIdx.x; i < rows; i += 256) {
        const int64_t b = i / p.seqlen_q, q = i % p.seqlen_q;
        /* the sequence's rows of LSE (packed in a variable-length batch, where rows past its end have none) */
        const attngen_sequence_rows sequence = attngen_rows_of<Packed>(p.cu_seqlens_q, b, p.seqlen_q, p.total_q);
        if (Packed && q >= sequence.count) continue;
        const float lse = *attngen_sequence_row(p.lse, sequence, p.lse_layout, h, q);
        total = fmaf(expf(sink - lse), arguments.row_dot[(b * p.heads_q + h) * p.seqlen_q + q], total);
    }
    __shared__ float warp_totals[8];
    const float sum = attngen_block_sum_256(total, warp_totals);
    if (threadIdx.x == 0) p.dsinks[h] -= sum;
}

