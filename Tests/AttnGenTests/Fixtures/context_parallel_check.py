"""Checks the context_parallel module of a PyTorch package emitted by `attngen emit torch --spec cp_variants.json`
(ContextParallelTests runs it on CPU in CI; benchmarks/context_parallel/run.sh runs it with --device cuda).

    python context_parallel_check.py --package attngen_torch [--device cpu|cuda] [--processes]

Ring attention over a sequence sharded across R ranks must give the whole sequence's O, LSE and gradients: each
result is compared with an independent float64 reference written here (masks of global positions, GQA by repeating
heads) and with the package's own single call on the whole sequence (the single-device run of the same problem).
The ranks are simulated by LocalRing (threads in this process) for R = 1 ... 4, both shardings, every mask kind the
module takes, both layouts; with --processes also by real processes: a gloo process group on CPU, or NCCL when
there are at least two GPUs. Fresh random inputs each run (the seed is printed). Prints one line per check and
exits 1 when any fails.
"""
import argparse
import importlib
import os
import random
import sys
import tempfile
import traceback

import torch

FAILURES = []


def check(name, condition, detail=""):
    print(f"{'pass' if condition else 'FAIL'}  {name}{'  ' + detail if detail else ''}", flush=True)
    if not condition:
        FAILURES.append(name)


def expect_error(name, kinds, words, function):
    try:
        function()
    except kinds as error:
        message = str(error)
        check(name, all(word in message for word in words), f"{type(error).__name__}: {message[:160]}")
        return
    except Exception as error:  # noqa: BLE001 - the wrong kind of error is a failure
        check(name, False, f"raised {type(error).__name__}: {error}")
        return
    check(name, False, "no error raised")


def relative_error(x, reference):
    x, reference = x.detach().cpu().double(), reference.detach().cpu().double()
    return ((x - reference).norm() / reference.norm().clamp_min(1e-30)).item()


# ---------------------------------------------------------------------------------------------------------------------
# The float64 reference over the whole sequence, masks of global positions written out here

def allowed(kind, n, block_mask, block_rows, block_columns):
    """[*, n, n] bool: which key each query keeps."""
    q = torch.arange(n)[:, None]
    k = torch.arange(n)[None, :]
    if kind == "causal":
        return k <= q
    if kind == "block-sparse":
        expanded = block_mask.bool().repeat_interleave(block_rows, -2).repeat_interleave(block_columns, -1)
        return expanded[..., :n, :n]
    return torch.ones(n, n, dtype=torch.bool)


def reference(q, k, v, scale, kind, block_mask=None, block_rows=0, block_columns=0):
    """O [B, N, Hq, Dv] and LSE [B, Hq, N] from float64 [B, N, H, D] CPU inputs."""
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    groups = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(groups, 1), v.repeat_interleave(groups, 1)
    scores = (q @ k.transpose(-1, -2)) * scale
    keep = allowed(kind, q.shape[2], None if block_mask is None else block_mask.cpu(), block_rows, block_columns)
    scores = scores.masked_fill(~keep, float("-inf"))
    lse = torch.logsumexp(scores, -1)
    weights = torch.exp(scores - torch.where(torch.isinf(lse), torch.zeros_like(lse), lse)[..., None])
    return (weights @ v).transpose(1, 2), lse


def reference_with_grads(q, k, v, grad_o, scale, kind, block_mask=None, block_rows=0, block_columns=0):
    leaves = [t.detach().cpu().double().requires_grad_() for t in (q, k, v)]
    o, lse = reference(*leaves, scale, kind, block_mask, block_rows, block_columns)
    o.backward(grad_o.cpu().double())
    return o.detach(), lse.detach(), [t.grad for t in leaves]


# ---------------------------------------------------------------------------------------------------------------------
# Ring runs

