"""Times attngen's decode path (calls with at most 16 query rows: the decode kernel, keys split across blocks and
merged by the combine kernel) against SDPA's flash and cuDNN backends and the measured copy bandwidth, in one GPU run.

    python3 benchmarks/decode/bench_decode.py --kernels benchmarks/decode/.generated --out DIR [--quick]

Kernels come from benchmarks/decode/decode_spec.json (bash benchmarks/decode/prepare.sh, on a machine with Swift),
are compiled here and called through ctypes with prepared parameters and the forward workspace the launcher asks for
(benchmarks/gpu/bench.py's Kernel). Inputs are [B, H, S, D] (BHSD) tensors; one query row per sequence unless the
row says otherwise. Every attngen result is checked against SDPA's output (O poisoned with NaN first) before it is
timed. Bandwidth = bytes of K and V read / time; the copy anchor is a device-to-device copy of 4 GiB, (read + write)
bytes / time. Times are medians of CUDA-event timings; the kernels of a row (attngen and the anchors, or the contiguous
and the paged kernel) are timed interleaved, in rounds (bench.interleaved_ms). Writes DECODE.md and decode.json into --out.
"""
import argparse
import ctypes
import datetime
import json
import math
import os
import sys

import torch
import torch.nn.attention
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpu"))
import bench  # noqa: E402  (benchmarks/gpu/bench.py: build_library, Kernel, median_ms, interleaved_ms)


def copy_bandwidth(repeats):
    """Device-to-device copy of 4 GiB: (read + write) bytes per second."""
    source = torch.empty(1 << 31, dtype=torch.float16, device="cuda")
    target = torch.empty_like(source)
    ms = bench.median_ms(lambda: target.copy_(source), repeats)
    del source, target
    torch.cuda.empty_cache()
    return 2 * (1 << 32) / (ms * 1e-3) / 1e9


def read_bandwidth(repeats):
    """A sum over 4 GiB of bf16 (fp32 accumulation): bytes read per second, the pace a decode kernel can reach."""
    source = torch.empty(1 << 31, dtype=torch.bfloat16, device="cuda").normal_()
    ms = bench.median_ms(lambda: torch.sum(source, dtype=torch.float32), repeats)
    del source
    torch.cuda.empty_cache()
    return (1 << 32) / (ms * 1e-3) / 1e9


def sdpa(backend, q, k, v, causal):
    backends = {"flash": torch.nn.attention.SDPBackend.FLASH_ATTENTION,
                "cudnn": torch.nn.attention.SDPBackend.CUDNN_ATTENTION}
    gqa = q.shape[1] != k.shape[1]

    def run():
        with torch.nn.attention.sdpa_kernel(backends[backend]):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=gqa)
    return run


def shapes(quick):
    """(batch, heads_q, heads_kv, keys): the issue's decode grid (one query row), within 40 GB of K and V."""
    rows = []
    for heads in ((32, 8), (32, 32)):
        for batch in (1, 8, 64):
            for keys in (4096, 16384, 65536, 131072):
                if quick and (batch, keys) not in ((1, 4096), (8, 65536)):
                    continue
                rows.append((batch, heads[0], heads[1], keys))
    return [r for r in rows if r[0] * r[2] * r[3] * 128 * 2 * 2 <= 40e9]


