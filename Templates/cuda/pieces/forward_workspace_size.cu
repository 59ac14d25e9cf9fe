/* The optional workspace of a forward call (attngen_abi.h): the bytes split-KV decoding needs for this call on the
   current device, 0 when the call would not split; SIZE_MAX when params is NULL, its struct_size is wrong, or a
   size or head count is refused. */
extern "C" size_t attngen_{{name}}_forward_workspace_size_cuda(const attngen_forward_params *params) {
    using namespace {{rules_namespace}};
    if (params == NULL || params->struct_size != sizeof(attngen_forward_params) ||
        attngen_check_sizes_and_heads(params->batch, params->seqlen_q, params->seqlen_k, params->heads_q,
                                      params->heads_kv, &kVariantRules) != ATTNGEN_OK) {
        return SIZE_MAX;
    }
    if (params->batch == 0 || params->seqlen_q == 0 || params->heads_q == 0 || params->heads_kv == 0) return 0;
    {{size}}
}
