/* At most {{max_query_rows}} query rows: the decode kernel of the mma.sync launcher (query heads packed into rows, keys
   split across blocks), which reads K and V at the memory's pace where the Hopper kernel's 128-row tiles would idle. */
if (p.seqlen_q <= {{max_query_rows}} && p.seqlen_k > 0) return attngen_{{name}}_forward_mma_cuda(params, stream);
