/*
 * layout_check.c: the C runtime's attngen_layout_is_valid (attngen_runtime.h, generated) on the cases of
 * layout_cases.h, one line each:   LAYOUT name=<case> expected=<0|1> got=<0|1>
 * Built with the harness's strict flags (-std=c11 -O2 -Wall -Wextra -Werror), and under the sanitizers too.
 */
#include <stdio.h>

#include "attngen_runtime.h"
#include "layout_cases.h"

int main(void)
{
    for (int i = 0; i < HARNESS_LAYOUT_CASE_COUNT; ++i) {
        const harness_layout_case *c = &harness_layout_cases[i];
        const int got = attngen_layout_is_valid(harness_layout_of(c), c->batch, c->heads, c->rows, c->inner,
                                                c->element_bytes, c->written) != 0;
        printf("LAYOUT name=%s expected=%d got=%d\n", c->name, c->valid, got);
    }
    return 0;
}
