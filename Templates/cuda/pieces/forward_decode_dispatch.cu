/* At most kMaxQueryRows query rows: the decode kernel (query heads packed into rows, keys split across blocks). */
if (attngen_{{name}}_decode::decode_applies(p)) return attngen_{{name}}_decode::launch_decode(p, stream);
