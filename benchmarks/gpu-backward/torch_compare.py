"""PyTorch side of the backward GPU check (benchmarks/gpu-backward/check.sh).

1. For every OUTDIR/torch_NAME.bin the driver wrote (inputs and our deterministic gradients of a variant
   PyTorch has: no mask or top-left causal, no dropout), runs autograd through
   torch.nn.functional.scaled_dot_product_attention in float64 (the reference) and in the storage dtype
   (PyTorch's own fused backward), and prints ||ours - f64|| / ||f64|| next to ||torch - f64|| / ||f64||.
2. Peak device memory of PyTorch's unfused (math) backward at N = 16384, batch 1, 8 heads, d = 128, bf16,
   and the time of its default (flash) backward at the same size, for the report.
"""
import glob
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

DTYPES = {0: torch.float32, 1: torch.float16, 2: torch.bfloat16}


def rel(a, b):
    return (torch.linalg.vector_norm((a - b).double()) / torch.linalg.vector_norm(b.double()).clamp_min(1e-300)).item()


def gradients(q, k, v, do, scale, causal, dtype, hq, hkv):
    q, k, v, do = (t.to(dtype).detach().requires_grad_(t is not do) for t in (q, k, v, do))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal), scale=scale, enable_gqa=hq != hkv)
    out.backward(do)
    return q.grad, k.grad, v.grad


def compare(outdir):
    worst = 0.0
    for path in sorted(glob.glob(os.path.join(outdir, "torch_*.bin"))):
        with open(path, "rb") as f:
            storage, b, hq, hkv, nq, nk, d, dv, causal = struct.unpack("<9q", f.read(72))
            (scale,) = struct.unpack("<d", f.read(8))

            def read(heads, rows, inner):
                count = b * heads * rows * inner
                data = np.frombuffer(f.read(4 * count), dtype=np.float32).reshape(b, heads, rows, inner)
                return torch.from_numpy(data.copy()).cuda()

            q, k, v, do = read(hq, nq, d), read(hkv, nk, d), read(hkv, nk, dv), read(hq, nq, dv)
            ours = read(hq, nq, d), read(hkv, nk, d), read(hkv, nk, dv)
        ref = gradients(q, k, v, do, scale, causal, torch.float64, hq, hkv)
        low = gradients(q, k, v, do, scale, causal, DTYPES[storage], hq, hkv)
        name = os.path.basename(path)[6:-4]
        ours_err = [rel(o, r) for o, r in zip(ours, ref)]
        torch_err = [rel(t.float(), r) for t, r in zip(low, ref)]
        worst = max(worst, max(e / max(t, 1e-7) for e, t in zip(ours_err, torch_err)))
        print(f"torch {name:30s} {DTYPES[storage]} causal={causal} b={b} hq={hq} hkv={hkv} nq={nq} nk={nk} | "
              f"ours vs f64 autograd dq={ours_err[0]:.2e} dk={ours_err[1]:.2e} dv={ours_err[2]:.2e} | "
              f"torch {DTYPES[storage]} vs f64 dq={torch_err[0]:.2e} dk={torch_err[1]:.2e} dv={torch_err[2]:.2e}", flush=True)
    print(f"torch worst ratio (our error / PyTorch's own error at the same dtype) = {worst:.2f}", flush=True)


def memory(n=16384, heads=8, d=128):
    torch.manual_seed(0)
    make = lambda: torch.randn(1, heads, n, d, device="cuda", dtype=torch.bfloat16).requires_grad_()
    q, k, v = make(), make(), make()
    do = torch.randn(1, heads, n, d, device="cuda", dtype=torch.bfloat16)
    for backend, label in ((SDPBackend.MATH, "math (unfused)"), (SDPBackend.FLASH_ATTENTION, "flash")):
        q.grad = k.grad = v.grad = None
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        with sdpa_kernel(backend):
            out = F.scaled_dot_product_attention(q, k, v)
            torch.cuda.synchronize()
            before_backward = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()
            start = time.perf_counter()
            out.backward(do)
            torch.cuda.synchronize()
            elapsed = time.perf_counter() - start
        peak = torch.cuda.max_memory_allocated()
        tensors = 3 * q.numel() * 2  # q, k, v
        print(f"torch-memory {label}: N={n} heads={heads} d={d} bf16 | inputs q,k,v {tensors / 2**20:.1f} MiB | "
              f"allocated before backward (inputs + forward's saved state + O) {before_backward / 2**20:.1f} MiB | "
              f"peak during backward {peak / 2**20:.1f} MiB (above the inputs: {(peak - base) / 2**20:.1f} MiB) | "
              f"backward time {elapsed * 1e3:.1f} ms (one call, after the forward)", flush=True)
        del out


if __name__ == "__main__":
    compare(sys.argv[1])
    memory()
