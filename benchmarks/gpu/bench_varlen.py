"""Variable-length batches on the GPU (README, "Variable-length batches"; issue "Inference"): a packed batch of
sequences of mixed lengths against a dense batch of the same total tokens, through the same generated kernels,
and against the anchors that take packed sequences in this process.

    python3 benchmarks/gpu/bench_varlen.py [--kernels benchmarks/gpu/.generated/bench] [--out DIR] [--repeats 10]

Shapes: bf16, d = 128, 16 query heads (hidden 2048), `--sequences` (64) lengths drawn uniformly from 100 ... 8000
with a fixed seed; causal and not. Rows, each in TFLOP/s of the FLOPs the sequences need (4·H·Σ n_b²·d, halved for
causal), forward and (deterministic dQ) backward (2.5 x the forward FLOPs):
  - attngen varlen: one call with cu_seqlens_q / cu_seqlens_k over the packed rows;
  - attngen dense: B = total // 4096 sequences of 4096 tokens (the issue's "dense batch with the same total
    tokens"), its own FLOPs; the target is varlen >= 0.95 x this rate;
  - attngen padded: every sequence padded to the longest (what a caller without varlen runs), counted with the real
    FLOPs only;
  - SDPA on nested jagged tensors (torch.nested, layout=torch.jagged; whichever backend SDPA picks) when this torch
    runs it; SDPA cuDNN and flash on the dense batch, for scale.
The varlen output is checked against SDPA on each sequence alone (relative error) before anything is timed.
Writes VARLEN.md and varlen_results.json into --out.
"""
import argparse
import ctypes
import datetime
import json
import os
import random
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the kernels' build, the ABI structs, the timing)

HEADS, HEAD_DIM = 16, 128


def bind_forward(library, name, q, k, v, o, lse, cu=None, longest=0):
    """A forward call over [B, H, S, D] views (packed: [1, H, total, D] with the prefix sums `cu` on both sides)."""
    function = getattr(library, f"attngen_{name}_forward_cuda")
    function.argtypes = [ctypes.POINTER(bench.ForwardParams), ctypes.c_void_p]
    p = bench.ForwardParams()
    p.struct_size = ctypes.sizeof(bench.ForwardParams)
    p.batch, p.heads_q, p.seqlen_q, _ = q.shape
    _, p.heads_kv, p.seqlen_k, _ = k.shape
    p.q, p.k, p.v, p.o, p.lse = q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr(), lse.data_ptr()
    p.q_layout, p.k_layout, p.v_layout, p.o_layout = (bench._layout(t) for t in (q, k, v, o))
    p.lse_layout = bench.Layout(lse.stride(0), lse.stride(1), lse.stride(2))
    if cu is not None:
        p.batch, p.seqlen_q, p.seqlen_k = cu.numel() - 1, longest, longest
        p.cu_seqlens_q = p.cu_seqlens_k = cu.data_ptr()
        p.total_q = p.total_k = q.shape[2]
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)

    def run():
        status = function(ctypes.byref(p), stream)
        if status != 0:
            raise RuntimeError(f"attngen_{name}_forward_cuda returned {status}")
    return run, p


def bind_backward(library, name, forward_params, q, k, v, o, lse, d_o, grads):
    """The deterministic backward of a bound forward call (the same packing), its workspace allocated once."""
    function = getattr(library, f"attngen_{name}_backward_cuda")
    function.argtypes = [ctypes.POINTER(bench.BackwardParams), ctypes.c_void_p]
    size_of = getattr(library, f"attngen_{name}_backward_workspace_size_cuda")
    size_of.argtypes = [ctypes.POINTER(bench.BackwardParams)]
    size_of.restype = ctypes.c_size_t
    f = forward_params
    p = bench.BackwardParams()
    p.struct_size = ctypes.sizeof(bench.BackwardParams)
    p.batch, p.seqlen_q, p.seqlen_k, p.heads_q, p.heads_kv = f.batch, f.seqlen_q, f.seqlen_k, f.heads_q, f.heads_kv
    p.q, p.k, p.v, p.o, p.lse, p.d_o = (t.data_ptr() for t in (q, k, v, o, lse, d_o))
    p.dq, p.dk, p.dv = (t.data_ptr() for t in grads)
    p.q_layout, p.k_layout, p.v_layout, p.o_layout = f.q_layout, f.k_layout, f.v_layout, f.o_layout
    p.lse_layout, p.d_o_layout = f.lse_layout, bench._layout(d_o)
    p.dq_layout, p.dk_layout, p.dv_layout = (bench._layout(t) for t in grads)
    p.cu_seqlens_q, p.cu_seqlens_k, p.total_q, p.total_k = f.cu_seqlens_q, f.cu_seqlens_k, f.total_q, f.total_k
    size = size_of(ctypes.byref(p))
    workspace = torch.empty(max(size, 16), device="cuda", dtype=torch.uint8)
    p.workspace, p.workspace_size = workspace.data_ptr(), size
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)

    def run():
        status = function(ctypes.byref(p), stream)
        if status != 0:
            raise RuntimeError(f"attngen_{name}_backward_cuda returned {status}")
    run.workspace = workspace
    return run


