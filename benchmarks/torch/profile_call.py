"""Where the host time of a small forward+backward call goes (torch.profiler, CPU and CUDA activities), for the
attngen function and for SDPA; then the backward op alone on the main thread and on a second thread (autograd runs
CUDA backwards on a worker thread).

    python3 benchmarks/torch/profile_call.py
"""
import threading
import time

import torch
import torch.nn.functional as F

import attngen_torch

torch.manual_seed(0)
q, k, v = (torch.randn(1, 128, 8, 64, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
function = attngen_torch.t_causal_gqa_bf16
forward, backward = attngen_torch.OPS["t_causal_gqa_bf16"]


def timed(label, step, repeats=200):
    for _ in range(20):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    torch.cuda.synchronize()
    print(f"{label}: {(time.perf_counter() - start) / repeats * 1e6:.1f} µs per call")


timed("attngen fwd + sum().backward()", lambda: function(q, k, v).sum().backward())
grad = torch.ones(1, 128, 8, 64, device="cuda", dtype=torch.bfloat16)
timed("attngen fwd + backward(contiguous grad)", lambda: function(q, k, v).backward(grad))
qt, kt, vt = (t.detach().transpose(1, 2).requires_grad_() for t in (q, k, v))
with torch.no_grad():
    o, lse = forward(qt, kt, vt, None, None, None, 0, 0, True)
g = torch.ones_like(o)
timed("backward op, main thread", lambda: backward(g, qt.detach(), kt.detach(), vt.detach(), o, lse, None, 0, 0, True))


def in_thread():
    timed("backward op, second thread", lambda: backward(g, qt.detach(), kt.detach(), vt.detach(), o, lse, None, 0, 0, True))


worker = threading.Thread(target=in_thread)
worker.start()
worker.join()
with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA]) as profile:
    for _ in range(20):
        function(q, k, v).sum().backward()
    torch.cuda.synchronize()
print(profile.key_averages().table(sort_by="cpu_time_total", row_limit=25, max_name_column_width=60))
