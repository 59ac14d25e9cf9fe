"""CPU benchmark of the attngen C kernels against PyTorch (benchmarks/cpu/README.md says how to run it).

Loads the shared library that run.sh built from freshly generated kernels, checks each kernel against
torch, then times it next to torch's scaled_dot_product_attention (its fused CPU flash kernel), an unfused
matmul-softmax-matmul in torch and in numpy, and for the backward pass torch autograd of the same call.
Throughput follows the FlashAttention convention: forward FLOPs = 4 B H N^2 d (halved for causal),
backward = 2.5x forward. Every figure is the median of several timed runs after a warm-up run.
"""

import argparse
import ctypes
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time

THREADS = int(os.environ.get("ATTNGEN_BENCH_THREADS", "2"))
# "wall" (default, what RESULTS.md reports) or "process": CPU seconds of the whole process divided by THREADS,
# a steadier figure while other programs load the machine (for development only: it counts spin-waiting).
CLOCK = os.environ.get("ATTNGEN_BENCH_CLOCK", "wall")
SETTLE_S = 0.02
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(THREADS)
# numpy's OpenBLAS workers busy-wait about 2^28 cycles (~0.1 s) after each call before sleeping, taking the
# cores from whatever runs next; 2^4 cycles makes them sleep at once (NOTES.md, 7).
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
# torch's OpenMP pool and the kernels' (the system libgomp: two runtimes in one process) spin after each parallel
# region by default, and on two cores one's spinning threads take the cores from the next contender; passive waiting
# is the fair setting for both (NOTES.md, 22: it did not move SDPA, and was not the cause of that VM's swings).
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402  (after the thread variables)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(THREADS)


# ---- the C ABI: attngen_abi.py, which `attngen emit` writes next to the kernels (rendered from the same values
# as attngen_abi.h), from the folder run.sh emitted into ($ATTNGEN_KERNELS, default .build-bench/kernels) ------
KERNELS = os.environ.get("ATTNGEN_KERNELS",
                         os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".build-bench", "kernels"))
sys.path.insert(0, KERNELS)
from attngen_abi import BackwardParams, ForwardParams, Layout  # noqa: E402


def layout(t):
    """Strides of a [B, H, N, d] (or [B, H, N]) tensor, in elements."""
    s = t.stride()
    return Layout(s[0], s[1], s[2] if t.dim() == 4 else 1)


def pointer(t):
    return ctypes.c_void_p(t.data_ptr())


DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


