#!/usr/bin/env python3
"""A/B of backward plans: the same variants emitted into several folders (say, by two planners, or with and without
`--budget`), built into one library each and timed in one process against SDPA flash and cuDNN, the gradients of
each checked against flash's first (both dQ modes; the deterministic mode must repeat bit for bit).

    python3 benchmarks/gpu/ab_backward.py --kernels DIR_A,DIR_B[,...] [--dims 256] [--seqlens 4096,16384]

Each folder holds `bk_bf16_d{d}` and `bk_bf16_d{d}_causal` (benchmarks/gpu/bench_spec.json's names); a dim written
`d:dv` (say 192:128) names `bk_bf16_d{d}_v{dv}[_causal]`, with V and O of dv columns. Emit them here with
`attngen emit cuda --arch sm90 --family auto --spec SPEC --out DIR` (benchmarks/gpu/ab_backward_spec.json holds the
d = 192 / dv = 128 pair), carry the folders to the GPU machine. The reference gradients are SDPA flash's, or
cuDNN's where flash refuses the shape (it takes no dv != d).
Prints, per shape, each folder's backward time (deterministic and fast dQ) and ratio to cuDNN, and the
deterministic mode's time per CUDA kernel (torch.profiler), so that a plan's gain is attributed to its kernel.
"""
import argparse
import concurrent.futures
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", required=True, help="comma-separated folders of emitted kernels")
    parser.add_argument("--build", default="/tmp/attngen-ab-build")
    parser.add_argument("--nvcc", default=os.environ.get("NVCC", "nvcc"))
    parser.add_argument("--arch", default="-gencode=arch=compute_90a,code=sm_90a")
    parser.add_argument("--dims", default="256", help="comma-separated head dims, each d or d:dv")
    parser.add_argument("--seqlens", default="4096,16384")
    parser.add_argument("--causal", default="no,yes", help="no, yes or both (no,yes)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of interleaved timing (bench.interleaved_ms)")
    parser.add_argument("--allow-nondeterministic", action="store_true",
                        help="time a folder whose deterministic mode does not repeat bit for bit (a diagnostic build "
                             "with the dQ order's waits edited out), saying so, instead of failing it")
    args = parser.parse_args()
    folders = args.kernels.split(",")
    os.environ.setdefault("ATTNGEN_ABI_DIR", folders[0])  # the ABI bindings attngen emitted beside the kernels
    import bench  # (the benchmark's loaders, bindings and anchors)
    from profile_backward import kernel_times
    labels = [os.path.basename(os.path.normpath(f)) for f in folders]
    jobs = max(1, (os.cpu_count() or 4) // len(folders))
    with concurrent.futures.ThreadPoolExecutor(len(folders)) as pool:
        built = list(pool.map(lambda f: bench.load_library(args, kernels=f[1], build=os.path.join(args.build, f[0]),
                                                           jobs=jobs), zip(labels, folders)))
    libraries = [library for library, _ in built]
    anchors = bench.Anchors(flex_deadline=0)
    torch.manual_seed(int.from_bytes(os.urandom(4), "little"))
    failures = 0
    for dims in args.dims.split(","):
        d, dv = (int(x) for x in dims.split(":")) if ":" in dims else (int(dims), int(dims))
        for causal in [c == "yes" for c in args.causal.split(",")]:
            for n in [int(x) for x in args.seqlens.split(",")]:
                b, h = bench.TOKENS // n, bench.HIDDEN // d
                q, k, _ = bench.random_inputs(b, h, h, n, d, torch.bfloat16)
                v = torch.randn(b, h, n, dv, device="cuda", dtype=torch.bfloat16)
                d_o = torch.randn(b, h, n, dv, device="cuda", dtype=torch.bfloat16)
                # Forward FLOPs 2 N^2 (d + dv) per head (Q K^T and P V), the backward 2.5 times that.
                flops = 2.5 * 2 * b * h * n * n * (d + dv) / (2 if causal else 1)
                name = f"bk_bf16_d{d}" + (f"_v{dv}" if dv != d else "") + ("_causal" if causal else "")
                anchor_fns = {}
                reference = None
                for backend in ("flash", "cudnn"):
                    try:
                        fn = bench.anchor_backward(
                            lambda a, bb, c, backend=backend: anchors.sdpa(backend, a, bb, c, causal)(), q, k, v, d_o)
                        got = fn()
                    except Exception as problem:  # noqa: BLE001 - a backend that refuses the shape
                        print(f"  {backend}: refused ({str(problem).splitlines()[0][:120]})", flush=True)
                        continue
                    anchor_fns[backend] = fn
                    reference = got if reference is None else reference
                print(f"== bf16 d={d} dv={dv} N={n} B={b} H={h}{' causal' if causal else ''}", flush=True)
                if reference is None:
                    print("  no anchor ran: skipped", flush=True)
                    continue
                # Each folder's gradients checked first; then every kernel of the row timed interleaved
                # (bench.interleaved_ms: the first kernel timed at a new shape can run slow).
                fns = dict(anchor_fns)
                checked = {}
                for label, library in zip(labels, libraries):
                    _, o, lse = bench.our_forward(library, name, q, k, v)
                    det, det_grads = bench.our_backward(library, name, q, k, v, o, lse, d_o, 0)
                    first = tuple(g.clone() for g in det_grads)
                    det()
                    torch.cuda.synchronize()
                    identical = all(torch.equal(x, y) for x, y in zip(first, det_grads))
                    fast, fast_grads = bench.our_backward(library, name, q, k, v, o, lse, d_o, 1)
                    errors = list(bench.gradient_errors(det_grads, reference).values()) + \
                        list(bench.gradient_errors(fast_grads, reference).values())
                    ok = max(errors) <= bench.TOLERANCE[torch.bfloat16] and (identical or args.allow_nondeterministic)
                    if ok and not identical:
                        print(f"  {label}: deterministic repeat not identical (timed: --allow-nondeterministic)",
                              flush=True)
                    if not ok:
                        failures += 1
                        print(f"  {label}: FAIL (worst relative error {max(errors):.2e}, deterministic repeat "
                              f"identical: {identical})", flush=True)
                        continue
                    fns[f"{label} deterministic"], fns[f"{label} fast"] = det, fast
                    checked[label] = (det, max(errors))
                times, problems = bench.interleaved_ms(fns, args.repeats, args.rounds)
                rate = {key: flops / (ms * 1e-3) / 1e12 for key, ms in times.items()}
                for key, problem in problems.items():
                    print(f"  {key}: raised {problem}", flush=True)
                    if key not in ("flash", "cudnn"):
                        failures += 1
                cudnn_rate = rate.get("cudnn", float("nan"))
                print(f"  flash {rate.get('flash', float('nan')):.1f} TFLOP/s, cudnn {cudnn_rate:.1f} TFLOP/s",
                      flush=True)
                for label, (det, error) in checked.items():
                    det_rate = rate.get(f"{label} deterministic", float("nan"))
                    fast_rate = rate.get(f"{label} fast", float("nan"))
                    per_kernel = kernel_times(det, 3)
                    print(f"  {label}: deterministic {det_rate:.1f} TFLOP/s ({det_rate / cudnn_rate:.2f}x cudnn), "
                          f"fast {fast_rate:.1f} ({fast_rate / cudnn_rate:.2f}x), worst error {error:.1e}; "
                          + "  ".join(f"{k_}={t:.3f} ms" for k_, t in per_kernel.items()), flush=True)
                del fns, checked
                del q, k, v, d_o, anchor_fns, reference
                torch.cuda.empty_cache()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
