"""Launches one generated forward kernel and SDPA's flash forward once each at one shape, for Nsight Compute.

    ncu --section SpeedOfLight ... -k regex:"forward_kernel|flash_fwd" -c 2 \\
        python3 benchmarks/gpu/ncu_launch.py --kernels DIR --name NAME --d 256 --seqlen 4096
    ncu ... -k regex:"forward_kernel|flash_fprop" -c 2 python3 benchmarks/gpu/ncu_launch.py ... --anchor cudnn

Nothing here uses torch.profiler (CUPTI is ncu's): an earlier attempt that drove ncu through a script using
torch.profiler produced no output within 300 s (TUNING.md). The kernel is built from DIR/NAME.cu with bench.py's
build_library, checked against flash once (so the profiled launch is a correct one), then both are launched.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (HIDDEN, TOKENS, TOLERANCE, Anchors, add_library_arguments, load_library, our_forward,  # noqa: E402
                   relative_error)


def main():
    parser = argparse.ArgumentParser()
    add_library_arguments(parser, build="/tmp/attngen-ncu-build")
    parser.add_argument("--name", required=True)
    parser.add_argument("--d", type=int, required=True)
    parser.add_argument("--seqlen", type=int, default=4096)
    parser.add_argument("--dtype", default="bf16")
    parser.add_argument("--causal", action="store_true")
    parser.add_argument("--anchor", default="flash", choices=["flash", "cudnn"],
                        help="cudnn: also launch SDPA's cuDNN backend after flash (its kernel: *flash_fprop*), for ncu to "
                             "profile beside ours; flash (the default): flash only (flash_fwd)")
    args = parser.parse_args()
    library, _ = load_library(args)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[args.dtype]
    n, d = args.seqlen, args.d
    b, h = TOKENS // n, HIDDEN // d
    q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=dtype) for _ in range(3))
    anchors = Anchors(flex_deadline=0)
    flash = anchors.sdpa("flash", q, k, v, args.causal)
    _, o, _ = our_forward(library, args.name, q, k, v)
    reference = flash()
    torch.cuda.synchronize()
    error = relative_error(o, reference)
    print(f"{args.name}: relative error {error:.2e} against flash", flush=True)
    if error > TOLERANCE[dtype]:
        return 1
    if args.anchor == "cudnn":
        cudnn = anchors.sdpa("cudnn", q, k, v, args.causal)()
        torch.cuda.synchronize()
        print(f"cudnn: relative error {relative_error(cudnn, reference):.2e} against flash", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
