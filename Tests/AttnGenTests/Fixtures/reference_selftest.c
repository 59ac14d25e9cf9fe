/*
 * reference_selftest.c: checks of the reference itself, driven by PhiloxTests / ForwardMatrixTests.
 *
 *   selftest philox C0 C1 C2 C3 K0 K1      prints "PHILOX w0 w1 w2 w3" (hex in and out)
 *   selftest half F...                     prints "HALF bits" per float F (round to nearest even)
 *   selftest bfloat F...                   prints "BFLOAT bits" per float F
 *   selftest tiny                          prints "TINY name o lse" for hand-computed problems
 *   selftest keeps FILE                    per line "SEED OFFSET HQ NQ NK B H Q K THRESHOLD" of FILE
 *                                          (decimal), prints one 0/1 character: dropout keeps the element
 * Built with: cc -std=c11 -O2 -Wall -Wextra -Werror reference_selftest.c reference.c -lm
 */
#include "reference.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hex(const char *text) {
    return (uint32_t)strtoul(text, NULL, 16);
}

/* Q = [[1], [1]], K = [[0], [log 3]], V = [[4], [8]], scale 1: unmasked, S = [0, log 3], P = [1/4, 3/4],
   O = 4/4 + 24/4 = 7, LSE = log 4. Causal (top-left): row 0 keeps key 0 only, O = 4, LSE = 0. */
static void tiny(const char *name, int causal, int bottom_right) {
    float q[2] = { 1.0f, 1.0f };
    float k[2] = { 0.0f, (float)log(3.0) };
    float v[2] = { 4.0f, 8.0f };
    attngen_forward_params params;
    memset(&params, 0, sizeof params);
    params.struct_size = sizeof params;
    params.batch = 1; params.seqlen_q = 2; params.seqlen_k = 2; params.heads_q = 1; params.heads_kv = 1;
    params.q = q; params.k = k; params.v = v;
    attngen_layout layout = { 2, 2, 1 };
    params.q_layout = layout; params.k_layout = layout; params.v_layout = layout;
    attngen_reference_spec spec;
    attngen_reference_spec_init(&spec, 1, 1, ATTNGEN_REFERENCE_FP32);
    spec.scale = 1.0;
    if (causal) {
        attngen_reference_add_band(&spec, 0, 0, 1, 0, bottom_right);
    }
    double o[2], lse[2];
    int rc = attngen_reference_forward(&params, &spec, o, lse, NULL);
    for (int row = 0; row < 2; row++) {
        printf("TINY %s rc=%d row=%d o=%.17g lse=%.17g\n", name, rc, row, o[row], lse[row]);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        return 2;
    }
    if (strcmp(argv[1], "philox") == 0 && argc == 8) {
        uint32_t counter[4] = { hex(argv[2]), hex(argv[3]), hex(argv[4]), hex(argv[5]) };
        uint32_t key[2] = { hex(argv[6]), hex(argv[7]) };
        uint32_t out[4];
        attngen_reference_philox(counter, key, out);
        printf("PHILOX %08x %08x %08x %08x\n", out[0], out[1], out[2], out[3]);
    } else if (strcmp(argv[1], "half") == 0 || strcmp(argv[1], "bfloat") == 0) {
        int half = strcmp(argv[1], "half") == 0;
        for (int i = 2; i < argc; i++) {
            float value = strtof(argv[i], NULL);
            uint16_t bits = half ? attngen_reference_float_to_half(value) : attngen_reference_float_to_bfloat(value);
            double back = half ? attngen_reference_half_to_double(bits) : attngen_reference_bfloat_to_double(bits);
            printf("%s %u %.17g\n", half ? "HALF" : "BFLOAT", (unsigned)bits, back);
        }
    } else if (strcmp(argv[1], "tiny") == 0) {
        tiny("plain", 0, 0);
        tiny("causal_top_left", 1, 0);
    } else if (strcmp(argv[1], "keeps") == 0 && argc == 3) {
        FILE *file = fopen(argv[2], "r");
        if (file == NULL) {
            return 2;
        }
        unsigned long long seed, offset, threshold;
        long long heads_q, nq, nk, b, h, q, k;
        attngen_forward_params params;
        memset(&params, 0, sizeof params);
        while (fscanf(file, "%llu %llu %lld %lld %lld %lld %lld %lld %lld %llu", &seed, &offset, &heads_q, &nq, &nk,
                      &b, &h, &q, &k, &threshold) == 10) {
            params.dropout_seed = seed;
            params.dropout_offset = offset;
            params.heads_q = (int32_t)heads_q;
            params.seqlen_q = nq;
            params.seqlen_k = nk;
            putchar(attngen_reference_dropout_keeps(&params, (uint32_t)threshold, b, h, q, k) ? '1' : '0');
        }
        putchar('\n');
        fclose(file);
    } else {
        return 2;
    }
    return 0;
}
