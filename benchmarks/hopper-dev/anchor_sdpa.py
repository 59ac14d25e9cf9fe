#!/usr/bin/env python3
"""Anchor timings for the Hopper forward kernel: torch's scaled_dot_product_attention with the cuDNN and the flash
backends at the shapes of hopper_check's timing section, timed the same way (3 warm-ups, the median of 20 CUDA-event
timings of one call), so that the ratios attngen / anchor come from the same run on the same GPU.

Shapes: bf16, head dims d = dv = 128, 64, 256 and d = 192 with dv = 128, causal or not, N = 1024, 2048, 4096, 16384
(Nq = Nk), 16384 tokens (B = 16384 / N), hidden size 2048 (H = 2048 / d, rounded down), tensors stored B, N, H, d
(BSHD, as the checker's) and handed to SDPA as the (B, H, N, d) transposed view. TFLOP/s = 2 B H N^2 (d + dv),
halved for causal (the checker's count).

    python3 benchmarks/hopper-dev/anchor_sdpa.py [--ours CHECK_OUTPUT]

With --ours (hopper_check's output, e.g. $OUT/check.txt), it also prints attngen's TFLOP/s from its TIME lines and
the ratios attngen / cuDNN and attngen / flash per shape. Exits 0 without timing anything when torch or a GPU is
missing (run.sh calls it only when `import torch` works).
"""
import argparse
import re
import sys

HEAD_DIMS = [(128, 128), (64, 64), (256, 256), (192, 128)]
SHAPES = [(d, dv, causal, n) for d, dv in HEAD_DIMS for causal in (False, True) for n in (1024, 2048, 4096, 16384)]
TOKENS, HIDDEN = 16384, 2048


def parse_ours(path):
    """(d, dv, causal, N) -> TFLOP/s from hopper_check's TIME lines."""
    ours = {}
    pattern = re.compile(r"^TIME hop_(dense|causal)_d(\d+)(?:v(\d+))?_bf16 B=\d+ H=\d+ N=(\d+) d=\d+ \S+\s+median\s+[\d.]+ ms\s+([\d.]+) TFLOP/s")
    try:
        with open(path) as f:
            for line in f:
                m = pattern.match(line)
                if m:
                    d = int(m.group(2))
                    dv = int(m.group(3)) if m.group(3) else d
                    ours[(d, dv, m.group(1) == "causal", int(m.group(4)))] = float(m.group(5))
    except OSError as e:
        print(f"ANCHOR note: cannot read {path}: {e}")
    return ours


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours", help="hopper_check output with TIME lines")
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args()
    try:
        import torch
        from torch.nn.attention import SDPBackend, sdpa_kernel
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 -- any import problem means: no anchor
        print(f"ANCHOR skipped: torch unavailable ({e})")
        return 0
    if not torch.cuda.is_available():
        print("ANCHOR skipped: no CUDA device")
        return 0
    print(f"ANCHOR torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name()}")
    backends = [("cudnn", SDPBackend.CUDNN_ATTENTION), ("flash", SDPBackend.FLASH_ATTENTION)]
    results = {}
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for d, dv, causal, n in SHAPES:
        b, h = TOKENS // n, HIDDEN // d
        gen = torch.Generator(device="cuda").manual_seed(1)
        q, k, v = (torch.empty(b, n, h, width, device="cuda", dtype=torch.bfloat16).uniform_(-1, 1, generator=gen).transpose(1, 2)
                   for width in (d, d, dv))
        flops = 2.0 * b * h * n * n * (d + dv) * (0.5 if causal else 1.0)
        for name, backend in backends:
            dims = f"d={d}" if dv == d else f"d={d}/{dv}"
            label = f"{name} {dims} {'causal' if causal else 'dense'} B={b} H={h} N={n}"
            try:
                with sdpa_kernel([backend]):
                    for _ in range(3):
                        F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                    torch.cuda.synchronize()
                    times = []
                    for _ in range(args.iterations):
                        start.record()
                        F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                        stop.record()
                        torch.cuda.synchronize()
                        times.append(start.elapsed_time(stop))
            except Exception as e:  # noqa: BLE001 -- a backend that refuses the shape is reported, not fatal
                print(f"ANCHOR {label:44s} unavailable: {str(e).splitlines()[0][:100]}")
                continue
            times.sort()
            ms = 0.5 * (times[len(times) // 2 - 1] + times[len(times) // 2])
            tflops = flops / (ms * 1e-3) / 1e12
            results[(name, d, dv, causal, n)] = tflops
            print(f"ANCHOR {label:44s} median {ms:8.3f} ms  {tflops:7.1f} TFLOP/s")
            sys.stdout.flush()
        del q, k, v
    if args.ours:
        ours = parse_ours(args.ours)
        print("\n==== attngen vs anchors (TFLOP/s; ratio = attngen / anchor; target >= 1.05 x cuDNN) ====")
        print(f"{'shape':28s} {'attngen':>8s} {'cudnn':>8s} {'flash':>8s} {'/cudnn':>7s} {'/flash':>7s}")
        for d, dv, causal, n in SHAPES:
            mine = ours.get((d, dv, causal, n))
            cells = []
            for name in ("cudnn", "flash"):
                anchor = results.get((name, d, dv, causal, n))
                cells.append(anchor)
            ratio = lambda a: f"{mine / a:7.3f}" if (mine and a) else f"{'-':>7s}"  # noqa: E731
            fmt = lambda x: f"{x:8.1f}" if x else f"{'-':>8s}"  # noqa: E731
            dims = f"d={d}" if dv == d else f"d={d}/{dv}"
            shape = f"{dims} {'causal' if causal else 'dense'} N={n}"
            print(f"RATIO {shape:22s} {fmt(mine)} {fmt(cells[0])} {fmt(cells[1])} {ratio(cells[0])} {ratio(cells[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
