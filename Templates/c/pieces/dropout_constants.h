/* Dropout p = {{probability}}: a probability is dropped when its 16-bit Philox value is below floor(p * 65536);
   kept ones are scaled by 1 / (1 - p), rounded once to fp32. */
static const uint16_t DROPOUT_THRESHOLD = {{threshold}}u;
static const float DROPOUT_KEEP_SCALE = {{keep_scale}};
