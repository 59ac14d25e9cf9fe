#!/usr/bin/env python3
"""Compares the outputs of two emissions of the same C variants, bit for bit.

    python3 benchmarks/tools/compare_c_outputs.py OLD_DIR NEW_DIR [--cc gcc] [--flags "-O2"]

OLD_DIR and NEW_DIR are folders written by `attngen emit c` (e.g. the committed generated/c of an earlier commit
and a fresh emission). For every variant header NAME.h present in both, it builds a small driver against each
folder, calls attngen_NAME_forward (and attngen_NAME_backward when NAME_backward.h exists, in deterministic mode)
on the same pseudo-random inputs at a few awkward shapes, and prints one FNV-1a hash per output tensor. The
restructuring check of issue 12 ("the emitted CPU kernels give bit-identical results before and after") runs it;
it exits non-zero when any hash differs or a build fails.
"""
import argparse, os, re, subprocess, sys, tempfile

DRIVER = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attngen_runtime.h"
#include "%(name)s.h"
%(backward_include)s

static uint64_t state;
static uint64_t next_random(void) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static float uniform(void) { return (float)((next_random() >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f; }
static uint64_t fnv(const void *data, size_t bytes, uint64_t hash) {
    const unsigned char *p = (const unsigned char *)data;
    for (size_t i = 0; i < bytes; i++) { hash ^= p[i]; hash *= 0x100000001B3ull; }
    return hash;
}
static void fill(void *buffer, size_t count, int element_bytes) {
    for (size_t i = 0; i < count; i++) {
        float x = uniform();
        if (element_bytes == 4) ((float *)buffer)[i] = x;
        else ((uint16_t *)buffer)[i] = %(to_bits)s(x);
    }
}

int main(void) {
    const int64_t shapes[][4] = { {2, 77, 131, 0}, {1, 128, 128, 1}, {1, 1, 300, 2}, {2, 200, 45, 3} };
    const int e = ATTNGEN_%(upper)s_ELEMENT_BYTES, d = ATTNGEN_%(upper)s_HEAD_DIM, dv = ATTNGEN_%(upper)s_VALUE_HEAD_DIM;
    const int hq = ATTNGEN_%(upper)s_HEADS_Q ? ATTNGEN_%(upper)s_HEADS_Q : 4;
    const int hkv = ATTNGEN_%(upper)s_HEADS_KV ? ATTNGEN_%(upper)s_HEADS_KV : 2;
    for (int s = 0; s < 4; s++) {
        const int64_t b = shapes[s][0], nq = shapes[s][1], nk = shapes[s][2];
        state = 12345u + (uint64_t)s;
        size_t nqe = (size_t)(b * hq * nq), nke = (size_t)(b * hkv * nk);
        void *q = malloc(nqe * d * e), *k = malloc(nke * d * e), *v = malloc(nke * dv * e), *o = malloc(nqe * dv * e);
        float *lse = malloc(nqe * sizeof(float));
        fill(q, nqe * d, e); fill(k, nke * d, e); fill(v, nke * dv, e);
        memset(o, 0xff, nqe * dv * e);
        for (size_t i = 0; i < nqe; i++) lse[i] = -1.0f;
        int64_t br = ATTNGEN_%(upper)s_BLOCK_ROWS ? ATTNGEN_%(upper)s_BLOCK_ROWS : 1;
        int64_t bc = ATTNGEN_%(upper)s_BLOCK_COLUMNS ? ATTNGEN_%(upper)s_BLOCK_COLUMNS : 1;
        int64_t mrows = (nq + br - 1) / br, mcols = (nk + bc - 1) / bc;
        uint8_t *mask = malloc((size_t)(b * hq * mrows * mcols) + 1);
        for (int64_t i = 0; i < b * hq * mrows * mcols; i++) mask[i] = (next_random() & 3) != 0;
        attngen_forward_params p;
        memset(&p, 0, sizeof p);
        p.struct_size = sizeof p;
        p.batch = b; p.seqlen_q = nq; p.seqlen_k = nk; p.heads_q = hq; p.heads_kv = hkv;
        p.q = q; p.k = k; p.v = v; p.o = o; p.lse = lse;
        p.q_layout = (attngen_layout){ hq * nq * d, nq * d, d };
        p.k_layout = (attngen_layout){ hkv * nk * d, nk * d, d };
        p.v_layout = (attngen_layout){ hkv * nk * dv, nk * dv, dv };
        p.o_layout = (attngen_layout){ hq * nq * dv, nq * dv, dv };
        p.lse_layout = (attngen_layout){ hq * nq, nq, 1 };
        p.block_mask = mask;
        p.block_mask_layout = (attngen_layout){ hq * mrows * mcols, mrows * mcols, mcols };
        p.dropout_seed = 0x1234567890ull; p.dropout_offset = 77;
        int status = attngen_%(name)s_forward(&p);
        printf("shape %%d forward status %%d O %%016llx LSE %%016llx\n", s, status,
               (unsigned long long)fnv(o, nqe * dv * e, 0xcbf29ce484222325ull),
               (unsigned long long)fnv(lse, nqe * sizeof(float), 0xcbf29ce484222325ull));
%(backward_call)s
        free(q); free(k); free(v); free(o); free(lse); free(mask);
    }
    return 0;
}
"""

BACKWARD = r"""
        {
            void *d_o = malloc(nqe * dv * e), *dq = malloc(nqe * d * e), *dk = malloc(nke * d * e), *dvv = malloc(nke * dv * e);
            fill(d_o, nqe * dv, e);
            attngen_backward_params g;
            memset(&g, 0, sizeof g);
            g.struct_size = sizeof g;
            g.batch = b; g.seqlen_q = nq; g.seqlen_k = nk; g.heads_q = hq; g.heads_kv = hkv;
            g.q = q; g.k = k; g.v = v; g.o = o; g.lse = lse; g.d_o = d_o; g.dq = dq; g.dk = dk; g.dv = dvv;
            g.q_layout = p.q_layout; g.k_layout = p.k_layout; g.v_layout = p.v_layout; g.o_layout = p.o_layout;
            g.lse_layout = p.lse_layout; g.d_o_layout = p.o_layout; g.dq_layout = p.q_layout; g.dk_layout = p.k_layout;
            g.dv_layout = p.v_layout; g.block_mask = mask; g.block_mask_layout = p.block_mask_layout;
            g.dropout_seed = p.dropout_seed; g.dropout_offset = p.dropout_offset; g.dq_mode = ATTNGEN_DQ_DETERMINISTIC;
            size_t bytes = attngen_%(name)s_backward_workspace_size(&g);
            void *workspace = NULL;
            if (bytes > 0 && bytes < ((size_t)1 << 40) && posix_memalign(&workspace, 64, bytes) != 0) return 2;
            g.workspace = workspace; g.workspace_size = bytes;
            int bstatus = attngen_%(name)s_backward(&g);
            printf("shape %%d backward status %%d dQ %%016llx dK %%016llx dV %%016llx\n", s, bstatus,
                   (unsigned long long)fnv(dq, nqe * d * e, 0xcbf29ce484222325ull),
                   (unsigned long long)fnv(dk, nke * d * e, 0xcbf29ce484222325ull),
                   (unsigned long long)fnv(dvv, nke * dv * e, 0xcbf29ce484222325ull));
            free(d_o); free(dq); free(dk); free(dvv); free(workspace);
        }
"""


def variants(folder):
    names = []
    for entry in sorted(os.listdir(folder)):
        m = re.fullmatch(r"(.+)\.h", entry)
        if m and os.path.exists(os.path.join(folder, m.group(1) + ".c")):
            header = open(os.path.join(folder, entry)).read()
            if "attngen_%s_forward(" % m.group(1) in header:
                names.append(m.group(1))
    return names


def run(folder, name, cc, flags, work):
    header = open(os.path.join(folder, name + ".h")).read()
    bits = "attngen_float_to_bf16" if "bf16 storage" in header or "Storage: bf16" in header else "attngen_float_to_half"
    has_backward = os.path.exists(os.path.join(folder, name + "_backward.c"))
    source = DRIVER % {
        "name": name, "upper": name.upper(), "to_bits": bits,
        "backward_include": '#include "%s_backward.h"' % name if has_backward else "",
        "backward_call": (BACKWARD % {"name": name}) if has_backward else "",
    }
    driver = os.path.join(work, name + "_driver.c")
    open(driver, "w").write(source)
    sources = [driver, os.path.join(folder, name + ".c")]
    if has_backward:
        sources.append(os.path.join(folder, name + "_backward.c"))
    exe = os.path.join(work, name)
    subprocess.run([cc, "-std=c11", *flags.split(), "-I", folder, *sources, "-lm", "-o", exe], check=True)
    return subprocess.run([exe], check=True, capture_output=True, text=True).stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--cc", default="cc")
    parser.add_argument("--flags", default="-O2")
    args = parser.parse_args()
    common = sorted(set(variants(args.old)) & set(variants(args.new)))
    if not common:
        print("no variant in common", file=sys.stderr)
        return 1
    differing = 0
    with tempfile.TemporaryDirectory() as work:
        for name in common:
            os.makedirs(os.path.join(work, "old"), exist_ok=True)
            os.makedirs(os.path.join(work, "new"), exist_ok=True)
            old = run(args.old, name, args.cc, args.flags, os.path.join(work, "old"))
            new = run(args.new, name, args.cc, args.flags, os.path.join(work, "new"))
            same = old == new
            differing += not same
            calls = old.count("\n")
            print(f"{'same' if same else 'DIFFERENT'}  {name}  ({calls} calls)")
            if not same:
                print("  old:\n    " + old.replace("\n", "\n    ") + "\n  new:\n    " + new.replace("\n", "\n    "))
    print(f"{len(common) - differing} of {len(common)} variants bit-identical ({args.cc} {args.flags})")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
