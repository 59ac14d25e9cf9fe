/* This variant's plan has no TMA tiles (sm_80, pages that TMA boxes cannot cover, or no room for them): every call
   copies its tiles with cp.async, and the kernels' tensor-map parameter is empty. */
struct TileMaps {};
