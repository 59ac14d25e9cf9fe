/* The score modifier on every score of this warp's rows: the raw score S becomes the modified score in base 2
   (README.md, "Score modifiers"; kScoreToLog2 is 1 below); the masks below then override it. */
{
    const float first_key = (float)(k0 + quad_lane * 2); /* positions in fp32, as the expression reads them */
#pragma unroll
    for (int m = 0; m < MTiles; ++m) {
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            const float q = (float)(warp_row + m * 16 + r * 8);
#pragma unroll
            for (int n = 0; n < kBlockColumns / 8; ++n) {
#pragma unroll
                for (int c = 0; c < 2; ++c) {
                    s[m][n][2 * r + c] = score_modifier_log2(s[m][n][2 * r + c], q, first_key + (float)(n * 8 + c),
                                                             modifier_state);
                }
            }
        }
    }
}
