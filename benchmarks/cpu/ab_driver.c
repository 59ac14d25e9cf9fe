/*
 * A/B timing of one emitted C variant built into several shared libraries (benchmarks/cpu/ab.sh): the libraries
 * are loaded with dlopen and called in turn, round after round, so that a noisy machine moves them alike; each
 * library's best time is reported. The first call of each is checked against the first library's result (the
 * largest absolute difference of O, or of dQ for the backward, must stay below 1e-4 unless AB_NOCHECK is set:
 * builds with a stage removed on purpose differ).
 *
 *   ab_driver forward|backward NAME D N CAUSAL ROUNDS THREADS LIBRARY...
 *
 * B = 1, H = 8 query and key/value heads, BHSD, fp32 (the bench_d*_fp32 variants of benchmarks/cpu/variants.json).
 * GFLOP/s: 4 B H N^2 D for the forward (halved when CAUSAL is 1), 2.5 times that for the backward.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attngen_abi.h"

typedef attngen_status (*forward_fn)(const attngen_forward_params *);
typedef attngen_status (*backward_fn)(const attngen_backward_params *);
typedef size_t (*workspace_fn)(const attngen_backward_params *);

enum { MAX_LIBRARIES = 16 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *symbol(void *library, const char *name, const char *suffix)
{
    char text[256];
    snprintf(text, sizeof text, "attngen_%s_%s", name, suffix);
    return dlsym(library, text);
}

static double largest_difference(const float *a, const float *b, size_t count)
{
    double worst = 0.0;
    for (size_t i = 0; i < count; ++i) {
        const double d = fabs((double)a[i] - (double)b[i]);
        worst = d > worst || d != d ? d : worst;
    }
    return worst;
}

int main(int argc, char **argv)
{
    if (argc < 9 || (strcmp(argv[1], "forward") != 0 && strcmp(argv[1], "backward") != 0)) {
        fprintf(stderr, "usage: ab_driver forward|backward NAME D N CAUSAL ROUNDS THREADS LIBRARY...\n");
        return 64;
    }
    const int backward = strcmp(argv[1], "backward") == 0;
    const char *name = argv[2];
    const long d = atol(argv[3]), n = atol(argv[4]);
    const int causal = atoi(argv[5]), rounds = atoi(argv[6]), threads = atoi(argv[7]);
    const int libraries = argc - 8;
    if (d < 1 || n < 1 || rounds < 1 || threads < 1 || libraries > MAX_LIBRARIES) {
        fprintf(stderr, "ab_driver: bad D, N, ROUNDS or THREADS, or more than %d libraries\n", MAX_LIBRARIES);
        return 64;
    }
    forward_fn forward[MAX_LIBRARIES];
    backward_fn backward_call[MAX_LIBRARIES];
    workspace_fn workspace[MAX_LIBRARIES];
    for (int i = 0; i < libraries; ++i) {
        void *library = dlopen(argv[8 + i], RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) {
            fprintf(stderr, "ab_driver: %s\n", dlerror());
            return 1;
        }
        forward[i] = (forward_fn)symbol(library, name, "forward");
        backward_call[i] = (backward_fn)symbol(library, name, "backward");
        workspace[i] = (workspace_fn)symbol(library, name, "backward_workspace_size");
        if (forward[i] == NULL || (backward && (backward_call[i] == NULL || workspace[i] == NULL))) {
            fprintf(stderr, "ab_driver: %s lacks the entry points of %s\n", argv[8 + i], name);
            return 1;
        }
    }

    const long batch = 1, heads = 8;
    const size_t elements = (size_t)(batch * heads * n * d);
    float *q = malloc(elements * 4), *k = malloc(elements * 4), *v = malloc(elements * 4), *o = malloc(elements * 4);
    float *d_o = malloc(elements * 4), *dq = malloc(elements * 4), *dk = malloc(elements * 4), *dv = malloc(elements * 4);
    float *first = malloc(elements * 4), *lse = malloc((size_t)(batch * heads * n) * 4);
    if (!q || !k || !v || !o || !d_o || !dq || !dk || !dv || !first || !lse) {
        fprintf(stderr, "ab_driver: out of memory\n");
        return 1;
    }
    srand(1);
    for (size_t i = 0; i < elements; ++i) {
        q[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        k[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        v[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        d_o[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    }
    const attngen_layout rows = {heads * n * d, n * d, d}, lse_rows = {heads * n, n, 1};
    attngen_forward_params fp;
    memset(&fp, 0, sizeof fp);
    fp.struct_size = sizeof fp;
    fp.batch = batch;
    fp.heads_q = fp.heads_kv = (int32_t)heads;
    fp.seqlen_q = fp.seqlen_k = n;
    fp.q = q, fp.k = k, fp.v = v, fp.o = o, fp.lse = lse;
    fp.q_layout = fp.k_layout = fp.v_layout = fp.o_layout = rows;
    fp.lse_layout = lse_rows;
    fp.num_threads = threads;
    attngen_backward_params bp;
    memset(&bp, 0, sizeof bp);
    bp.struct_size = sizeof bp;
    bp.batch = batch;
    bp.heads_q = bp.heads_kv = (int32_t)heads;
    bp.seqlen_q = bp.seqlen_k = n;
    bp.q = q, bp.k = k, bp.v = v, bp.o = o, bp.lse = lse, bp.d_o = d_o, bp.dq = dq, bp.dk = dk, bp.dv = dv;
    bp.q_layout = bp.k_layout = bp.v_layout = bp.o_layout = bp.d_o_layout = rows;
    bp.dq_layout = bp.dk_layout = bp.dv_layout = rows;
    bp.lse_layout = lse_rows;
    bp.num_threads = threads;
    if (backward && forward[0](&fp) != ATTNGEN_OK) {
        fprintf(stderr, "ab_driver: the forward call of %s failed\n", argv[8]);
        return 1;
    }

    /* One call of each library: its status, and its result against the first library's. */
    double best[MAX_LIBRARIES];
    for (int r = -1; r < rounds; ++r) {
        for (int i = 0; i < libraries; ++i) {
            void *buffer = NULL;
            if (backward) {
                bp.workspace_size = workspace[i](&bp);
                buffer = malloc(bp.workspace_size > 0 ? bp.workspace_size : 1);
                bp.workspace = buffer;
            }
            const double start = now();
            const attngen_status status = backward ? backward_call[i](&bp) : forward[i](&fp);
            const double seconds = now() - start;
            free(buffer);
            if (status != ATTNGEN_OK) {
                fprintf(stderr, "ab_driver: %s returned status %d\n", argv[8 + i], (int)status);
                return 1;
            }
            const float *result = backward ? dq : o;
            if (r < 0) {
                best[i] = INFINITY;
                if (i == 0) {
                    memcpy(first, result, elements * 4);
                } else if (getenv("AB_NOCHECK") == NULL) {
                    const double difference = largest_difference(first, result, elements);
                    if (!(difference <= 1e-4)) {
                        fprintf(stderr, "ab_driver: %s differs from %s by %g\n", argv[8 + i], argv[8], difference);
                        return 1;
                    }
                }
            } else if (seconds < best[i]) {
                best[i] = seconds;
            }
        }
    }
    const double flops = (backward ? 2.5 : 1.0) * 4.0 * (double)(batch * heads) * (double)n * (double)n * (double)d
                         * (causal ? 0.5 : 1.0);
    printf("%s %s d=%ld N=%ld causal=%d threads=%d:", argv[1], name, d, n, causal, threads);
    for (int i = 0; i < libraries; ++i) {
        printf("  [%c] %.1f GFLOP/s (%.1f ms)", 'A' + i, flops / best[i] * 1e-9, best[i] * 1e3);
    }
    printf("\n");
    return 0;
}
