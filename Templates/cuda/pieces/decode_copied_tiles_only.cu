/* This variant's plan has no TMA tiles (not the Hopper family, or a paged cache): every call copies its tiles with
   cp.async, and the kernels' tensor-map parameter is empty. */
struct TileMaps {};
