"""Times attngen's generated CUDA forward and backward kernels against the anchors of shared/ANCHORS.md, in one
GPU run.

    python3 benchmarks/gpu/bench.py --kernels benchmarks/gpu/.generated/bench --out $OUT [--quick] [--budget-s 420]
    python3 benchmarks/gpu/bench.py --tune DIR ...     # also time tuning variants tn<L>_<dtype>_d<d>[_causal] (TUNING.md)
    python3 benchmarks/gpu/bench.py --render bench_results.json --out DIR   # BENCH.md + plot again, no GPU

Kernels are emitted on a machine with Swift (`bash benchmarks/gpu/bench.sh generate`, from
benchmarks/gpu/bench_spec.json) and only compiled here (nvcc, one object per kernel, in parallel), then
called through ctypes with the parameter structs of the generated attngen_abi.py (each call prepared once, so the
timing covers the launch alone; the Python package of `attngen emit torch` is checked and timed in
benchmarks/torch). Anchors, all in this same process:
  - torch SDPA with the flash backend (FlashAttention-2 inside PyTorch) and the cuDNN backend;
  - dense rows: our inference variant fw_* (no LSE: the anchors' forward without gradients writes none) as
    attngen, and the training variant's forward (bk_*, LSE saved) as attngen+lse, both checked and timed;
  - FlexAttention, torch.compile'd once per shape (dynamic=False, recompile limit raised);
  - block-sparse rows: FlexAttention with the same 128 x 128 BlockMask;
  - dropout rows: SDPA flash with dropout_p = 0.1 (time only: the dropout masks differ);
  - backward rows (bf16, d 64/128, causal and not, N 1k/4k/16k): our `attngen_NAME_backward_cuda` in the
    deterministic and fast dQ modes (from our own forward's O and LSE) against the backward passes of SDPA
    flash, SDPA cuDNN and FlexAttention (torch.autograd.grad on a saved graph); backward FLOPs = 2.5 x forward;
    dQ, dK, dV checked against flash's gradients first, the deterministic mode run twice (bit-identical);
  - ratios (the summary): our block-sparse kernel at 25 % of the blocks over the same kernel with every block
    kept (target <= 0.35), our dropout-0.1 kernel over the same spec without dropout (target <= 1.15), forward
    and backward.
Shapes (ANCHORS.md): total tokens 16k (batch = 16384 / N), hidden 2048 (heads = 2048 / d); forward FLOPs
= 4·B·H·N²·d, halved for causal; block-sparse counts only the kept blocks. Every attngen result is checked
against the anchor's output (‖O - ref‖ / ‖ref‖, output poisoned with NaN first) before it is timed; a row
that fails is reported as FAIL and not timed. Times are medians of CUDA-event timings after warm-up; a row's
kernels (attngen and its anchors; forward and backward rows) are timed interleaved, --rounds rounds of each in turn
(interleaved_ms; --rounds 1 times them one after the other, as runs before 2026-12-01 did). Writes
bench_results.json, BENCH.md and bench_plot.png into --out.
"""
import argparse
import concurrent.futures
import ctypes
import datetime
import glob
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F



