#!/usr/bin/env python3
"""Prints the wgmma.mma_async wrappers of Templates/hopper/attngen_runtime_hopper.cuh.

The block between the markers
    /* BEGIN GENERATED WGMMA (benchmarks/hopper-dev/tools/gen_wgmma.py) */
    /* END GENERATED WGMMA */
in that header is this script's output; to add a shape, add N to SS_NS (A and B from shared memory: S = Q·Kᵀ,
N = the key tile Bc, the multiples of 16 the planner may choose) or RS_NS (A from registers: O += P·V, N = the
value head dim) and run
    python3 benchmarks/hopper-dev/tools/gen_wgmma.py --write
(the operand lists of wgmma are long and purely mechanical, so they are generated, not typed).
Each wrapper is one asm statement: D (N/2 fp32 registers, "+f"), then A (a descriptor, or four 32-bit
registers), then B's descriptor, then scale-d as a register turned into a predicate. Immediates (scale-a,
scale-b = 1; the transpose bits) are template parameters.
"""
import re
import sys
from pathlib import Path

SS_NS = list(range(16, 193, 16))
RS_NS = [64, 128, 192, 256]
# fp8 e4m3 (k32; both operands K-major, so no transpose immediates): S = Q·Kᵀ at N = the key tile, O += P·V at N = dv.
E4M3_SS_NS = [64, 128]
E4M3_RS_NS = [128, 256]
TYPES = [("__nv_bfloat16", "bf16"), ("__half", "f16")]


def dlist(n_regs):
    return ", ".join(f"%{i}" for i in range(n_regs))


def dops(n_regs):
    items = [f'"+f"(d[{i}])' for i in range(n_regs)]
    lines = []
    for i in range(0, len(items), 8):
        lines.append(", ".join(items[i:i + 8]))
    return (",\n          ").join(lines)


def wrap_string(s, width=100):
    """Splits the register list into several string literals."""
    parts = s.split(", ")
    out, line = [], ""
    for p in parts:
        cand = (line + ", " + p) if line else p
        if len(cand) > width:
            out.append(line + ",")
            line = p
        else:
            line = cand
    out.append(line)
    return "\n        ".join(f'"{x} "' if i < len(out) - 1 else f'"{x}' for i, x in enumerate(out))