def ring_run(cp, world, sharding, variant, q, k, v, grad_o, layout="bshd", block_mask=None, dense_variant=None,
             autograd=True):
    """Every rank's shard through LocalRing (ring_attention and autograd, or ring_attention_forward and _backward);
    the whole O, LSE, dQ, dK, dV (unsharded in sequence order)."""
    dim = 1 if layout == "bshd" else 2
    ring = cp.LocalRing(world)
    options = dict(variant=variant, layout=layout, sharding=sharding, block_mask=block_mask,
                   dense_variant=dense_variant)

    def rank_body(rank):
        r = rank.rank
        parts = [cp.shard(t, rank=r, world_size=world, dim=dim, sharding=sharding).detach().requires_grad_()
                 for t in (q, k, v)]
        grad_part = cp.shard(grad_o, rank=r, world_size=world, dim=dim, sharding=sharding)
        if autograd:
            o, lse = cp.ring_attention(*parts, group=rank, return_lse=True, **options)
            o.backward(grad_part)
            grads = [t.grad for t in parts]
        else:
            o, lse = cp.ring_attention_forward(*parts, group=rank, **options)
            grads = cp.ring_attention_backward(grad_part, *parts, o, lse, group=rank, **options)
        gathered = [cp.unshard(t.detach(), group=rank, dim=dim, sharding=sharding) for t in [o] + list(grads)]
        return gathered, cp.unshard(lse, group=rank, dim=2, sharding=sharding)

    results = ring.run(rank_body)
    (o, dq, dk, dv), lse = results[0]
    for other, other_lse in results[1:]:  # every rank gathers the same whole
        if not all(torch.equal(a, b) for a, b in zip(other, (o, dq, dk, dv))) or not torch.equal(other_lse, lse):
            raise AssertionError("the ranks gathered different wholes")
    return o, lse, dq, dk, dv


def single_run(package, variant, q, k, v, grad_o, layout="bshd", block_mask=None):
    """The package's own call on the whole sequence: the single-device run of the same problem."""
    leaves = [t.detach().clone().requires_grad_() for t in (q, k, v)]
    function = getattr(package, variant)
    extra = {"block_mask": block_mask} if block_mask is not None else {}
    o, lse = function(*leaves, layout=layout, return_lse=True, **extra)
    o.backward(grad_o)
    return o.detach(), lse.detach(), [t.grad for t in leaves]


def to_bshd(t, layout):
    return t.transpose(1, 2) if layout == "bhsd" else t


def case(package, cp, device, name, variant, world, sharding, batch, n, heads_q, heads_kv, layout="bshd",
         block_mask=None, kind=None, dense_variant=None, autograd=None):
    # LocalRing cannot run CUDA backward passes through autograd (one autograd thread per device): the explicit
    # functions there, autograd on CPU (and for one rank).
    if autograd is None:
        autograd = device == "cpu" or world == 1
    info = package.VARIANTS[variant]
    dtype = info.dtype
    shape = (lambda h, d: (batch, n, h, d)) if layout == "bshd" else (lambda h, d: (batch, h, n, d))
    q = torch.randn(shape(heads_q, info.head_dim), device=device).to(dtype)
    k = torch.randn(shape(heads_kv, info.head_dim), device=device).to(dtype)
    v = torch.randn(shape(heads_kv, info.value_head_dim), device=device).to(dtype)
    grad_o = torch.randn(shape(heads_q, info.value_head_dim), device=device).to(dtype)
    kind = kind or (info.masks[0] if info.masks else "none")
    o, lse, dq, dk, dv = ring_run(cp, world, sharding, variant, q, k, v, grad_o, layout, block_mask, dense_variant,
                                  autograd)
    ref_o, ref_lse, ref_grads = reference_with_grads(
        to_bshd(q, layout), to_bshd(k, layout), to_bshd(v, layout), to_bshd(grad_o, layout), info.scale, kind,
        block_mask, info.block_rows, info.block_columns)
    single_o, single_lse, single_grads = single_run(package, variant, q, k, v, grad_o, layout, block_mask)
    tolerance = 1e-2 if info.storage in ("bf16", "fp16") else (4e-3 if device == "cuda" else 2e-4)  # CUDA fp32: tf32
    finite = torch.isfinite(ref_lse)
    errors = {
        "O": relative_error(to_bshd(o, layout), ref_o),
        "dQ": relative_error(to_bshd(dq, layout), ref_grads[0]),
        "dK": relative_error(to_bshd(dk, layout), ref_grads[1]),
        "dV": relative_error(to_bshd(dv, layout), ref_grads[2]),
    }
    lse_error = (lse.cpu().double()[finite] - ref_lse[finite]).abs().max().item() if finite.any() else 0.0
    masked_rows_ok = bool((lse.cpu()[~finite] == float("-inf")).all()) and bool(
        (to_bshd(o, layout).cpu().transpose(1, 2)[~finite] == 0).all())
    against_single = max(relative_error(o, single_o), relative_error(dq, single_grads[0]),
                         relative_error(dk, single_grads[1]), relative_error(dv, single_grads[2]))
    worst = max(errors.values())
    detail = (f"R={world} {sharding} {layout} {'autograd' if autograd else 'explicit'} B={batch} N={n} H={heads_q}/{heads_kv}: "
              + ", ".join(f"{key} {value:.1e}" for key, value in errors.items())
              + f", LSE {lse_error:.1e}; against the single call {against_single:.1e} (tolerance {tolerance:.0e})")
    check(f"ring {name}", worst < tolerance and lse_error < tolerance and against_single < tolerance
          and masked_rows_ok, detail)