def _abi_folder():
    """A folder holding the attngen_abi.py that `attngen emit` writes next to the kernels (rendered from the same
    values as attngen_abi.h): $ATTNGEN_ABI_DIR, else the folders benchmarks/gpu/prepare.sh emits."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("ATTNGEN_ABI_DIR", "")] + [os.path.join(here, ".generated", f)
                                                           for f in ("bench", "forward", "backward")]
    for folder in candidates:
        if folder and os.path.exists(os.path.join(folder, "attngen_abi.py")):
            return folder
    raise SystemExit("attngen_abi.py not found: run bash benchmarks/gpu/prepare.sh, or set ATTNGEN_ABI_DIR to a folder "
                     "attngen emitted")


sys.path.insert(0, _abi_folder())
from attngen_abi import BackwardParams, ForwardParams, Layout  # noqa: E402

TOKENS, HIDDEN = 16384, 2048
SEQLENS = [512, 1024, 2048, 4096, 8192, 16384]
TOLERANCE = {torch.bfloat16: 2e-2, torch.float16: 4e-3}


# ------------------------------------------------------------------------------------------------
# Building and calling the generated kernels.
# ------------------------------------------------------------------------------------------------

def build_library(kernels, build, nvcc, arch, jobs, report=None):
    """Compiles every NAME.cu of `kernels` to an object (in parallel) and links one shared library."""
    sources = sorted(glob.glob(os.path.join(kernels, "*.cu")))
    if not sources:
        raise SystemExit(f"no .cu files in {kernels}")
    os.makedirs(build, exist_ok=True)
    digest = hashlib.sha1("".join(open(s).read() for s in sources).encode()
                          + open(os.path.join(kernels, "attngen_runtime_cuda.cuh")).read().encode()).hexdigest()[:12]
    library = os.path.join(build, f"libattngen_bench_{digest}.so")
    names = [os.path.basename(s)[:-3] for s in sources]
    if os.path.exists(library):
        return library, names

    def compile_one(source):
        obj = os.path.join(build, os.path.basename(source)[:-3] + ".o")
        command = [nvcc, "-std=c++17", "-O3"] + arch.split() + ["-Xcompiler", "-fPIC", "-Xptxas", "-v",
                                                               f"-I{kernels}", "-c", source, "-o", obj]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"nvcc failed on {source}:\n{result.stderr}")
        return obj, result.stderr

    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(compile_one, sources))
    with open(os.path.join(build, "ptxas.txt"), "w") as listing:
        for source, (_, text) in zip(sources, results):
            listing.write(f"== {os.path.basename(source)}\n{text}")
    if report:
        with open(report, "w") as out:
            out.write(open(os.path.join(build, "ptxas.txt")).read())
    subprocess.run([nvcc, "-shared", "-o", library] + [obj for obj, _ in results], check=True)
    print(f"built {len(sources)} kernels in {time.time() - start:.0f} s", flush=True)
    return library, names


def add_library_arguments(parser, build, kernels=None, kernels_help=None):
    """The options of every script that builds the emitted kernels into a library: --kernels (required when
    `kernels` is None, else its default), --build (the object folder, default `build`), --nvcc and --arch."""
    if kernels is None:
        parser.add_argument("--kernels", required=True, help=kernels_help or "a folder of emitted kernels")
    else:
        parser.add_argument("--kernels", default=kernels, help=kernels_help or "a folder of emitted kernels")
    parser.add_argument("--build", default=build)
    parser.add_argument("--nvcc", default=os.environ.get("NVCC", "nvcc"))
    parser.add_argument("--arch", default="-gencode=arch=compute_90a,code=sm_90a")


def load_library(args, kernels=None, build=None, jobs=None, report=None):
    """Builds the kernels of `kernels` (default args.kernels) into `build` (default args.build) with args.nvcc and
    args.arch, or reuses that build, and loads it: (ctypes library, kernel names)."""
    path, names = build_library(kernels or args.kernels, build or args.build, args.nvcc, args.arch,
                                jobs or os.cpu_count() or 4, report)
    return ctypes.CDLL(path), names


def _layout(t):
    assert t.stride(-1) == 1
    return Layout(t.stride(0), t.stride(1), t.stride(2))


class Kernel:
    """One generated forward kernel bound to fixed tensors, so timing covers the launch alone (with the forward
    workspace the launcher asks for, allocated at bind time: split-KV decoding for calls with few query rows)."""

    def __init__(self, library, name):
        self.function = getattr(library, f"attngen_{name}_forward_cuda")
        self.function.argtypes = [ctypes.POINTER(ForwardParams), ctypes.c_void_p]
        self.function.restype = ctypes.c_int
        self.workspace_size = getattr(library, f"attngen_{name}_forward_workspace_size_cuda")
        self.workspace_size.argtypes = [ctypes.POINTER(ForwardParams)]
        self.workspace_size.restype = ctypes.c_size_t
        self.name = name

    def bind(self, q, k, v, o, lse, block_mask=None, seed=0, offset=0):
        p = ForwardParams()
        p.struct_size = ctypes.sizeof(ForwardParams)
        p.batch, p.heads_q, p.seqlen_q, _ = q.shape
        _, p.heads_kv, p.seqlen_k, _ = k.shape
        p.q, p.k, p.v, p.o, p.lse = q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr(), lse.data_ptr()
        p.q_layout, p.k_layout, p.v_layout, p.o_layout = _layout(q), _layout(k), _layout(v), _layout(o)
        p.lse_layout = Layout(lse.stride(0), lse.stride(1), lse.stride(2))
        if block_mask is not None:
            p.block_mask = block_mask.data_ptr()
            p.block_mask_layout = Layout(block_mask.stride(0), block_mask.stride(1), block_mask.stride(2))
        p.dropout_seed, p.dropout_offset = seed, offset
        size = self.workspace_size(ctypes.byref(p))
        self.workspace = torch.empty(max(size, 16), device="cuda", dtype=torch.uint8) if size else None
        if size:
            p.workspace, p.workspace_size = self.workspace.data_ptr(), size
        self.params = p
        self.params_ref = ctypes.byref(p)
        self.tensors = (q, k, v, o, lse, block_mask)

    def __call__(self):
        status = self.function(self.params_ref, ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        if status != 0:
            raise RuntimeError(f"attngen_{self.name}_forward_cuda returned status {status}")


class BackwardKernel:
    """One generated backward pass (`attngen_NAME_backward_cuda`) bound to fixed tensors and one dQ mode
    (0 deterministic, 1 fast); its workspace is allocated once at bind time, so timing covers the launches."""

    def __init__(self, library, name):
        self.function = getattr(library, f"attngen_{name}_backward_cuda")
        self.function.argtypes = [ctypes.POINTER(BackwardParams), ctypes.c_void_p]
        self.function.restype = ctypes.c_int
        self.workspace_size = getattr(library, f"attngen_{name}_backward_workspace_size_cuda")
        self.workspace_size.argtypes = [ctypes.POINTER(BackwardParams)]
        self.workspace_size.restype = ctypes.c_size_t
        self.name = name

    def bind(self, q, k, v, o, lse, d_o, dq, dk, dv, mode, block_mask=None, seed=0, offset=0):
        p = BackwardParams()
        p.struct_size = ctypes.sizeof(BackwardParams)
        p.batch, p.heads_q, p.seqlen_q, _ = q.shape
        _, p.heads_kv, p.seqlen_k, _ = k.shape
        p.q, p.k, p.v, p.o, p.lse = q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr(), lse.data_ptr()
        p.d_o, p.dq, p.dk, p.dv = d_o.data_ptr(), dq.data_ptr(), dk.data_ptr(), dv.data_ptr()
        p.q_layout, p.k_layout, p.v_layout, p.o_layout = _layout(q), _layout(k), _layout(v), _layout(o)
        p.lse_layout = Layout(lse.stride(0), lse.stride(1), lse.stride(2))
        p.d_o_layout, p.dq_layout, p.dk_layout, p.dv_layout = _layout(d_o), _layout(dq), _layout(dk), _layout(dv)
        if block_mask is not None:
            p.block_mask = block_mask.data_ptr()
            p.block_mask_layout = Layout(block_mask.stride(0), block_mask.stride(1), block_mask.stride(2))
        p.dropout_seed, p.dropout_offset = seed, offset
        p.dq_mode = mode
        size = self.workspace_size(ctypes.byref(p))
        self.workspace = torch.empty(max(size, 16), device="cuda", dtype=torch.uint8)
        p.workspace, p.workspace_size = self.workspace.data_ptr(), size
        self.params = p
        self.params_ref = ctypes.byref(p)
        self.tensors = (q, k, v, o, lse, d_o, dq, dk, dv, block_mask)

    def __call__(self):
        status = self.function(self.params_ref, ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        if status != 0:
            raise RuntimeError(f"attngen_{self.name}_backward_cuda returned status {status}")


def median_ms(fn, repeats, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(repeats)]
    for start, stop in events:
        start.record()
        fn()
        stop.record()
    torch.cuda.synchronize()
    return statistics.median(start.elapsed_time(stop) for start, stop in events)


def interleaved_ms(fns, repeats, rounds=3):
    """The median CUDA-event time of each callable of `fns` (name -> callable), timed in turn for `rounds` rounds
    (each round: one untimed call, then `repeats` timed calls of each), and the first error line of those that raised
    (left out of the times). In turn, because the GPU can run slow for a while after a shape's tensors are allocated:
    the first kernel timed at a new shape ran up to 15 % slower than the same code timed after it (decode benchmark,
    benchmarks/decode/TUNING.md D13), which timing one kernel after the other charges to the one timed first. One
    round is the order of timing one kernel after the other."""
    samples = {name: [] for name in fns}
    errors = {}
    for _ in range(rounds):
        for name, fn in fns.items():
            if name in errors:
                continue
            try:
                fn()
                torch.cuda.synchronize()
                events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
                          for _ in range(repeats)]
                for start, stop in events:
                    start.record()
                    fn()
                    stop.record()
                torch.cuda.synchronize()
                samples[name] += [start.elapsed_time(stop) for start, stop in events]
            except Exception as problem:  # noqa: BLE001 - an anchor that refuses this shape
                errors[name] = str(problem).splitlines()[0][:160]
    return {name: statistics.median(times) for name, times in samples.items() if times and name not in errors}, errors


def record_rates(row, fns, ours, flops, repeats, rounds):
    """Times `fns` (name -> callable) interleaved (interleaved_ms) and records each one's TFLOP/s in row["tflops"]; an
    anchor that raised goes to row["anchor_errors"], a kernel of `ours` that raised fails the row."""
    times, errors = interleaved_ms(fns, repeats, rounds)
    for name in fns:
        if name in times:
            row["tflops"][name] = flops / (times[name] * 1e-3) / 1e12
        elif name in ours:
            row["check"] = "FAIL"
            row[f"{name}_error"] = errors.get(name, "not timed")
        else:
            row.setdefault("anchor_errors", {})[name] = errors.get(name, "not timed")


def relative_error(out, ref):
    out, ref = out.float(), ref.float()
    if not torch.isfinite(out).all():
        return float("inf")
    return ((out - ref).norm() / ref.norm()).item()


# ------------------------------------------------------------------------------------------------
# Anchors.
# ------------------------------------------------------------------------------------------------

class Anchors:
    def __init__(self, flex_deadline):
        from torch.nn.attention import SDPBackend, sdpa_kernel
        self.SDPBackend, self.sdpa_kernel = SDPBackend, sdpa_kernel
        self.flex_deadline = flex_deadline
        self.flex = None
        try:
            import torch._dynamo
            from torch.nn.attention.flex_attention import create_block_mask, flex_attention
            for key in ("recompile_limit", "cache_size_limit", "accumulated_recompile_limit",
                        "accumulated_cache_size_limit"):
                if hasattr(torch._dynamo.config, key):
                    setattr(torch._dynamo.config, key, 100000)
            self.create_block_mask = create_block_mask
            self.flex = torch.compile(flex_attention, dynamic=False)
        except Exception as error:  # noqa: BLE001 - FlexAttention missing on this torch
            print(f"FlexAttention unavailable: {error}", file=sys.stderr)

    def sdpa(self, backend, q, k, v, causal, dropout=0.0):
        backend = {"flash": self.SDPBackend.FLASH_ATTENTION, "cudnn": self.SDPBackend.CUDNN_ATTENTION}[backend]
        gqa = q.shape[1] != k.shape[1]

        def run():
            with self.sdpa_kernel(backend):
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal, dropout_p=dropout, enable_gqa=gqa)
        return run

    def flex_runner(self, q, k, v, block_mask):
        if self.flex is None or time.time() > self.flex_deadline:
            return None
        gqa = q.shape[1] != k.shape[1]
        return lambda: self.flex(q, k, v, block_mask=block_mask, enable_gqa=gqa)

    def causal_block_mask(self, n):
        def causal(b, h, q, k):
            return q >= k
        return self.create_block_mask(causal, B=None, H=None, Q_LEN=n, KV_LEN=n, device="cuda")


# ------------------------------------------------------------------------------------------------
# The rows.
# ------------------------------------------------------------------------------------------------

def random_inputs(b, hq, hkv, n, d, dtype):
    q = torch.randn(b, hq, n, d, device="cuda", dtype=dtype)
    k = torch.randn(b, hkv, n, d, device="cuda", dtype=dtype)
    v = torch.randn(b, hkv, n, d, device="cuda", dtype=dtype)
    return q, k, v


def measure_row(args, anchors, kernels, row, q, k, v, flops, reference, anchor_fns, our_kernel, check=True,
                lse_check=None, also=None):
    """Checks our kernel against `reference` (output of the first anchor), then times everything. `also` (label ->
    Kernel): more of our kernels for the same call, each checked like ours (its own poisoned O and LSE) and timed
    with it; its rate is row["tflops"][label], its ratios row["ratios"]["label/anchor"]."""
    repeats = args.repeats
    bind = row.pop("_bind", {})
    outputs = []
    ok = True
    errors = []
    for kernel in [our_kernel] + list((also or {}).values()):
        o = torch.full((q.shape[0], q.shape[1], q.shape[2], v.shape[3]), float("nan"), device="cuda", dtype=q.dtype)
        lse = torch.full((q.shape[0], q.shape[1], q.shape[2]), float("nan"), device="cuda", dtype=torch.float32)
        kernel.bind(q, k, v, o, lse, **bind)
        kernel()
        torch.cuda.synchronize()
        outputs.append((o, lse))
        if check:
            errors.append(relative_error(o, reference))
            ok = ok and errors[-1] <= TOLERANCE[q.dtype]
        else:
            ok = ok and bool(torch.isfinite(o).all())
    o, lse = outputs[0]
    row["rel_error_vs_anchor"] = max(errors) if check else None
    if lse_check is not None:
        lse_error = (lse - lse_check).abs().max().item()
        row["lse_max_abs_error"] = lse_error
        ok = ok and lse_error < 1e-3
    row["check"] = "pass" if ok else "FAIL"
    row["tflops"] = {}
    # attngen and the anchors timed interleaved, in rounds.
    ours = {"attngen": our_kernel, **(also or {})} if ok else {}
    fns = dict(ours)
    fns.update({name: fn for name, fn in anchor_fns.items() if fn is not None})
    record_rates(row, fns, tuple(ours), flops, repeats, args.rounds)
    row["ratios"] = {}
    for label in ours:
        for name, value in row["tflops"].items():
            if name not in ours and label in row["tflops"] and value > 0:
                key = name if label == "attngen" else f"{label}/{name}"
                row["ratios"][key] = row["tflops"][label] / value
    del outputs
    print(format_row(row), flush=True)
    return row


def format_row(row):
    rates = " ".join(f"{name}={value:.1f}" for name, value in row["tflops"].items())
    ratios = " ".join(f"/{name}={value:.2f}" for name, value in row["ratios"].items())
    err = row.get("rel_error_vs_anchor")
    err_text = "-" if err is None else f"{err:.1e}"
    return (f"{row['variant']:<14} {row['dtype']:<5} d={row['d']:<3} N={row['N']:<5} B={row['B']:<2} "
            f"H={row['Hq']}/{row['Hkv']} {'causal ' if row['causal'] else ''}{row.get('extra', '')} "
            f"[{row['check']} err {err_text}] {rates} | {ratios}")


# ------------------------------------------------------------------------------------------------
# The backward pass, and the block-sparse and dropout ratios.
# ------------------------------------------------------------------------------------------------

def our_forward(library, name, q, k, v, **bind):
    """Runs our forward kernel `name` once (outputs poisoned with NaN first); returns (kernel, O, LSE)."""
    o = torch.full((q.shape[0], q.shape[1], q.shape[2], v.shape[3]), float("nan"), device="cuda", dtype=q.dtype)
    lse = torch.full((q.shape[0], q.shape[1], q.shape[2]), float("nan"), device="cuda", dtype=torch.float32)
    kernel = Kernel(library, name)
    kernel.bind(q, k, v, o, lse, **bind)
    kernel()
    torch.cuda.synchronize()
    return kernel, o, lse


def our_backward(library, name, q, k, v, o, lse, d_o, mode, **bind):
    """Runs our backward pass of `name` once in dQ mode `mode` (gradients poisoned with NaN first);
    returns (kernel, (dQ, dK, dV))."""
    grads = tuple(torch.full_like(t, float("nan")) for t in (q, k, v))
    kernel = BackwardKernel(library, name)
    kernel.bind(q, k, v, o, lse, d_o, *grads, mode, **bind)
    kernel()
    torch.cuda.synchronize()
    return kernel, grads


def anchor_backward(forward, q, k, v, d_o):
    """The backward pass of an anchor: runs `forward` once with gradients on, and returns a function that
    computes dQ, dK, dV from the saved graph (torch.autograd.grad: no accumulation into .grad)."""
    leaves = tuple(t.detach().clone().requires_grad_() for t in (q, k, v))
    out = forward(*leaves)

    def run():
        return torch.autograd.grad(out, leaves, d_o, retain_graph=True)
    return run


def gradient_errors(got, ref):
    return {name: relative_error(g, r) for name, g, r in zip(("dq", "dk", "dv"), got, ref)}


def backward_rows(args, anchors, library, dtype_name, dims, seqlens, out_of_time):
    """Backward rows (one dtype, head dims `dims`, causal and not): our deterministic and fast dQ modes against
    the backward passes of SDPA flash, SDPA cuDNN and FlexAttention. Our gradients (from our own forward's O
    and LSE) are checked against flash's before timing; the deterministic mode must repeat bit for bit."""
    rows = []
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[dtype_name]
    for d in dims:
        for causal in (False, True):
            for n in seqlens:
                if out_of_time():
                    return rows, False
                b, h = TOKENS // n, HIDDEN // d
                q, k, v = random_inputs(b, h, h, n, d, dtype)
                d_o = torch.randn_like(q)
                flops = 2.5 * 4 * b * h * n * n * d / (2 if causal else 1)
                name = f"bk_{dtype_name}_d{d}" + ("_causal" if causal else "")
                _, o, lse = our_forward(library, name, q, k, v)
                flash = anchor_backward(lambda a, bb, c: anchors.sdpa("flash", a, bb, c, causal)(), q, k, v, d_o)
                reference = flash()
                row = {"variant": "backward", "dtype": dtype_name, "d": d, "N": n, "B": b, "Hq": h, "Hkv": h,
                       "causal": causal, "tflops": {}, "ratios": {}}
                det, det_grads = our_backward(library, name, q, k, v, o, lse, d_o, 0)
                first = tuple(g.clone() for g in det_grads)
                det()
                torch.cuda.synchronize()
                identical = all(torch.equal(a, bb) for a, bb in zip(first, det_grads))
                fast, fast_grads = our_backward(library, name, q, k, v, o, lse, d_o, 1)
                row["errors_deterministic"] = gradient_errors(det_grads, reference)
                row["errors_fast"] = gradient_errors(fast_grads, reference)
                row["deterministic_repeat_identical"] = identical
                worst = max(list(row["errors_deterministic"].values()) + list(row["errors_fast"].values()))
                row["rel_error_vs_anchor"] = worst
                ok = worst <= TOLERANCE[dtype] and identical
                row["check"] = "pass" if ok else "FAIL"
                del first, det_grads, fast_grads, reference
                fns = {"flash": flash}
                try:
                    fns["cudnn"] = anchor_backward(lambda a, bb, c: anchors.sdpa("cudnn", a, bb, c, causal)(),
                                                   q, k, v, d_o)
                except Exception as error:  # noqa: BLE001 - cuDNN refusing the shape
                    row.setdefault("anchor_errors", {})["cudnn"] = str(error).splitlines()[0][:160]
                if anchors.flex is not None and not args.no_flex and time.time() < anchors.flex_deadline:
                    block_mask = anchors.causal_block_mask(n) if causal else None
                    try:
                        fns["flex"] = anchor_backward(lambda a, bb, c: anchors.flex(a, bb, c, block_mask=block_mask),
                                                      q, k, v, d_o)
                    except Exception as error:  # noqa: BLE001 - FlexAttention refusing the shape
                        row.setdefault("anchor_errors", {})["flex"] = str(error).splitlines()[0][:160]
                # Both dQ modes and the anchors timed interleaved, in rounds.
                ours = {"attngen": det, "attngen-fast": fast} if ok else {}
                record_rates(row, {**ours, **fns}, tuple(ours), flops, args.repeats, args.rounds)
                for ours in ("attngen", "attngen-fast"):
                    for anchor_name in ("flash", "cudnn", "flex"):
                        if ours in row["tflops"] and anchor_name in row["tflops"]:
                            key = anchor_name if ours == "attngen" else f"fast/{anchor_name}"
                            row["ratios"][key] = row["tflops"][ours] / row["tflops"][anchor_name]
                print(format_row(row), flush=True)
                rows.append(row)
                del fns, flash, det, fast, o, lse, q, k, v, d_o
                torch.cuda.empty_cache()
    return rows, True