class Kernels:
    """The variants of one shared library: bench_d{D}_{dtype}[_causal]."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(path)

    def name(self, d, dtype, causal):
        return f"bench_d{d}_{dtype}" + ("_causal" if causal else "")

    def forward(self, name, q, k, v, o, lse):
        fn = getattr(self.lib, f"attngen_{name}_forward")
        fn.argtypes = [ctypes.POINTER(ForwardParams)]
        fn.restype = ctypes.c_int
        p = ForwardParams()
        p.struct_size = ctypes.sizeof(ForwardParams)
        p.batch, p.heads_q, p.seqlen_q, _ = q.shape
        p.heads_kv, p.seqlen_k = k.shape[1], k.shape[2]
        p.q, p.k, p.v, p.o, p.lse = pointer(q), pointer(k), pointer(v), pointer(o), pointer(lse)
        p.q_layout, p.k_layout, p.v_layout, p.o_layout = layout(q), layout(k), layout(v), layout(o)
        p.lse_layout = layout(lse)
        p.num_threads = THREADS
        return lambda: fn(ctypes.byref(p))

    def backward(self, name, q, k, v, o, lse, d_o, dq, dk, dv):
        fn = getattr(self.lib, f"attngen_{name}_backward")
        fn.argtypes = [ctypes.POINTER(BackwardParams)]
        fn.restype = ctypes.c_int
        size_fn = getattr(self.lib, f"attngen_{name}_backward_workspace_size")
        size_fn.argtypes = [ctypes.POINTER(BackwardParams)]
        size_fn.restype = ctypes.c_size_t
        p = BackwardParams()
        p.struct_size = ctypes.sizeof(BackwardParams)
        p.batch, p.heads_q, p.seqlen_q, _ = q.shape
        p.heads_kv, p.seqlen_k = k.shape[1], k.shape[2]
        for field, t in (("q", q), ("k", k), ("v", v), ("o", o), ("d_o", d_o), ("dq", dq), ("dk", dk), ("dv", dv)):
            setattr(p, field, pointer(t))
            setattr(p, field + "_layout", layout(t))
        p.lse, p.lse_layout = pointer(lse), layout(lse)
        p.dq_mode = 0  # deterministic
        p.num_threads = THREADS
        workspace = torch.empty(size_fn(ctypes.byref(p)) // 4 + 16, dtype=torch.float32)
        p.workspace, p.workspace_size = pointer(workspace), workspace.numel() * 4
        call = lambda: fn(ctypes.byref(p))  # noqa: E731
        call.workspace = workspace  # keep it alive
        return call


# ---- timing -------------------------------------------------------------------------------------

def median_seconds(fn, budget_s, min_runs=3, max_runs=15):
    return statistics.median(interleaved_times({"only": fn}, budget_s, min_runs, max_runs)["only"])


def interleaved_times(fns, budget_s, min_runs=5, max_runs=200):
    """Seconds of each function per round, timed in rounds (one run of each per round), so that a change in the
    machine's load (other processes) affects every contender alike; one warm-up run each first."""
    slowest = 0.0
    for fn in fns.values():
        t0 = time.perf_counter()
        fn()  # warm-up (page faults, OpenMP team start, caches)
        slowest = max(slowest, time.perf_counter() - t0)
    if slowest > budget_s:
        min_runs = 3  # a contender of several seconds a call (torch's fp16 backward): three rounds
    times = {name: [] for name in fns}
    start = time.perf_counter()
    rounds = 0
    while rounds < max_runs and (rounds < min_runs or time.perf_counter() - start < budget_s * len(fns)):
        for name, fn in fns.items():
            # torch and the kernels bring their own OpenMP runtimes; idle workers of one spin for a while after
            # a parallel region and would steal the cores from the other. A pause lets them go to sleep first.
            time.sleep(SETTLE_S)
            if CLOCK == "process":
                t0 = time.process_time()
                fn()
                times[name].append((time.process_time() - t0) / THREADS)
            else:
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        rounds += 1
    return times


def round_ratio(times, name, other):
    """Median over rounds of (other's time / name's time): how many times faster `name` ran than `other`
    in the same round (steadier than a ratio of medians when the load changes during the rounds)."""
    return statistics.median(o / n for n, o in zip(times[name], times[other]))


# sgemm 2048^3 (torch.mm), timed with every shape's contenders: the machine's fp32 matrix rate at that moment.
SGEMM_N = 2048
SGEMM_A = torch.randn(SGEMM_N, SGEMM_N)
SGEMM_B = torch.randn(SGEMM_N, SGEMM_N)
SGEMM_FLOPS = 2 * SGEMM_N ** 3


def sgemm_gflops():
    return SGEMM_FLOPS / median_seconds(lambda: torch.mm(SGEMM_A, SGEMM_B), 1.0) / 1e9


def flops_forward(b, h, n, d, causal):
    return 4 * b * h * n * n * d / (2 if causal else 1)


# ---- the compared implementations -----------------------------------------------------------------

def torch_unfused(q, k, v, causal):
    s = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    if causal:
        n = q.shape[2]
        s = s.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    return torch.matmul(torch.softmax(s, dim=-1), v)


def numpy_unfused(q, k, v, causal, mask):
    s = np.matmul(q, np.swapaxes(k, -1, -2))
    s *= q.shape[-1] ** -0.5
    if causal:
        s[..., mask] = -np.inf
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    return np.matmul(s, v)


def check(name, got, want, tolerance):
    error = ((got.double() - want.double()).abs().max() / want.double().abs().max().clamp_min(1e-30)).item()
    if not error <= tolerance:
        raise SystemExit(f"MISMATCH {name}: max error {error:.3g} relative to max |ref| (allowed {tolerance})")
    return error


TOLERANCE = {"fp32": 2e-5, "fp16": 4e-3, "bf16": 2e-2}
GRAD_TOLERANCE = {"fp32": 2e-4, "fp16": 2e-2, "bf16": 8e-2}


