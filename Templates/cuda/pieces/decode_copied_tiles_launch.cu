/* No TMA tiles in this variant's plan: the cp.async instance chosen above runs every call. */
static void choose_tensor_map_tiles(const attngen_forward_params &, bool, DecodeKernel &, int &, TileMaps &) {}
