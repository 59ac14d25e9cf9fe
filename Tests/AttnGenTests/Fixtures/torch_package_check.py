"""Checks a PyTorch package emitted by `attngen emit torch --spec torch_variants.json` (TorchPackageTests runs it on
CPU in CI; benchmarks/torch/run.sh runs it with --device cuda on the GPU machine).

    python torch_package_check.py --package attngen_torch [--device cpu|cuda] [--quick]

Everything is compared with an independent float64 reference written here (masks spelled out again, GQA by
repeating heads, dropout with the keep mask read back from the kernel through V = I and checked for its rate,
reproducibility and gradients). Fresh random inputs each run (the seed is printed). Prints one line per check and
exits 1 when any fails.
"""
import argparse
import importlib
import itertools
import math
import os
import sys
import traceback

import torch

FAILURES = []


def check(name, condition, detail=""):
    print(f"{'pass' if condition else 'FAIL'}  {name}{'  ' + detail if detail else ''}", flush=True)
    if not condition:
        FAILURES.append(name)


def expect_error(name, kinds, words, function):
    """`function()` must raise one of `kinds` whose message contains every one of `words`."""
    try:
        function()
    except kinds as error:
        message = str(error)
        check(name, all(word in message for word in words), f"{type(error).__name__}: {message[:160]}")
        return
    except Exception as error:  # the wrong kind of error
        check(name, False, f"raised {type(error).__name__}: {error}")
        return
    check(name, False, "no error raised")


# ---------------------------------------------------------------------------------------------------------------------
# The float64 reference: masks of torch_variants.json written independently of the package.

def allowed(variant, b, h, nq, nk, device):
    q = torch.arange(nq, device=device)[:, None]
    k = torch.arange(nk, device=device)[None, :]
    if variant == "t_causal_gqa_bf16":
        return k <= q
    if variant == "t_window_fp32":
        return (k >= q - 20) & (k <= q + 5)
    if variant == "t_dropout_fp32":
        return k <= q + (nk - nq)
    if variant in ("t_alibi_softcap_fp32", "t_fp8_modified"):
        return k <= q
    if variant == "t_paged_bf16":
        return k <= q + (nk - nq)
    if variant == "t_fp8_causal_gqa":
        return k <= q + (nk - nq)
    if variant == "t_sinks_window_fp32":
        return (k >= q - 24) & (k <= q)
    if variant == "t_predicate_fixed_fp16":
        return ((q + 2 * k) % 5 != 0) | (k == 0)
    return torch.ones(nq, nk, dtype=torch.bool, device=device)


_SCORE_PARAMETERS = {}


def score_parameters(info, heads_q, device):
    """The run-time arrays of a variant's score modifiers, [arrays, Hq] in [0.25, 1), the same tensor for every call of
    one (variant, Hq, device); None for variants without."""
    if not info.score_parameters:
        return None
    key = (info.name, heads_q, str(torch.empty(0, device=device).device))  # "cuda" and "cuda:0" are one device
    if key not in _SCORE_PARAMETERS:
        _SCORE_PARAMETERS[key] = 0.25 + 0.75 * torch.rand(len(info.score_parameters), heads_q, device=device)
    return _SCORE_PARAMETERS[key]


def sink_logits(info, heads_q, device, requires_grad=False):
    """Sink logits for a variant with sinks: float32 [Hq] in [-1, 3), -inf (no sink) for every fourth head; None
    for variants without."""
    if not info.sinks:
        return None
    sinks = -1.0 + 4.0 * torch.rand(heads_q, device=device)
    sinks[3::4] = -math.inf
    return sinks.requires_grad_(requires_grad)


def modified(variant_info, s, parameters=None):
    """The score modifiers of torch_variants.json written again: t_alibi_softcap_fp32's and t_fp8_modified's, ALiBi
    with run-time slopes (bottom-right), then a soft cap of 2; t_fp8_alibi's, ALiBi with run-time slopes
    (top-left). `parameters`: the slopes [1, Hq] (differentiable), else the cached ones."""
    if variant_info.name not in ("t_alibi_softcap_fp32", "t_fp8_modified", "t_fp8_alibi"):
        return s
    heads_q, nq, nk = s.shape[1], s.shape[2], s.shape[3]
    if parameters is None:
        parameters = score_parameters(variant_info, heads_q, s.device)
    slopes = parameters[0].double()[None, :, None, None]
    q = torch.arange(nq, device=s.device, dtype=torch.float64)[:, None]
    k = torch.arange(nk, device=s.device, dtype=torch.float64)[None, :]
    if variant_info.name == "t_fp8_alibi":
        return s - slopes * (q - k).abs()
    s = s - slopes * (q + (nk - nq) - k).abs()
    return 2.0 * torch.tanh(s / 2.0)


def reference(variant_info, q, k, v, block_mask=None, keep=None, sinks=None, parameters=None):
    """softmax(scale q k^T, masked) v in float64 on [B, H, S, D] tensors; rows with no allowed key give 0 and
    LSE -inf. `keep` (dropout): [B, Hq, Nq, Nk] bool, kept entries scaled by 1/(1-p). `sinks` [Hq]: one more
    column of the softmax per head, without a value row."""
    q, k, v = q.double(), k.double(), v.double()
    batch, heads_q, nq, _ = q.shape
    group = heads_q // k.shape[1]
    k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
    s = modified(variant_info, (q @ k.transpose(-1, -2)) * variant_info.scale, parameters)
    mask = allowed(variant_info.name, 0, 0, nq, k.shape[2], q.device)[None, None].expand(batch, heads_q, -1, -1)
    if block_mask is not None:
        rows = torch.arange(nq, device=q.device) // variant_info.block_rows
        columns = torch.arange(k.shape[2], device=q.device) // variant_info.block_columns
        mask = mask & block_mask.bool()[:, :, rows][:, :, :, columns]
    s = s.masked_fill(~mask, -math.inf)
    if sinks is not None:
        # -inf sinks (no sink) as a constant: the gradient of a -inf logsumexp (a fully masked row) is NaN.
        sinks = sinks.double()
        sinks = torch.where(torch.isinf(sinks), torch.full_like(sinks, -math.inf).detach(), sinks)
        column = sinks[None, :, None, None].expand(batch, heads_q, nq, 1)
        lse = torch.logsumexp(torch.cat([s, column], -1), -1)
    else:
        lse = torch.logsumexp(s, -1)
    p = torch.exp(s - lse[..., None]).nan_to_num(0.0)
    if keep is not None:
        p = p * keep / (1 - variant_info.dropout_p)
    return p @ v, lse


TOLERANCE = {torch.float32: 2e-4, torch.float16: 4e-3, torch.bfloat16: 3e-2}
GRAD_TOLERANCE = {torch.float32: 2e-3, torch.float16: 2e-2, torch.bfloat16: 8e-2}
LSE_TOLERANCE = 1e-3


def use_cuda_tolerances():
    """The CUDA kernels run fp32 storage on the tensor cores in tf32 (README, "fp32 storage"): normwise error about
    4e-4 against float64, checked at 4e-3 (LSE at 1e-2)."""
    global LSE_TOLERANCE
    TOLERANCE[torch.float32] = 4e-3
    GRAD_TOLERANCE[torch.float32] = 8e-3
    LSE_TOLERANCE = 1e-2


def close(actual, expected, tolerance):
    """max |actual - expected| <= tolerance * max(1, max |expected|), ignoring -inf pairs (fully masked LSE)."""
    actual, expected = actual.double(), expected.double()
    both_inf = torch.isinf(actual) & torch.isinf(expected) & (actual.sign() == expected.sign())
    error = (actual - expected).abs().masked_fill(both_inf, 0.0)
    scale = max(1.0, expected.masked_fill(torch.isinf(expected), 0.0).abs().max().item() if expected.numel() else 1.0)
    worst = error.max().item() if error.numel() else 0.0
    return worst <= tolerance * scale, f"max error {worst:.2e} (scale {scale:.2f}, tolerance {tolerance:g})"