def run_shape(kernels, d, n, causal, dtype, heads, budget, do_backward, do_unfused, kernels_b=None):
    b = 1
    torch.manual_seed(n * 1000 + d)
    t = DTYPES[dtype]
    q, k, v, d_o = (torch.randn(b, heads, n, d).to(t) for _ in range(4))
    o = torch.empty(b, heads, n, d, dtype=t)
    lse = torch.empty(b, heads, n, dtype=torch.float32)
    name = kernels.name(d, dtype, causal)
    fwd = kernels.forward(name, q, k, v, o, lse)
    row = {"d": d, "N": n, "causal": causal, "dtype": dtype}
    fl = flops_forward(b, heads, n, d, causal)

    # Correctness first: against SDPA computed in fp64 from the same (rounded) inputs.
    status = fwd()
    if status != 0:
        raise SystemExit(f"{name}: forward returned status {status}")
    qd, kd, vd = q.double(), k.double(), v.double()
    ref = F.scaled_dot_product_attention(qd, kd, vd, is_causal=causal)
    row["fwd_err"] = check(f"{name} N={n} forward", o, ref, TOLERANCE[dtype])

    contenders = {"attngen": fwd, "sdpa": lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal),
                  "sgemm": lambda: torch.mm(SGEMM_A, SGEMM_B)}
    if kernels_b is not None:  # the second build (--lib-b), checked like the first, timed in the same rounds
        o_b, lse_b = torch.empty_like(o), torch.empty_like(lse)
        fwd_b = kernels_b.forward(name, q, k, v, o_b, lse_b)
        if fwd_b() != 0:
            raise SystemExit(f"{name}: forward of --lib-b returned a status")
        row["fwd_b_err"] = check(f"{name} N={n} forward (--lib-b)", o_b, ref, TOLERANCE[dtype])
        contenders["attngen_b"] = fwd_b
    if do_unfused:
        contenders["torch_unfused"] = lambda: torch_unfused(q, k, v, causal)
        if dtype == "fp32":
            qn, kn, vn = q.numpy(), k.numpy(), v.numpy()
            mask = np.triu(np.ones((n, n), dtype=bool), 1)
            contenders["numpy_unfused"] = lambda: numpy_unfused(qn, kn, vn, causal, mask)
    times = interleaved_times(contenders, budget)
    for key, values in times.items():
        row[key] = (SGEMM_FLOPS if key == "sgemm" else fl) / statistics.median(values) / 1e9
    row["vs_sdpa"] = round_ratio(times, "attngen", "sdpa")
    if kernels_b is not None:
        row["b_vs_a"] = round_ratio(times, "attngen_b", "attngen")
    unfused = [key for key in ("torch_unfused", "numpy_unfused") if key in times]
    if unfused:
        row["vs_unfused"] = min(round_ratio(times, "attngen", key) for key in unfused)
    # attngen's rate over sgemm's in the same round.
    row["of_sgemm"] = statistics.median((fl / a) / (SGEMM_FLOPS / g) for a, g in zip(times["attngen"], times["sgemm"]))

    if do_backward:
        dq, dk, dv = (torch.empty(b, heads, n, d, dtype=t) for _ in range(3))
        bwd = kernels.backward(name, q, k, v, o, lse, d_o, dq, dk, dv)
        status = bwd()
        if status != 0:
            raise SystemExit(f"{name}: backward returned status {status}")
        qr, kr, vr = (x.detach().double().requires_grad_() for x in (q, k, v))
        out = F.scaled_dot_product_attention(qr, kr, vr, is_causal=causal)
        gq, gk, gv = torch.autograd.grad(out, (qr, kr, vr), d_o.double())

        def gradient_error(label, got_q, got_k, got_v):
            """The largest relative error of a build's dQ, dK, dV against the float64 gradients (check raises)."""
            return max(check(f"{name} N={n} {g}{label}", got, want, GRAD_TOLERANCE[dtype])
                       for g, got, want in (("dQ", got_q, gq), ("dK", got_k, gk), ("dV", got_v, gv)))

        row["bwd_err"] = gradient_error("", dq, dk, dv)
        qt, kt, vt = (x.detach().clone().requires_grad_() for x in (q, k, v))
        out_t = F.scaled_dot_product_attention(qt, kt, vt, is_causal=causal)
        backward_contenders = {
            "attngen_bwd": bwd,
            "torch_bwd": lambda: torch.autograd.grad(out_t, (qt, kt, vt), d_o, retain_graph=True),
        }
        if kernels_b is not None:
            dq_b, dk_b, dv_b = (torch.empty_like(x) for x in (dq, dk, dv))
            bwd_b = kernels_b.backward(name, q, k, v, o, lse, d_o, dq_b, dk_b, dv_b)
            if bwd_b() != 0:
                raise SystemExit(f"{name}: backward of --lib-b returned a status")
            row["bwd_b_err"] = gradient_error(" (--lib-b)", dq_b, dk_b, dv_b)
            backward_contenders["attngen_b_bwd"] = bwd_b
        times = interleaved_times(backward_contenders, budget)
        for key, values in times.items():
            row[key] = 2.5 * fl / statistics.median(values) / 1e9
        row["bwd_vs_torch"] = round_ratio(times, "attngen_bwd", "torch_bwd")
        if kernels_b is not None:
            row["bwd_b_vs_a"] = round_ratio(times, "attngen_b_bwd", "attngen_bwd")
    return row