def measure(library, name, dtype, batch, hq, hkv, keys, nq, repeats, copy_gbs, seed):
    """One row: attngen's kernel checked against SDPA's output, then timed with the anchors (one query row: SDPA
    flash and cuDNN without a mask; several rows: bottom-right causal, which SDPA takes only as an explicit mask,
    so those rows have no anchor)."""
    torch.manual_seed(seed)
    q = torch.randn(batch, hq, nq, 128, device="cuda", dtype=dtype)
    k = torch.randn(batch, hkv, keys, 128, device="cuda", dtype=dtype)
    v = torch.randn(batch, hkv, keys, 128, device="cuda", dtype=dtype)
    o = torch.full((batch, hq, nq, 128), float("nan"), device="cuda", dtype=dtype)
    lse = torch.empty(batch, hq, nq, device="cuda", dtype=torch.float32)
    if nq > 1:
        allowed = torch.ones(nq, keys, device="cuda", dtype=torch.bool).tril(keys - nq)
        reference = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, enable_gqa=hq != hkv)
        anchors = {}
    else:
        reference = sdpa("flash", q, k, v, False)()
        anchors = {backend: sdpa(backend, q, k, v, False) for backend in ("flash", "cudnn")}
    kernel = bench.Kernel(library, name)
    kernel.bind(q, k, v, o, lse)
    kernel()
    torch.cuda.synchronize()
    error = ((o.float() - reference.float()).norm() / reference.float().norm()).item()
    row = {"variant": name, "dtype": str(dtype).replace("torch.", ""), "batch": batch, "heads_q": hq,
           "heads_kv": hkv, "keys": keys, "query_rows": nq, "rel_error": error,
           "workspace_bytes": 0 if kernel.workspace is None else kernel.workspace.numel()}
    bytes_read = batch * hkv * keys * 128 * 2 * q.element_size()
    if not math.isfinite(error) or error > 2e-2:
        row["result"] = "FAIL"
        return row
    times, errors = bench.interleaved_ms({"attngen": kernel, **anchors}, repeats)
    if "attngen" not in times:
        row["result"] = "FAIL"
        row["attngen_error"] = errors.get("attngen", "not timed")
        return row
    ms = times["attngen"]
    row.update(attngen_ms=ms, attngen_gbs=bytes_read / (ms * 1e-3) / 1e9)
    for backend in anchors:
        if backend in times:
            row[f"{backend}_ms"] = times[backend]
        else:
            row[f"{backend}_error"] = errors.get(backend, "not timed")
    best = min([row[f"{b}_ms"] for b in ("flash", "cudnn") if f"{b}_ms" in row], default=None)
    if best:
        row["vs_best_anchor"] = best / ms
    row["of_copy_bandwidth"] = row["attngen_gbs"] / copy_gbs
    row["result"] = "pass"
    return row


def paged_pair(library, page, batch, hq, hkv, keys, seed, order_name="shuffled"):
    """The contiguous kernel and the paged kernel of `page` keys per page (pages shuffled in the pool, or in order:
    `order_name`) bound to the same K and V: (SDPA's output, [(name, kernel, o)]), each kernel not yet run."""
    torch.manual_seed(seed)
    q = torch.randn(batch, hq, 1, 128, device="cuda", dtype=torch.bfloat16)
    k = torch.randn(batch, hkv, keys, 128, device="cuda", dtype=torch.bfloat16)
    v = torch.randn(batch, hkv, keys, 128, device="cuda", dtype=torch.bfloat16)
    reference = sdpa("flash", q, k, v, False)()
    pages = keys // page
    order = (torch.randperm(batch * pages + 1, device="cuda") if order_name == "shuffled"
             else torch.arange(batch * pages + 1, device="cuda"))

    def pool(t):
        chunks = t.view(batch, hkv, pages, page, 128).permute(0, 2, 3, 1, 4).reshape(batch * pages, page, hkv, 128)
        result = torch.empty(batch * pages + 1, page, hkv, 128, device="cuda", dtype=t.dtype)
        result[order[:batch * pages]] = chunks
        return result
    k_pool, v_pool = pool(k), pool(v)
    table = order[:batch * pages].view(batch, pages).to(torch.int32).contiguous()
    bound = []
    for name in ("dec_bf16_d128", f"dec_bf16_d128_paged{page}"):
        o = torch.full((batch, hq, 1, 128), float("nan"), device="cuda", dtype=torch.bfloat16)
        lse = torch.empty(batch, hq, 1, device="cuda", dtype=torch.float32)
        kernel = bench.Kernel(library, name)
        kernel.bind(q, k, v, o, lse)
        if name != "dec_bf16_d128":
            p = kernel.params
            p.k, p.v = k_pool.data_ptr(), v_pool.data_ptr()
            p.k_layout = bench.Layout(k_pool.stride(0), k_pool.stride(2), k_pool.stride(1))
            p.v_layout = bench.Layout(v_pool.stride(0), v_pool.stride(2), v_pool.stride(1))
            p.page_table, p.page_table_stride, p.num_pages = table.data_ptr(), pages, batch * pages + 1
            size = kernel.workspace_size(ctypes.byref(p))
            kernel.workspace = torch.empty(max(size, 16), device="cuda", dtype=torch.uint8)
            p.workspace, p.workspace_size = kernel.workspace.data_ptr(), size
        kernel.pools = (k_pool, v_pool, table)  # kept alive with the kernel
        bound.append((name, kernel, o))
    return reference, bound