def inputs(info, batch, heads_q, heads_kv, nq, nk, device, layout, requires_grad=False, strided=False):
    """q, k, v in `layout` ("bshd"/"bhsd"); `strided`: views into larger buffers (gaps between rows and heads)."""
    def make(heads, rows, dim):
        shape = (batch, rows, heads, dim) if layout == "bshd" else (batch, heads, rows, dim)
        if strided:
            big = torch.randn(*shape[:-1], dim + 7, dtype=info.dtype, device=device)
            tensor = big[..., 3:3 + dim]
        else:
            tensor = torch.randn(*shape, dtype=info.dtype, device=device)
        return tensor.requires_grad_(requires_grad)
    return make(heads_q, nq, info.head_dim), make(heads_kv, nk, info.head_dim), make(heads_kv, nk, info.value_head_dim)


def to_bhsd(tensor, layout):
    return tensor.transpose(1, 2) if layout == "bshd" else tensor


# ---------------------------------------------------------------------------------------------------------------------
# Checks

def check_forward_backward(package, device, quick):
    cases = [  # batch, heads_q, heads_kv, nq, nk, layout, strided
        (2, 4, 2, 70, 70, "bshd", False), (1, 4, 2, 1, 1, "bhsd", False), (2, 4, 4, 33, 90, "bhsd", True),
        (1, 4, 2, 90, 33, "bshd", True), (2, 4, 1, 129, 64, "bshd", False), (1, 4, 2, 0, 16, "bshd", False),
    ]
    if quick:
        cases = cases[:3]
    for name, info in sorted(package.VARIANTS.items()):
        if info.paged or info.input_storage:
            continue  # check_paged: k and v are page pools; check_fp8: fp8 inputs
        function = getattr(package, name)
        for batch, heads_q, heads_kv, nq, nk, layout, strided in cases:
            if info.heads_q is not None:
                heads_q, heads_kv = info.heads_q, info.heads_kv
            if info.dropout_p > 0:
                continue  # check_dropout
            label = f"{name} {device} B={batch} H={heads_q}/{heads_kv} Nq={nq} Nk={nk} {layout}{' strided' if strided else ''}"
            q, k, v = inputs(info, batch, heads_q, heads_kv, nq, nk, device, layout, requires_grad=info.has_backward,
                             strided=strided)
            options = {"layout": layout}
            block_mask = None
            if info.block_sparse:
                block_mask = torch.rand(batch, heads_q, -(-nq // info.block_rows), -(-nk // info.block_columns),
                                        device=device) < 0.6
                options["block_mask"] = block_mask
            if info.saves_lse:
                options["return_lse"] = True
            parameters = None
            if info.score_parameters:
                parameters = score_parameters(info, heads_q, device).clone().requires_grad_(info.has_backward)
                options["score_parameters"] = parameters
            sinks = sink_logits(info, heads_q, device, requires_grad=info.has_backward)
            if sinks is not None:
                options["sinks"] = sinks
            result = function(q, k, v, **options)
            o, lse = result if info.saves_lse else (result, None)
            expected_o, expected_lse = reference(info, to_bhsd(q, layout).detach(), to_bhsd(k, layout).detach(),
                                                 to_bhsd(v, layout).detach(), block_mask,
                                                 sinks=None if sinks is None else sinks.detach())
            check(f"forward shape {label}", tuple(o.shape) == tuple(q.shape[:-1]) + (info.value_head_dim,),
                  f"{tuple(o.shape)}")
            ok, detail = close(to_bhsd(o, layout), expected_o, TOLERANCE[info.dtype])
            check(f"forward {label}", ok, detail)
            if lse is not None:
                ok, detail = close(lse, expected_lse, LSE_TOLERANCE)
                check(f"lse {label}", ok, detail)
            if info.has_backward and o.numel():
                grad = torch.randn_like(o)
                o.backward(grad)
                q64, k64, v64 = (to_bhsd(t, layout).detach().double().requires_grad_() for t in (q, k, v))
                sinks64 = None if sinks is None else sinks.detach().double().requires_grad_()
                parameters64 = None if parameters is None else parameters.detach().double().requires_grad_()
                expected, _ = reference(info, q64, k64, v64, block_mask, sinks=sinks64, parameters=parameters64)
                expected.backward(to_bhsd(grad, layout).double())
                for tensor, tensor64, axis in ((q, q64, "dq"), (k, k64, "dk"), (v, v64, "dv")):
                    ok, detail = close(to_bhsd(tensor.grad, layout), tensor64.grad, GRAD_TOLERANCE[info.dtype])
                    check(f"{axis} {label}", ok, detail)
                if sinks is not None:
                    ok, detail = close(sinks.grad, sinks64.grad, GRAD_TOLERANCE[info.dtype])
                    check(f"dsinks {label}", ok, detail)
                if parameters is not None:
                    ok, detail = close(parameters.grad, parameters64.grad, GRAD_TOLERANCE[info.dtype])
                    check(f"dscore_parameters {label}", ok, detail)


def check_dropout(package, device):
    for name, info in sorted(package.VARIANTS.items()):
        if info.paged or info.input_storage:
            continue  # check_paged: k and v are page pools; check_fp8: fp8 inputs
        if info.dropout_p == 0:
            continue
        function = getattr(package, name)
        batch, heads, nq, nk = 2, 2, 20, info.value_head_dim  # V = I needs Nk <= Dv
        q = torch.randn(batch, heads, nq, info.head_dim, dtype=info.dtype, device=device)
        k = torch.randn(batch, heads, nk, info.head_dim, dtype=info.dtype, device=device)
        eye = torch.eye(nk, info.value_head_dim, dtype=info.dtype, device=device).expand(batch, heads, -1, -1)
        seed, offset = int.from_bytes(os.urandom(7), "little"), 5
        probabilities = function(q, k, eye, layout="bhsd", dropout_seed=seed, dropout_offset=offset)
        keep = probabilities[..., :nk] != 0
        plain, _ = reference(info, q, k, eye)
        scaled = plain * keep / (1 - info.dropout_p)
        ok, detail = close(probabilities[..., :nk], scaled[..., :nk], TOLERANCE[info.dtype])
        check(f"dropout {name} {device}: O = P * keep / (1 - p) through V = I", ok, detail)
        allowed_entries = plain[..., :nk] > 0
        rate = 1 - keep[allowed_entries].double().mean().item()
        check(f"dropout {name} {device}: drop rate {rate:.3f} near p = {info.dropout_p}",
              abs(rate - info.dropout_p) < 0.05)
        again = function(q, k, eye, layout="bhsd", dropout_seed=seed, dropout_offset=offset)
        other = function(q, k, eye, layout="bhsd", dropout_seed=seed, dropout_offset=offset + 1)
        check(f"dropout {name} {device}: same seed and offset, same output", torch.equal(again, probabilities))
        check(f"dropout {name} {device}: another offset, another mask", not torch.equal(other, probabilities))
        # Gradients against the reference with the kernel's own keep mask.
        qg, kg = q.clone().requires_grad_(), k.clone().requires_grad_()
        v = torch.randn(batch, heads, nk, info.value_head_dim, dtype=info.dtype, device=device, requires_grad=True)
        o = function(qg, kg, v, layout="bhsd", dropout_seed=seed, dropout_offset=offset)
        ok, detail = close(o, reference(info, q, k, v.detach(), keep=keep)[0], TOLERANCE[info.dtype])
        check(f"dropout {name} {device}: forward with random V", ok, detail)
        grad = torch.randn_like(o)
        o.backward(grad)
        q64, k64, v64 = (t.detach().double().requires_grad_() for t in (q, k, v))
        reference(info, q64, k64, v64, keep=keep)[0].backward(grad.double())
        for tensor, tensor64, axis in ((qg, q64, "dq"), (kg, k64, "dk"), (v, v64, "dv")):
            ok, detail = close(tensor.grad, tensor64.grad, GRAD_TOLERANCE[info.dtype])
            check(f"dropout {name} {device}: {axis}", ok, detail)


def check_deterministic(package, device):
    for name, info in sorted(package.VARIANTS.items()):
        if info.paged or info.input_storage:
            continue  # check_paged: k and v are page pools; check_fp8: fp8 inputs
        if not info.has_backward or info.dropout_p > 0 or info.score_parameters or info.sinks:
            continue  # score_parameters, sinks: check_forward_backward, check_score_parameters and check_sinks
        function = getattr(package, name)
        q, k, v = inputs(info, 2, 4, 2, 150, 150, device, "bshd")
        grads = []
        for _ in range(2):
            leaves = [t.clone().requires_grad_() for t in (q, k, v)]
            function(*leaves, deterministic=True).backward(torch.ones(2, 150, 4, info.value_head_dim, dtype=info.dtype,
                                                                      device=device))
            grads.append([t.grad for t in leaves])
        check(f"deterministic {name} {device}: gradients bit-identical run to run",
              all(torch.equal(a, b) for a, b in zip(*grads)))
        leaves = [t.clone().requires_grad_() for t in (q, k, v)]
        function(*leaves, deterministic=False).backward(torch.ones(2, 150, 4, info.value_head_dim, dtype=info.dtype,
                                                                   device=device))
        ok, detail = close(leaves[0].grad, grads[0][0], GRAD_TOLERANCE[info.dtype])
        check(f"deterministic=False {name} {device}: dq agrees", ok, detail)


class TinyAttentionModel(torch.nn.Module):
    """Embedding, one attention block through the variant, a head: enough for torch.compile and a training step."""

    def __init__(self, function, heads, head_dim, dtype, vocabulary=64):
        super().__init__()
        self.function, self.heads, self.head_dim = function, heads, head_dim
        width = heads * head_dim
        self.embed = torch.nn.Embedding(vocabulary, width, dtype=dtype)
        self.qkv = torch.nn.Linear(width, 3 * width, dtype=dtype)
        self.out = torch.nn.Linear(width, vocabulary, dtype=dtype)

    def forward(self, tokens):
        x = self.embed(tokens)
        batch, length, _ = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.heads, self.head_dim).unbind(2)
        o = self.function(q, k, v)
        return self.out(o.reshape(batch, length, -1) + x)