def masked_reference_gradients(q, k, v, d_o, allowed):
    """Float32 autograd of softmax(QKᵀ/√d + mask)V with a boolean mask (True = kept): O and dQ, dK, dV."""
    leaves = tuple(t.float().detach().requires_grad_() for t in (q, k, v))
    out = F.scaled_dot_product_attention(*leaves, attn_mask=allowed)
    return out, torch.autograd.grad(out, leaves, d_o.float())


def block_layout(blocks, density, generator):
    """A random blocks x blocks layout (True = kept) with the same number of kept blocks in every query-block row,
    max(1, round(density · blocks)), at uniformly random key-block positions: the density is exact up to that
    rounding (a Bernoulli draw per block plus one forced block per row kept 28.7 % instead of 25 % at N = 4096)."""
    per_row = max(1, round(density * blocks))
    order = torch.rand(blocks, blocks, device="cuda", generator=generator).argsort(dim=1)
    keep = torch.zeros(blocks, blocks, device="cuda", dtype=torch.bool)
    keep.scatter_(1, order[:, :per_row], True)
    return keep


def ratio_rows(args, library, seqlens, out_of_time):
    """Our block-sparse kernel at 25 % of 128 x 128 blocks against the same kernel with every block kept,
    and our dropout-0.1 kernel against the same spec without dropout, forward and backward (deterministic
    dQ), bf16, non-causal. Checks first: the sparse kernel's forward and backward at 25 % against float32
    autograd with the same mask (small shape), and with every block kept against the dense kernel's results
    at the timed shape; dropout rows need finite outputs and the same LSE as the kernel without dropout."""
    rows = []
    generator = torch.Generator(device="cuda")
    generator.manual_seed(4321)

    def layout(n, density):
        blocks = n // 128
        return block_layout(blocks, density, generator)

    for d in (64, 128):
        # Correctness of the sparse kernel at 25 % (B = 2, H = 4, N = 1024) against float32 autograd.
        n, b, h = 1024, 2, 4
        q, k, v = random_inputs(b, h, h, n, d, torch.bfloat16)
        d_o = torch.randn_like(q)
        keep = layout(n, 0.25)
        allowed = keep.repeat_interleave(128, 0).repeat_interleave(128, 1)
        ref_o, ref_grads = masked_reference_gradients(q, k, v, d_o, allowed)
        mask = keep.to(torch.uint8).contiguous().expand(b, h, n // 128, n // 128)
        name = f"bk_bf16_d{d}_sparse"
        _, o, lse = our_forward(library, name, q, k, v, block_mask=mask)
        _, grads = our_backward(library, name, q, k, v, o, lse, d_o, 0, block_mask=mask)
        small_errors = gradient_errors(grads, ref_grads)
        small_errors["o"] = relative_error(o, ref_o)
        del q, k, v, d_o, ref_o, ref_grads, grads, o, lse

        for n in seqlens:
            if out_of_time():
                return rows, False
            b, h = TOKENS // n, HIDDEN // d
            q, k, v = random_inputs(b, h, h, n, d, torch.bfloat16)
            d_o = torch.randn_like(q)
            flops = 4 * b * h * n * n * d
            blocks = n // 128
            keep = layout(n, 0.25)
            kept = keep.float().mean().item()
            full = torch.ones(blocks, blocks, device="cuda", dtype=torch.uint8).expand(b, h, blocks, blocks)
            sparse_mask = keep.to(torch.uint8).contiguous().expand(b, h, blocks, blocks)
            dense_name, sparse_name, dropout_name = f"bk_bf16_d{d}", f"bk_bf16_d{d}_sparse", f"bk_bf16_d{d}_dropout"

            dense_fwd, dense_o, dense_lse = our_forward(library, dense_name, q, k, v)
            dense_bwd, dense_grads = our_backward(library, dense_name, q, k, v, dense_o, dense_lse, d_o, 0)
            full_fwd, full_o, full_lse = our_forward(library, sparse_name, q, k, v, block_mask=full)
            full_bwd, full_grads = our_backward(library, sparse_name, q, k, v, full_o, full_lse, d_o, 0,
                                                block_mask=full)
            part_fwd, part_o, part_lse = our_forward(library, sparse_name, q, k, v, block_mask=sparse_mask)
            part_bwd, part_grads = our_backward(library, sparse_name, q, k, v, part_o, part_lse, d_o, 0,
                                                block_mask=sparse_mask)
            drop_fwd, drop_o, drop_lse = our_forward(library, dropout_name, q, k, v, seed=42, offset=0)
            drop_bwd, drop_grads = our_backward(library, dropout_name, q, k, v, drop_o, drop_lse, d_o, 0,
                                                seed=42, offset=0)
            full_errors = gradient_errors(full_grads, dense_grads)
            full_errors["o"] = relative_error(full_o, dense_o)
            finite = all(bool(torch.isfinite(t).all()) for t in (part_o, drop_o) + part_grads + drop_grads)
            lse_gap = (drop_lse - dense_lse).abs().max().item()
            sparse_ok = max(list(small_errors.values()) + list(full_errors.values())) <= TOLERANCE[torch.bfloat16]
            row = {"d": d, "N": n, "B": b, "H": h, "kept": round(kept, 4),
                   "sparse_small_errors": small_errors, "sparse_full_vs_dense_errors": full_errors,
                   "dropout_lse_max_abs_gap": lse_gap, "finite": finite,
                   "check": "pass" if (sparse_ok and finite and lse_gap < 1e-3) else "FAIL"}
            if row["check"] == "pass":
                ms = {label: median_ms(fn, args.repeats) for label, fn in (
                    ("dense_fwd", dense_fwd), ("dense_bwd", dense_bwd), ("sparse_full_fwd", full_fwd),
                    ("sparse_full_bwd", full_bwd), ("sparse_25_fwd", part_fwd), ("sparse_25_bwd", part_bwd),
                    ("dropout_fwd", drop_fwd), ("dropout_bwd", drop_bwd))}
                row["ms"] = ms
                row["sparse_ratio_fwd"] = ms["sparse_25_fwd"] / ms["sparse_full_fwd"]
                row["sparse_ratio_bwd"] = ms["sparse_25_bwd"] / ms["sparse_full_bwd"]
                row["dropout_ratio_fwd"] = ms["dropout_fwd"] / ms["dense_fwd"]
                row["dropout_ratio_bwd"] = ms["dropout_bwd"] / ms["dense_bwd"]
                row["tflops_dense_fwd"] = flops / (ms["dense_fwd"] * 1e-3) / 1e12
                row["tflops_dense_bwd"] = 2.5 * flops / (ms["dense_bwd"] * 1e-3) / 1e12
            print(f"ratios d={d} N={n} kept {kept:.3f} [{row['check']}] "
                  + " ".join(f"{key}={row[key]:.3f}" for key in ("sparse_ratio_fwd", "sparse_ratio_bwd",
                                                                  "dropout_ratio_fwd", "dropout_ratio_bwd")
                             if key in row)
                  + f" | small-shape errors {max(small_errors.values()):.1e}, full-vs-dense {max(full_errors.values()):.1e},"
                  f" dropout LSE gap {lse_gap:.1e}", flush=True)
            rows.append(row)
            del (dense_fwd, dense_bwd, full_fwd, full_bwd, part_fwd, part_bwd, drop_fwd, drop_bwd, dense_grads,
                 full_grads, part_grads, drop_grads, q, k, v, d_o)
            torch.cuda.empty_cache()
    return rows, True


def run_all(args, library):
    anchors = Anchors(flex_deadline=time.time() + args.flex_budget_s)
    deadline = time.time() + args.budget_s
    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16}
    seqlens = [1024, 4096, 16384] if args.quick else SEQLENS
    rows = []

    def kernel(name):
        return Kernel(library, name)

    def out_of_time():
        if time.time() > deadline:
            print("budget reached: remaining rows skipped", flush=True)
            return True
        return False

    def dense(dtype_name, dims):
        """Dense forward rows, causal and not: fw_* (no LSE, as SDPA's forward without gradients) as attngen, and
        the training variant's forward (bk_*, LSE saved) as attngen+lse."""
        dtype = dtypes[dtype_name]
        for d in dims:
            for causal in (False, True):
                for n in seqlens:
                    if out_of_time():
                        return False
                    b, h = TOKENS // n, HIDDEN // d
                    q, k, v = random_inputs(b, h, h, n, d, dtype)
                    flops = 4 * b * h * n * n * d / (2 if causal else 1)
                    flash = anchors.sdpa("flash", q, k, v, causal)
                    with torch.no_grad():
                        reference = flash()
                    block_mask = anchors.causal_block_mask(n) if (causal and anchors.flex is not None) else None
                    fns = {"flash": flash, "cudnn": anchors.sdpa("cudnn", q, k, v, causal),
                           "flex": anchors.flex_runner(q, k, v, block_mask) if not args.no_flex else None}
                    row = {"variant": "dense", "dtype": dtype_name, "d": d, "N": n, "B": b, "Hq": h, "Hkv": h,
                           "causal": causal}
                    suffix = f"{dtype_name}_d{d}" + ("_causal" if causal else "")
                    rows.append(measure_row(args, anchors, None, row, q, k, v, flops, reference, fns,
                                            kernel(f"fw_{suffix}"), also={"attngen+lse": kernel(f"bk_{suffix}")}))
                    del q, k, v, reference
        return True

    # Order of priority under the time budget: bf16 d=64/128 forward, backward, the block-sparse and
    # dropout ratios, GQA, block-sparse against FlexAttention, dropout against flash, fp16, d=256.
    if "dense" in args.sections and "bf16" in args.dtypes and not dense("bf16", [64, 128]):
        return rows
    if not args.no_backward and "backward" in args.sections:
        backward, finished = backward_rows(args, anchors, library, "bf16", [64, 128, 256], seqlens, out_of_time)
        rows += backward
        if not finished:
            return rows
    if not args.no_backward and "ratios" in args.sections:
        args.ratio_rows, finished = ratio_rows(args, library, [4096, 16384], out_of_time)
        if not finished:
            return rows
    if not args.no_backward and "modifiers" in args.sections:
        import bench_modifiers
        args.modifier_rows, finished = bench_modifiers.modifier_rows(args, anchors, library, [1024, 4096, 16384],
                                                                     out_of_time, sys.modules[__name__])
        if not finished:
            return rows
    if "rest" not in args.sections:
        return rows

    # GQA: 32 query heads, 8 key/value heads, d = 64 (hidden 2048), bf16.
    for causal in (False, True):
        for n in seqlens:
            if out_of_time():
                return rows
            d, b, hq, hkv = 64, TOKENS // n, 32, 8
            q, k, v = random_inputs(b, hq, hkv, n, d, torch.bfloat16)
            flops = 4 * b * hq * n * n * d / (2 if causal else 1)
            flash = anchors.sdpa("flash", q, k, v, causal)
            try:
                reference = flash()
            except Exception as error:  # noqa: BLE001 - flash without GQA: the default backend on repeated K/V
                print(f"flash refused GQA ({str(error).splitlines()[0][:100]}); reference from repeated K/V")
                reference = F.scaled_dot_product_attention(q, k.repeat_interleave(hq // hkv, 1),
                                                           v.repeat_interleave(hq // hkv, 1), is_causal=causal)
            block_mask = anchors.causal_block_mask(n) if (causal and anchors.flex is not None) else None
            fns = {"flash": flash, "cudnn": anchors.sdpa("cudnn", q, k, v, causal),
                   "flex": anchors.flex_runner(q, k, v, block_mask) if not args.no_flex else None}
            row = {"variant": "gqa", "dtype": "bf16", "d": d, "N": n, "B": b, "Hq": hq, "Hkv": hkv, "causal": causal}
            name = "bk_bf16_d64" + ("_causal" if causal else "")
            rows.append(measure_row(args, anchors, None, row, q, k, v, flops, reference, fns, kernel(name)))

    # Block-sparse at 10/25/50 % of 128 x 128 blocks kept, against FlexAttention with the same BlockMask.
    if anchors.flex is not None and not args.no_flex:
        generator = torch.Generator(device="cuda")
        generator.manual_seed(1234)
        for d in (64, 128):
            for density in (0.10, 0.25, 0.50):
                for n in [4096, 16384] if args.quick else [2048, 4096, 8192, 16384]:
                    if out_of_time():
                        return rows
                    b, h = TOKENS // n, HIDDEN // d
                    blocks = n // 128
                    keep = block_layout(blocks, density, generator)
                    q, k, v = random_inputs(b, h, h, n, d, torch.bfloat16)

                    def sparse_mod(bb, hh, qq, kk, keep=keep):
                        return keep[qq // 128, kk // 128]
                    flex_mask = anchors.create_block_mask(sparse_mod, B=None, H=None, Q_LEN=n, KV_LEN=n,
                                                          device="cuda", BLOCK_SIZE=128)
                    flex = anchors.flex_runner(q, k, v, flex_mask)
                    if flex is None:
                        break
                    reference = flex()
                    kept = keep.float().mean().item()
                    flops = 4 * b * h * n * n * d * kept
                    # one layout for every (batch, head): batch and head strides 0
                    ours_mask = keep.to(torch.uint8).contiguous().expand(b, h, blocks, blocks)
                    row = {"variant": "block-sparse", "dtype": "bf16", "d": d, "N": n, "B": b, "Hq": h, "Hkv": h,
                           "causal": False, "density": round(kept, 4), "target_density": density,
                           "extra": f"density {density:.2f}",
                           "_bind": {"block_mask": ours_mask}}
                    rows.append(measure_row(args, anchors, None, row, q, k, v, flops, reference, {"flex": flex},
                                            kernel(f"bk_bf16_d{d}_sparse")))

    # Dropout 0.1: time against SDPA flash with dropout; checked through the log-sum-exp (dropout leaves it
    # unchanged) and a finite output, since the two dropout masks differ.
    for d in (64, 128):
        for n in [4096, 16384] if args.quick else [1024, 4096, 16384]:
            if out_of_time():
                return rows
            b, h = TOKENS // n, HIDDEN // d
            q, k, v = random_inputs(b, h, h, n, d, torch.bfloat16)
            scores = None
            lse_ref = torch.empty(b, h, n, device="cuda", dtype=torch.float32)
            for i in range(0, n, 2048):  # exact LSE in chunks (fp32)
                scores = (q[:, :, i:i + 2048].float() @ k.float().transpose(-1, -2)) / math.sqrt(d)
                lse_ref[:, :, i:i + 2048] = torch.logsumexp(scores, -1)
            del scores
            flops = 4 * b * h * n * n * d
            row = {"variant": "dropout", "dtype": "bf16", "d": d, "N": n, "B": b, "Hq": h, "Hkv": h, "causal": False,
                   "extra": "p=0.1", "_bind": {"seed": 42, "offset": 0}}
            fns = {"flash": anchors.sdpa("flash", q, k, v, False, dropout=0.1)}
            rows.append(measure_row(args, anchors, None, row, q, k, v, flops, None, fns,
                                    kernel(f"bk_bf16_d{d}_dropout"), check=False, lse_check=lse_ref))
    if "fp16" in args.dtypes and not dense("fp16", [64, 128]):
        return rows
    if "fp16" in args.dtypes and not args.no_backward:
        backward, finished = backward_rows(args, anchors, library, "fp16", [64, 128, 256], seqlens, out_of_time)
        rows += backward
        if not finished:
            return rows
    if not args.no_d256:
        for dtype_name in args.dtypes:
            if not dense(dtype_name, [256]):
                return rows
    return rows


# ------------------------------------------------------------------------------------------------
# Reports.
# ------------------------------------------------------------------------------------------------

def target_density(row):
    """The density a block-sparse row asked for (older results stored only the kept fraction)."""
    if "target_density" in row:
        return row["target_density"]
    return min((0.10, 0.25, 0.50), key=lambda t: abs(t - row["density"]))


def group_key(row):
    extra = f"density {target_density(row):.2f}" if row["variant"] == "block-sparse" else row.get("extra", "")
    return (row["variant"], row["dtype"], row["d"], row["causal"], extra)


def summary_markdown(rows, ratios):
    """The summary: our forward and backward against flash per anchor shape and dtype, and the two ratios."""
    lines = []

    def cell(row, key, fast_key=None):
        if row is None or key not in row["ratios"]:
            return "-" if row is None or row["check"] == "pass" else "FAIL"
        text = f"{row['ratios'][key]:.2f}"
        if fast_key and fast_key in row["ratios"]:
            text += f" ({row['ratios'][fast_key]:.2f})"
        return text
    for dtype_name in ("bf16", "fp16"):
        keys = sorted({(r["d"], r["causal"], r["N"]) for r in rows
                       if r["dtype"] == dtype_name and r["variant"] in ("dense", "backward")})
        if not keys:
            continue
        lines += [f"## Summary ({dtype_name})", "",
                  "attngen / anchor, TFLOP/s ratio in the same run (forward: the inference variant without LSE, as "
                  "the anchors' forward without gradients, the training variant's forward with LSE saved in "
                  "parentheses; backward: deterministic dQ, fast dQ in parentheses). Forward FLOPs = 4·B·H·N²·d (halved for causal), backward = 2.5 × forward.", "",
                  "| d | causal | N | forward / flash | forward / cuDNN | backward / flash | backward / cuDNN | backward / flex |",
                  "|---|---|---|---|---|---|---|---|"]
        for d, causal, n in keys:
            def find(variant):
                return next((r for r in rows if (r["variant"], r["dtype"], r["d"], r["causal"], r["N"])
                             == (variant, dtype_name, d, causal, n)), None)
            fwd, bwd = find("dense"), find("backward")
            lines.append(f"| {d} | {'yes' if causal else 'no'} | {n} | {cell(fwd, 'flash', 'attngen+lse/flash')} | "
                         f"{cell(fwd, 'cudnn', 'attngen+lse/cudnn')} | "
                         f"{cell(bwd, 'flash', 'fast/flash')} | {cell(bwd, 'cudnn', 'fast/cudnn')} | "
                         f"{cell(bwd, 'flex', 'fast/flex')} |")
        lines.append("")
    if ratios:
        lines += ["Block-sparse: our 128 x 128 block-sparse kernel with 25 % of the blocks kept, time over the same "
                  "kernel with every block kept (target ≤ 0.35). Dropout: our dropout-0.1 kernel's time over the "
                  "same spec without dropout (target ≤ 1.15). Backward in deterministic dQ mode; bf16, non-causal. "
                  "Checks: the sparse kernel at 25 % against float32 autograd with the same mask (B=2, H=4, N=1024), "
                  "with every block kept against the dense kernel at the timed shape; dropout: finite, LSE equal to "
                  "the kernel without dropout.", "",
                  "| d | N | check | kept | sparse fwd | sparse bwd | dropout fwd | dropout bwd | dense fwd TFLOP/s | dense bwd TFLOP/s |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in ratios:
            def value(key, digits=2):
                return f"{r[key]:.{digits}f}" if key in r else "-"
            lines.append(f"| {r['d']} | {r['N']} | {r['check']} | {r['kept']:.3f} | {value('sparse_ratio_fwd')} | "
                         f"{value('sparse_ratio_bwd')} | {value('dropout_ratio_fwd')} | {value('dropout_ratio_bwd')} | "
                         f"{value('tflops_dense_fwd', 1)} | {value('tflops_dense_bwd', 1)} |")
        lines.append("")
    return lines


def backward_markdown(rows):
    lines = []
    for dtype_name, d in sorted({(r["dtype"], r["d"]) for r in rows}):
        for causal in (False, True):
            subset = [r for r in rows if r["d"] == d and r["causal"] == causal and r["dtype"] == dtype_name]
            if not subset:
                continue
            anchor_names = [a for a in ("flash", "cudnn", "flex") if any(a in r["tflops"] for r in subset)]
            lines += [f"## backward, {dtype_name}, d={d}{', causal' if causal else ''}", "",
                      "| N | B x H | check (worst rel. err of dQ/dK/dV, both modes) | det. bit-identical | "
                      "attngen det. TFLOP/s | attngen fast TFLOP/s | "
                      + " | ".join(f"{a} TFLOP/s" for a in anchor_names) + " | "
                      + " | ".join(f"det. / {a}" for a in anchor_names) + " | "
                      + " | ".join(f"fast / {a}" for a in anchor_names) + " |",
                      "|---|---|---|---|---|---|" + "---|" * (3 * len(anchor_names))]
            for r in subset:
                def rate(key):
                    return f"{r['tflops'][key]:.1f}" if key in r["tflops"] else "-"

                def ratio(key):
                    return f"{r['ratios'][key]:.2f}" if key in r["ratios"] else "-"
                lines.append(f"| {r['N']} | {r['B']} x {r['Hq']} | {r['check']} ({r['rel_error_vs_anchor']:.1e}) | "
                             f"{'yes' if r['deterministic_repeat_identical'] else 'NO'} | {rate('attngen')} | "
                             f"{rate('attngen-fast')} | " + " | ".join(rate(a) for a in anchor_names) + " | "
                             + " | ".join(ratio(a) for a in anchor_names) + " | "
                             + " | ".join(ratio(f"fast/{a}") for a in anchor_names) + " |")
            lines.append("")
    return lines


def markdown(rows, meta, ratios=()):
    lines = ["# attngen CUDA forward and backward vs the anchors (benchmarks/gpu/bench.py)", "",
             f"- date: {meta['date']}", f"- GPU: {meta['gpu']}", f"- torch: {meta['torch']}",
             f"- command: `{meta['command']}`"
             + (f" (tables and plot re-rendered from its bench_results.json: `{meta['rendered']}`)" if "rendered" in meta else ""),
             *([f"- merged: {meta['merged']}"] if "merged" in meta else []),
             "- shapes: total tokens 16k (B = 16384 / N), hidden 2048 (H = 2048 / d); FLOPs = 4·B·H·N²·d, halved "
             "for causal, times the kept fraction of blocks for block-sparse; median of CUDA-event timings"
             + (f", a row's kernels timed interleaved in {meta['rounds']} rounds" if meta.get("rounds", 1) > 1
                else ", a row's kernels timed one after the other"),
             "- every attngen row was checked before timing: ‖O − anchor‖/‖anchor‖ (flash for dense/GQA, flex for "
             "block-sparse; tolerance 2e-2 bf16, 4e-3 fp16); dropout rows: finite O and exact LSE (< 1e-3)",
             "- dense rows: attngen is the inference variant (fw_*, no LSE, as the anchors' forward without "
             "gradients), attngen+lse the training variant's forward (bk_*, LSE saved), both checked",
             "- flex: FlexAttention compiled once per shape; '-' = not run (or refused the shape)",
             "- block-sparse: random 128 x 128 block layout with max(1, round(density x blocks)) kept blocks in every "
             "query-block row, the same for every (batch, head); 'kept' is the fraction actually kept",
             "- backward rows: `attngen_NAME_backward_cuda` (deterministic and fast dQ modes) from our own forward's "
             "O and LSE, against the backward of SDPA flash / cuDNN / FlexAttention (torch.autograd.grad on a saved "
             "graph, so only the backward is timed); dQ, dK, dV checked against flash's gradients (tolerance 2e-2 bf16, 4e-3 fp16) "
             "and the deterministic mode run twice (must be bit-identical) before timing", ""]
    lines += summary_markdown(rows, list(ratios))
    lines += backward_markdown([r for r in rows if r["variant"] == "backward"])
    variants = []
    for row in rows:
        if row["variant"] == "backward":
            continue
        if group_key(row) not in variants:
            variants.append(group_key(row))
    for key in variants:
        variant, dtype, d, causal, extra = key
        subset = [r for r in rows if group_key(r) == key]
        anchor_names = [a for a in ("flash", "cudnn", "flex") if any(a in r["tflops"] for r in subset)]
        extra_names = [a for a in ("attngen+lse",) if any(a in r["tflops"] for r in subset)]
        title = f"{variant}, {dtype}, d={d}{', causal' if causal else ''}{', ' + extra if extra else ''}"
        lines += [f"## {title}", "",
                  "| N | B x Hq/Hkv | check (rel. err) | attngen TFLOP/s | " +
                  "".join(f"{a} TFLOP/s | " for a in extra_names) +
                  " | ".join(f"{a} TFLOP/s" for a in anchor_names) + " | " +
                  " | ".join(f"attngen / {a}" for a in anchor_names) +
                  "".join(f" | {e} / {a}" for e in extra_names for a in anchor_names) + " |",
                  "|---|---|---|---|" + "---|" * ((2 + len(extra_names)) * len(anchor_names) + len(extra_names))]
        for r in subset:
            err = r.get("rel_error_vs_anchor")
            check = r["check"] + (f" ({err:.1e})" if err is not None else
                                  f" (LSE {r.get('lse_max_abs_error', float('nan')):.1e})")
            shape = f"{r['B']} x {r['Hq']}/{r['Hkv']}" + (f", kept {r['density']:.2f}" if "density" in r else "")
            ours = r["tflops"].get("attngen")
            cells = [f"{r['tflops'][a]:.1f}" if a in r["tflops"] else "-" for a in anchor_names]
            ratio_cells = [f"{r['ratios'][a]:.2f}" if a in r["ratios"] else "-" for a in anchor_names]
            extra_cells = [f"{r['tflops'][e]:.1f}" if e in r["tflops"] else "-" for e in extra_names]
            extra_ratio_cells = [f"{r['ratios'][f'{e}/{a}']:.2f}" if f"{e}/{a}" in r["ratios"] else "-"
                                 for e in extra_names for a in anchor_names]
            lines.append(f"| {r['N']} | {shape} | {check} | "
                         f"{'-' if ours is None else f'{ours:.1f}'} | "
                         + " | ".join(extra_cells + cells + ratio_cells + extra_ratio_cells) + " |")
        lines.append("")
    return "\n".join(lines)


def plot(rows, meta, path):
    """TFLOP/s against N, one panel per variant (bf16; fp16 is in the tables): dense and GQA per head dim and
    causality, block-sparse per head dim (one line per implementation and target density), dropout."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    shown = [r for r in rows if r["dtype"] == "bf16"]
    panels = []
    for r in shown:
        key = (r["variant"], r["d"], r["causal"])
        if key not in panels:
            panels.append(key)
    columns = 4
    figure_rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(figure_rows, columns, figsize=(5.2 * columns, 4.0 * figure_rows), squeeze=False)
    colors = {"attngen": "tab:blue", "attngen-fast": "tab:purple", "attngen+lse": "tab:cyan", "flash": "tab:green", "cudnn": "tab:orange",
              "flex": "tab:red"}
    styles = {0.10: ":", 0.25: "--", 0.50: "-"}
    for index, (variant, d, causal) in enumerate(panels):
        axis = axes[index // columns][index % columns]
        subset = [r for r in shown if (r["variant"], r["d"], r["causal"]) == (variant, d, causal)]
        series = {}
        for r in subset:
            density = target_density(r) if variant == "block-sparse" else None
            for impl, value in r["tflops"].items():
                series.setdefault((impl, density), []).append((r["N"], value))
        for (impl, density), points in sorted(series.items(), key=lambda item: (item[0][0], item[0][1] or 0)):
            points.sort()
            label = impl if density is None else f"{impl} {int(density * 100)}%"
            axis.plot([p[0] for p in points], [p[1] for p in points], styles.get(density, "-"), marker="o",
                      markersize=3, color=colors.get(impl, "gray"), label=label)
        axis.set_xscale("log", base=2)
        axis.set_xlabel("N (B·N = 16k tokens)")
        axis.set_ylabel("TFLOP/s")
        heads = f"{subset[0]['Hq']}/{subset[0]['Hkv']} heads" if variant == "gqa" else ""
        axis.set_title(f"{variant}, bf16, d={d}{', causal' if causal else ''} {heads}".strip(), fontsize=10)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=7, ncol=2 if variant == "block-sparse" else 1)
    for index in range(len(panels), figure_rows * columns):
        axes[index // columns][index % columns].axis("off")
    figure.suptitle(f"attngen CUDA forward and backward vs anchors (bf16) — {meta['gpu']} — {meta['date']}\n{meta['command']}",
                    fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


# ------------------------------------------------------------------------------------------------
# Tuning: variants of the generated kernels (benchmarks/gpu/TUNING.md), named tn<LABEL>_<dtype>_d<d>[_causal].
# ------------------------------------------------------------------------------------------------

def run_tuning(args, library, names):
    import re
    anchors = Anchors(flex_deadline=0)
    groups = {}
    for name in names:
        match = re.fullmatch(r"tn(\w+?)_(bf16|fp16)_d(\d+)(_causal)?", name)
        if match:
            groups.setdefault((match.group(2), int(match.group(3)), bool(match.group(4))), []).append(name)
    results = []
    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16}
    for (dtype_name, d, causal), members in sorted(groups.items()):
        for n in args.tune_seqlens:
            b, h = TOKENS // n, HIDDEN // d
            q, k, v = random_inputs(b, h, h, n, d, dtypes[dtype_name])
            flops = 4 * b * h * n * n * d / (2 if causal else 1)
            flash = anchors.sdpa("flash", q, k, v, causal)
            reference = flash()
            flash_rate = flops / (median_ms(flash, args.repeats) * 1e-3) / 1e12
            cudnn_rate = flops / (median_ms(anchors.sdpa("cudnn", q, k, v, causal), args.repeats) * 1e-3) / 1e12
            line = [f"{dtype_name} d={d} N={n}{' causal' if causal else ''}: flash {flash_rate:.1f} cudnn {cudnn_rate:.1f}"]
            for name in sorted(members):
                kernel, o, _ = our_forward(library, name, q, k, v)
                error = relative_error(o, reference)
                ok = error <= TOLERANCE[q.dtype]
                timed = ok or args.tune_time_failing
                rate = flops / (median_ms(kernel, args.repeats) * 1e-3) / 1e12 if timed else float("nan")
                rate2 = flops / (median_ms(kernel, args.repeats) * 1e-3) / 1e12 if timed else float("nan")
                results.append({"kernel": name, "dtype": dtype_name, "d": d, "N": n, "causal": causal,
                                "tflops": rate, "tflops_repeat": rate2, "flash": flash_rate, "cudnn": cudnn_rate,
                                "rel_error": error, "check": "pass" if ok else "FAIL"})
                line.append(f"{name.split('_')[0]} {rate:.1f}/{rate2:.1f} ({rate / flash_rate:.2f}x flash, "
                            f"{max(rate, rate2) / cudnn_rate:.2f}x cudnn{'' if ok else ' FAIL'})")
            print(" | ".join(line), flush=True)
    with open(os.path.join(args.out, "tune_results.json"), "w") as f:
        json.dump(results, f, indent=1)
    return 0


def main():
    parser = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--kernels", default=os.path.join(here, ".generated", "bench"))
    parser.add_argument("--build", default="/tmp/attngen-bench-build")
    parser.add_argument("--out", default=os.environ.get("OUT", "/tmp/attngen-bench"))
    parser.add_argument("--nvcc", default=os.environ.get("NVCC", "nvcc"))
    parser.add_argument("--arch", default="-gencode=arch=compute_90a,code=sm_90a")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 4)
    parser.add_argument("--dtypes", default="bf16,fp16")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of interleaved timing of a row's kernels (1: one after the other, as before)")
    parser.add_argument("--quick", action="store_true", help="N in 1k/4k/16k only")
    parser.add_argument("--no-flex", action="store_true")
    parser.add_argument("--no-d256", action="store_true")
    parser.add_argument("--no-backward", action="store_true", help="skip the backward rows and the ratios")
    parser.add_argument("--budget-s", type=float, default=400, help="stop starting rows after this many seconds")
    parser.add_argument("--flex-budget-s", type=float, default=300, help="no new FlexAttention compiles after this")
    parser.add_argument("--sections", default="dense,backward,ratios,modifiers,rest",
                        help="which parts to run: dense (bf16 forward d=64/128), backward, ratios (block-sparse and "
                             "dropout against the same kernel), modifiers (ALiBi and soft cap against the same kernel "
                             "and FlexAttention, bench_modifiers.py), rest (GQA, sparse and dropout against the "
                             "anchors, fp16, d=256)")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--render", help="re-render BENCH.md and bench_plot.png into --out from a bench_results.json")
    parser.add_argument("--tune", help="a folder of tuning variants (tn<LABEL>_<dtype>_d<d>[_causal].cu) to time")
    parser.add_argument("--tune-seqlens", default="1024,4096,16384")
    parser.add_argument("--tune-time-failing", action="store_true",
                        help="time tuning variants that fail the check too (bounds: an edit that drops work), "
                             "marked FAIL in the log")
    args = parser.parse_args()
    args.dtypes = args.dtypes.split(",")
    args.sections = set(args.sections.split(","))
    args.tune_seqlens = [int(n) for n in args.tune_seqlens.split(",")]
    os.makedirs(args.out, exist_ok=True)
    if args.render:
        results = json.load(open(args.render))
        # Results written before rows stored their target density: the rows ran in the order
        # d -> density (10, 25, 50 %) -> N, so the target follows from the position.
        for d in {r["d"] for r in results["rows"] if r["variant"] == "block-sparse"}:
            sparse = [r for r in results["rows"] if r["variant"] == "block-sparse" and r["d"] == d]
            per_density = len({r["N"] for r in sparse})
            for position, r in enumerate(sparse):
                r.setdefault("target_density", (0.10, 0.25, 0.50)[min(position // per_density, 2)])
                r["extra"] = f"density {r['target_density']:.2f}"
        results["meta"]["rendered"] = "python3 benchmarks/gpu/bench.py --render bench_results.json --out DIR"
        with open(os.path.join(args.out, "BENCH.md"), "w") as f:
            f.write(markdown(results["rows"], results["meta"], results.get("ratios", [])))
        plot(results["rows"], results["meta"], os.path.join(args.out, "bench_plot.png"))
        return 0
    if args.tune:
        tune_path, tune_names = build_library(args.tune, args.build + "-tune", args.nvcc, args.arch, args.jobs,
                                               os.path.join(args.out, "tune_ptxas.txt"))
        run_tuning(args, ctypes.CDLL(tune_path), tune_names)
        if not args.kernels or args.kernels == "none":
            return 0
    library_path, names = build_library(args.kernels, args.build, args.nvcc, args.arch, args.jobs,
                                        os.path.join(args.out, "bench_ptxas.txt"))
    if args.build_only:
        return 0
    library = ctypes.CDLL(library_path)
    torch.manual_seed(int.from_bytes(os.urandom(4), "little"))
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "gpu": f"{torch.cuda.get_device_name()} ({torch.cuda.get_device_properties(0).multi_processor_count} SMs)",
        "torch": torch.__version__,
        "host": platform.node(),
        "command": os.environ.get("BENCH_COMMAND", "python3 " + " ".join(sys.argv)),
        "kernels": names,
        "rounds": args.rounds,
    }
    start = time.time()
    args.ratio_rows = []
    args.modifier_rows = []
    rows = run_all(args, library)
    meta["seconds"] = round(time.time() - start, 1)
    for r in rows:
        r.pop("_bind", None)
    with open(os.path.join(args.out, "bench_results.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows, "ratios": args.ratio_rows, "modifiers": args.modifier_rows}, f, indent=1)
    with open(os.path.join(args.out, "BENCH.md"), "w") as f:
        import bench_modifiers
        f.write(markdown(rows, meta, args.ratio_rows) + bench_modifiers.markdown(args.modifier_rows))
    try:
        plot(rows, meta, os.path.join(args.out, "bench_plot.png"))
    except Exception as error:  # noqa: BLE001 - the numbers matter more than the picture
        print(f"plot failed: {error}", file=sys.stderr)
    failures = sum(1 for r in rows + args.ratio_rows + args.modifier_rows if r["check"] != "pass")
    print(f"{len(rows)} rows, {failures} failing checks, {meta['seconds']} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