def packed(lengths):
    """q, k, v [1, H, total, D] views of packed BSHD rows, O and LSE alike, and the prefix sums."""
    total = sum(lengths)
    q, k, v = (torch.randn(total, HEADS, HEAD_DIM, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    cu = torch.tensor([0] + [sum(lengths[:i + 1]) for i in range(len(lengths))], dtype=torch.int32, device="cuda")
    views = [t.unsqueeze(0).transpose(1, 2) for t in (q, k, v)]
    o = torch.full_like(q, float("nan")).unsqueeze(0).transpose(1, 2)
    lse = torch.full((1, HEADS, total), float("nan"), device="cuda")
    return views, o, lse, cu


def flops_of(lengths, causal):
    return sum(4 * HEADS * n * n * HEAD_DIM * (0.5 if causal else 1.0) for n in lengths)


def main():
    parser = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    bench.add_library_arguments(parser, build="/tmp/attngen-bench-build", kernels=os.path.join(here, ".generated", "bench"))
    parser.add_argument("--out", default=os.environ.get("OUT", "/tmp/attngen-varlen"))
    parser.add_argument("--sequences", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    library, _ = bench.load_library(args)
    generator = random.Random(2026)
    lengths = [generator.randint(100, 8000) for _ in range(args.sequences)]
    total, longest = sum(lengths), max(lengths)
    dense_batch = max(1, total // 4096)
    rows = []
    for causal in (False, True):
        name = "bk_bf16_d128" + ("_causal" if causal else "")
        row = {"causal": causal, "sequences": len(lengths), "total_tokens": total, "longest": longest, "tflops": {}}
        (q, k, v), o, lse, cu = packed(lengths)
        forward, params = bind_forward(library, name, q, k, v, o, lse, cu, longest)
        forward()
        torch.cuda.synchronize()
        # Checked against SDPA on each sequence alone (bf16, the same inputs).
        errors = []
        for b in range(0, len(lengths), max(1, len(lengths) // 8)):
            rows_b = slice(int(cu[b]), int(cu[b + 1]))
            reference = F.scaled_dot_product_attention(q[:, :, rows_b], k[:, :, rows_b], v[:, :, rows_b],
                                                       is_causal=causal)
            errors.append(bench.relative_error(o[:, :, rows_b], reference))
        row["rel_error_vs_sdpa"] = max(errors)
        row["check"] = "pass" if max(errors) <= bench.TOLERANCE[torch.bfloat16] else "FAIL"
        flops = flops_of(lengths, causal)
        if row["check"] == "pass":
            row["tflops"]["attngen varlen"] = flops / (bench.median_ms(forward, args.repeats) * 1e-3) / 1e12
            d_o = torch.randn_like(o)
            grads = [torch.full_like(t, float("nan")) for t in (q, k, v)]
            backward = bind_backward(library, name, params, q, k, v, o, lse, d_o, grads)
            row["tflops"]["attngen varlen backward"] = (2.5 * flops / (bench.median_ms(backward, args.repeats) * 1e-3)
                                                        / 1e12)
        # The dense batch of the same total tokens, through the same variant.
        dq, dk, dv = (torch.randn(dense_batch, HEADS, 4096, HEAD_DIM, device="cuda", dtype=torch.bfloat16)
                      for _ in range(3))
        do_ = torch.empty_like(dq)
        dlse = torch.empty(dense_batch, HEADS, 4096, device="cuda")
        dense, dense_params = bind_forward(library, name, dq, dk, dv, do_, dlse)
        dense_flops = flops_of([4096] * dense_batch, causal)
        row["tflops"]["attngen dense"] = dense_flops / (bench.median_ms(dense, args.repeats) * 1e-3) / 1e12
        d_o = torch.randn_like(do_)
        grads = [torch.empty_like(t) for t in (dq, dk, dv)]
        dense_backward = bind_backward(library, name, dense_params, dq, dk, dv, do_, dlse, d_o, grads)
        row["tflops"]["attngen dense backward"] = (2.5 * dense_flops / (bench.median_ms(dense_backward, args.repeats)
                                                                        * 1e-3) / 1e12)
        from torch.nn.attention import SDPBackend, sdpa_kernel
        for backend, label in ((SDPBackend.CUDNN_ATTENTION, "SDPA cuDNN dense"),
                               (SDPBackend.FLASH_ATTENTION, "SDPA flash dense")):
            def anchor(backend=backend):
                with sdpa_kernel(backend):
                    return F.scaled_dot_product_attention(dq, dk, dv, is_causal=causal)
            row["tflops"][label] = dense_flops / (bench.median_ms(anchor, args.repeats) * 1e-3) / 1e12
        del dq, dk, dv, do_, dlse, grads
        # Padded to the longest sequence (real FLOPs only).
        pq, pk, pv = (torch.randn(len(lengths), HEADS, longest, HEAD_DIM, device="cuda", dtype=torch.bfloat16)
                      for _ in range(3))
        po = torch.empty_like(pq)
        plse = torch.empty(len(lengths), HEADS, longest, device="cuda")
        padded, _ = bind_forward(library, name, pq, pk, pv, po, plse)
        row["tflops"]["attngen padded"] = flops / (bench.median_ms(padded, args.repeats) * 1e-3) / 1e12
        del pq, pk, pv, po, plse
        # SDPA over nested jagged tensors, where this torch runs it.
        try:
            offsets = cu.to(torch.int64)
            nested = [torch.nested.nested_tensor_from_jagged(t.squeeze(0).transpose(0, 1), offsets).transpose(1, 2)
                      for t in (q, k, v)]

            def jagged():
                return F.scaled_dot_product_attention(*nested, is_causal=causal)
            row["tflops"]["SDPA jagged"] = flops / (bench.median_ms(jagged, args.repeats) * 1e-3) / 1e12
        except Exception as error:  # noqa: BLE001 - an anchor this torch lacks
            row["anchor_errors"] = {"SDPA jagged": str(error).splitlines()[0][:200]}
        rates = row["tflops"]
        if "attngen varlen" in rates:
            row["varlen_over_dense"] = rates["attngen varlen"] / rates["attngen dense"]
            row["varlen_over_dense_backward"] = rates["attngen varlen backward"] / rates["attngen dense backward"]
        print(json.dumps(row), flush=True)
        rows.append(row)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "gpu": torch.cuda.get_device_name(), "torch": torch.__version__,
            "command": "python3 " + " ".join(sys.argv), "lengths": lengths}
    with open(os.path.join(args.out, "varlen_results.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    lines = [f"# Variable-length batches ({meta['date']}, {meta['gpu']}, torch {meta['torch']})", "",
             f"`{meta['command']}`; {len(lengths)} sequences of 100-8000 tokens (seed 2026), {total} tokens, the "
             f"longest {longest}; bf16, d = {HEAD_DIM}, {HEADS} heads; TFLOP/s of the FLOPs the sequences need; "
             f"dense: {dense_batch} x 4096 tokens.", "",
             "| mask | check | " + " | ".join(rows[0]["tflops"]) + " | varlen / dense fwd | bwd |",
             "|---|---|" + "---|" * (len(rows[0]["tflops"]) + 2)]
    for row in rows:
        values = " | ".join(f"{row['tflops'].get(name, float('nan')):.0f}" for name in rows[0]["tflops"])
        lines.append(f"| {'causal' if row['causal'] else 'none'} | {row['check']} "
                     f"({row['rel_error_vs_sdpa']:.1e}) | {values} | {row.get('varlen_over_dense', float('nan')):.2f} "
                     f"| {row.get('varlen_over_dense_backward', float('nan')):.2f} |")
    with open(os.path.join(args.out, "VARLEN.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(r["check"] == "pass" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