def measure_paged(library, page, batch, hq, hkv, keys, repeats, seed, order_name="shuffled"):
    """A paged cache of `page` keys per page (pages shuffled in the pool, or in order: `order_name`) against the
    contiguous kernel on the same K and V: both checked against SDPA, then timed in turn."""
    reference, bound = paged_pair(library, page, batch, hq, hkv, keys, seed, order_name)
    row = {"variant": f"dec_bf16_d128_paged{page}", "dtype": "bfloat16", "batch": batch, "heads_q": hq,
           "heads_kv": hkv, "keys": keys, "query_rows": 1, "page": page, "page_order": order_name}
    for name, kernel, o in bound:
        kernel()
        torch.cuda.synchronize()
        error = ((o.float() - reference.float()).norm() / reference.float().norm()).item()
        row[f"{'paged' if name != 'dec_bf16_d128' else 'contiguous'}_rel_error"] = error
        if not math.isfinite(error) or error > 2e-2:
            row["result"] = "FAIL"
            return row
    timings, errors = bench.interleaved_ms({name: kernel for name, kernel, _ in bound}, repeats)
    if len(timings) != len(bound):
        row["result"] = "FAIL"
        row["error"] = "; ".join(errors.values()) or "not timed"
        return row
    row["contiguous_ms"] = timings["dec_bf16_d128"]
    row["paged_ms"] = timings[f"dec_bf16_d128_paged{page}"]
    row["paged_vs_contiguous"] = row["contiguous_ms"] / row["paged_ms"]
    row["result"] = "pass"
    return row


def run(args):
    library_path, _ = bench.build_library(args.kernels, args.build, args.nvcc, args.arch, args.jobs)
    library = ctypes.CDLL(library_path)
    copy_gbs = copy_bandwidth(args.repeats)
    read_gbs = read_bandwidth(args.repeats)
    print(f"copy bandwidth {copy_gbs:.0f} GB/s (read + write), read bandwidth {read_gbs:.0f} GB/s (torch.sum)",
          flush=True)
    if args.tune:
        # Tuning rows (TUNING.md): the copies of benchmarks/decode/tune_variants.py at three shapes.
        tune_path, tune_names = bench.build_library(args.tune, args.build + "-tune", args.nvcc, args.arch, args.jobs)
        tune_library = ctypes.CDLL(tune_path)
        names = sorted(n for n in tune_names if not n.endswith("_mma"))
        rows = []
        for shape in args.tune_shapes:
            for name in ["dec_bf16_d128"] + names:
                chosen = library if name == "dec_bf16_d128" else tune_library
                row = measure(chosen, name, torch.bfloat16, *shape, args.repeats, copy_gbs, len(rows))
                row["of_read_bandwidth"] = row.get("attngen_gbs", 0) / read_gbs
                rows.append(row)
                print(json.dumps(row), flush=True)
                torch.cuda.empty_cache()
        return copy_gbs, read_gbs, rows
    plan = [("dec_bf16_d128", torch.bfloat16, s + (1,)) for s in shapes(args.quick)]
    plan += [("dec_fp16_d128", torch.float16, s + (1,)) for s in shapes(args.quick)]
    plan += [("dec_bf16_d128_causal", torch.bfloat16, (8, 32, 8, 65536, rows)) for rows in (4, 16)]
    results = []
    if args.paged or args.paged_only:
        for order_name in args.page_orders.split(","):
            for page in (16, 64, 256):
                for shape in ((8, 32, 8, 65536), (64, 32, 8, 16384), (1, 32, 8, 131072), (8, 32, 32, 16384)):
                    row = measure_paged(library, page, *shape, args.repeats, len(results), order_name)
                    results.append(row)
                    print(json.dumps(row), flush=True)
                    torch.cuda.empty_cache()
    if args.paged_only:
        plan = []
    for name, dtype, (batch, hq, hkv, keys, nq) in plan:
        row = measure(library, name, dtype, batch, hq, hkv, keys, nq, args.repeats, copy_gbs, len(results))
        row["of_read_bandwidth"] = row.get("attngen_gbs", 0) / read_gbs
        results.append(row)
        print(json.dumps(row), flush=True)
        torch.cuda.empty_cache()
    return copy_gbs, read_gbs, results


