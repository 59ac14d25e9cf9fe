"""Where a decode call's time goes: the device time of each kernel of attngen's call (the decode kernel, the combine
kernel) and of SDPA cuDNN's and flash's, from torch.profiler, beside the CUDA-event time of the whole call, at a few
shapes (TUNING.md, D14). A development tool; the table comes from bench_decode.py.

    python3 benchmarks/decode/profile_decode.py --kernels benchmarks/decode/.generated [--shapes B:HQ:HKV:KEYS,...]
        [--name dec_bf16_d128] [--library DIR]

--library: another folder of kernels (tune_variants.py copies, or any emitted folder) holding --name.
"""
import argparse
import ctypes
import os
import sys

import torch
import torch.profiler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpu"))


def device_times(fn, calls):
    """Average device microseconds per call of each kernel `fn` launches, from torch.profiler."""
    fn()
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as profile:
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
    kernels = {}
    for event in profile.key_averages():
        if event.device_type == torch.autograd.DeviceType.CUDA and event.count > 0:
            kernels[event.key[:70]] = event.device_time_total / calls
    return kernels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", required=True)
    parser.add_argument("--library", help="time --name from this folder instead (built beside the benchmark's)")
    parser.add_argument("--name", default="dec_bf16_d128")
    parser.add_argument("--shapes", default="1:32:8:131072,1:32:8:65536,1:32:32:131072,8:32:8:16384")
    parser.add_argument("--build", default="/tmp/attngen-profile-decode")
    parser.add_argument("--nvcc", default=os.environ.get("NVCC", "nvcc"))
    parser.add_argument("--arch", default="-gencode=arch=compute_90a,code=sm_90a")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 4)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    # The ABI's ctypes mirror (attngen_abi.py) from the emitted folder, unless the caller named one.
    os.environ.setdefault("ATTNGEN_ABI_DIR", args.kernels)
    global bench, bench_decode
    import bench  # noqa: E402  (benchmarks/gpu/bench.py: build_library, Kernel, interleaved_ms)
    import bench_decode  # noqa: E402  (sdpa)
    folder = args.library or args.kernels
    path, _ = bench.build_library(folder, args.build, args.nvcc, args.arch, args.jobs)
    library = ctypes.CDLL(path)
    for item in args.shapes.split(","):
        batch, hq, hkv, keys = (int(x) for x in item.split(":"))
        torch.manual_seed(0)
        q = torch.randn(batch, hq, 1, 128, device="cuda", dtype=torch.bfloat16)
        k = torch.randn(batch, hkv, keys, 128, device="cuda", dtype=torch.bfloat16)
        v = torch.randn_like(k)
        o = torch.empty_like(q)
        lse = torch.empty(batch, hq, 1, device="cuda", dtype=torch.float32)
        kernel = bench.Kernel(library, args.name)
        kernel.bind(q, k, v, o, lse)
        fns = {"attngen": kernel, "flash": bench_decode.sdpa("flash", q, k, v, False),
               "cudnn": bench_decode.sdpa("cudnn", q, k, v, False)}
        times, errors = bench.interleaved_ms(fns, 20)
        gb = batch * hkv * keys * 128 * 2 * 2 / 1e9
        print(f"== B {batch} Hq/Hkv {hq}/{hkv} keys {keys} ({gb:.2f} GB of K and V)")
        for name, fn in fns.items():
            if name not in times:
                print(f"  {name}: {errors.get(name)}")
                continue
            kernels = device_times(fn, args.calls)
            parts = ", ".join(f"{key} {us:.1f} us" for key, us in sorted(kernels.items(), key=lambda kv: -kv[1]))
            print(f"  {name}: call {times[name] * 1e3:.1f} us (events), kernels {sum(kernels.values()):.1f} us: {parts}")
        del q, k, v, o, lse, kernel, fns
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
