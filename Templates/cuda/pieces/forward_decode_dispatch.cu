/* At most kMaxQueryRows query rows: the decode kernel (query heads packed into rows, keys split across blocks). */
if (attngen_{{name}}_decode::decode_applies(p)) return attngen_{{name}}_decode::launch_decode(p, stream);
/* A paged cache is read by the decode kernel only: a grid beyond its limits is refused. */
if (kPageSize > 0 && p.seqlen_k > 0) return ATTNGEN_ERROR_INVALID_SIZE;
