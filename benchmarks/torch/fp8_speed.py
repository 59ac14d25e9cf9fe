"""fp8 variants of the package on the GPU (issue 19): t_fp8_causal_gqa against t_fp8_modified (the same causal
attention with ALiBi slopes and a soft cap on the descaled scores, and sinks), through the package's functions, at
16k tokens, d = 128, GQA 16/4; medians of CUDA-event timings of 5 calls, the two variants interleaved. Also a small call of
t_fp8_modified for compute-sanitizer (--small).

    PYTHONPATH=benchmarks/torch/.package python3 benchmarks/torch/fp8_speed.py [--small]
"""
import statistics
import sys

import torch

import attngen_torch as package


def inputs(batch, seqlen, heads_q, heads_kv, d):
    q, k, v = (torch.randn(batch, seqlen, h, d, device="cuda") for h in (heads_q, heads_kv, heads_kv))
    return [package.quantize_e4m3(t, heads_kv=heads_kv) for t in (q, k, v)]


def call(name, quantized, heads_q):
    (q8, qd), (k8, kd), (v8, vd) = quantized
    extra = {}
    info = package.VARIANTS[name]
    if info.score_parameters:
        extra["score_parameters"] = 0.25 + 0.5 * torch.rand(1, heads_q, device="cuda")
    if info.sinks:
        extra["sinks"] = torch.zeros(heads_q, device="cuda")
    return lambda: getattr(package, name)(q8, k8, v8, q_descale=qd, k_descale=kd, v_descale=vd, **extra)


def main():
    if "--small" in sys.argv:
        o = call("t_fp8_modified", inputs(2, 300, 8, 2, 128), 8)()
        torch.cuda.synchronize()
        print("small call", tuple(o.shape), "finite" if bool(torch.isfinite(o.float()).all()) else "NOT FINITE")
        return
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}")
    for seqlen in (4096, 16384):
        batch, heads_q, heads_kv, d = 16384 // seqlen, 16, 4, 128
        quantized = inputs(batch, seqlen, heads_q, heads_kv, d)
        functions = {name: call(name, quantized, heads_q) for name in ("t_fp8_causal_gqa", "t_fp8_modified")}
        times = {name: [] for name in functions}
        for function in functions.values():
            function()
        for _ in range(20):
            for name, function in functions.items():
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                function()  # queued ahead, so that the timed calls' host overhead overlaps the GPU's work
                start.record()
                for _ in range(5):
                    function()
                end.record()
                end.synchronize()
                times[name].append(start.elapsed_time(end) / 5)
        flops = 4 * batch * heads_q * seqlen * seqlen * d / 2  # causal
        medians = {name: statistics.median(t) for name, t in times.items()}
        for name, ms in medians.items():
            print(f"N={seqlen} B={batch} {name}: {ms:.3f} ms, {flops / ms / 1e9:.0f} TFLOP/s")
        print(f"N={seqlen}: modified / plain speed {medians['t_fp8_causal_gqa'] / medians['t_fp8_modified']:.3f}")


if __name__ == "__main__":
    main()
