"""Calls attngen CUDA kernels on torch tensors (ctypes; no torch extension build).

    from attngen_torch import AttnGenLibrary
    lib = AttnGenLibrary(["bench_d128_bf16_causal"], kernels="benchmarks/gpu/.generated/forward", build="/tmp/attngen")
    o = lib.forward("bench_d128_bf16_causal", q, k, v)            # q [B, Hq, Nq, d], k/v [B, Hkv, Nk, d]
    o, lse = lib.forward("cu_causal_d128_bf16_lse", q, k, v, return_lse=True)

The library is compiled once with nvcc (-shared -fPIC) from the generated `NAME.cu` files of a folder
emitted by `attngen emit cuda`; each variant's `attngen_NAME_forward_cuda` is called with an
`attngen_forward_params` built from the tensors' strides (any layout whose last dimension is contiguous) on
torch's current stream. Run as a script, it checks the kernels against
torch.nn.functional.scaled_dot_product_attention and times both (--check, --bench).
"""
import argparse
import ctypes
import hashlib
import os
import statistics
import subprocess
import sys

import torch
import torch.nn.functional as F


def _abi_folder():
    """A folder holding attngen_abi.py, which `attngen emit` writes next to the kernels (rendered from the same
    values as attngen_abi.h): $ATTNGEN_ABI_DIR, else the folders benchmarks/gpu/prepare.sh emits."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("ATTNGEN_ABI_DIR", "")] + [os.path.join(here, ".generated", f)
                                                           for f in ("bench", "forward", "backward")]
    for folder in candidates:
        if folder and os.path.exists(os.path.join(folder, "attngen_abi.py")):
            return folder
    raise SystemExit("attngen_abi.py not found: run bash benchmarks/gpu/prepare.sh, or set ATTNGEN_ABI_DIR to a folder "
                     "attngen emitted")


sys.path.insert(0, _abi_folder())
from attngen_abi import BackwardParams, ForwardParams, Layout, Status  # noqa: E402,F401 (bench.py imports them from here)

ATTNGEN_OK = Status.OK


def _layout(t):
    assert t.stride(-1) == 1, "the last dimension must be contiguous"
    return Layout(t.stride(0), t.stride(1), t.stride(2))


class AttnGenLibrary:
    """A shared library of generated CUDA kernels, built with nvcc on first use."""

    def __init__(self, names, kernels, build, nvcc=os.environ.get("NVCC", "nvcc"),
                 arch="-gencode=arch=compute_90a,code=sm_90a"):
        os.makedirs(build, exist_ok=True)
        sources = [os.path.join(kernels, f"{n}.cu") for n in names]
        digest = hashlib.sha1("".join(open(s).read() for s in sources).encode()).hexdigest()[:12]
        path = os.path.join(build, f"libattngen_{digest}.so")
        if not os.path.exists(path):
            command = [nvcc, "-std=c++17", "-O3", arch, "-shared", "-Xcompiler", "-fPIC", f"-I{kernels}",
                       "-o", path] + sources
            subprocess.run(command, check=True)
        self.library = ctypes.CDLL(path)
        self.functions = {}
        for name in names:
            function = getattr(self.library, f"attngen_{name}_forward_cuda")
            function.argtypes = [ctypes.POINTER(ForwardParams), ctypes.c_void_p]
            function.restype = ctypes.c_int
            self.functions[name] = function

    def forward(self, name, q, k, v, *, return_lse=False, block_mask=None, seed=0, offset=0):
        batch, heads_q, seqlen_q, _ = q.shape
        _, heads_kv, seqlen_k, value_dim = v.shape
        o = torch.empty(batch, heads_q, seqlen_q, value_dim, dtype=q.dtype, device=q.device)
        lse = torch.empty(batch, heads_q, seqlen_q, dtype=torch.float32, device=q.device)
        p = ForwardParams()
        p.struct_size = ctypes.sizeof(ForwardParams)
        p.batch, p.seqlen_q, p.seqlen_k = batch, seqlen_q, seqlen_k
        p.heads_q, p.heads_kv = heads_q, heads_kv
        p.q, p.k, p.v, p.o, p.lse = q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr(), lse.data_ptr()
        p.q_layout, p.k_layout, p.v_layout, p.o_layout = _layout(q), _layout(k), _layout(v), _layout(o)
        p.lse_layout = Layout(lse.stride(0), lse.stride(1), lse.stride(2))
        if block_mask is not None:
            p.block_mask = block_mask.data_ptr()
            p.block_mask_layout = Layout(block_mask.stride(0), block_mask.stride(1), block_mask.stride(2))
        p.dropout_seed, p.dropout_offset = seed, offset
        status = self.functions[name](ctypes.byref(p), ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        if status != ATTNGEN_OK:
            raise RuntimeError(f"attngen_{name}_forward_cuda returned status {status}")
        return (o, lse) if return_lse else o


def _median_ms(fn, repeats=20, warmup=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernels", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".generated", "forward"))
    parser.add_argument("--build", default="/tmp/attngen-torch")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--bench", action="store_true")
    args = parser.parse_args()
    names = ["bench_d64_bf16", "bench_d64_bf16_causal", "bench_d128_bf16", "bench_d128_bf16_causal",
             "cu_gqa_8x2_d128_bf16_causal", "cu_causal_d128_bf16_lse"]
    lib = AttnGenLibrary(names, args.kernels, args.build)
    torch.manual_seed(int.from_bytes(os.urandom(4), "little"))
    failures = 0
    if args.check:
        print("| kernel | shape (B, Hq, Hkv, N, d) | max abs error vs SDPA | max abs error of SDPA vs fp64 | LSE max abs error | result |")
        print("|---|---|---|---|---|---|")
        cases = [("bench_d64_bf16", 2, 4, 4, 300, 64, False), ("bench_d64_bf16_causal", 2, 4, 4, 300, 64, True),
                 ("bench_d128_bf16", 1, 8, 8, 1000, 128, False), ("bench_d128_bf16_causal", 1, 8, 8, 1000, 128, True),
                 ("cu_gqa_8x2_d128_bf16_causal", 2, 8, 2, 257, 128, True),
                 ("cu_causal_d128_bf16_lse", 2, 3, 3, 333, 128, True)]
        for name, b, hq, hkv, n, d, causal in cases:
            q = torch.randn(b, hq, n, d, device="cuda", dtype=torch.bfloat16)
            k = torch.randn(b, hkv, n, d, device="cuda", dtype=torch.bfloat16)
            v = torch.randn(b, hkv, n, d, device="cuda", dtype=torch.bfloat16)
            o, lse = lib.forward(name, q, k, v, return_lse=True)
            ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=hq != hkv)
            g = hq // hkv
            k64, v64 = k.double().repeat_interleave(g, 1), v.double().repeat_interleave(g, 1)
            s = (q.double() @ k64.transpose(-1, -2)) / d ** 0.5
            if causal:
                s = s.masked_fill(torch.ones(n, n, dtype=torch.bool, device="cuda").triu(1), float("-inf"))
            exact = torch.softmax(s, -1) @ v64
            exact_lse = torch.logsumexp(s, -1)
            err = (o.double() - ref.double()).abs().max().item()
            sdpa_err = (ref.double() - exact).abs().max().item()
            own_err = (o.double() - exact).abs().max().item()
            lse_err = (lse.double() - exact_lse).abs().max().item() if name.endswith("_lse") else float("nan")
            ok = own_err <= max(2 * sdpa_err, 1e-2) and (lse_err != lse_err or lse_err < 1e-3)
            failures += 0 if ok else 1
            print(f"| {name} | ({b}, {hq}, {hkv}, {n}, {d}) | {err:.2e} | {sdpa_err:.2e} (attngen: {own_err:.2e}) | "
                  f"{lse_err:.2e} | {'pass' if ok else 'FAIL'} |")
    if args.bench:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        print()
        print("| shape (16k tokens, hidden 2048, bf16) | attngen TFLOP/s | SDPA flash TFLOP/s | SDPA cuDNN TFLOP/s | attngen / flash |")
        print("|---|---|---|---|---|")
        for d, causal in [(64, False), (64, True), (128, False), (128, True)]:
            n = 4096
            b, h = 16384 // n, 2048 // d
            q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
            name = f"bench_d{d}_bf16" + ("_causal" if causal else "")
            flops = 4 * b * h * n * n * d / (2 if causal else 1)
            ours = _median_ms(lambda: lib.forward(name, q, k, v))
            rates = []
            for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION):
                try:
                    with sdpa_kernel(backend):
                        rates.append(flops / (_median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)) * 1e-3) / 1e12)
                except Exception as error:  # a backend missing on this build
                    print(f"  {backend}: {error}", file=sys.stderr)
                    rates.append(float("nan"))
            mine = flops / (ours * 1e-3) / 1e12
            print(f"| d={d}, N={n}, B={b}, H={h}{', causal' if causal else ''} | {mine:.1f} | {rates[0]:.1f} | "
                  f"{rates[1]:.1f} | {mine / rates[0]:.2f} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
