"""Launches the contiguous decode kernel and a paged one once each on the same K and V, for Nsight Compute
(TUNING.md, D8 and after):

    ncu --clock-control none --section SpeedOfLight --section WarpStateStats --section SchedulerStats \\
        -k regex:decode_kernel -c 2 python3 benchmarks/decode/ncu_paged.py --kernels benchmarks/decode/.generated

Shape: batch 8, GQA 32/8, 64k keys, one query row, bf16, d = 128 (pages shuffled in the pool). Both results are
checked against SDPA's before the script exits; the kernels come from benchmarks/decode/bench_decode.py's pair.
"""
import argparse
import ctypes
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_decode  # noqa: E402
from bench_decode import bench  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernels", required=True)
    parser.add_argument("--page", type=int, default=16)
    parser.add_argument("--build", default="/tmp/attngen-decode-build")
    parser.add_argument("--nvcc", default=os.environ.get("NVCC", "nvcc"))
    parser.add_argument("--arch", default="-gencode arch=compute_90a,code=sm_90a")
    args = parser.parse_args()
    path, _ = bench.build_library(args.kernels, args.build, args.nvcc, args.arch, os.cpu_count() or 4)
    library = ctypes.CDLL(path)
    reference, bound = bench_decode.paged_pair(library, args.page, 8, 32, 8, 65536, 0)
    for name, kernel, o in bound:
        kernel()
        torch.cuda.synchronize()
        error = ((o.float() - reference.float()).norm() / reference.float().norm()).item()
        print(f"{name}: relative error {error:.1e}", flush=True)
        if not error < 2e-2:
            raise SystemExit(f"{name}: wrong result")


if __name__ == "__main__":
    main()
