"""Per-call time at small sizes, where fixed costs dominate: the attngen function (argument checks, custom-op
dispatch, ctypes call, kernel) against torch's scaled_dot_product_attention, forward and forward+backward, bf16,
causal, d = 64, in one process. Wall time per call over many calls (the host-side cost), and with --device cuda the
same measured with CUDA events.

    python3 benchmarks/torch/overhead.py [--device cuda|cpu]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

import attngen_torch


def per_call(function, repeats):
    for _ in range(10):
        function()
    samples = []
    for _ in range(5):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeats):
            function()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        samples.append((time.perf_counter() - start) / repeats)
    return statistics.median(samples) * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=200)
    options = parser.parse_args()
    device = options.device
    print(f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name()})" if device == "cuda" else ""))
    print("| B, H, N, d=64, causal, bf16 | attngen fwd µs | SDPA fwd µs | ratio | attngen fwd+bwd µs | SDPA fwd+bwd µs | ratio |")
    print("|---|---|---|---|---|---|---|")
    for batch, heads, length in [(1, 8, 1), (1, 8, 128), (1, 8, 512), (4, 16, 1024)]:
        q, k, v = (torch.randn(batch, length, heads, 64, device=device, dtype=torch.bfloat16, requires_grad=True)
                   for _ in range(3))
        qt, kt, vt = (t.detach().transpose(1, 2).contiguous().requires_grad_() for t in (q, k, v))
        with torch.no_grad():
            ours = per_call(lambda: attngen_torch.t_causal_gqa_bf16(q, k, v), options.repeats)
            theirs = per_call(lambda: F.scaled_dot_product_attention(qt, kt, vt, is_causal=True), options.repeats)
        ours_bwd = per_call(lambda: attngen_torch.t_causal_gqa_bf16(q, k, v).sum().backward(), options.repeats // 2)
        theirs_bwd = per_call(lambda: F.scaled_dot_product_attention(qt, kt, vt, is_causal=True).sum().backward(),
                              options.repeats // 2)
        print(f"| {batch}, {heads}, {length} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} | {ours_bwd:.1f} | "
              f"{theirs_bwd:.1f} | {ours_bwd / theirs_bwd:.2f} |")
    breakdown(device, options.repeats)


def breakdown(device, repeats):
    """Where the time of one small call goes: the function, the custom op alone, the run-time's call alone, and the C
    entry point with a prepared parameter struct (B=1, H=8, N=128)."""
    import ctypes

    from attngen_torch import OPS, VARIANTS, _runtime

    variant = VARIANTS["t_causal_gqa_bf16"]
    forward_op, backward_op = OPS["t_causal_gqa_bf16"]
    q, k, v = (torch.randn(1, 8, 128, 64, device=device, dtype=torch.bfloat16) for _ in range(3))
    with torch.no_grad():
        o, lse = forward_op(q, k, v, None, None, None, None, None, 0, 0, True)
    grad = torch.randn_like(o)
    kernels = _runtime.library(variant, q.device)
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream) if device == "cuda" else None

    def prepared(function, params):
        pointer = ctypes.byref(params)
        return (lambda: function(pointer, stream)) if stream is not None else (lambda: function(pointer))

    forward_params = _runtime.forward_params(variant, q, k, v, torch.empty_like(o), torch.empty_like(lse), None, 0, 0)
    gradients = (torch.empty_like(q), torch.empty_like(k), torch.empty_like(v))
    backward_params = _runtime.backward_params(variant, grad, q, k, v, o, lse, *gradients, None, 0, 0, True)
    workspace = torch.empty((max(kernels.workspace_size(ctypes.byref(backward_params)), 16),), dtype=torch.uint8,
                            device=q.device)
    backward_params.workspace, backward_params.workspace_size = workspace.data_ptr(), workspace.numel()
    rows = [
        ("function (checks + op + kernel), forward", lambda: attngen_torch.t_causal_gqa_bf16(q, k, v, layout="bhsd")),
        ("custom op alone, forward", lambda: forward_op(q, k, v, None, None, None, None, None, 0, 0, True)),
        ("run_forward alone", lambda: _runtime.run_forward(variant, q, k, v, None, 0, 0)),
        ("C entry point, prepared params, forward", prepared(kernels.forward, forward_params)),
        ("custom op alone, backward", lambda: backward_op(grad, q, k, v, o, lse, None, None, None, 0, 0, True)),
        ("run_backward alone", lambda: _runtime.run_backward(variant, grad, q, k, v, o, lse, None, 0, 0, True)),
        ("C entry point, prepared params, backward", prepared(kernels.backward, backward_params)),
    ]
    print()
    print("| one call, B=1 H=8 N=128 d=64 bf16 causal | µs |")
    print("|---|---|")
    with torch.no_grad():
        for label, function in rows:
            print(f"| {label} | {per_call(function, repeats):.1f} |")
    del workspace, gradients


if __name__ == "__main__":
    main()