def markdown(copy_gbs, read_gbs, results, meta):
    lines = [f"# Decode benchmark ({meta['date']})", "",
             f"- GPU: {meta['gpu']}; torch {meta['torch']}; command: `{meta['command']}`",
             f"- measured copy bandwidth: {copy_gbs:.0f} GB/s (read + write, 4 GiB device-to-device); read bandwidth: "
             f"{read_gbs:.0f} GB/s (torch.sum over 4 GiB of bf16)",
             "- time: median of CUDA-event timings, a row's kernels timed interleaved in 3 rounds; GB/s = bytes of K and V "
             "read / time; ratio = faster anchor's time / attngen's (> 1: attngen faster)", "",
             "| variant | B | Hq/Hkv | keys | rows | attngen ms | GB/s | % of copy | % of read | flash ms | cuDNN ms | "
             "ratio | rel. err | result |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def cell(row, key, digits=3):
        return f"{row[key]:.{digits}f}" if key in row else "–"
    paged = [row for row in results if "page" in row]
    for row in results:
        if "page" in row:
            continue
        percent = f"{100 * row['of_copy_bandwidth']:.0f} %" if "of_copy_bandwidth" in row else "–"
        read = f"{100 * row['of_read_bandwidth']:.0f} %" if row.get("of_read_bandwidth") else "–"
        lines.append(f"| {row['variant']} | {row['batch']} | {row['heads_q']}/{row['heads_kv']} | {row['keys']} | "
                     f"{row['query_rows']} | {cell(row, 'attngen_ms')} | {cell(row, 'attngen_gbs', 0)} | {percent} | {read} | "
                     f"{cell(row, 'flash_ms')} | {cell(row, 'cudnn_ms')} | {cell(row, 'vs_best_anchor', 2)} | "
                     f"{row['rel_error']:.1e} | {row['result']} |")
    if paged:
        lines += ["", "Paged caches (bf16, d = 128, one query row; the pages shuffled in the pool, or in order) against "
                  "the contiguous kernel on the same K and V:", "",
                  "| page | pages | B | Hq/Hkv | keys | contiguous ms | paged ms | paged / contiguous speed | result |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for row in paged:
            lines.append(f"| {row['page']} | {row.get('page_order', 'shuffled')} | {row['batch']} | "
                         f"{row['heads_q']}/{row['heads_kv']} | {row['keys']} | "
                         f"{cell(row, 'contiguous_ms')} | {cell(row, 'paged_ms')} | "
                         f"{cell(row, 'paged_vs_contiguous', 2)} | {row['result']} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--build", default="/tmp/attngen-decode-build")
    parser.add_argument("--nvcc", default=os.environ.get("NVCC", "nvcc"))
    parser.add_argument("--arch", default="-gencode arch=compute_90a,code=sm_90a")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 4)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tune", help="a folder of tune_variants.py copies: time them at --tune-shapes instead")
    parser.add_argument("--tune-shapes", default="8:32:8:65536,64:32:8:16384,1:32:8:131072,8:32:32:16384",
                        help="the tuning rows' shapes, comma-separated BATCH:HEADS_Q:HEADS_KV:KEYS (one query row)")
    parser.add_argument("--paged", action="store_true", help="also time paged caches (pages of 16, 64, 256) against "
                                                              "the contiguous kernel")
    parser.add_argument("--paged-only", action="store_true", help="time the paged caches alone")
    parser.add_argument("--page-orders", default="shuffled",
                        help="comma-separated orders of the pages in the pool: shuffled (default), sequential")
    args = parser.parse_args()
    try:
        args.tune_shapes = [tuple(int(x) for x in item.split(":")) + (1,) for item in args.tune_shapes.split(",")]
        if any(len(shape) != 5 or min(shape) < 1 for shape in args.tune_shapes):
            raise ValueError
    except ValueError:
        parser.error(f"--tune-shapes: expected BATCH:HEADS_Q:HEADS_KV:KEYS,..., got {args.tune_shapes!r}")
    if any(order not in ("shuffled", "sequential") for order in args.page_orders.split(",")):
        parser.error(f"--page-orders: expected shuffled and/or sequential, got {args.page_orders!r}")
    copy_gbs, read_gbs, results = run(args)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "gpu": torch.cuda.get_device_name(), "torch": torch.__version__,
            "command": "bash benchmarks/decode/run.sh " + " ".join(sys.argv[1:])}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "decode.json"), "w") as out:
        json.dump({"meta": meta, "copy_gbs": copy_gbs, "read_gbs": read_gbs, "rows": results}, out, indent=1)
    with open(os.path.join(args.out, "DECODE.md"), "w") as out:
        out.write(markdown(copy_gbs, read_gbs, results, meta))
    print(markdown(copy_gbs, read_gbs, results, meta))
    return 0 if all(row["result"] == "pass" for row in results) else 1


if __name__ == "__main__":
    sys.exit(main())