def check_compile(package, device):
    name = "t_window_fp32"
    info = package.VARIANTS[name]
    torch.manual_seed(1)
    model = TinyAttentionModel(getattr(package, name), 2, info.head_dim, info.dtype).to(device)
    tokens = torch.randint(0, 64, (2, 40), device=device)
    eager = model(tokens)
    eager.square().mean().backward()
    eager_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True)
    out = compiled(tokens)
    out.square().mean().backward()
    ok, detail = close(out, eager, 1e-4)
    check(f"torch.compile(fullgraph=True) {name} {device}: forward matches eager", ok, detail)
    worst = max((p.grad - g).abs().max().item() / max(1.0, g.abs().max().item())
                for p, g in zip(model.parameters(), eager_grads))
    check(f"torch.compile(fullgraph=True) {name} {device}: parameter gradients match eager", worst < 1e-4,
          f"max relative error {worst:.2e}")
    explanation = torch._dynamo.explain(model)(tokens)
    check(f"torch.compile {name} {device}: no graph break", explanation.graph_break_count == 0,
          f"{explanation.graph_break_count} graph breaks, {explanation.graph_count} graphs")


def check_tracing(package, device):
    """Inference calls skip the custom op only in plain eager mode: traced (make_fx) they must still be the op."""
    from torch.fx.experimental.proxy_tensor import make_fx

    name = "t_window_fp32"
    function = getattr(package, name)
    q, k, v = (torch.randn(1, 20, 2, 32, device=device) for _ in range(3))
    graph = make_fx(lambda q, k, v: function(q, k, v))(q, k, v)
    check(f"make_fx {name} {device}: the graph calls the custom op", f"{name}_forward" in graph.code,
          graph.code.strip().splitlines()[-1][:120])
    ok, detail = close(graph(q, k, v), function(q, k, v), 0.0)
    check(f"make_fx {name} {device}: the traced graph computes the eager result", ok, detail)


