#!/usr/bin/env python3
"""Where the backward pass spends its time: each CUDA kernel of our backward (both dQ modes) and of SDPA
flash's and cuDNN's backward, from torch.profiler, at the bf16 ANCHORS shapes (16k tokens, hidden 2048).

    python3 benchmarks/gpu/profile_backward.py [--kernels benchmarks/gpu/.generated/bench] [--seqlens 4096,16384]

Run on the GPU machine after `bash benchmarks/gpu/prepare.sh` here (benchmarks/gpu/.generated carried). Prints one
block per shape: milliseconds per call of every kernel, summed over the repeats and divided by them.
"""
import argparse
import collections
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the benchmark's loaders and bindings)


def kernel_times(fn, repeats):
    """Per-call milliseconds of each CUDA kernel `fn` launches (averaged over `repeats` calls)."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as profiler:
        for _ in range(repeats):
            fn()
        torch.cuda.synchronize()
    totals = collections.OrderedDict()
    for event in profiler.events():
        if event.device_type == torch.autograd.DeviceType.CUDA:
            name = event.name.split("(")[0][-60:]
            totals[name] = totals.get(name, 0.0) + event.device_time_total / 1000.0
    return {name: total / repeats for name, total in totals.items()}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_library_arguments(parser, build="/tmp/attngen-bench-build", kernels=os.path.join(here, ".generated", "bench"))
    parser.add_argument("--seqlens", default="4096,16384")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dims", default="64,128", help="head dims to profile")
    parser.add_argument("--causal", default="no,yes", help="no, yes or both (no,yes)")
    args = parser.parse_args()
    library, _ = bench.load_library(args)
    for d in [int(x) for x in args.dims.split(",")]:
        for causal in [c == "yes" for c in args.causal.split(",")]:
            for n in [int(x) for x in args.seqlens.split(",")]:
                b, h = bench.TOKENS // n, bench.HIDDEN // d
                q, k, v = bench.random_inputs(b, h, h, n, d, torch.bfloat16)
                d_o = torch.randn_like(q)
                name = f"bk_bf16_d{d}" + ("_causal" if causal else "")
                _, o, lse = bench.our_forward(library, name, q, k, v)
                print(f"== d={d} N={n} B={b} H={h}{' causal' if causal else ''}")
                for mode, label in ((0, "deterministic"), (1, "fast")):
                    kernel, _ = bench.our_backward(library, name, q, k, v, o, lse, d_o, mode)
                    times = kernel_times(kernel, args.repeats)
                    print(f"  attngen {label}: total {sum(times.values()):.3f} ms  " +
                          "  ".join(f"{k_}={t:.3f}" for k_, t in times.items()))
                from torch.nn.attention import SDPBackend, sdpa_kernel
                for backend, label in ((SDPBackend.FLASH_ATTENTION, "flash"), (SDPBackend.CUDNN_ATTENTION, "cudnn")):
                    try:
                        with sdpa_kernel(backend):
                            run = bench.anchor_backward(
                                lambda *t: F.scaled_dot_product_attention(*t, is_causal=causal), q, k, v, d_o)
                            times = kernel_times(run, args.repeats)
                    except RuntimeError as error:  # a backend that does not take the shape
                        print(f"  {label}: not run ({str(error).splitlines()[0][:100]})")
                        continue
                    print(f"  {label}: total {sum(times.values()):.3f} ms  " +
                          "  ".join(f"{k_}={t:.3f}" for k_, t in times.items()))
                del q, k, v, d_o, o, lse
    return 0


if __name__ == "__main__":
    sys.exit(main())
