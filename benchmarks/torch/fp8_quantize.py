"""The generated quantize call of an fp8 variant on the GPU (issue 19): quantize_e4m3(..., variant=, operand=) against
the same function's torch operations (the bytes and factors must be identical) and against a device copy of the
same tensor, at 16k tokens, d = 128, GQA 16/4, bf16, BSHD; Q and K rotated (one seed), V not; factors per sequence
and key/value head. Per call: medians of 20 CUDA-event timings of 10 calls in a row, the contenders interleaved (a
call's host work overlaps the GPU's work of the calls before it, unless it takes longer). The generated call reads x
twice and writes one byte per element: 5 bytes per bf16 element against a copy's 4. Also a small call of each
operand for compute-sanitizer (--small).

    PYTHONPATH=benchmarks/torch/.package python3 benchmarks/torch/fp8_quantize.py [--small]
"""
import statistics
import sys

import torch

import attngen_torch as package

VARIANT = "t_fp8_causal_gqa"
CALLS = 10


def quantizers(q, k, v, heads_kv, generated):
    """The three calls (q and k rotated with one seed, v not), through the generated call or torch's operations."""
    def one(x, operand, seed):
        options = {"variant": VARIANT, "operand": operand} if generated else {}
        return lambda: package.quantize_e4m3(x, heads_kv=heads_kv, rotation_seed=seed, **options)
    return [one(q, "q", 1234), one(k, "k", 1234), one(v, "v", None)]


def main():
    if "--small" in sys.argv:
        q, k, v = (torch.randn(2, 300, h, 128, device="cuda", dtype=torch.bfloat16) for h in (8, 2, 2))
        for function in quantizers(q, k, v, 2, True):
            x8, descale = function()
        torch.cuda.synchronize()
        print("small calls done", tuple(x8.shape), descale.flatten().tolist())
        return
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}")
    batch, seqlen, heads_q, heads_kv, d = 1, 16384, 16, 4, 128
    q, k, v = (torch.randn(batch, seqlen, h, d, device="cuda", dtype=torch.bfloat16) for h in (heads_q, heads_kv, heads_kv))
    q[..., 7] *= 60.0
    k[..., 7] *= 60.0
    generated, reference = quantizers(q, k, v, heads_kv, True), quantizers(q, k, v, heads_kv, False)
    for name, got, want in zip("qkv", generated, reference):
        (g8, gd), (w8, wd) = got(), want()
        same = torch.equal(g8.view(torch.uint8), w8.view(torch.uint8)) and torch.equal(gd, wd)
        print(f"{name}: generated and torch {'identical' if same else 'DIFFER'} "
              f"({(g8.view(torch.uint8) != w8.view(torch.uint8)).sum().item()} bytes differ)")
    copies = {name: torch.empty_like(t) for name, t in zip("qkv", (q, k, v))}
    times = {(kind, name): [] for kind in ("generated", "torch", "copy") for name in "qkv"}
    contenders = []
    for index, (name, tensor) in enumerate(zip("qkv", (q, k, v))):
        contenders += [(("generated", name), generated[index]), (("torch", name), reference[index]),
                       (("copy", name), lambda t=tensor, c=copies[name]: c.copy_(t))]
    for _, function in contenders:
        function()
    for _ in range(20):
        for key, function in contenders:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            function()  # queued ahead, so that the timed calls' host work overlaps the GPU's
            start.record()
            for _ in range(CALLS):
                function()
            end.record()
            end.synchronize()
            times[key].append(start.elapsed_time(end) / CALLS)
    print(f"B = {batch}, N = {seqlen}, H = {heads_q}/{heads_kv}, d = {d}, bf16 BSHD; ms per call: median of 20 "
          f"timings of {CALLS} calls in a row")
    print("| operand | elements | generated ms | torch ms | copy ms | generated / torch speed | generated GB/s (5 B/elem) "
          "| copy GB/s (4 B/elem) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, tensor in zip("qkv", (q, k, v)):
        generated_ms, torch_ms, copy_ms = (statistics.median(times[(kind, name)]) for kind in ("generated", "torch", "copy"))
        elements = tensor.numel()
        print(f"| {name}{' (rotated)' if name != 'v' else ''} | {elements} | {generated_ms:.4f} | {torch_ms:.4f} | "
              f"{copy_ms:.4f} | {torch_ms / generated_ms:.2f}x | {5 * elements / generated_ms / 1e6:.0f} | "
              f"{4 * elements / copy_ms / 1e6:.0f} |")


if __name__ == "__main__":
    main()
