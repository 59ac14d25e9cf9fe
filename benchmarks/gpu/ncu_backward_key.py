"""Launches the backward pass (deterministic dQ) of generated variants once each at one shape, for Nsight Compute on
their key kernels: a plain variant beside its dropout or score-modifier twin shows what the extra work costs the
Hopper key kernel (issue slots, warp states).

    ncu --section SchedulerStats --section WarpStateStats ... --kernel-name-base demangled \\
        -k regex:"hopper::key_kernel" -c 2 \\
        python3 benchmarks/gpu/ncu_backward_key.py --kernels DIR --names bk_bf16_d128,bk_bf16_d128_dropout

Nothing here uses torch.profiler (CUPTI is ncu's; see ncu_launch.py). Each backward runs once, after its own
forward; dropout variants get the seed and offset bench.py's ratio rows use.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import HIDDEN, TOKENS, add_library_arguments, load_library, our_backward, our_forward  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    add_library_arguments(parser, build="/tmp/attngen-ncu-build")
    parser.add_argument("--names", required=True, help="comma-separated variant names of one head dim")
    parser.add_argument("--d", type=int, default=128)
    parser.add_argument("--seqlen", type=int, default=4096)
    args = parser.parse_args()
    library, _ = load_library(args)
    n, d = args.seqlen, args.d
    b, h = TOKENS // n, HIDDEN // d
    q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    d_o = torch.randn_like(q)
    for name in args.names.split(","):
        bind = {"seed": 42, "offset": 0} if "dropout" in name else {}
        _, o, lse = our_forward(library, name, q, k, v, **bind)
        our_backward(library, name, q, k, v, o, lse, d_o, 0, **bind)  # one launch of each kernel
        print(f"launched the backward of {name} (d = {d}, N = {n}, B = {b}, H = {h})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
