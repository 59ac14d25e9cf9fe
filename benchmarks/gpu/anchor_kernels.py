#!/usr/bin/env python3
"""The CUDA kernels an SDPA backend runs for one attention shape, forward and backward, with their full names (which
carry cuDNN's and flash's tile and variant) and per-call device times, from torch.profiler.

    python3 benchmarks/gpu/anchor_kernels.py --backend cudnn --batch 4 --heads 10 --seqlen 4096 --d 192 --dv 128 \\
        --causal no,yes

Run on the GPU machine (needs only PyTorch with CUDA). Prints one block per causal setting.
"""
import argparse
import collections

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel


def kernel_times(fn, repeats):
    """Per-call milliseconds of each CUDA kernel `fn` launches, by full name (averaged over `repeats` calls)."""
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
            totals[event.name] = totals.get(event.name, 0.0) + event.device_time_total / 1000.0
    return {name: total / repeats for name, total in totals.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["cudnn", "flash"], default="cudnn")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--seqlen", type=int, default=4096)
    parser.add_argument("--d", type=int, default=128)
    parser.add_argument("--dv", type=int, help="V's head dim (default: d)")
    parser.add_argument("--causal", default="no,yes", help="no, yes or both (no,yes)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    backend = {"cudnn": SDPBackend.CUDNN_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION}[args.backend]
    b, h, n, d, dv = args.batch, args.heads, args.seqlen, args.d, args.dv or args.d
    for causal in [c == "yes" for c in args.causal.split(",")]:
        q = torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        k = torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        v = torch.randn(b, h, n, dv, device="cuda", dtype=torch.bfloat16, requires_grad=True)

        def forward():
            with sdpa_kernel(backend):
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        out = forward()
        d_o = torch.randn_like(out)
        print(f"== {args.backend} bf16 B={b} H={h} N={n} d={d} dv={dv}{' causal' if causal else ''}", flush=True)
        for label, fn in (("forward", forward),
                          ("backward", lambda: torch.autograd.grad(out, (q, k, v), d_o, retain_graph=True))):
            for name, ms in kernel_times(fn, args.repeats).items():
                print(f"  {label:8s} {ms:8.3f} ms  {name}", flush=True)


if __name__ == "__main__":
    main()
