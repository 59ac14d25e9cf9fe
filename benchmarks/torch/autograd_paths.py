"""Host time of a small forward+backward through three autograd paths around the same generated kernels (B=1, H=8,
N=128, d=64, bf16, causal): the custom op's registered autograd formula (what the package uses), a
torch.autograd.Function calling the forward and backward ops, and for scale a Python autograd.Function around a
plain torch op and SDPA.

    python3 benchmarks/torch/autograd_paths.py [--device cuda|cpu]
"""
import argparse
import time

import torch
import torch.nn.functional as F

import attngen_torch

forward_op, backward_op = attngen_torch.OPS["t_causal_gqa_bf16"]


class ThroughOps(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v):
        o, lse = forward_op(q, k, v, None, None, None, None, None, 0, 0, True)
        ctx.save_for_backward(q, k, v, o, lse)
        return o

    @staticmethod
    def backward(ctx, grad_o):
        q, k, v, o, lse = ctx.saved_tensors
        dq, dk, dv, _, _ = backward_op(grad_o.contiguous(), q, k, v, o, lse, None, None, None, 0, 0, True)
        return dq, dk, dv


class Doubling(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def timed(label, step, device, repeats=300):
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(30):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    sync()
    print(f"| {label} | {(time.perf_counter() - start) / repeats * 1e6:.1f} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    device = parser.parse_args().device
    q, k, v = (torch.randn(1, 8, 128, 64, device=device, dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    grad = torch.ones(1, 8, 128, 64, device=device, dtype=torch.bfloat16)
    print(f"| forward + backward, B=1 H=8 N=128 d=64 bf16 causal, {device} | µs per call |")
    print("|---|---|")
    timed("custom op with register_autograd", lambda: forward_op(q, k, v, None, None, None, None, None, 0, 0, True)[0].backward(grad), device)
    timed("torch.autograd.Function around the two ops", lambda: ThroughOps.apply(q, k, v).backward(grad), device)
    timed("autograd.Function around x * 2 (Python autograd alone)", lambda: Doubling.apply(q).backward(grad), device)
    timed("SDPA", lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(grad), device)
    with torch.no_grad():
        o, lse = forward_op(q, k, v, None, None, None, None, None, 0, 0, True)
    timed("forward op alone", lambda: forward_op(q.detach(), k.detach(), v.detach(), None, None, None, None, None, 0, 0, True), device)
    timed("backward op alone", lambda: backward_op(grad, q.detach(), k.detach(), v.detach(), o, lse, None, None, None, 0, 0, True),
          device)


if __name__ == "__main__":
    main()