def emit():
    lines = []
    for n in sorted(set(SS_NS) | set(RS_NS)):
        regs = n // 2
        for ctype, ptype in TYPES:
            # A and B from shared memory.
            if n in SS_NS:
                ia, ib, isd = regs, regs + 1, regs + 2
                lines.append(f"""/* D[64 x {n}] (+)= A[64 x 16] * B[16 x {n}], {ptype}, A and B from shared memory (descriptors). */
template <int ScaleD, int TransA, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n{n}k16_ss(float (&d)[{regs}], uint64_t desc_a, uint64_t desc_b,
                                                              {ctype}) {{
    asm volatile(
        "{{\\n"
        ".reg .pred p;\\n"
        "setp.ne.b32 p, %{isd}, 0;\\n"
        "wgmma.mma_async.sync.aligned.m64n{n}k16.f32.{ptype}.{ptype} "
        "{{"
        {wrap_string(dlist(regs))}}}, "
        "%{ia}, %{ib}, p, 1, 1, %{isd + 1}, %{isd + 2};\\n"
        "}}\\n"
        : {dops(regs)}
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD), "n"(TransA), "n"(TransB)
        : "memory");
}}
""")
            if n in RS_NS:
                # A from registers.
                a0 = regs
                ib = regs + 4
                isd = regs + 5
                lines.append(f"""/* D[64 x {n}] (+)= A[64 x 16] * B[16 x {n}], {ptype}, A from registers (4 x 32 bits a thread), B from shared memory. */
template <int ScaleD, int TransB>
static __device__ __forceinline__ void attngen_wgmma_m64n{n}k16_rs(float (&d)[{regs}], const uint32_t (&a)[4], uint64_t desc_b,
                                                              {ctype}) {{
    asm volatile(
        "{{\\n"
        ".reg .pred p;\\n"
        "setp.ne.b32 p, %{isd}, 0;\\n"
        "wgmma.mma_async.sync.aligned.m64n{n}k16.f32.{ptype}.{ptype} "
        "{{"
        {wrap_string(dlist(regs))}}}, "
        "{{%{a0}, %{a0 + 1}, %{a0 + 2}, %{a0 + 3}}}, %{ib}, p, 1, 1, %{isd + 1};\\n"
        "}}\\n"
        : {dops(regs)}
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD), "n"(TransB)
        : "memory");
}}
""")
    for n in sorted(set(E4M3_SS_NS) | set(E4M3_RS_NS)):
        regs = n // 2
        if n in E4M3_SS_NS:
            ia, ib, isd = regs, regs + 1, regs + 2
            lines.append(f"""/* D[64 x {n}] (+)= A[64 x 32] * B[32 x {n}], e4m3, A and B from shared memory (descriptors, both K-major). */
template <int ScaleD>
static __device__ __forceinline__ void attngen_wgmma_m64n{n}k32_ss_e4m3(float (&d)[{regs}], uint64_t desc_a, uint64_t desc_b) {{
    asm volatile(
        "{{\\n"
        ".reg .pred p;\\n"
        "setp.ne.b32 p, %{isd}, 0;\\n"
        "wgmma.mma_async.sync.aligned.m64n{n}k32.f32.e4m3.e4m3 "
        "{{"
        {wrap_string(dlist(regs))}}}, "
        "%{ia}, %{ib}, p, 1, 1;\\n"
        "}}\\n"
        : {dops(regs)}
        : "l"(desc_a), "l"(desc_b), "r"(ScaleD)
        : "memory");
}}
""")
        if n in E4M3_RS_NS:
            a0, ib, isd = regs, regs + 4, regs + 5
            lines.append(f"""/* D[64 x {n}] (+)= A[64 x 32] * B[32 x {n}], e4m3, A from registers (4 x 32 bits a thread: 16 bytes), B from shared memory (K-major). */
template <int ScaleD>
static __device__ __forceinline__ void attngen_wgmma_m64n{n}k32_rs_e4m3(float (&d)[{regs}], const uint32_t (&a)[4], uint64_t desc_b) {{
    asm volatile(
        "{{\\n"
        ".reg .pred p;\\n"
        "setp.ne.b32 p, %{isd}, 0;\\n"
        "wgmma.mma_async.sync.aligned.m64n{n}k32.f32.e4m3.e4m3 "
        "{{"
        {wrap_string(dlist(regs))}}}, "
        "{{%{a0}, %{a0 + 1}, %{a0 + 2}, %{a0 + 3}}}, %{ib}, p, 1, 1;\\n"
        "}}\\n"
        : {dops(regs)}
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(ScaleD)
        : "memory");
}}
""")
    # Dispatchers on N.
    lines.append("/* Dispatch on N (the shapes generated above). */")
    lines.append("template <int N, int ScaleD, int TransA, int TransB, typename Element>")
    lines.append("static __device__ __forceinline__ void attngen_wgmma_ss(float (&d)[N / 2], uint64_t desc_a, uint64_t desc_b) {")
    first = True
    for n in SS_NS:
        kw = "if constexpr" if first else "} else if constexpr"
        lines.append(f"    {kw} (N == {n}) {{")
        lines.append(f"        attngen_wgmma_m64n{n}k16_ss<ScaleD, TransA, TransB>(d, desc_a, desc_b, Element());")
        first = False
    lines.append("    } else {")
    lines.append('        static_assert(N < 0, "no wgmma wrapper for this N: add it to benchmarks/hopper-dev/tools/gen_wgmma.py");')
    lines.append("    }")
    lines.append("}")
    lines.append("")
    lines.append("template <int N, int ScaleD, int TransB, typename Element>")
    lines.append("static __device__ __forceinline__ void attngen_wgmma_rs(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t desc_b) {")
    first = True
    for n in RS_NS:
        kw = "if constexpr" if first else "} else if constexpr"
        lines.append(f"    {kw} (N == {n}) {{")
        lines.append(f"        attngen_wgmma_m64n{n}k16_rs<ScaleD, TransB>(d, a, desc_b, Element());")
        first = False
    lines.append("    } else {")
    lines.append('        static_assert(N < 0, "no wgmma wrapper for this N: add it to benchmarks/hopper-dev/tools/gen_wgmma.py");')
    lines.append("    }")
    lines.append("}")
    for kind, ns, args, params in [("ss", E4M3_SS_NS, "d, desc_a, desc_b", "uint64_t desc_a, uint64_t desc_b"),
                                   ("rs", E4M3_RS_NS, "d, a, desc_b", "const uint32_t (&a)[4], uint64_t desc_b")]:
        lines.append("")
        lines.append("template <int N, int ScaleD>")
        lines.append(f"static __device__ __forceinline__ void attngen_wgmma_{kind}_e4m3(float (&d)[N / 2], {params}) {{")
        first = True
        for n in ns:
            kw = "if constexpr" if first else "} else if constexpr"
            lines.append(f"    {kw} (N == {n}) {{")
            lines.append(f"        attngen_wgmma_m64n{n}k32_{kind}_e4m3<ScaleD>({args});")
            first = False
        lines.append("    } else {")
        lines.append('        static_assert(N < 0, "no wgmma wrapper for this N: add it to benchmarks/hopper-dev/tools/gen_wgmma.py");')
        lines.append("    }")
        lines.append("}")
    return "\n".join(lines) + "\n"


BEGIN = "/* BEGIN GENERATED WGMMA (benchmarks/hopper-dev/tools/gen_wgmma.py) */\n"
END = "/* END GENERATED WGMMA */"

if __name__ == "__main__":
    text = emit()
    if len(sys.argv) > 1 and sys.argv[1] == "--write":
        header = Path(__file__).resolve().parents[3] / "Templates/hopper/attngen_runtime_hopper.cuh"
        src = header.read_text()
        i, j = src.index(BEGIN) + len(BEGIN), src.index(END)
        header.write_text(src[:i] + text + src[j:])
        print(f"wrote {header}")
    else:
        sys.stdout.write(text)
