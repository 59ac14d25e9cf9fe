/*
 * cuda_arguments.cu: the CUDA launchers' argument checks, run on the host (no GPU needed): the launchers check
 * every argument before their first CUDA call, so each invalid call of argument_cases.h must return its status
 * without touching a device, as the C backend does. Valid calls that would launch kernels are skipped: they need a
 * GPU (benchmarks/gpu/check.sh and benchmarks/gpu-backward/check.sh run kernels). Also runs the CUDA runtime's
 * attngen_layout_is_valid on layout_cases.h.
 *
 * Built with nvcc together with the generated NAME.cu and NAME_backward.cu of one variant and cuda_variant.h,
 * which the test writes: it includes the variant's headers and defines HARNESS_CUDA_FORWARD, HARNESS_CUDA_BACKWARD,
 * HARNESS_CUDA_WORKSPACE and harness_cuda_traits. Prints the lines of driver.c and backward_driver.c:
 *   LAYOUT name=... expected=... got=...
 *   CHECK name=... expected=... got=... untouched=1 works=0 zeros=1     (forward: "pass=forward", backward: "pass=backward")
 *   WORKSPACE name=... expected=<kind> got=<kind> bytes=...
 *   SKIP name=...                                                       (a valid call with work: needs a GPU)
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "argument_cases.h"
#include "attngen_runtime_cuda.cuh"
#include "cuda_variant.h"
#include "layout_cases.h"

static void check_forward(void *, const char *name, const attngen_forward_params *params, int expected, int works) {
    if (works) {
        std::printf("SKIP name=%s pass=forward\n", name);
        return;
    }
    const attngen_status got = HARNESS_CUDA_FORWARD(params, 0);
    std::printf("CHECK name=%s expected=%d got=%d untouched=1 works=0 zeros=1 pass=forward\n", name, expected, (int)got);
}

static void check_backward(void *, const char *name, const attngen_backward_params *params, int expected, int works) {
    if (works) {
        std::printf("SKIP name=%s pass=backward\n", name);
        return;
    }
    const attngen_status got = HARNESS_CUDA_BACKWARD(params, 0);
    std::printf("CHECK name=%s expected=%d got=%d untouched=1 works=0 zeros=1 pass=backward\n", name, expected, (int)got);
}

static void check_workspace(void *, const char *name, const attngen_backward_params *params, int expected) {
    const size_t bytes = HARNESS_CUDA_WORKSPACE(params);
    std::printf("WORKSPACE name=%s expected=%d got=%d bytes=%zu\n", name, expected, harness_workspace_kind(bytes), bytes);
}

/* A [batch, heads, rows, inner] BHSD layout. */
static attngen_layout bhsd(int64_t heads, int64_t rows, int64_t inner) {
    attngen_layout layout;
    layout.batch_stride = heads * rows * inner;
    layout.head_stride = rows * inner;
    layout.row_stride = inner;
    return layout;
}

int main() {
    for (int i = 0; i < HARNESS_LAYOUT_CASE_COUNT; ++i) {
        const harness_layout_case *c = &harness_layout_cases[i];
        const bool got = attngen_layout_is_valid(harness_layout_of(c), c->batch, c->heads, c->rows, c->inner,
                                                 c->element_bytes, c->written != 0);
        std::printf("LAYOUT name=%s expected=%d got=%d\n", c->name, c->valid, got ? 1 : 0);
    }

    /* Host buffers stand in for device ones: the checks compare pointers with NULL and never dereference them. */
    const harness_traits &traits = harness_cuda_traits;
    const int64_t batch = 2, nq = 9, nk = 13;
    const int64_t hq = traits.fixed_heads_q > 0 ? traits.fixed_heads_q : 4;
    const int64_t hkv = traits.fixed_heads_q > 0 ? traits.fixed_heads_kv : 2;
    void *buffer = std::calloc(1, 1 << 16);
    char *base = static_cast<char *>(buffer);

    attngen_forward_params fp;
    std::memset(&fp, 0, sizeof fp);
    fp.struct_size = sizeof fp;
    fp.batch = batch;
    fp.seqlen_q = nq;
    fp.seqlen_k = nk;
    fp.heads_q = (int32_t)hq;
    fp.heads_kv = (int32_t)hkv;
    fp.q = base;
    fp.k = base + 256;
    fp.v = base + 512;
    fp.o = base + 768;
    fp.lse = reinterpret_cast<float *>(base + 1024);
    fp.block_mask = reinterpret_cast<const uint8_t *>(base + 1280);
    fp.q_layout = bhsd(hq, nq, traits.head_dim);
    fp.k_layout = bhsd(hkv, nk, traits.head_dim);
    fp.v_layout = bhsd(hkv, nk, traits.value_head_dim);
    fp.o_layout = bhsd(hq, nq, traits.value_head_dim);
    fp.lse_layout = bhsd(hq, nq, 1);
    fp.block_mask_layout = bhsd(hq, nq, nk);
    std::printf("CHECK name=null_params expected=%d got=%d untouched=1 works=0 zeros=1 pass=forward\n",
                ATTNGEN_ERROR_NULL_POINTER, (int)HARNESS_CUDA_FORWARD(NULL, 0));
    harness_forward_cases(&fp, &traits, check_forward, NULL);

    attngen_backward_params bp;
    std::memset(&bp, 0, sizeof bp);
    bp.struct_size = sizeof bp;
    bp.batch = batch;
    bp.seqlen_q = nq;
    bp.seqlen_k = nk;
    bp.heads_q = (int32_t)hq;
    bp.heads_kv = (int32_t)hkv;
    bp.q = fp.q;
    bp.k = fp.k;
    bp.v = fp.v;
    bp.o = fp.o;
    bp.lse = fp.lse;
    bp.d_o = base + 1536;
    bp.dq = base + 1792;
    bp.dk = base + 2048;
    bp.dv = base + 2304;
    bp.q_layout = bp.dq_layout = fp.q_layout;
    bp.k_layout = bp.dk_layout = fp.k_layout;
    bp.v_layout = bp.dv_layout = fp.v_layout;
    bp.o_layout = bp.d_o_layout = fp.o_layout;
    bp.lse_layout = fp.lse_layout;
    bp.block_mask = fp.block_mask;
    bp.block_mask_layout = fp.block_mask_layout;
    bp.workspace_size = HARNESS_CUDA_WORKSPACE(&bp);
    bp.workspace = base + 4096;
    std::printf("CHECK name=null_params expected=%d got=%d untouched=1 works=0 zeros=1 pass=backward\n",
                ATTNGEN_ERROR_NULL_POINTER, (int)HARNESS_CUDA_BACKWARD(NULL, 0));
    harness_backward_cases(&bp, &traits, check_backward, NULL);
    harness_workspace_cases(&bp, check_workspace, NULL);
    std::free(buffer);
    return 0;
}
