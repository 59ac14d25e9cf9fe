/* Per-sequence key counts are read by the decode kernel only, which this variant has none of (fp32 storage,
   dropout or a block-sparse layout). */
if (p.seqlens_k != NULL && p.seqlen_k > 0) return ATTNGEN_ERROR_UNSUPPORTED;
