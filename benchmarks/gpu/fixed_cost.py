"""Splits a forward kernel's time into a fixed cost per block and a cost per key, against SDPA's flash backend.

    python3 benchmarks/gpu/fixed_cost.py --kernels DIR [--names tnA_bf16_d128,tnB_bf16_d128] [--seqlen-q 512]
                                         [--seqlens-k 64,128,256,512,1024,2048] [--out $OUT]

Every kernel named (NAME, built from DIR/NAME.cu, non-causal, bf16 or fp16 from its name, head dim from its
name) and flash run the same query shape (batch·heads·Nq fixed: 16k tokens, hidden 2048, as in bench.py) with
key lengths Nk from --seqlens-k; each result is checked against flash first. A least-squares line
time = fixed + per_key · Nk gives the fixed part (prologue, epilogue, launch, the wave tail) and the slope (the
key loop). At small N the ratio to flash is set by the fixed part; at large N by the slope. Writes
fixed_cost.json into --out. (TUNING.md, #10.)
"""
import argparse
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (HIDDEN, TOKENS, TOLERANCE, Anchors, add_library_arguments, load_library, median_ms,  # noqa: E402
                   our_forward, relative_error)


def fit(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def main():
    parser = argparse.ArgumentParser()
    add_library_arguments(parser, build="/tmp/attngen-fixed-cost-build")
    parser.add_argument("--names", help="comma-separated kernel names (default: every NAME.cu that is not a backward)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 4)
    parser.add_argument("--seqlen-q", type=int, default=512)
    parser.add_argument("--seqlens-k", default="64,128,256,512,1024,2048")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", default=os.environ.get("OUT", "/tmp/attngen-fixed-cost"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    library, names = load_library(args, jobs=args.jobs, report=os.path.join(args.out, "fixed_cost_ptxas.txt"))
    if args.names:
        names = args.names.split(",")
    names = [n for n in names if not n.endswith("_backward") and "causal" not in n]
    anchors = Anchors(flex_deadline=0)
    nq = args.seqlen_q
    seqlens_k = [int(n) for n in args.seqlens_k.split(",")]
    results = []
    groups = {}
    for name in names:
        match = re.search(r"_(bf16|fp16)_d(\d+)$", name)
        if match:
            groups.setdefault((match.group(1), int(match.group(2))), []).append(name)
    for (dtype_name, d), members in sorted(groups.items()):
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[dtype_name]
        b, h = TOKENS // nq, HIDDEN // d
        q = torch.randn(b, h, nq, d, device="cuda", dtype=dtype)
        times = {"flash": []}
        for nk in seqlens_k:
            k = torch.randn(b, h, nk, d, device="cuda", dtype=dtype)
            v = torch.randn(b, h, nk, d, device="cuda", dtype=dtype)
            flash = anchors.sdpa("flash", q, k, v, False)
            reference = flash()
            times["flash"].append(median_ms(flash, args.repeats) * 1e3)
            for name in members:
                kernel, o, _ = our_forward(library, name, q, k, v)
                error = relative_error(o, reference)
                if error > TOLERANCE[dtype]:
                    raise SystemExit(f"{name} at Nq={nq} Nk={nk}: relative error {error:.2e} against flash")
                times.setdefault(name, []).append(median_ms(kernel, args.repeats) * 1e3)
        print(f"{dtype_name} d={d}, B={b} H={h} Nq={nq}; times in us at Nk = {seqlens_k}")
        for name, ts in times.items():
            fixed, per_key = fit(seqlens_k, ts)
            row = {"kernel": name, "dtype": dtype_name, "d": d, "seqlen_q": nq, "batch": b, "heads": h,
                   "seqlens_k": seqlens_k, "us": [round(t, 2) for t in ts], "fixed_us": round(fixed, 2),
                   "us_per_64_keys": round(per_key * 64, 3)}
            results.append(row)
            ratios = " ".join(f"{f / t:.2f}" for f, t in zip(times["flash"], ts))
            print(f"  {name:>18}: fixed {fixed:8.1f} us, {per_key * 64:7.2f} us per 64 keys | "
                  + " ".join(f"{t:8.1f}" for t in ts) + f" | flash/this {ratios}", flush=True)
    with open(os.path.join(args.out, "fixed_cost.json"), "w") as f:
        json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
