"""CPU decode benchmark: the attngen C kernels' decode path (calls with few query rows) against torch's
scaled_dot_product_attention on the CPU and against the machine's read bandwidth measured in the same process.

    bash benchmarks/cpu/decode.sh [--quick]      # builds decode_variants.json and runs this

Shapes: one query row (and 4 for speculative decoding), batch 1 and 4, GQA 32/8 and MHA 8/8, 4k to 64k cached keys,
d = 128, bf16 (fp16 and fp32 at some shapes), causal bottom-right (a query row sees the whole cache). GB/s = the
bytes of K and V read / time; "% of read" compares with torch.sum over 1 GiB (fp32 or bf16, the faster) (the read bandwidth the
same threads reach). Every row is checked against torch's output before it is timed; times are medians of calls
back to back (each contender alone, its OpenMP team awake, as in a decoding loop).
"""
import argparse
import datetime
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (sets the thread counts, loads attngen_abi from $ATTNGEN_KERNELS)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def read_bandwidth(budget):
    """The faster of torch.sum over 1 GiB of fp32 and of bf16 (bf16's conversion can bound its sum on some CPUs)."""
    rates = []
    for dtype in (torch.float32, torch.bfloat16):
        x = torch.ones((1 << 30) // torch.tensor([], dtype=dtype).element_size(), dtype=dtype)
        seconds = bench.median_seconds(lambda: x.sum(), budget)
        rates.append(x.numel() * x.element_size() / seconds / 1e9)
        del x
    return max(rates)


def back_to_back(fn, budget):
    """Median seconds per call of `fn` called back to back for about `budget` seconds after three warm-up calls: a
    decoding server's steady state, with the OpenMP team awake (bench.py's interleaved rounds pause before each
    call so that two OpenMP runtimes do not compete, and a call of a few milliseconds then pays the team's
    wake-up, several milliseconds on this machine, whoever runs it)."""
    for _ in range(3):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - start < budget and len(times) < 500):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(kernels, dtype, batch, heads_q, heads_kv, keys, rows, budget):
    name = f"decode_d128_{dtype}"
    torch_dtype = bench.DTYPES[dtype]
    q = torch.randn(batch, heads_q, rows, 128).to(torch_dtype)
    k = torch.randn(batch, heads_kv, keys, 128).to(torch_dtype)
    v = torch.randn(batch, heads_kv, keys, 128).to(torch_dtype)
    o = torch.empty(batch, heads_q, rows, 128, dtype=torch_dtype)
    lse = torch.empty(batch, heads_q, rows, dtype=torch.float32)
    call = kernels.forward(name, q, k, v, o, lse)
    status = call()
    if status != 0:
        raise RuntimeError(f"{name} returned status {status}")
    group = heads_q // heads_kv
    mask = torch.ones(rows, keys, dtype=torch.bool).tril(keys - rows)  # bottom-right causal

    def sdpa():
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask if rows > 1 else None, enable_gqa=group > 1)

    want = F.scaled_dot_product_attention(q.float(), k.float().repeat_interleave(group, 1),
                                          v.float().repeat_interleave(group, 1), attn_mask=mask)
    error = ((o.float() - want).norm() / want.norm()).item()
    tolerance = 2e-2 if dtype == "bf16" else 4e-3 if dtype == "fp16" else 1e-4
    ours, theirs = back_to_back(call, budget), back_to_back(sdpa, budget)
    data = 2 * batch * heads_kv * keys * 128 * q.element_size()
    return dict(dtype=dtype, batch=batch, heads=f"{heads_q}/{heads_kv}", keys=keys, rows=rows, ms=ours * 1e3,
                torch_ms=theirs * 1e3, gbps=data / ours / 1e9, ratio=theirs / ours, error=error,
                ok=error < tolerance)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lib", required=True)
    parser.add_argument("--budget", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results", default=None, help="also write the Markdown table here")
    parser.add_argument("--command", default="")
    arguments = parser.parse_args()
    kernels = bench.Kernels(arguments.lib)
    bandwidth = read_bandwidth(arguments.budget)
    shapes = [("bf16", 1, 32, 8, 4096, 1), ("bf16", 1, 32, 8, 16384, 1), ("bf16", 1, 32, 8, 65536, 1),
              ("bf16", 4, 32, 8, 16384, 1), ("bf16", 1, 8, 8, 65536, 1), ("bf16", 4, 32, 8, 16384, 4),
              ("fp16", 1, 32, 8, 65536, 1), ("fp32", 1, 32, 8, 65536, 1)]
    if arguments.quick:
        shapes = shapes[2:3] + shapes[5:6]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# CPU decode: attngen C kernels against torch's SDPA", "", f"- date: {stamp}",
             f"- CPU: {bench.cpu_name()}, {bench.THREADS} threads; torch {torch.__version__}",
             f"- read bandwidth (torch.sum over 1 GiB, the faster of fp32 and bf16): {bandwidth:.1f} GB/s",
             f"- command: `{arguments.command or 'python3 benchmarks/cpu/bench_decode.py'}`", "",
             "| dtype | B | Hq/Hkv | keys | rows | attngen ms | GB/s | % of read | torch SDPA ms | torch / attngen | rel. err | check |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    failed = 0
    for shape in shapes:
        row = run(kernels, *shape, arguments.budget)
        failed += not row["ok"]
        line = (f"| {row['dtype']} | {row['batch']} | {row['heads']} | {row['keys']} | {row['rows']} | {row['ms']:.3f} | "
                f"{row['gbps']:.1f} | {100 * row['gbps'] / bandwidth:.0f} % | {row['torch_ms']:.3f} | {row['ratio']:.2f} | "
                f"{row['error']:.1e} | {'pass' if row['ok'] else 'FAIL'} |")
        lines.append(line)
        print(line, flush=True)
    if arguments.results:
        with open(arguments.results, "w") as handle:
            handle.write("\n".join(lines) + "\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