def local_ring_checks(package, cp, device, quick):
    worlds = (1, 2, 4) if quick else (1, 2, 3, 4)
    for variant in ("cp_dense_bf16", "cp_causal_bf16", "cp_dense_fp32", "cp_causal_br_fp32"):
        for world in worlds:
            for sharding in ("zigzag", "contiguous"):
                chunks = 2 * world if sharding == "zigzag" else world
                n = chunks * (12 if device == "cpu" else 48)
                heads = (4, 2) if "bf16" in variant else (3, 3)
                case(package, cp, device, f"{variant} R={world} {sharding}", variant, world, sharding, 2, n, *heads)
    # bhsd, MQA, a chunk of one row, an odd chunk length
    case(package, cp, device, "cp_causal_bf16 bhsd MQA", "cp_causal_bf16", 2, "zigzag", 1, 4 * 13, 4, 1, layout="bhsd")
    case(package, cp, device, "cp_causal_fp32 rows of one token", "cp_causal_br_fp32", 4, "zigzag", 1, 8, 2, 2)
    case(package, cp, device, "cp_dense_bf16 contiguous one row per rank", "cp_dense_bf16", 3, "contiguous", 1, 3, 2, 2)
    case(package, cp, device, "cp_causal_bf16 empty sequence", "cp_causal_bf16", 2, "zigzag", 1, 0, 2, 2)
    # Block-sparse layouts of the whole sequence: random blocks with rows left empty, and a causal block layout.
    info = package.VARIANTS["cp_sparse_fp32"]
    for world, sharding in ((2, "zigzag"), (3, "contiguous"), (4, "zigzag")):
        n = 2 * world * 16 if sharding == "zigzag" else world * 32
        blocks = (n // info.block_rows, n // info.block_columns)
        layout = torch.rand(1, 2, *blocks) < 0.5
        layout[..., 1, :] = False  # a fully masked row of blocks: O = 0, LSE = -inf
        case(package, cp, device, f"cp_sparse_fp32 random layout R={world} {sharding}", "cp_sparse_fp32", world,
             sharding, 1, n, 2, 2, block_mask=layout.to(device))
    n = 64
    causal_blocks = torch.ones(n // 16, n // 16, dtype=torch.bool).tril()
    case(package, cp, device, "cp_sparse_fp32 causal block layout R=2 zigzag", "cp_sparse_fp32", 2, "zigzag", 2, n,
         2, 1, block_mask=causal_blocks.to(device))
    case(package, cp, device, "cp_causal_bf16 with dense_variant named", "cp_causal_bf16", 2, "zigzag", 1, 32, 2, 2,
         dense_variant="cp_dense_bf16")
    case(package, cp, device, "cp_causal_bf16 explicit forward and backward", "cp_causal_bf16", 3, "zigzag", 2, 48,
         4, 2, autograd=False)


def ring_against_single(package, cp, device, variant, world, sharding, extra_name, make_extra):
    """O, dQ, dK, dV of the ring over `world` LocalRing ranks against the package's single call on the whole sequence,
    and with `extra_name` (sinks or score_parameters, from make_extra(heads_q), or None) the gradient of that argument:
    the ranks' shares summed against the single call's backward kernels run on the ring's own O and LSE. That
    gradient is one sum per head over every score, whose terms cancel: against the single call's own (bf16) O, the
    rounding of the two O's alone moved it by up to 1.4e-2 in 2 of 13 runs; from the same O and LSE the two differ
    only in the order of fp32 additions. Autograd on CPU, the explicit passes on CUDA. Returns (errors, tolerance)."""
    info = package.VARIANTS[variant]
    heads_q, heads_kv = 4, 2
    n = (2 * world if sharding == "zigzag" else world) * (12 if device == "cpu" else 48)
    q = torch.randn(2, n, heads_q, info.head_dim, device=device).to(info.dtype)
    k = torch.randn(2, n, heads_kv, info.head_dim, device=device).to(info.dtype)
    v = torch.randn(2, n, heads_kv, info.value_head_dim, device=device).to(info.dtype)
    grad_o = torch.randn(2, n, heads_q, info.value_head_dim, device=device).to(info.dtype)
    extra = make_extra(heads_q)
    autograd = device == "cpu"

    def rank_body(rank):
        r = rank.rank
        parts = [cp.shard(t, rank=r, world_size=world, sharding=sharding).detach().requires_grad_() for t in (q, k, v)]
        grad_part = cp.shard(grad_o, rank=r, world_size=world, sharding=sharding)
        own = extra.clone().requires_grad_(autograd) if extra is not None else None
        options = dict(variant=variant, group=rank, sharding=sharding)
        if own is not None:
            options[extra_name] = own
        if autograd:
            o, lse = cp.ring_attention(*parts, return_lse=True, **options)
            o.backward(grad_part)
            grads = [t.grad for t in parts] + ([own.grad] if own is not None else [])
        else:
            o, lse = cp.ring_attention_forward(*parts, **options)
            grads = list(cp.ring_attention_backward(grad_part, *parts, o, lse, **options))
        whole = [cp.unshard(t.detach(), group=rank, sharding=sharding) for t in [o] + grads[:3]]
        whole.append(cp.unshard(lse.detach(), group=rank, dim=2, sharding=sharding))
        return whole, (grads[3] if own is not None else None)

    results = cp.LocalRing(world).run(rank_body)
    o, dq, dk, dv, lse = results[0][0]
    leaves = [t.detach().clone().requires_grad_() for t in (q, k, v)]
    single_o = getattr(package, variant)(*leaves, **({extra_name: extra} if extra is not None else {}))
    single_o.backward(grad_o)
    errors = {"O": relative_error(o, single_o.detach()), "dQ": relative_error(dq, leaves[0].grad),
              "dK": relative_error(dk, leaves[1].grad), "dV": relative_error(dv, leaves[2].grad)}
    if extra is not None:
        heads_first = [t.transpose(1, 2) for t in (grad_o, q, k, v, o)]
        reference = cp._runtime.run_backward(info, *heads_first, lse, None, 0, 0, True, **{extra_name: extra})
        errors["d" + extra_name] = relative_error(sum(share for _, share in results),
                                                  reference[3] if extra_name == "sinks" else reference[4])
    tolerance = 1e-2 if info.storage in ("bf16", "fp16") else (4e-3 if device == "cuda" else 2e-4)
    return errors, tolerance


def sink_checks(package, cp, device):
    """Attention sinks through the ring: O, dQ, dK, dV and dL/dsinks (the ranks' shares summed) against the
    package's single call on the whole sequence with the same sinks (every fourth head's sink -inf)."""
    def make_sinks(heads_q):
        sinks = -1.0 + 4.0 * torch.rand(heads_q, device=device)
        sinks[3::4] = float("-inf")
        return sinks

    for variant, world, sharding in (("cp_causal_sinks_bf16", 2, "zigzag"), ("cp_causal_sinks_bf16", 3, "contiguous"),
                                     ("cp_dense_sinks_fp32", 2, "zigzag"), ("cp_dense_sinks_fp32", 4, "contiguous")):
        errors, tolerance = ring_against_single(package, cp, device, variant, world, sharding, "sinks", make_sinks)
        check(f"ring with sinks {variant} R={world} {sharding}", max(errors.values()) < tolerance,
              ", ".join(f"{key} {value:.1e}" for key, value in errors.items())
              + f" against the single call (tolerance {tolerance:.0e})")
    x = torch.randn(1, 8, 2, 32, device=device)
    expect_error("refused: a sink variant without sinks", ValueError, ["sinks", "float32"],
                 lambda: cp.ring_attention_forward(x, x, x[..., :16], variant="cp_dense_sinks_fp32",
                                                   group=cp.LocalRing(1).rank(0)))
    expect_error("refused: sinks for a variant without", ValueError, ["sinks", "--sinks"],
                 lambda: cp.ring_attention_forward(x, x, x[..., :16], variant="cp_dense_fp32",
                                                   group=cp.LocalRing(1).rank(0), sinks=torch.zeros(2, device=device)))


def modifier_checks(package, cp, device):
    """Score modifiers of the score, batch and head alone through the ring (a soft cap; an expression of run-time
    arrays, gain[h] and bias[h]): O, dQ, dK, dV and dL/dscore_parameters (the ranks' shares summed) against the
    package's single call on the whole sequence; a modifier of the positions (ALiBi) refused."""
    for variant, world, sharding in (("cp_causal_softcap_fp32", 2, "zigzag"), ("cp_causal_softcap_fp32", 3, "contiguous"),
                                     ("cp_dense_softcap_fp32", 2, "contiguous"), ("cp_causal_gain_bf16", 2, "zigzag"),
                                     ("cp_dense_gain_bf16", 3, "contiguous")):
        arrays = len(package.VARIANTS[variant].score_parameters)
        errors, tolerance = ring_against_single(
            package, cp, device, variant, world, sharding, "score_parameters",
            lambda heads_q: (0.5 + torch.rand(arrays, heads_q, device=device)) if arrays else None)
        check(f"ring with score modifiers {variant} R={world} {sharding}", max(errors.values()) < tolerance,
              ", ".join(f"{key} {value:.1e}" for key, value in errors.items())
              + f" against the single call (tolerance {tolerance:.0e})")
    x = torch.randn(1, 8, 2, 32, device=device)
    one = cp.LocalRing(1).rank(0)
    expect_error("refused: a modifier of the positions (ALiBi)", ValueError, ["read positions", "q, k"],
                 lambda: cp.ring_attention_forward(x, x, x, variant="cp_alibi_fp32", group=one))
    y = torch.randn(1, 8, 2, 64, device=device).to(torch.bfloat16)
    expect_error("refused: a modifier with arrays without score_parameters", ValueError, ["score_parameters"],
                 lambda: cp.ring_attention_forward(y, y, y, variant="cp_dense_gain_bf16", group=one))
    expect_error("refused: score_parameters for a variant without arrays", ValueError, ["score_parameters", "arrays"],
                 lambda: cp.ring_attention_forward(x, x, x[..., :16], variant="cp_dense_softcap_fp32", group=one,
                                                   score_parameters=torch.ones(1, 2, device=device)))
    expect_error("refused: a dense companion with other modifiers", ValueError, ["score modifiers"],
                 lambda: cp.ring_attention_forward(x, x, x[..., :16], variant="cp_causal_softcap_fp32", group=one,
                                                   dense_variant="cp_dense_fp32"))


def refusal_checks(package, cp, device):
    x = torch.randn(1, 8, 2, 32, device=device)
    ring = cp.LocalRing(2)
    rank = ring.rank(0)
    expect_error("refused: window mask", ValueError, ["window", "global positions"],
                 lambda: cp.ring_attention(x, x, x, variant="cp_window_fp32", group=rank))
    expect_error("refused: unknown variant", ValueError, ["unknown variant", "cp_dense_bf16"],
                 lambda: cp.ring_attention(x, x, x, variant="nope", group=rank))
    expect_error("refused: wrong dtype", TypeError, ["dtype"],
                 lambda: cp.ring_attention(x, x, x, variant="cp_dense_bf16", group=rank))
    expect_error("refused: odd rows for zigzag", ValueError, ["equal chunks"],
                 lambda: cp.ring_attention(x[:, :7], x[:, :7], x[:, :7], variant="cp_dense_fp32", group=rank))
    expect_error("refused: block-sparse without a layout", ValueError, ["block_mask"],
                 lambda: cp.ring_attention(x, x, x, variant="cp_sparse_fp32", group=rank))
    y = torch.randn(1, 16, 2, 32, device=device)
    expect_error("refused: chunks not whole blocks", ValueError, ["whole", "blocks"],
                 lambda: cp.ring_attention(y[:, :8], y[:, :8], y[:, :8], variant="cp_sparse_fp32", group=rank,
                                           block_mask=torch.ones(1, 1, dtype=torch.bool, device=device)))
    expect_error("refused: dense_variant of another head dim", ValueError, ["dense_variant"],
                 lambda: cp.ring_attention(x.bfloat16(), x.bfloat16(), x.bfloat16(), variant="cp_causal_bf16",
                                           group=rank, dense_variant="cp_dense_fp32"))
    expect_error("refused: q and k rows differ", ValueError, ["rows"],
                 lambda: cp.ring_attention(x, x[:, :4], x[:, :4], variant="cp_dense_fp32", group=rank))
    expect_error("refused: bad sharding", ValueError, ["sharding"],
                 lambda: cp.shard(x, rank=0, world_size=2, sharding="striped"))
    expect_error("refused: length not a multiple of the chunks", ValueError, ["multiple of 4"],
                 lambda: cp.shard(x[:, :6], rank=0, world_size=2))
    expect_error("refused: no process group", RuntimeError, ["init_process_group"],
                 lambda: cp.ring_attention(x, x, x, variant="cp_dense_fp32"))
    x16 = x[..., :16].contiguous()  # the value head dim of cp_dense_fp32
    if device == "cuda":
        def autograd_on_cuda(rank):
            parts = [cp.shard(t, rank=rank.rank, world_size=2) for t in (x, x, x16)]
            parts = [t.detach().requires_grad_() for t in parts]
            cp.ring_attention(*parts, variant="cp_dense_fp32", group=rank).sum().backward()
        expect_error("refused: LocalRing CUDA backward through autograd", RuntimeError, ["ring_attention_backward"],
                     lambda: cp.LocalRing(2).run(autograd_on_cuda))
    expect_error("refused: explicit backward with a wrong lse", ValueError, ["lse"],
                 lambda: cp.ring_attention_backward(x16, x, x, x16, x16, torch.zeros(1, 2, 7), variant="cp_dense_fp32",
                                                    group=cp.LocalRing(1).rank(0)))
    # shard, unshard and positions agree with each other.
    whole = torch.arange(24).view(1, 24, 1, 1).float()
    pieces = [cp.shard(whole, rank=r, world_size=3) for r in range(3)]
    check("shard/positions: zigzag rows", all(torch.equal(pieces[r].view(-1).long(), cp.positions(24, rank=r, world_size=3))
                                              for r in range(3)), str(cp.positions(24, rank=0, world_size=3).tolist()))
    gathered = cp.LocalRing(3).run(lambda rank: cp.unshard(pieces[rank.rank], group=rank))
    check("unshard inverts shard", all(torch.equal(g, whole) for g in gathered))
    # An error in one rank reaches the caller; the others do not hang.
    expect_error("LocalRing: one rank's error is raised", ValueError, ["boom"],
                 lambda: cp.LocalRing(3).run(lambda rank: (_ for _ in ()).throw(ValueError("boom")) if rank.rank == 1
                                             else rank.start([torch.zeros(1)], "kv").wait()))


# ---------------------------------------------------------------------------------------------------------------------
# Real processes: gloo on CPU, NCCL on two or more GPUs

def process_body(rank, world, backend, init_file, package_name, inputs_path, results_path):
    import torch.distributed as dist

    torch.set_num_threads(1)
    package = importlib.import_module(package_name)
    cp = importlib.import_module(f"{package_name}.context_parallel")
    if backend == "nccl":
        torch.cuda.set_device(rank)
    dist.init_process_group(backend, init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        device = torch.device("cuda", rank) if backend == "nccl" else torch.device("cpu")
        inputs = torch.load(inputs_path)
        results = {}
        for variant, sharding in (("cp_causal_bf16", "zigzag"), ("cp_causal_br_fp32", "contiguous"),
                                  ("cp_dense_bf16", "zigzag")):
            q, k, v, grad_o = (inputs[variant][name].to(device) for name in ("q", "k", "v", "grad_o"))
            parts = [cp.shard(t, rank=rank, world_size=world, sharding=sharding).detach().requires_grad_()
                     for t in (q, k, v)]
            o, lse = cp.ring_attention(*parts, variant=variant, sharding=sharding, return_lse=True)
            o.backward(cp.shard(grad_o, rank=rank, world_size=world, sharding=sharding))
            results[variant] = [cp.unshard(t.detach(), sharding=sharding).cpu()
                                for t in (o, parts[0].grad, parts[1].grad, parts[2].grad)]
            results[variant].append(cp.unshard(lse, dim=2, sharding=sharding).cpu())
        if rank == 0:
            torch.save(results, results_path)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def process_checks(package, cp, package_name, device):
    import torch.multiprocessing as mp

    if device == "cuda":
        if torch.cuda.device_count() < 2:
            print("note  process groups: fewer than two GPUs, NCCL not run (LocalRing checked the schedule)")
            return
        backend, worlds = "nccl", sorted({2, min(4, torch.cuda.device_count())})
    else:
        backend, worlds = "gloo", (2, 3)
    for world in worlds:
        with tempfile.TemporaryDirectory(prefix="attngen-cp-") as folder:
            inputs = {}
            for variant in ("cp_causal_bf16", "cp_causal_br_fp32", "cp_dense_bf16"):
                info = package.VARIANTS[variant]
                n = 2 * world * 10
                heads = (4, 2) if "bf16" in variant else (2, 2)
                inputs[variant] = {
                    "q": torch.randn(2, n, heads[0], info.head_dim).to(info.dtype),
                    "k": torch.randn(2, n, heads[1], info.head_dim).to(info.dtype),
                    "v": torch.randn(2, n, heads[1], info.value_head_dim).to(info.dtype),
                    "grad_o": torch.randn(2, n, heads[0], info.value_head_dim).to(info.dtype),
                }
            inputs_path, results_path = os.path.join(folder, "inputs.pt"), os.path.join(folder, "results.pt")
            torch.save(inputs, inputs_path)
            try:
                mp.spawn(process_body, args=(world, backend, os.path.join(folder, "init"), package_name, inputs_path,
                                             results_path), nprocs=world, join=True)
            except Exception as error:  # noqa: BLE001 - reported as a failing check
                check(f"{backend} process group R={world}", False, f"{type(error).__name__}: {str(error)[-800:]}")
                continue
            results = torch.load(results_path)
            for variant, tensors in inputs.items():
                info = package.VARIANTS[variant]
                o, dq, dk, dv, lse = results[variant]
                single_o, single_lse, grads = single_run(package, variant, tensors["q"], tensors["k"], tensors["v"],
                                                         tensors["grad_o"])
                ref_o, ref_lse, ref_grads = reference_with_grads(
                    tensors["q"], tensors["k"], tensors["v"], tensors["grad_o"], info.scale,
                    info.masks[0] if info.masks else "none")
                tolerance = 1e-2 if info.storage in ("bf16", "fp16") else (4e-3 if device == "cuda" else 2e-4)
                worst = max(relative_error(o, ref_o), relative_error(dq, ref_grads[0]),
                            relative_error(dk, ref_grads[1]), relative_error(dv, ref_grads[2]),
                            (lse.double() - ref_lse).abs().max().item())
                against = max(relative_error(o, single_o), relative_error(dq, grads[0]), relative_error(dk, grads[1]),
                              relative_error(dv, grads[2]))
                check(f"{backend} process group R={world} {variant}", worst < tolerance and against < tolerance,
                      f"worst error against float64 {worst:.1e}, against the single call {against:.1e} "
                      f"(tolerance {tolerance:.0e})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", default="attngen_torch")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--processes", action="store_true", help="also run real process groups (gloo or NCCL)")
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args()
    seed = random.SystemRandom().randrange(1 << 31)
    print(f"seed {seed}")
    torch.manual_seed(seed)
    package = importlib.import_module(arguments.package)
    cp = importlib.import_module(f"{arguments.package}.context_parallel")
    for name, body in (("LocalRing", lambda: local_ring_checks(package, cp, arguments.device, arguments.quick)),
                       ("refusals", lambda: refusal_checks(package, cp, arguments.device)),
                       ("sinks", lambda: sink_checks(package, cp, arguments.device)),
                       ("score modifiers", lambda: modifier_checks(package, cp, arguments.device)),
                       ("processes", lambda: process_checks(package, cp, arguments.package, arguments.device)
                        if arguments.processes else None)):
        try:
            body()
        except Exception:  # noqa: BLE001 - a crash is a failing check, the others still run
            check(f"{name} checks ran", False, traceback.format_exc()[-1500:])
    print(f"\n{len(FAILURES)} failing checks")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