# ---- report -------------------------------------------------------------------------------------

def cpu_name():
    """The model name, with the family and model numbers and the widest vector extension when /proc/cpuinfo has
    them: one model name can cover machines of different generations ("AMD EPYC" in RESULTS.md, 2026-11-21, and
    in RESULTS-amd-epyc.md, an AVX2-only family 25 model 1 core, ran torch's sgemm at ~195 and ~100 GFLOP/s)."""
    fields = {}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("model name", "cpu family", "model", "flags") and key not in fields:
                fields[key] = value.strip()
            if len(fields) == 4:
                break
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or "unknown"
    flags = fields.get("flags", "").split()
    isa = "avx512f" if "avx512f" in flags else "avx2" if "avx2" in flags else ("sse2" if "sse2" in flags else "")
    details = [f"family {fields['cpu family']} model {fields['model']}" if "cpu family" in fields and "model" in fields
               else "", isa]
    details = [d for d in details if d]
    return name + (f" ({', '.join(details)})" if details else "")


def fmt(x):
    return "-" if x is None else f"{x:.1f}"


def times_text(x):
    return "-" if x is None else f"{x:.2f}"


def table(rows, sgemm):
    lines = [
        "| dtype | d | N | causal | attngen fwd | torch SDPA | torch unfused | numpy unfused | vs SDPA | vs best unfused "
        "| sgemm | of sgemm | attngen bwd | torch bwd | bwd vs torch |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dtype']} | {r['d']} | {r['N']} | {'yes' if r['causal'] else 'no'} | {fmt(r['attngen'])} "
            f"| {fmt(r['sdpa'])} | {fmt(r.get('torch_unfused'))} | {fmt(r.get('numpy_unfused'))} "
            f"| {times_text(r.get('vs_sdpa'))} | {times_text(r.get('vs_unfused'))} | {r['sgemm']:.0f} | {r['of_sgemm']:.0%} "
            f"| {fmt(r.get('attngen_bwd'))} | {fmt(r.get('torch_bwd'))} | {times_text(r.get('bwd_vs_torch'))} |")
    if any("b_vs_a" in r for r in rows):
        lines += ["", "--lib-b against --lib (B over A: median over rounds of A's time / B's time, > 1 = B faster):", "",
                  "| dtype | d | N | causal | A fwd | B fwd | B vs A | A bwd | B bwd | B vs A bwd |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(
                f"| {r['dtype']} | {r['d']} | {r['N']} | {'yes' if r['causal'] else 'no'} | {fmt(r['attngen'])} "
                f"| {fmt(r.get('attngen_b'))} | {times_text(r.get('b_vs_a'))} | {fmt(r.get('attngen_bwd'))} "
                f"| {fmt(r.get('attngen_b_bwd'))} | {times_text(r.get('bwd_b_vs_a'))} |")
    return "\n".join(lines)