def check_opcheck(package, device):
    for name, info in sorted(package.VARIANTS.items()):
        if info.paged or info.input_storage:
            continue  # check_paged: k and v are page pools; check_fp8: fp8 inputs
        forward, backward = package.OPS[name]
        heads_q, heads_kv = (info.heads_q, info.heads_kv) if info.heads_q else (4, 2)
        q, k, v = (t.transpose(1, 2) for t in inputs(info, 2, heads_q, heads_kv, 37, 45, device, "bshd"))
        block_mask = None
        if info.block_sparse:
            block_mask = (torch.rand(2, heads_q, -(-37 // info.block_rows), -(-45 // info.block_columns),
                                     device=device) < 0.7).view(torch.uint8)
        if info.has_backward:
            q, k, v = (t.detach().requires_grad_() for t in (q, k, v))
        parameters = score_parameters(info, heads_q, device)
        sinks = sink_logits(info, heads_q, device, requires_grad=info.has_backward)
        try:
            torch.library.opcheck(forward, (q, k, v, block_mask, None, None, parameters, sinks, 7, 3, True))
            check(f"opcheck {name}_forward {device}", True)
        except Exception as error:
            check(f"opcheck {name}_forward {device}", False, f"{type(error).__name__}: {str(error)[:400]}")
        if backward is not None:
            with torch.no_grad():
                o, lse = forward(q, k, v, block_mask, None, None, parameters, sinks, 7, 3, True)
            try:
                torch.library.opcheck(backward, (torch.randn_like(o), q.detach(), k.detach(), v.detach(), o, lse,
                                                 block_mask, parameters, None if sinks is None else sinks.detach(),
                                                 7, 3, True))
                check(f"opcheck {name}_backward {device}", True)
            except Exception as error:
                check(f"opcheck {name}_backward {device}", False, f"{type(error).__name__}: {str(error)[:400]}")


def check_seqlens_k(package, device):
    """seqlens_k: each sequence as a call with its own key count (the reference per sequence), an empty one with
    O = 0 and LSE = -inf; on CUDA the variants without a decode kernel (fp32, dropout, block-sparse) refuse it."""
    lengths = [50, 0, 23]
    for name, info in sorted(package.VARIANTS.items()):
        if info.paged or info.input_storage:
            continue  # check_paged: k and v are page pools; check_fp8: fp8 inputs
        if info.dropout_p > 0 or info.score_parameters or info.sinks:
            continue  # the reference has no dropout mask here (check_dropout); score_parameters, sinks: their checks
        heads_q, heads_kv = (info.heads_q, info.heads_kv) if info.heads_q else (4, 2)
        decodes = info.storage != "fp32" and not info.block_sparse
        for nq in (1, 7, 40):
            q, k, v = inputs(info, 3, heads_q, heads_kv, nq, 50, device, "bhsd")
            seqlens = torch.tensor(lengths, dtype=torch.int32, device=device)
            block_mask = None
            if info.block_sparse:
                block_mask = torch.ones(-(-nq // info.block_rows), -(-50 // info.block_columns), dtype=torch.bool,
                                        device=device)
            function = getattr(package, name)
            arguments = dict(layout="bhsd", seqlens_k=seqlens, block_mask=block_mask) if info.block_sparse else \
                dict(layout="bhsd", seqlens_k=seqlens)
            if device.startswith("cuda") and not decodes:
                expect_error(f"seqlens_k refused by {name} on {device} (no decode kernel)", (package.AttnGenError,),
                             ["UNSUPPORTED"], lambda: function(q, k, v, **arguments))
                continue
            with torch.no_grad():
                o = function(q, k, v, **arguments)
            for b, n in enumerate(lengths):
                mask = None if block_mask is None else block_mask[None, None].expand(1, heads_q, -1, -1)
                expected, _ = reference(info, q[b:b + 1], k[b:b + 1, :, :n], v[b:b + 1, :, :n], mask)
                good, detail = close(o[b:b + 1].float(), expected, TOLERANCE[info.dtype])
                check(f"seqlens_k {name} {device} nq={nq} sequence {b} ({n} keys)", good, detail)
    bf16 = package.t_causal_gqa_bf16
    q, k, v = inputs(package.VARIANTS["t_causal_gqa_bf16"], 2, 4, 2, 3, 9, device, "bshd", requires_grad=True)
    expect_error(f"seqlens_k with inputs that require grad {device}", (RuntimeError,), ["inference"],
                 lambda: bf16(q, k, v, seqlens_k=torch.tensor([9, 4], dtype=torch.int32, device=device)))
    expect_error(f"seqlens_k of the wrong shape {device}", (ValueError,), ["seqlens_k"],
                 lambda: bf16(q.detach(), k.detach(), v.detach(),
                              seqlens_k=torch.tensor([9], dtype=torch.int32, device=device)))
    if device == "cpu":
        expect_error("seqlens_k above the keys (cpu)", (ValueError,), ["seqlens_k"],
                     lambda: bf16(q.detach(), k.detach(), v.detach(), seqlens_k=torch.tensor([10, 4], dtype=torch.int32)))


def check_paged(package, device):
    """Paged caches: k and v as page pools in shuffled order, a page table per sequence, with and without seqlens_k,
    against the reference on the gathered contiguous K and V; the op under opcheck; the refusals."""
    info = package.VARIANTS["t_paged_bf16"]
    function = package.t_paged_bf16
    page = info.page_size
    for layout in ("bshd", "bhsd"):
        for nq, pages_per_sequence, lengths in ((1, 5, None), (3, 4, [64, 0, 17]), (20, 3, [48, 33, 1])):
            batch, heads_q, heads_kv, pool_pages = 3, 4, 2, 3 * pages_per_sequence + 2
            shape = (lambda rows, heads, dim: (batch, rows, heads, dim)) if layout == "bshd" else \
                (lambda rows, heads, dim: (batch, heads, rows, dim))
            q = torch.randn(*shape(nq, heads_q, info.head_dim), dtype=info.dtype, device=device)
            pool_shape = (pool_pages, page, heads_kv, info.head_dim) if layout == "bshd" else \
                (pool_pages, heads_kv, page, info.head_dim)
            k_pool = torch.randn(*pool_shape, dtype=info.dtype, device=device)
            v_pool = torch.randn(*pool_shape, dtype=info.dtype, device=device)
            table = torch.randperm(pool_pages, device=device)[:batch * pages_per_sequence].view(batch, -1).to(torch.int32)
            seqlens = None if lengths is None else torch.tensor(lengths, dtype=torch.int32, device=device)
            o, lse = function(q, k_pool, v_pool, layout=layout, page_table=table, seqlens_k=seqlens, return_lse=True)
            # the gathered cache: [B, Hkv, pages x page, D]
            kb, vb = (t if layout == "bhsd" else t.transpose(1, 2) for t in (k_pool, v_pool))  # [pages, H, page, D]
            gather = lambda pool: pool[table.long()].permute(0, 2, 1, 3, 4).reshape(batch, heads_kv, -1, info.head_dim)
            k_full, v_full = gather(kb), gather(vb)
            qb = to_bhsd(q, layout)
            ok_all, details = True, []
            for b in range(batch):
                keys = k_full.shape[2] if seqlens is None else lengths[b]
                want_o, want_lse = reference(info, qb[b:b + 1], k_full[b:b + 1, :, :keys], v_full[b:b + 1, :, :keys])
                ok_o, detail = close(to_bhsd(o, layout)[b:b + 1], want_o, TOLERANCE[info.dtype])
                ok_lse, _ = close(lse[b:b + 1], want_lse, LSE_TOLERANCE)
                ok_all = ok_all and ok_o and ok_lse
                details.append(detail)
            check(f"paged t_paged_bf16 {device} {layout} nq={nq} pages={pages_per_sequence} seqlens_k={lengths}", ok_all,
                  details[-1])
    forward, _ = package.OPS["t_paged_bf16"]
    q = torch.randn(2, 4, 3, info.head_dim, dtype=info.dtype, device=device)
    pool = torch.randn(6, 2, page, info.head_dim, dtype=info.dtype, device=device)
    table = torch.tensor([[4, 1], [0, 5]], dtype=torch.int32, device=device)
    try:
        torch.library.opcheck(forward, (q, pool, pool, None, None, table, None, None, 0, 0, True))
        check(f"opcheck t_paged_bf16_forward {device}", True)
    except Exception as error:
        check(f"opcheck t_paged_bf16_forward {device}", False, f"{type(error).__name__}: {str(error)[:400]}")
    qs, pools = q.transpose(1, 2), pool.transpose(1, 2)
    expect_error(f"paged: page_table required {device}", (ValueError,), ["page_table", "paged"],
                 lambda: function(qs, pools, pools))
    expect_error(f"paged: page_table of the wrong shape {device}", (ValueError,), ["page_table", "(2, pages"],
                 lambda: function(qs, pools, pools, page_table=table[:1]))
    expect_error(f"paged: page_table not a tensor {device}", (TypeError,), ["page_table"],
                 lambda: function(qs, pools, pools, page_table=[[0, 1]]))
    expect_error(f"paged: pools with another page size {device}", (ValueError,), ["page pools", "page_size 16"],
                 lambda: function(qs, pools[:, :8], pools[:, :8], page_table=table))
    expect_error(f"paged: no page_table argument for a contiguous variant {device}", (TypeError,), ["page_table"],
                 lambda: package.t_causal_gqa_bf16(qs, pools[:2], pools[:2], page_table=table))
    if device == "cpu":  # the C entry refuses a page outside the pool; CUDA kernels clamp it (README)
        expect_error("paged: a page index outside the pool", (package.AttnGenError,), ["ERROR_INVALID_LAYOUT", "page_table"],
                     lambda: function(qs, pools, pools, page_table=table + 4))


def check_score_parameters(package, device):
    """The run-time arrays of a score modifier: required, checked (dtype, shape, device), refused where the variant
    reads none; values that differ give outputs that differ."""
    info = package.VARIANTS["t_alibi_softcap_fp32"]
    function = package.t_alibi_softcap_fp32
    q, k, v = inputs(info, 1, 4, 2, 20, 24, device, "bshd")
    good = score_parameters(info, 4, device)
    expect_error(f"score_parameters: required {device}", (ValueError,), ["score_parameters", "alibi_slopes"],
                 lambda: function(q, k, v))
    expect_error(f"score_parameters: wrong shape {device}", (ValueError,), ["score_parameters", "(1, 4)"],
                 lambda: function(q, k, v, score_parameters=good[:, :2]))
    expect_error(f"score_parameters: wrong dtype {device}", (ValueError,), ["score_parameters", "float32"],
                 lambda: function(q, k, v, score_parameters=good.double()))
    expect_error(f"score_parameters: not a tensor {device}", (TypeError,), ["score_parameters"],
                 lambda: function(q, k, v, score_parameters=[[0.5] * 4]))
    expect_error(f"score_parameters: on a variant without {device}", (TypeError,), ["score_parameters"],
                 lambda: package.t_window_fp32(q, k, v, score_parameters=good))
    first = function(q, k, v, score_parameters=good)
    second = function(q, k, v, score_parameters=good * 0.5)
    check(f"score_parameters: other slopes give another output {device}", not torch.equal(first, second))


def check_sinks(package, device):
    """The sinks argument: required, checked, refused by variants without sinks and by context parallelism's
    ring; -inf sinks give the plain softmax; a large sink takes the whole row (O -> 0)."""
    info = package.VARIANTS["t_sinks_window_fp32"]
    function = package.t_sinks_window_fp32
    q, k, v = inputs(info, 1, 4, 2, 50, 60, device, "bshd")
    good = sink_logits(info, 4, device)
    expect_error(f"sinks: required {device}", (ValueError,), ["sinks", "float32"], lambda: function(q, k, v))
    expect_error(f"sinks: wrong shape {device}", (ValueError,), ["sinks", "(4,)"], lambda: function(q, k, v, sinks=good[:2]))
    expect_error(f"sinks: wrong dtype {device}", (ValueError,), ["sinks", "float32"],
                 lambda: function(q, k, v, sinks=good.double()))
    expect_error(f"sinks: not a tensor {device}", (TypeError,), ["sinks"], lambda: function(q, k, v, sinks=[0.0] * 4))
    expect_error(f"sinks: on a variant without {device}", (TypeError,), ["sinks"],
                 lambda: package.t_window_fp32(q, k, v, sinks=good))
    none = torch.full((4,), -math.inf, device=device)
    o_none = function(q, k, v, sinks=none)
    expected, _ = reference(info, to_bhsd(q, "bshd"), to_bhsd(k, "bshd"), to_bhsd(v, "bshd"))
    ok, detail = close(to_bhsd(o_none, "bshd"), expected, TOLERANCE[info.dtype])
    check(f"sinks: -inf gives the plain softmax {device}", ok, detail)
    o_large = function(q, k, v, sinks=torch.full((4,), 200.0, device=device))
    check(f"sinks: a large sink takes the whole row {device}", o_large.abs().max().item() < 1e-30,
          f"max |O| {o_large.abs().max().item():.2e}")


def check_errors(package, device):
    bf16 = package.t_causal_gqa_bf16
    good = lambda **kw: torch.randn(*(kw.get("shape", (1, 8, 2, 64))), dtype=kw.get("dtype", torch.bfloat16),
                                    device=device)
    q, k, v = good(), good(), good()
    expect_error("error: wrong dtype names q", (TypeError,), ["q", "torch.float32", "bf16"],
                 lambda: bf16(good(dtype=torch.float32), k, v))
    expect_error("error: wrong head dim names k", (ValueError,), ["k", "head dimension 32"],
                 lambda: bf16(q, good(shape=(1, 8, 2, 32)), v))
    expect_error("error: 3-d v", (ValueError,), ["v", "4 dimensions"], lambda: bf16(q, k, good(shape=(8, 2, 64))))
    expect_error("error: heads not a multiple", (ValueError,), ["multiple"],
                 lambda: bf16(good(shape=(1, 8, 3, 64)), k, v))
    expect_error("error: batch mismatch", (ValueError,), ["batch"], lambda: bf16(q, good(shape=(2, 8, 2, 64)), v))
    expect_error("error: k and v lengths differ", (ValueError,), ["k and v"],
                 lambda: bf16(q, k, good(shape=(1, 9, 2, 64))))
    strided = torch.randn(1, 8, 2, 128, dtype=torch.bfloat16, device=device)[..., ::2]
    expect_error("error: non-contiguous last dimension names q", (ValueError,), ["q", "contiguous"],
                 lambda: bf16(strided, k, v))
    expect_error("error: device mismatch names k", (ValueError,), ["k", "meta"],
                 lambda: bf16(q, k.to("meta"), v))
    expect_error("error: bad layout", (ValueError,), ["layout", "bshd"], lambda: bf16(q, k, v, layout="sbhd"))
    expect_error("error: not a tensor", (TypeError,), ["q", "list"], lambda: bf16([1.0], k, v))
    fp16 = lambda shape: torch.randn(*shape, dtype=torch.float16, device=device)
    expect_error("error: return_lse without LSE", (TypeError,), ["return_lse"],
                 lambda: package.attention(fp16((1, 8, 4, 64)), fp16((1, 8, 2, 64)), fp16((1, 8, 2, 64)),
                                           variant="t_predicate_fixed_fp16", return_lse=True))
    expect_error("error: fixed heads", (ValueError,), ["4 query", "2 key/value"],
                 lambda: package.t_predicate_fixed_fp16(fp16((1, 8, 2, 64)), fp16((1, 8, 2, 64)), fp16((1, 8, 2, 64))))
    sparse = package.t_sparse_fp16
    qs, ks, vs = fp16((1, 40, 2, 64)), fp16((1, 40, 2, 64)), fp16((1, 40, 2, 48))
    expect_error("error: missing block_mask", (ValueError,), ["block_mask"], lambda: sparse(qs, ks, vs))
    expect_error("error: block_mask of the wrong shape", (ValueError,), ["block_mask", "broadcast"],
                 lambda: sparse(qs, ks, vs, block_mask=torch.ones(5, 5, dtype=torch.bool, device=device)))
    expect_error("error: block_mask of floats", (TypeError,), ["block_mask", "float32"],
                 lambda: sparse(qs, ks, vs, block_mask=torch.ones(2, 3, device=device)))
    expect_error("error: block_mask on a dense variant", (TypeError,), ["block_mask"],
                 lambda: package.attention(q, k, v, variant="t_causal_gqa_bf16", block_mask=torch.ones(1, 1)))
    f32 = lambda shape: torch.randn(*shape, device=device)
    expect_error("error: dropout without a seed", (ValueError,), ["dropout_seed"],
                 lambda: package.t_dropout_fp32(f32((1, 8, 2, 32)), f32((1, 8, 2, 32)), f32((1, 8, 2, 32))))
    expect_error("error: seed beyond 64 bits", (ValueError,), ["dropout_seed"],
                 lambda: package.t_dropout_fp32(f32((1, 8, 2, 32)), f32((1, 8, 2, 32)), f32((1, 8, 2, 32)),
                                                dropout_seed=1 << 70))
    needs_grad = fp16((1, 40, 2, 64)).requires_grad_()
    expect_error("error: grad through a forward-only variant", (RuntimeError,), ["--backward"],
                 lambda: sparse(needs_grad, ks, vs, block_mask=torch.ones(2, 3, dtype=torch.bool, device=device)))
    expect_error("error: unknown variant", (ValueError,), ["unknown variant", "t_window_fp32"],
                 lambda: package.attention(q, k, v, variant="nope"))


def dequantized(x8, descale, heads_kv, layout):
    """The values an fp8 variant computes with, float64 [B, H, S, D]: the e4m3 bytes of x8 times their factors (None: 1;
    one element: the tensor's; [B, heads_kv]: those of each sequence and key/value head, query heads grouped)."""
    x = to_bhsd(x8, layout).float().double()
    if descale is None:
        return x
    if descale.numel() == 1:
        return x * descale.double().reshape(())
    return x * descale.double().repeat_interleave(x.shape[1] // heads_kv, 1)[:, :, None, None]


def check_fp8(package, device):
    """The fp8 variant (e4m3 q, k, v with descale factors, bf16 O): quantize_e4m3's bytes and factors, the forward
    against the float64 reference of the same bytes times the same factors (per sequence and head, per tensor, none,
    mixed), awkward sizes, a packed variable-length batch with factors per sequence, opcheck, and the refusals. On CUDA
    the Hopper kernel rounds P to e4m3 for the second product (README, "fp8 inputs"): O is checked normwise there."""
    name = "t_fp8_causal_gqa"
    info = package.VARIANTS[name]
    function = getattr(package, name)
    e4m3 = torch.float8_e4m3fn
    cuda = device.startswith("cuda")
    check(f"fp8 {name}: e4m3 inputs, bf16 O", info.input_dtype == e4m3 and info.dtype == torch.bfloat16,
          f"{info.input_dtype}, {info.dtype}")

    def compare(label, o, lse, expected_o, expected_lse):
        o = o.double()
        if cuda:  # P in e4m3: about 2 % normwise (README), so 5 % here, and no element off by more than 15 % of max|O|
            norm = expected_o.norm().item()
            relative = (o - expected_o).norm().item() / max(norm, 1e-30) if expected_o.numel() else 0.0
            worst = (o - expected_o).abs().max().item() if o.numel() else 0.0
            scale = max(1.0, expected_o.abs().max().item() if o.numel() else 1.0)
            check(f"fp8 forward {label}", relative <= 5e-2 and worst <= 0.15 * scale,
                  f"relative L2 {relative:.2e}, max error {worst:.2e} (scale {scale:.2f})")
        else:
            ok, detail = close(o, expected_o, TOLERANCE[torch.bfloat16])
            check(f"fp8 forward {label}", ok, detail)
        if lse is not None and expected_lse.numel():
            ok, detail = close(lse, expected_lse, 2e-2 if cuda else LSE_TOLERANCE)
            check(f"fp8 lse {label}", ok, detail)

    # quantize_e4m3: x ~ x8 * descale within e4m3's rounding (3 mantissa bits: 2^-4 relative; subnormal step 2^-9).
    x = torch.randn(2, 33, 4, info.head_dim, device=device) * torch.tensor([0.5, 30.0], device=device)[:, None, None, None]
    for heads_kv, layout in ((2, "bshd"), (None, "bshd"), (4, "bhsd")):
        given = x if layout == "bshd" else x.transpose(1, 2).contiguous()
        x8, descale = package.quantize_e4m3(given, heads_kv=heads_kv, layout=layout)
        expected_shape = (2, heads_kv) if heads_kv else (1,)
        back = dequantized(x8, descale, heads_kv, layout)
        exact = to_bhsd(given, layout).double()
        bound = exact.abs() * 2.0 ** -4 + dequantized(torch.ones(x8.shape, device=device), descale, heads_kv, layout) * 2.0 ** -9
        check(f"fp8 quantize_e4m3 heads_kv={heads_kv} {layout} {device}",
              x8.dtype == e4m3 and tuple(x8.shape) == tuple(given.shape) and tuple(descale.shape) == expected_shape
              and bool(((back - exact).abs() <= bound).all()),
              f"{x8.dtype} {tuple(x8.shape)}, descale {tuple(descale.shape)}, worst excess "
              f"{((back - exact).abs() - bound).max().item():.2e}")

    # The generated quantize call (variant=, operand=) gives quantize_e4m3's torch arithmetic bit for bit: the same
    # bytes and factors, rotated or not, per group or per tensor, both layouts; and it refuses what it cannot do.
    for name in ("t_fp8_causal_gqa", "t_fp8_modified"):
        described = package.VARIANTS[name]
        for operand, heads, heads_kv, layout, seed in (("q", 4, 2, "bshd", 77), ("k", 2, 2, "bhsd", 77), ("q", 4, None, "bhsd", None),
                                                        ("v", 2, None, "bshd", None), ("q", 4, 1, "bshd", -5), ("k", 2, 2, "bshd", None)):
            rows = 45 if operand == "q" else 29
            shape = (2, rows, heads, described.head_dim) if layout == "bshd" else (2, heads, rows, described.head_dim)
            given = torch.randn(*shape, device=device)
            given[..., 5] *= 40.0  # an outlier channel
            given = given.to(described.dtype)
            want8, want_descale = package.quantize_e4m3(given, heads_kv=heads_kv, layout=layout, rotation_seed=seed)
            got8, got_descale = package.quantize_e4m3(given, heads_kv=heads_kv, layout=layout, rotation_seed=seed,
                                                      variant=name, operand=operand)
            same = (got8.dtype == e4m3 and got8.shape == want8.shape and torch.equal(got8.view(torch.uint8), want8.view(torch.uint8))
                    and torch.equal(got_descale, want_descale))
            differing = (got8.view(torch.uint8) != want8.view(torch.uint8)).sum().item() if got8.shape == want8.shape else -1
            check(f"fp8 generated quantize {name} {operand} H={heads}/{heads_kv} {layout} seed={seed} {device}", same,
                  f"{differing} of {want8.numel()} bytes differ; factors {got_descale.flatten()[:4].tolist()} against "
                  f"{want_descale.flatten()[:4].tolist()}")
    empty8, empty_descale = package.quantize_e4m3(torch.zeros(2, 0, 4, info.head_dim, device=device, dtype=info.dtype),
                                                  heads_kv=2, variant=name, operand="q")
    check(f"fp8 generated quantize of no rows {device}", empty8.shape == (2, 0, 4, info.head_dim)
          and bool((empty_descale == 1).all()), f"{tuple(empty8.shape)}, {empty_descale.tolist()}")
    expect_error(f"fp8 generated quantize refuses to rotate v {device}", ValueError, ["not rotated"],
                 lambda: package.quantize_e4m3(torch.zeros(1, 3, 2, info.value_head_dim, device=device), variant=name,
                                               operand="v", rotation_seed=1))
    expect_error(f"fp8 generated quantize names the operands {device}", ValueError, ["'q', 'k' or 'v'"],
                 lambda: package.quantize_e4m3(torch.zeros(1, 3, 2, info.head_dim, device=device), variant=name, operand="o"))
    expect_error(f"fp8 generated quantize checks the head dim {device}", ValueError, ["head dim"],
                 lambda: package.quantize_e4m3(torch.zeros(1, 3, 2, 8, device=device), variant=name, operand="k"))
    expect_error(f"fp8 generated quantize needs an fp8 variant {device}", ValueError, ["fp8 inputs"],
                 lambda: package.quantize_e4m3(torch.zeros(1, 3, 2, 8, device=device), variant="t_causal_gqa_bf16", operand="k"))

    # hadamard_rotation is orthogonal (blocks of 128 at D = 128, of 32 at D = 96): dot products and norms kept.
    for width in (128, 96):
        a, b = torch.randn(2, 5, 3, width, device=device), torch.randn(2, 5, 3, width, device=device)
        ra, rb = package.hadamard_rotation(a, 11), package.hadamard_rotation(b, 11)
        error = ((ra * rb).sum(-1) - (a * b).sum(-1)).abs().max().item()
        moved = (ra - a).abs().max().item()
        check(f"fp8 hadamard_rotation D={width} keeps dot products {device}", error < 1e-3 * width and moved > 0.1,
              f"max dot-product change {error:.2e}, max element change {moved:.2f}")

    # Outlier channels (4 of 128, 50x) in q and k: the rotation before quantizing cuts O's error against the float64
    # reference of the unquantized inputs (the paper: 2.6x; README: 4.7-5.2x on the H200).
    q, k, v = (torch.randn(1, 256, heads, info.head_dim, device=device) for heads in (4, 2, 2))
    for t in (q, k):
        t[..., torch.tensor([3, 40, 77, 100], device=device)] *= 50.0
    exact_o, _ = reference(info, to_bhsd(q, "bshd"), to_bhsd(k, "bshd"), to_bhsd(v, "bshd"))
    errors = []
    for seed in (None, 5):
        (q8, qd), (k8, kd) = (package.quantize_e4m3(t, heads_kv=2, rotation_seed=seed) for t in (q, k))
        v8, vd = package.quantize_e4m3(v, heads_kv=2)
        o = function(q8, k8, v8, q_descale=qd, k_descale=kd, v_descale=vd)
        errors.append(((to_bhsd(o, "bshd").double() - exact_o).norm() / exact_o.norm()).item())
    check(f"fp8 outlier channels: the rotation cuts O's error {device}", errors[1] < 0.5 * errors[0],
          f"relative L2 error {errors[0]:.2e} plain, {errors[1]:.2e} rotated ({errors[0] / errors[1]:.1f}x)")

    cases = [  # batch, heads_q, heads_kv, nq, nk, layout, factors
        (2, 4, 2, 70, 70, "bshd", "head"), (1, 4, 2, 1, 1, "bhsd", "tensor"), (2, 4, 4, 33, 90, "bhsd", "none"),
        (1, 4, 2, 90, 33, "bshd", "head"), (1, 4, 1, 129, 200, "bshd", "mixed"), (1, 4, 2, 0, 16, "bshd", "head"),
    ]
    # t_fp8_modified: ALiBi with run-time slopes and a soft cap on the descaled scores, and sinks; t_fp8_alibi: ALiBi
    # alone, which the Hopper kernel adds to the raw scores as a bias (README.md, "Score modifiers").
    for name in ("t_fp8_causal_gqa", "t_fp8_modified", "t_fp8_alibi"):
        info, function = package.VARIANTS[name], getattr(package, name)
        for batch, heads_q, heads_kv, nq, nk, layout, factors in cases:
            label = f"{name} {device} B={batch} H={heads_q}/{heads_kv} Nq={nq} Nk={nk} {layout} factors {factors}"

            def make(heads, rows, spread):
                shape = (batch, rows, heads, info.head_dim) if layout == "bshd" else (batch, heads, rows, info.head_dim)
                return torch.randn(*shape, device=device) * spread
            q, k, v = make(heads_q, nq, 1.5), make(heads_kv, nk, 3.0), make(heads_kv, nk, 0.2)
            if factors == "none":
                quantized = [(t.clamp(-448, 448).to(e4m3), None) for t in (q, k, v)]
            elif factors == "tensor":
                quantized = [package.quantize_e4m3(t, layout=layout) for t in (q, k, v)]
            elif factors == "head":
                quantized = [package.quantize_e4m3(t, heads_kv=heads_kv, layout=layout) for t in (q, k, v)]
            else:  # q per tensor, k per sequence and head, v without factors
                quantized = [package.quantize_e4m3(q, layout=layout),
                             package.quantize_e4m3(k, heads_kv=heads_kv, layout=layout), (v.to(e4m3), None)]
            (q8, qd), (k8, kd), (v8, vd) = quantized
            extra = {}
            parameters, sinks = score_parameters(info, heads_q, device), sink_logits(info, heads_q, device)
            if parameters is not None:
                extra["score_parameters"] = parameters
            if sinks is not None:
                extra["sinks"] = sinks
            o, lse = function(q8, k8, v8, layout=layout, return_lse=True, q_descale=qd, k_descale=kd, v_descale=vd,
                              **extra)
            check(f"fp8 shape and dtype {label}", tuple(o.shape) == tuple(q.shape[:-1]) + (info.value_head_dim,)
                  and o.dtype == torch.bfloat16, f"{tuple(o.shape)} {o.dtype}")
            expected_o, expected_lse = reference(info, dequantized(q8, qd, heads_kv, layout),
                                                 dequantized(k8, kd, heads_kv, layout),
                                                 dequantized(v8, vd, heads_kv, layout), sinks=sinks,
                                                 parameters=parameters)
            compare(label, to_bhsd(o, layout), lse, expected_o, expected_lse)

    # A packed batch with one factor per (sequence, key/value head) for each of q, k and v.
    lengths_q, lengths_k = [40, 0, 1, 17, 9], [33, 5, 7, 60, 0]
    cu_q = torch.tensor([0] + list(itertools.accumulate(lengths_q)), dtype=torch.int32, device=device)
    cu_k = torch.tensor([0] + list(itertools.accumulate(lengths_k)), dtype=torch.int32, device=device)
    sequences, heads_q, heads_kv = len(lengths_q), 4, 2
    for name in ("t_fp8_causal_gqa", "t_fp8_modified", "t_fp8_alibi"):
        info = package.VARIANTS[name]
        q8 = torch.randn(int(cu_q[-1]), heads_q, info.head_dim, device=device).to(e4m3)
        k8 = (torch.randn(int(cu_k[-1]), heads_kv, info.head_dim, device=device) * 2).to(e4m3)
        v8 = torch.randn(int(cu_k[-1]), heads_kv, info.head_dim, device=device).to(e4m3)
        qd, kd, vd = (torch.rand(sequences, heads_kv, device=device) * 1.5 + 0.25 for _ in range(3))
        parameters, sinks = score_parameters(info, heads_q, device), sink_logits(info, heads_q, device)
        extra = {key: value for key, value in (("score_parameters", parameters), ("sinks", sinks)) if value is not None}
        o, lse = package.varlen_attention(q8, k8, v8, cu_q, cu_k, variant=name, return_lse=True, q_descale=qd,
                                          k_descale=kd, v_descale=vd, **extra)
        for b, (nq, nk) in enumerate(zip(lengths_q, lengths_k)):
            rows = slice(int(cu_q[b]), int(cu_q[b + 1]))
            keys = slice(int(cu_k[b]), int(cu_k[b + 1]))
            one = lambda t, d, span: dequantized(t[span].transpose(0, 1)[None], d[b:b + 1], heads_kv, "bhsd")
            expected_o, expected_lse = reference(info, one(q8, qd, rows), one(k8, kd, keys), one(v8, vd, keys),
                                                 sinks=sinks, parameters=parameters)
            compare(f"varlen {name} {device} sequence {b} (nq={nq}, nk={nk})", o[rows].transpose(0, 1)[None],
                    lse[:, rows][None] if nq else None, expected_o, expected_lse)

    name, info, function = "t_fp8_causal_gqa", package.VARIANTS["t_fp8_causal_gqa"], package.t_fp8_causal_gqa
    # opcheck: fake tensors, autograd registration, AOT dispatch (its schema test compares outputs with
    # torch.allclose, which has no float8 kernel in torch).
    forward, _ = package.OPS[name]
    q8, k8, v8 = (torch.randn(2, heads, 37, info.head_dim, device=device).to(e4m3) for heads in (4, 2, 2))
    factors = {"q_descale": torch.full((1,), 0.5, device=device), "k_descale": torch.rand(2, 2, device=device) + 0.5,
               "v_descale": torch.rand(2, 2, device=device) + 0.5}
    try:
        torch.library.opcheck(forward, (q8, k8, v8, None, None, None, None, None, 0, 0, True), factors,
                              test_utils=("test_faketensor", "test_autograd_registration", "test_aot_dispatch_dynamic"))
        check(f"opcheck {name}_forward {device}", True)
    except Exception as error:
        check(f"opcheck {name}_forward {device}", False, f"{type(error).__name__}: {str(error)[:400]}")

    q8, k8 = (torch.randn(1, 8, heads, info.head_dim, device=device).to(e4m3) for heads in (4, 2))
    expect_error(f"fp8 error: bf16 q names the dtype {device}", (TypeError,), ["q", "float8_e4m3fn"],
                 lambda: function(q8.to(torch.bfloat16), k8, k8))
    expect_error(f"fp8 error: descale of the wrong shape {device}", (ValueError,), ["k_descale", "(1, 2)"],
                 lambda: function(q8, k8, k8, k_descale=torch.ones(2, 1, device=device)))
    expect_error(f"fp8 error: float64 descale {device}", (ValueError,), ["v_descale", "float32"],
                 lambda: function(q8, k8, k8, v_descale=torch.ones(1, dtype=torch.float64, device=device)))
    expect_error(f"fp8 error: descale on a 16-bit variant {device}", (TypeError,), ["q_descale"],
                 lambda: package.attention(q8.to(torch.bfloat16), k8.to(torch.bfloat16), k8.to(torch.bfloat16),
                                           variant="t_causal_gqa_bf16", q_descale=torch.ones(1, device=device)))
    expect_error(f"fp8 error: quantize_e4m3 heads_kv not dividing the heads {device}", (ValueError,), ["heads_kv"],
                 lambda: package.quantize_e4m3(q8.float(), heads_kv=3))


def check_build_errors(package):
    """A compiler that cannot be run is reported as AttnGenBuildError naming it (a fresh cache, in a child process)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        environment = dict(os.environ, CC="/nonexistent/cc", ATTNGEN_TORCH_CACHE=cache)
        script = (f"import torch, {package.__name__} as p\n"
                  "x = torch.randn(1, 4, 2, 32)\n"
                  "p.t_window_fp32(x, x, x)\n")
        result = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True)
        check("build error: a missing C compiler raises AttnGenBuildError naming it",
              result.returncode != 0 and "AttnGenBuildError" in result.stderr and "/nonexistent/cc" in result.stderr,
              result.stderr.strip().splitlines()[-1][:160] if result.stderr.strip() else "no error output")


def check_cuda_graph(package):
    name = "t_causal_gqa_bf16"
    info = package.VARIANTS[name]
    function = getattr(package, name)
    q, k, v = inputs(info, 2, 4, 2, 300, 300, "cuda", "bshd")
    expected = function(q, k, v)
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(2):
            function(q, k, v)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        captured = function(q, k, v)
    for t in (q, k, v):
        t.normal_()
    graph.replay()
    torch.cuda.synchronize()
    ok, detail = close(captured, function(q, k, v), 0.0)
    check(f"CUDA graph {name}: replay on new inputs equals an eager call", ok, detail)
    check(f"CUDA graph {name}: and differs from the captured call's result", not torch.equal(captured, expected))


def check_varlen(package, device):
    """varlen_attention: packed sequences of different lengths (an empty one, one of a single row, Nq != Nk per
    sequence, a sequence without keys) against the reference of each sequence alone, with its masks aligned to its own
    lengths; gradients through autograd where the variant has a backward pass; the argument checks."""
    lengths_q, lengths_k = [40, 0, 1, 17, 9], [33, 5, 7, 60, 0]
    cu_q = torch.tensor([0] + list(itertools.accumulate(lengths_q)), dtype=torch.int32, device=device)
    cu_k = torch.tensor([0] + list(itertools.accumulate(lengths_k)), dtype=torch.int32, device=device)
    for name, info in sorted(package.VARIANTS.items()):
        if info.paged or info.dropout_p > 0 or info.input_storage:
            continue  # paged caches take their keys from the page table; dropout: check_dropout; fp8: check_fp8
        heads_q, heads_kv = (info.heads_q, info.heads_kv) if info.heads_q else (4, 2)
        differentiable = info.has_backward
        q = torch.randn(cu_q[-1].item(), heads_q, info.head_dim, dtype=info.dtype, device=device)
        k = torch.randn(cu_k[-1].item(), heads_kv, info.head_dim, dtype=info.dtype, device=device)
        v = torch.randn(cu_k[-1].item(), heads_kv, info.value_head_dim, dtype=info.dtype, device=device)
        for tensor in (q, k, v):
            tensor.requires_grad_(differentiable)
        options = {}
        block_mask = None
        if info.block_sparse:
            block_mask = torch.rand(len(lengths_q), heads_q, -(-max(lengths_q) // info.block_rows),
                                    -(-max(lengths_k) // info.block_columns), device=device) < 0.6
            options["block_mask"] = block_mask
        parameters = score_parameters(info, heads_q, device)
        if parameters is not None:
            options["score_parameters"] = parameters
        sinks = sink_logits(info, heads_q, device)
        if sinks is not None:
            options["sinks"] = sinks
        result = package.varlen_attention(q, k, v, cu_q, cu_k, variant=name, return_lse=info.saves_lse, **options)
        o, lse = result if info.saves_lse else (result, None)
        check(f"varlen {name} {device} shapes", tuple(o.shape) == (q.shape[0], heads_q, info.value_head_dim)
              and (lse is None or tuple(lse.shape) == (heads_q, q.shape[0])), f"o {tuple(o.shape)}")
        grad = torch.randn_like(o) if differentiable else None
        loss_reference = 0.0
        for b, (nq, nk) in enumerate(zip(lengths_q, lengths_k)):
            rows = slice(cu_q[b].item(), cu_q[b + 1].item())
            keys = slice(cu_k[b].item(), cu_k[b + 1].item())
            mask = None
            if block_mask is not None:
                mask = block_mask[b:b + 1, :, :-(-nq // info.block_rows), :-(-nk // info.block_columns)]
            expected, expected_lse = reference(info, q[rows].transpose(0, 1)[None], k[keys].transpose(0, 1)[None],
                                               v[keys].transpose(0, 1)[None], mask, sinks=sinks)
            got = o[rows].transpose(0, 1)[None]
            good, detail = close(got.float(), expected, TOLERANCE[info.dtype])
            if lse is not None and nq > 0:
                good_lse, detail_lse = close(lse[:, rows][None], expected_lse, LSE_TOLERANCE)
                good, detail = good and good_lse, detail + "; lse " + detail_lse
            check(f"varlen {name} {device} sequence {b} (nq={nq}, nk={nk})", good, detail)
            if differentiable and nq > 0:
                loss_reference = loss_reference + (expected * grad[rows].transpose(0, 1)[None].double()).sum()
        if differentiable:
            (o.float() * grad.float()).sum().backward()
            got = [t.grad.clone() for t in (q, k, v)]
            for t in (q, k, v):
                t.grad = None
            loss_reference.backward()
            for label, actual, tensor in zip(("dq", "dk", "dv"), got, (q, k, v)):
                good, detail = close(actual.float(), tensor.grad, GRAD_TOLERANCE[info.dtype])
                check(f"varlen {name} {device} {label}", good, detail)
    bf16 = package.VARIANTS["t_causal_gqa_bf16"]
    q = torch.randn(int(cu_q[-1]), 4, bf16.head_dim, dtype=bf16.dtype, device=device)
    k = torch.randn(int(cu_k[-1]), 2, bf16.head_dim, dtype=bf16.dtype, device=device)
    expect_error(f"varlen prefix sums of different lengths {device}", (ValueError,), ["cu_seqlens_q", "cu_seqlens_k"],
                 lambda: package.varlen_attention(q, k, k, cu_q, cu_k[:-1], variant="t_causal_gqa_bf16"))
    expect_error(f"varlen 4-D q {device}", (ValueError,), ["3-D"],
                 lambda: package.varlen_attention(q[None], k, k, cu_q, cu_k, variant="t_causal_gqa_bf16"))
    expect_error(f"varlen paged variant {device}", (ValueError,), ["page_table"],
                 lambda: package.varlen_attention(q, k, k, cu_q, cu_k, variant="t_paged_bf16"))
    expect_error(f"varlen unknown option {device}", (TypeError,), ["layout"],
                 lambda: package.varlen_attention(q, k, k, cu_q, cu_k, variant="t_causal_gqa_bf16", layout="bhsd"))
    if device == "cpu":
        decreasing = torch.tensor([0, 40, 30, 41, 58, 67], dtype=torch.int32)
        expect_error("varlen decreasing prefix sums (cpu)", (ValueError,), ["cu_seqlens_q", "decrease"],
                     lambda: package.varlen_attention(q, k, k, decreasing, cu_k, variant="t_causal_gqa_bf16"))
        expect_error("varlen a sequence past max_seqlen_q (cpu)", (ValueError,), ["max_seqlen_q"],
                     lambda: package.varlen_attention(q, k, k, cu_q, cu_k, variant="t_causal_gqa_bf16",
                                                      max_seqlen_q=20))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", default="attngen_torch")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="fewer shapes")
    parser.add_argument("--skip-compile", action="store_true")
    options = parser.parse_args()
    seed = int.from_bytes(os.urandom(4), "little")
    torch.manual_seed(seed)
    print(f"torch {torch.__version__}, device {options.device}, seed {seed}", flush=True)
    package = importlib.import_module(options.package)
    if options.device.startswith("cuda"):
        use_cuda_tolerances()
    steps = [("forward and backward", lambda: check_forward_backward(package, options.device, options.quick)),
             ("dropout", lambda: check_dropout(package, options.device)),
             ("deterministic", lambda: check_deterministic(package, options.device)),
             ("errors", lambda: check_errors(package, options.device)),
             ("score parameters", lambda: check_score_parameters(package, options.device)),
             ("sinks", lambda: check_sinks(package, options.device)),
             ("seqlens_k", lambda: check_seqlens_k(package, options.device)),
             ("paged", lambda: check_paged(package, options.device)),
             ("varlen", lambda: check_varlen(package, options.device)),
             ("fp8", lambda: check_fp8(package, options.device)),
             ("opcheck", lambda: check_opcheck(package, options.device)),
             ("tracing", lambda: check_tracing(package, options.device))]
    if options.device == "cpu":
        steps.append(("build errors", lambda: check_build_errors(package)))
    if not options.skip_compile:
        steps.append(("torch.compile", lambda: check_compile(package, options.device)))
    if options.device.startswith("cuda"):
        steps.append(("CUDA graph", lambda: check_cuda_graph(package)))
    for title, step in steps:
        try:
            step()
        except Exception:
            traceback.print_exc()
            check(f"{title}: raised", False)
    print(f"{len(FAILURES)} failing checks" + (": " + ", ".join(FAILURES[:20]) if FAILURES else ""))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
