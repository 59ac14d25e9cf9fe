/* The TMA instance of a block shape, NULL when the shape has no TMA tiles. */
template <typename Block>
static DecodeKernel tensor_map_instance() {
    if constexpr (Block::kTensorMapSharedBytes > 0) {
        return decode_kernel<false, Block, TensorMapRing<BlockShape<Block>>>;
    } else {
        return NULL;
    }
}

/* TMA tiles for the call `p` where they apply: a whole batch (the caller tests for cu_seqlens), K and V (or their page
   pools) that TMA can address (16-byte aligned base and strides), the launched shape planned with such tiles, and
   maps the driver encodes. Otherwise the cp.async instance chosen before stays, as it does when encoding fails. The
   maps ask for 128-byte L2 promotion: the 256-byte promotion read 6 % slower (TUNING.md, D10). */
static void choose_tensor_map_tiles(const attngen_forward_params &p, bool wide, DecodeKernel &kernel, int &shared_bytes,
                                    TileMaps &maps) {
    const int planned = wide ? WideBlock::kTensorMapSharedBytes : NarrowBlock::kTensorMapSharedBytes;
    if (planned == 0 || attngen_check_shared_memory((size_t)planned) != ATTNGEN_OK) return;
    /* The tensors' keys, or a page's keys of the pools' num_pages pages. */
    const int64_t rows = kPageSize > 0 ? kPageSize : p.seqlen_k;
    const int64_t outer = kPageSize > 0 ? p.num_pages : p.batch;
    if (outer < 1 || !attngen_hopper_tma_layout_ok(p.k, p.k_layout, rows, p.heads_kv, outer) ||
        !attngen_hopper_tma_layout_ok(p.v, p.v_layout, rows, p.heads_kv, outer)) {
        return;
    }
    const CUtensorMapDataType type = attngen_hopper_tensor_map_type<Element>();
    if (attngen_hopper_encode_tensor_map(&maps.k, p.k, type, kHeadDim, rows, p.heads_kv, outer, p.k_layout, kBoxRows,
                                         CU_TENSOR_MAP_L2_PROMOTION_L2_128B) != ATTNGEN_OK ||
        attngen_hopper_encode_tensor_map(&maps.v, p.v, type, kValueHeadDim, rows, p.heads_kv, outer, p.v_layout,
                                         kBoxRows, CU_TENSOR_MAP_L2_PROMOTION_L2_128B) != ATTNGEN_OK) {
        return;
    }
    const DecodeKernel chosen = wide ? tensor_map_instance<WideBlock>() : tensor_map_instance<NarrowBlock>();
    if (chosen == NULL) return;
    kernel = chosen;
    shared_bytes = planned;
}