SHAPES = {
    # the CPU table of /work/shared/ANCHORS.md: (d, N, causal)
    "anchors": [(64, 512, False), (64, 1024, False), (64, 4096, False), (64, 4096, True),
                (128, 1024, False), (128, 4096, False), (128, 4096, True)],
    "full": [(d, n, c) for d in (64, 128) for n in (512, 1024, 2048, 4096) for c in (False, True)],
    "quick": [(64, 1024, False), (128, 1024, True)],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lib", required=True)
    parser.add_argument("--lib-b", help="a second library of the same variants (other flags, another revision): its "
                        "kernels join every round, checked like the first, and the report adds B over A per shape")
    parser.add_argument("--shapes", choices=sorted(SHAPES), default="anchors")
    parser.add_argument("--dtypes", default="fp32,fp16,bf16")
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds of timed runs per measurement")
    parser.add_argument("--no-backward", action="store_true")
    parser.add_argument("--results", help="write the Markdown report here")
    parser.add_argument("--command", default="", help="the command line to quote in the report")
    args = parser.parse_args()

    kernels = Kernels(args.lib)
    kernels_b = Kernels(args.lib_b) if args.lib_b else None
    sgemm = sgemm_gflops()
    print(f"torch {torch.__version__}, {THREADS} threads, {cpu_name()}; sgemm 2048^3: {sgemm:.1f} GFLOP/s", flush=True)
    rows = []
    for dtype in args.dtypes.split(","):
        for d, n, causal in SHAPES[args.shapes]:
            row = run_shape(kernels, d, n, causal, dtype, args.heads, args.budget,
                            do_backward=not args.no_backward, do_unfused=(dtype == "fp32"), kernels_b=kernels_b)
            rows.append(row)
            print(f"{dtype} d={d} N={n} causal={causal}: attngen {row['attngen']:.1f} sdpa {row['sdpa']:.1f} "
                  f"sgemm {row['sgemm']:.1f} "
                  f"unfused torch {fmt(row.get('torch_unfused'))} numpy {fmt(row.get('numpy_unfused'))} | "
                  f"bwd attngen {fmt(row.get('attngen_bwd'))} torch {fmt(row.get('torch_bwd'))} GFLOP/s "
                  f"(err fwd {row['fwd_err']:.1e} bwd {row.get('bwd_err', float('nan')):.1e})"
                  + (f" | --lib-b {fmt(row.get('attngen_b'))} fwd, {fmt(row.get('attngen_b_bwd'))} bwd GFLOP/s, "
                     f"B vs A {times_text(row.get('b_vs_a'))} fwd {times_text(row.get('bwd_b_vs_a'))} bwd"
                     if kernels_b else ""), flush=True)
    text = table(rows, sgemm)
    print(text)
    if args.results:
        header = (
            "# CPU benchmark results\n\n"
            f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n"
            f"- CPU: {cpu_name()}, {os.cpu_count()} logical CPUs; {THREADS} threads for every contender\n"
            f"- torch {torch.__version__}, numpy {np.__version__}, compiler: {compiler_version()}\n"
            f"- Command: `{args.command}`\n"
            f"- sgemm 2048^3 (torch.mm, same threads) at the start: {sgemm:.1f} GFLOP/s; the table's sgemm column is "
            "timed in the same interleaved rounds as each shape's contenders, and 'of sgemm' is attngen's forward "
            "rate over it\n"
            f"- batch 1, {args.heads} heads, BHSD contiguous, random normal inputs; GFLOP/s = 4 B H N^2 d "
            "(halved for causal) / median time; backward = 2.5x forward FLOPs / median time of the backward alone "
            "(attngen: the C backward kernel; torch: autograd.grad of scaled_dot_product_attention).\n"
            "- Every attngen result was checked against fp64 SDPA/autograd before timing.\n"
            "- Ratio columns ('vs SDPA', 'vs best unfused' = against the faster of the two unfused paths, 'of sgemm', "
            "'bwd vs torch') are medians over the rounds of the ratio measured within each round; the GFLOP/s "
            "columns are medians of each contender's times.\n\n"
        )
        with open(args.results, "w") as f:
            f.write(header + text + "\n")


def compiler_version():
    try:
        return subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


if __name__ == "__main__":
    main()
