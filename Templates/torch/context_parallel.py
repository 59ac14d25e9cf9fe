{{banner}}
"""Context parallelism: attention over a sequence sharded across the ranks of a process group (ring attention).

Each rank holds a shard of the sequence: the rows of q, k and v of its tokens. K and V travel around the ring of
ranks (rank r sends to r + 1 and receives from r - 1, through torch.distributed's batched isend/irecv, which NCCL
runs on its own stream while the kernels of the current step run on the current one); each rank runs this
package's kernels on its queries against each shard of keys in turn and merges the partial results by their
log-sum-exp in fp32. The backward pass runs the same ring: dQ accumulates on its rank in fp32, and the fp32 sums
of dK and dV travel with K and V, arriving at their owner after a last hop.

    import torch.distributed as dist
    from {{package}} import context_parallel as cp

    dist.init_process_group("nccl")             # torchrun --nproc_per_node=4 ...
    q = cp.shard(q_full, rank=dist.get_rank(), world_size=dist.get_world_size())   # [B, N/R, Hq, D], zigzag
    k, v = ...                                  # the same rows of k and v
    o = cp.ring_attention(q, k, v, variant="my_causal")  # this rank's rows of O; differentiable in q, k, v
    o_full = cp.unshard(o)                      # all ranks' rows, in sequence order

Sharding. `sharding="zigzag"` (the default) cuts the sequence into 2R chunks and gives rank r chunks r and
2R - 1 - r, so that under a causal mask every rank does the same work; `"contiguous"` gives rank r the r-th of R
chunks. `shard`, `unshard` and `positions` convert between the whole sequence and a rank's rows.

Masks. Every mask is applied to global positions, which the kernels (written for one whole sequence) see through
the split below:
  - no mask: every pair of shards computes everything;
  - causal (either alignment: the pairs are square): the pair on the diagonal runs the causal variant, the pairs
    below it the variant without a mask of the same head dims, storage, heads and scale (found in this package, or
    named with dense_variant=), and the pairs above it are skipped; zigzag halves the off-diagonal pairs;
  - block-sparse: pass the layout of the whole sequence (block_mask [ceil(N/R_b), ceil(N/C_b)] or [B, Hq, ...]);
    each pair reads its rows and columns of it, so any structure the layout holds (causal at block granularity,
    global tokens, ...) is kept. The chunks of the sharding must be whole blocks.
Sliding windows and predicates are refused: their kernels evaluate them on the positions within one call, which
for a pair of shards are not the global ones; so are score modifiers that read positions (q, k, nq or nk: ALiBi's
|q - k|, any expression of them). Score modifiers of the score, the batch and the head alone (a soft cap,
`tanh_approx`, per-head run-time arrays) run in every pair as in one call; pass `score_parameters` (float32
[arrays, Hq]) as to the variant's function, and the backward pass returns this rank's share of its gradient (the
sum over ranks is the whole sequence's, as for sinks). A causal variant's dense companion must have the same score
modifiers. Dropout is refused for the same reason as the masks (its Philox counter is the position within the call). Variants must save the log-sum-exp (--lse); training needs --backward.

Attention sinks (variants generated with --sinks): pass `sinks` (float32 [Hq]) as to the variant's function. Each
row's sink joins its softmax once: in the pair on the diagonal (this rank's queries against its own keys); the other
pairs get -inf sinks (none). The backward pass returns this rank's share of dL/dsinks (its rows' terms); sinks are
replicated across the ranks, so the gradient of the whole sequence is the sum over ranks, which the data-parallel
reduction of replicated parameters forms (or torch.distributed.all_reduce over the group).

Transports. `group` is a torch.distributed process group (default: the world group; NCCL for CUDA tensors, gloo for
CPU tensors), or a rank of a `LocalRing`, which simulates R ranks with threads in one process (for tests, and for
running the schedule on one device without a process group). PyTorch runs the backward functions of every thread
on a CUDA device in one thread of that device, so a LocalRing of CUDA tensors cannot go through autograd's backward
(its ranks would wait for each other there; ring_attention refuses it): call `ring_attention_forward` and
`ring_attention_backward`, the same passes without autograd, in each rank's thread instead.
"""

import queue
import threading

import torch

from . import _runtime
from ._variants import VARIANTS

SHARDINGS = ("zigzag", "contiguous")


# ---------------------------------------------------------------------------------------------------------------------
# Sharding: which global positions a rank holds

def _chunks(sharding, world_size):
    if sharding not in SHARDINGS:
        raise ValueError(f"sharding must be one of {', '.join(SHARDINGS)}, not {sharding!r}")
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, not {world_size!r}")
    return 2 * world_size if sharding == "zigzag" else world_size


def _chunk_order(rank, world_size, sharding):
    """The chunks (of `_chunks` equal ones) rank `rank` holds, in the order its rows hold them."""
    if not isinstance(rank, int) or not 0 <= rank < world_size:
        raise ValueError(f"rank must be an int in 0 ... {world_size - 1}, not {rank!r}")
    return (rank, 2 * world_size - 1 - rank) if sharding == "zigzag" else (rank,)


def positions(length, *, rank, world_size, sharding="zigzag", device=None):
    """The global positions (int64 [length / R]) of rank `rank`'s rows of a sequence of `length` tokens."""
    chunks = _chunks(sharding, world_size)
    if length % chunks != 0:
        raise ValueError(f"a sequence of {length} tokens cannot be sharded {sharding} over {world_size} ranks: "
                         f"the length must be a multiple of {chunks}")
    size = length // chunks
    return torch.cat([torch.arange(c * size, (c + 1) * size, device=device)
                      for c in _chunk_order(rank, world_size, sharding)])


def shard(x, *, rank, world_size, dim=1, sharding="zigzag"):
    """Rank `rank`'s rows of `x` along `dim` (1: the sequence axis of [B, N, H, D]; 2 for [B, H, N, D])."""
    chunks = _chunks(sharding, world_size)
    length = x.shape[dim]
    if length % chunks != 0:
        raise ValueError(f"a sequence of {length} tokens cannot be sharded {sharding} over {world_size} ranks: "
                         f"the length must be a multiple of {chunks}")
    pieces = x.chunk(chunks, dim=dim)
    return torch.cat([pieces[c] for c in _chunk_order(rank, world_size, sharding)], dim=dim)


def unshard(x, *, group=None, dim=1, sharding="zigzag"):
    """The whole sequence from every rank's rows `x` along `dim` (an all-gather over `group`; a LocalRing rank
    gathers from the other threads). Not differentiable."""
    ring = _ring(group)
    pieces = ring.all_gather(x.contiguous())
    world_size = len(pieces)
    chunks = [None] * _chunks(sharding, world_size)
    for rank, piece in enumerate(pieces):
        order = _chunk_order(rank, world_size, sharding)
        for c, part in zip(order, piece.chunk(len(order), dim=dim)):
            chunks[c] = part
    return torch.cat(chunks, dim=dim)


# ---------------------------------------------------------------------------------------------------------------------
# Transports: start an exchange with the ring's neighbours, wait for it later

class _Pending:
    def __init__(self, works, received):
        self._works, self._received = works, received

    def wait(self):
        for work in self._works:
            work.wait()
        return self._received


class _ProcessGroupRing:
    """A ring over a torch.distributed process group: rank r sends to r + 1 and receives from r - 1."""

    def __init__(self, group):
        import torch.distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            raise RuntimeError("context_parallel: torch.distributed is not initialised; call "
                               "torch.distributed.init_process_group first, or pass group=LocalRing(R).rank(r)")
        self._dist, self.group = dist, group
        self.rank, self.world_size = dist.get_rank(group), dist.get_world_size(group)
        global_rank = (lambda r: r) if group is None else (lambda r: dist.get_global_rank(group, r))
        self._next = global_rank((self.rank + 1) % self.world_size)
        self._previous = global_rank((self.rank - 1) % self.world_size)

    def start(self, tensors, channel):
        """Sends `tensors` to the next rank and receives the previous rank's into new buffers. Exchanges of
        different channels may be in flight together; every rank starts them in the same order, which is the order
        in which point-to-point messages between two ranks match."""
        dist = self._dist
        received = [torch.empty_like(t) for t in tensors]
        operations = [dist.P2POp(dist.isend, t, self._next, self.group) for t in tensors]
        operations += [dist.P2POp(dist.irecv, r, self._previous, self.group) for r in received]
        return _Pending(dist.batch_isend_irecv(operations), received)

    def all_gather(self, tensor):
        pieces = [torch.empty_like(tensor) for _ in range(self.world_size)]
        self._dist.all_gather(pieces, tensor, group=self.group)
        return pieces


class LocalRing:
    """R ranks of a ring simulated by threads in one process, with queues for the messages: runs the same schedule
    as a process group would, on one device (tests, and timing the schedule without several GPUs).

        ring = LocalRing(4)
        outputs = ring.run(lambda rank: ring_attention(q[rank], k[rank], v[rank], variant=..., group=rank))
    """

    def __init__(self, world_size):
        if not isinstance(world_size, int) or world_size < 1:
            raise ValueError(f"world_size must be a positive int, not {world_size!r}")
        self.world_size = world_size
        self._inboxes = [{"kv": queue.Queue(), "dkv": queue.Queue()} for _ in range(world_size)]
        self._slots = [None] * world_size
        self._barrier = threading.Barrier(world_size)

    def rank(self, rank):
        """The transport of rank `rank` (pass it as group=)."""
        if not isinstance(rank, int) or not 0 <= rank < self.world_size:
            raise ValueError(f"rank must be an int in 0 ... {self.world_size - 1}, not {rank!r}")
        return _LocalRingRank(self, rank)

    def run(self, function):
        """Calls function(self.rank(r)) for every r in a thread of its own (the ranks wait for each other's
        messages) and returns the results in rank order; re-raises the first error."""
        results, errors = [None] * self.world_size, [None] * self.world_size

        def body(rank):
            try:
                results[rank] = function(self.rank(rank))
            except BaseException as error:  # noqa: BLE001 - handed to the caller below
                errors[rank] = error
                for channels in self._inboxes:  # wake the ranks waiting for this one
                    for inbox in channels.values():
                        inbox.put(error)
                self._barrier.abort()

        threads = [threading.Thread(target=body, args=(rank,), name=f"LocalRing-{rank}")
                   for rank in range(self.world_size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for error in errors:
            if error is not None and not isinstance(error, (_PeerFailed, threading.BrokenBarrierError)):
                raise error
        for error in errors:
            if error is not None:
                raise error
        return results


class _PeerFailed(RuntimeError):
    """Raised in a LocalRing rank whose peer failed (the peer's error is the one reported)."""


def _take(inbox):
    item = inbox.get()
    if isinstance(item, BaseException):
        inbox.put(item)  # keep waking later waits
        raise _PeerFailed(f"another rank failed: {item}")
    return item


class _LocalRingRank:
    def __init__(self, ring, rank):
        self._ring, self.rank, self.world_size = ring, rank, ring.world_size

    def start(self, tensors, channel):
        # Copies, as a send would make: the sender may reuse its tensors once the exchange completes.
        self._ring._inboxes[(self.rank + 1) % self.world_size][channel].put([t.clone() for t in tensors])
        inbox = self._ring._inboxes[self.rank][channel]

        class Pending:
            def wait(self):
                return _take(inbox)

        return Pending()

    def all_gather(self, tensor):
        ring = self._ring
        ring._slots[self.rank] = tensor.clone()
        ring._barrier.wait()  # every rank's piece is in
        pieces = list(ring._slots)
        ring._barrier.wait()  # every rank has read them: the slots may be reused
        return pieces


def _ring(group):
    """The transport of `group`: a process group (None: the world), or any object that has `rank`, `world_size`,
    `start(tensors, channel)` returning an exchange whose `wait()` gives the previous rank's tensors, and
    `all_gather(tensor)` (as a LocalRing rank has)."""
    if all(hasattr(group, name) for name in ("rank", "world_size", "start", "all_gather")):
        return group
    return _ProcessGroupRing(group)


# ---------------------------------------------------------------------------------------------------------------------
# The schedule: which kernel each pair (this rank's queries, the keys of rank `owner`) runs on which rows

class _Pair:
    """One kernel call of a step: `variant` on query rows `rows` against key rows `keys` of the visiting shard."""

    def __init__(self, variant, rows, keys, block_mask=None):
        self.variant, self.rows, self.keys, self.block_mask = variant, rows, keys, block_mask


def _no_sinks(sinks):
    """-inf logits shaped like `sinks` (None without sinks): what the pairs off the diagonal pass, made once a pass."""
    return torch.full_like(sinks, float("-inf")) if sinks is not None else None


def _pair_sinks(pair, owner, rank, sinks, no_sinks):
    """The sinks argument of a pair's call: the real logits on the diagonal pair (every row of the rank is in it),
    `no_sinks` elsewhere for a variant that reads sinks, None for one that does not."""
    if not pair.variant.sinks:
        return None
    return sinks if owner == rank else no_sinks


def _kinds(variant):
    return tuple(variant.masks)


def _shape(variant):
    """What a variant and its dense companion must share: head dims, storage, heads, scale and score modifiers."""
    return (variant.head_dim, variant.value_head_dim, variant.storage, variant.heads_q, variant.heads_kv, variant.scale,
            tuple(variant.score_modifiers), tuple(variant.score_parameters))


def _dense_companion(variant):
    """The variant of this package without a mask that matches `variant` in everything else, or None."""
    for candidate in sorted(VARIANTS.values(), key=lambda v: v.name):
        if (_kinds(candidate) == () and _shape(candidate) == _shape(variant) and candidate.saves_lse
                and candidate.dropout_p == 0 and (candidate.has_backward or not variant.has_backward)):
            return candidate
    return None


def _variant(name, what):
    if isinstance(name, _runtime.Variant):
        return name
    try:
        return VARIANTS[name]
    except (KeyError, TypeError):
        raise ValueError(f"context_parallel: unknown {what} {name!r}; this package holds "
                         f"{', '.join(sorted(VARIANTS))}") from None


class _Schedule:
    """What every step of one rank computes: the variants, the sharding and the block layout, checked once."""

    def __init__(self, variant, dense_variant, rank, world_size, sharding, length, batch, heads_q, block_mask,
                 deterministic):
        variant = _variant(variant, "variant")
        self.batch, self.heads_q = batch, heads_q
        kinds = _kinds(variant)
        refused = [kind for kind in kinds if kind in ("window", "predicate")]
        if refused:
            raise ValueError(f"context_parallel: variant {variant.name} has a {refused[0]} mask, which its kernels "
                             "evaluate on the positions within one call; ring attention needs masks of global "
                             "positions (none, causal, or a block-sparse layout of the whole sequence)")
        if variant.score_modifier_positions:
            raise ValueError(f"context_parallel: variant {variant.name} has score modifiers that read positions (q, k, "
                             "nq or nk), which its kernels evaluate on the positions within one call; ring attention "
                             "needs global positions (modifiers of the score, batch and head alone are supported)")
        if variant.dropout_p > 0:
            raise ValueError(f"context_parallel: variant {variant.name} applies dropout, whose Philox counter is the "
                             "position within one call; ring attention would repeat the mask between pairs of shards")
        if not variant.saves_lse:
            raise ValueError(f"context_parallel: variant {variant.name} does not save the log-sum-exp; the ring merges "
                             "partial results by it (generate the variant with --lse or --backward)")
        if "causal" in kinds and "block-sparse" in kinds:
            raise ValueError(f"context_parallel: variant {variant.name} is both causal and block-sparse; pass a "
                             "block-sparse variant and the causal structure in the global layout")
        self.variant, self.rank, self.world_size, self.sharding = variant, rank, world_size, sharding
        self.causal = "causal" in kinds
        self.deterministic = bool(deterministic)
        _chunks(sharding, world_size)  # refuses an unknown sharding or world size
        if length % len(_chunk_order(rank, world_size, sharding)) != 0:
            raise ValueError(f"context_parallel: a {sharding} shard holds {len(_chunk_order(rank, world_size, sharding))} "
                             f"equal chunks; {length} rows per rank do not split so")
        self.length = length
        self.total = length * world_size
        if self.causal:
            dense = _variant(dense_variant, "dense_variant") if dense_variant is not None else _dense_companion(variant)
            if dense is None:
                raise ValueError(f"context_parallel: the causal variant {variant.name} needs a variant without a "
                                 "mask of the same head dims, storage, heads, scale and score modifiers, saving the "
                                 "log-sum-exp"
                                 + (" and with a backward pass" if variant.has_backward else "")
                                 + f", for the pairs below the diagonal; this package has none (generate one "
                                   "beside it, or name it with dense_variant=)")
            if _kinds(dense) != () or _shape(dense) != _shape(variant):
                raise ValueError(f"context_parallel: dense_variant {dense.name} must have no mask and the head dims, "
                                 f"storage, heads, scale and score modifiers of {variant.name}")
            if not dense.saves_lse or dense.dropout_p > 0:
                raise ValueError(f"context_parallel: dense_variant {dense.name} must save the log-sum-exp and apply "
                                 "no dropout")
            self.dense = dense
        elif dense_variant is not None:
            raise ValueError("context_parallel: dense_variant is for causal variants (the pairs below the diagonal)")
        else:
            self.dense = variant
        self.block_mask = None
        if variant.block_sparse:
            if block_mask is None:
                raise ValueError(f"context_parallel: variant {variant.name} is block-sparse; pass block_mask, the "
                                 "layout of the whole sequence")
            self.block_mask = self._global_layout(block_mask)
            # This rank's rows of blocks, the same at every step.
            self.row_blocks = self._blocks(rank, variant.block_rows).to(self.block_mask.device)
        elif block_mask is not None:
            raise ValueError("context_parallel: block_mask is only for block-sparse variants")

    def _global_layout(self, block_mask):
        variant = self.variant
        size = self.total // _chunks(self.sharding, self.world_size)
        if size % variant.block_rows != 0 or size % variant.block_columns != 0:
            raise ValueError(f"context_parallel: {self.sharding} chunks of {size} tokens are not whole "
                             f"{variant.block_rows}x{variant.block_columns} blocks of {variant.name}; choose a "
                             "sequence length whose chunks are")
        if not isinstance(block_mask, torch.Tensor) or block_mask.dtype not in (torch.bool, torch.uint8):
            raise TypeError("context_parallel: block_mask must be a torch.Tensor of bool or uint8")
        rows, columns = self.total // variant.block_rows, self.total // variant.block_columns
        if block_mask.dim() not in (2, 4) or tuple(block_mask.shape[-2:]) != (rows, columns):
            raise ValueError(f"context_parallel: block_mask must be [{rows}, {columns}] or [B, Hq, {rows}, {columns}] "
                             f"(the blocks of the whole sequence of {self.total} tokens), not {tuple(block_mask.shape)}")
        return block_mask.to(torch.uint8)

    def _blocks(self, owner, block):
        """The indices of the blocks (of `block` tokens) of rank `owner`'s rows, in their order."""
        size = self.total // _chunks(self.sharding, self.world_size)
        per_chunk = size // block
        return torch.cat([torch.arange(c * per_chunk, (c + 1) * per_chunk)
                          for c in _chunk_order(owner, self.world_size, self.sharding)])

    def pair(self, owner):
        """The kernel call of this rank's queries against rank `owner`'s keys, or None when the masks keep nothing."""
        whole = slice(0, self.length)
        if self.block_mask is not None:
            columns = self._blocks(owner, self.variant.block_columns).to(self.block_mask.device)
            layout = self.block_mask.index_select(-2, self.row_blocks).index_select(-1, columns)
            layout = _runtime._check_block_mask(self.variant, layout, self.batch, self.heads_q, self.length,
                                                self.length, layout.device)
            return _Pair(self.variant, whole, whole, layout)
        if not self.causal:
            return _Pair(self.variant, whole, whole)
        if owner == self.rank:
            return _Pair(self.variant, whole, whole)
        if self.sharding == "contiguous":
            return _Pair(self.dense, whole, whole) if owner < self.rank else None
        half = self.length // 2
        if owner < self.rank:  # every query sees the owner's first chunk, none its second
            return _Pair(self.dense, whole, slice(0, half))
        return _Pair(self.dense, slice(half, self.length), whole)  # only the second chunk's queries see the owner


# ---------------------------------------------------------------------------------------------------------------------
# The ring, forward and backward, on [B, H, S, D] views

def _merge(o_total, lse_total, o_part, lse_part):
    """Merges the partial result (o_part, lse_part) into the fp32 running result, in place: O weighted by
    exp(LSE - LSE_merged), rows that kept nothing anywhere staying O = 0, LSE = -inf."""
    top = torch.maximum(lse_total, lse_part)
    top = torch.where(torch.isinf(top) & (top < 0), torch.zeros_like(top), top)
    weight_total = torch.exp(lse_total - top)
    weight_part = torch.exp(lse_part - top)
    total = weight_total + weight_part
    lse_total.copy_(top + torch.log(total))
    scale = 1.0 / torch.where(total > 0, total, torch.ones_like(total))
    o_total.mul_((weight_total * scale).unsqueeze(-1)).add_(o_part.float() * (weight_part * scale).unsqueeze(-1))


def _heads_first(x, layout):
    return x.transpose(1, 2) if layout == "bshd" else x


def _ring_forward(schedule, ring, q, k, v, layout, sinks=None, score_parameters=None):
    """This rank's O (storage dtype, laid out like q) and LSE [B, Hq, S] fp32."""
    qh = _heads_first(q, layout)
    batch, heads, rows = qh.shape[0], qh.shape[1], qh.shape[2]
    o_total = torch.zeros((batch, heads, rows, schedule.variant.value_head_dim), dtype=torch.float32, device=q.device)
    lse_total = torch.full((batch, heads, rows), float("-inf"), dtype=torch.float32, device=q.device)
    no_sinks = _no_sinks(sinks)
    visiting = (k.contiguous(), v.contiguous())
    for step in range(schedule.world_size):
        owner = (schedule.rank - step) % schedule.world_size
        pending = ring.start(list(visiting), "kv") if step + 1 < schedule.world_size else None
        pair = schedule.pair(owner)
        if pair is not None:
            kh, vh = _heads_first(visiting[0], layout), _heads_first(visiting[1], layout)
            o_part, lse_part = _runtime.run_forward(
                pair.variant, qh[:, :, pair.rows], kh[:, :, pair.keys], vh[:, :, pair.keys], pair.block_mask, 0, 0,
                sinks=_pair_sinks(pair, owner, schedule.rank, sinks, no_sinks), score_parameters=score_parameters)
            _merge(o_total[:, :, pair.rows], lse_total[:, :, pair.rows], o_part, lse_part)
        if pending is not None:
            visiting = tuple(pending.wait())
    o = q.new_empty(q.shape[:-1] + (schedule.variant.value_head_dim,))
    _heads_first(o, layout).copy_(o_total)
    return o, lse_total


def _ring_backward(schedule, ring, grad_o, q, k, v, o, lse, layout, sinks=None, score_parameters=None):
    """(dQ, dK, dV) of this rank's rows, in the storage dtype, laid out like q, k and v, and this rank's shares of
    dL/dsinks and of dL/dscore_parameters (None without them)."""
    qh, oh, gh = _heads_first(q, layout), _heads_first(o, layout), _heads_first(grad_o, layout)
    dsinks_total = torch.zeros_like(sinks) if sinks is not None else None
    dparameters_total = torch.zeros_like(score_parameters) if score_parameters is not None else None
    no_sinks = _no_sinks(sinks)
    dq_total = torch.zeros(q.shape, dtype=torch.float32, device=q.device)
    dqh = _heads_first(dq_total, layout)
    visiting = (k.contiguous(), v.contiguous())
    carried = None  # the pending exchange of the fp32 dK, dV sums of the shard visiting next
    for step in range(schedule.world_size):
        owner = (schedule.rank - step) % schedule.world_size
        pending = ring.start(list(visiting), "kv") if step + 1 < schedule.world_size else None
        pair = schedule.pair(owner)
        parts = None
        if pair is not None:
            kh, vh = _heads_first(visiting[0], layout), _heads_first(visiting[1], layout)
            pair_sinks = _pair_sinks(pair, owner, schedule.rank, sinks, no_sinks)
            dq_part, dk_part, dv_part, dsinks_part, dparameters_part = _runtime.run_backward(
                pair.variant, gh[:, :, pair.rows], qh[:, :, pair.rows], kh[:, :, pair.keys], vh[:, :, pair.keys],
                oh[:, :, pair.rows], lse[:, :, pair.rows], pair.block_mask, 0, 0, schedule.deterministic,
                sinks=pair_sinks, score_parameters=score_parameters)
            dqh[:, :, pair.rows] += dq_part
            if pair_sinks is not None:
                dsinks_total += dsinks_part  # only the diagonal pair's is not 0
            if score_parameters is not None:
                dparameters_total += dparameters_part  # every pair's scores
            parts = (dk_part, dv_part)
        if carried is None:
            sums = (torch.zeros(visiting[0].shape, dtype=torch.float32, device=q.device),
                    torch.zeros(visiting[1].shape, dtype=torch.float32, device=q.device))
        else:
            sums = tuple(carried.wait())
        if parts is not None:
            _heads_first(sums[0], layout)[:, :, pair.keys] += parts[0]
            _heads_first(sums[1], layout)[:, :, pair.keys] += parts[1]
        if schedule.world_size > 1:
            carried = ring.start(list(sums), "dkv")  # on to the next rank; after the last step, to the shard's owner
        if pending is not None:
            visiting = tuple(pending.wait())
    if schedule.world_size > 1:
        sums = tuple(carried.wait())
    return dq_total.to(q.dtype), sums[0].to(k.dtype), sums[1].to(v.dtype), dsinks_total, dparameters_total


class _RingAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, sinks, score_parameters, schedule, ring, layout):
        o, lse = _ring_forward(schedule, ring, q, k, v, layout, sinks, score_parameters)
        ctx.save_for_backward(q, k, v, o, lse, sinks, score_parameters)
        ctx.schedule, ctx.ring, ctx.layout = schedule, ring, layout
        ctx.mark_non_differentiable(lse)
        return o, lse

    @staticmethod
    def backward(ctx, grad_o, grad_lse):
        q, k, v, o, lse, sinks, score_parameters = ctx.saved_tensors
        if isinstance(ctx.ring, _LocalRingRank) and q.device.type == "cuda" and ctx.ring.world_size > 1:
            # PyTorch runs the backward functions of all threads' graphs on a CUDA device in one worker thread of
            # that device; a rank waiting there for another rank's message would wait forever.
            raise RuntimeError("context_parallel: a LocalRing of CUDA tensors cannot run the backward pass through "
                               "autograd (PyTorch runs every thread's CUDA backward on one thread per device, where "
                               "the ranks would wait for each other); call ring_attention_backward in each rank's "
                               "thread, or use a process group")
        if grad_o.stride(-1) != 1:
            grad_o = grad_o.contiguous()
        dq, dk, dv, dsinks, dparameters = _ring_backward(ctx.schedule, ctx.ring, grad_o, q, k, v, o, lse, ctx.layout,
                                                         sinks, score_parameters)
        return dq, dk, dv, dsinks, dparameters, None, None, None


def _prepare(q, k, v, variant, group, layout, sharding, block_mask, dense_variant, deterministic, sinks=None,
             score_parameters=None):
    """The transport and the checked schedule of a call; errors name the argument at fault."""
    ring = _ring(group)
    if layout not in ("bshd", "bhsd"):
        raise ValueError(f"context_parallel: layout must be 'bshd' or 'bhsd', not {layout!r}")
    for name, tensor in (("q", q), ("k", k), ("v", v)):
        if not isinstance(tensor, torch.Tensor) or tensor.dim() != 4:
            raise ValueError(f"context_parallel: {name} must be a 4-dimensional torch.Tensor")
    rows = q.shape[1] if layout == "bshd" else q.shape[2]
    key_rows = k.shape[1] if layout == "bshd" else k.shape[2]
    if key_rows != rows:
        raise ValueError(f"context_parallel: q has {rows} rows and k {key_rows}; every rank holds the same rows of "
                         "q, k and v")
    heads_q = q.shape[2] if layout == "bshd" else q.shape[1]
    heads_kv = k.shape[2] if layout == "bshd" else k.shape[1]
    schedule = _Schedule(variant, dense_variant, ring.rank, ring.world_size, sharding, rows, q.shape[0], heads_q,
                         block_mask, deterministic)
    # The variant's function checks dtypes, shapes and heads (on this rank's whole shard, a call it could make).
    probe = schedule.variant
    for name, tensor, last in (("q", q, probe.head_dim), ("k", k, probe.head_dim), ("v", v, probe.value_head_dim)):
        _runtime._check_tensor(probe, name, tensor, last, q.device)
    if probe.heads_q is not None and (heads_q, heads_kv) != (probe.heads_q, probe.heads_kv):
        raise ValueError(f"context_parallel: variant {probe.name} was generated for {probe.heads_q} query and "
                         f"{probe.heads_kv} key/value heads; got {heads_q} and {heads_kv}")
    if heads_kv == 0 or heads_q % heads_kv != 0:
        raise ValueError(f"context_parallel: the query heads ({heads_q}) must be a multiple of the key/value heads "
                         f"({heads_kv})")
    if (tuple(v.shape[:3]) != tuple(k.shape[:3])) or q.shape[0] != k.shape[0]:
        raise ValueError("context_parallel: q, k and v must have the same batch, and k and v the same rows and heads")
    if probe.sinks:
        sinks = _runtime._check_sinks(probe, sinks, heads_q, q.device)
    elif sinks is not None:
        raise ValueError(f"context_parallel: sinks is only for variants generated with attention sinks (--sinks)")
    if probe.score_parameters:
        score_parameters = _runtime._check_score_parameters(probe, score_parameters, heads_q, q.device)
    elif score_parameters is not None:
        raise ValueError("context_parallel: score_parameters is only for variants whose score modifiers read run-time "
                         "arrays (name[h] in --score-mod)")
    return ring, schedule, sinks, score_parameters


def _check_backward(schedule):
    if not (schedule.variant.has_backward and schedule.dense.has_backward):
        raise RuntimeError(f"context_parallel: an input requires grad but variant {schedule.variant.name} was "
                           "generated without a backward pass (--backward)")


def ring_attention(q, k, v, *, variant, group=None, layout="bshd", sharding="zigzag", block_mask=None,
                   dense_variant=None, return_lse=False, deterministic=True, sinks=None, score_parameters=None):
    """Attention of this rank's queries over the whole sharded sequence: this rank's rows of O (and LSE).

    q [B, S, Hq, D], k [B, S, Hkv, D], v [B, S, Hkv, Dv] (layout="bshd"; "bhsd" swaps S and H): this rank's S rows
    of the sequence, sharded as `sharding` says (see `shard`), the same S on every rank. `variant` names a variant
    of this package (no mask, causal, or block-sparse; saving the log-sum-exp); `group` a torch.distributed process
    group (default: the world) or a LocalRing rank. Differentiable in q, k and v when the variants have a backward
    pass: the backward pass runs the ring again (`deterministic` as in the variant's function: the ring's own sums
    are always in rank order). Returns O in q's layout, and with return_lse=True also LSE [B, Hq, S] fp32 (natural
    log, the whole sequence's). `sinks`: the variant's sink logits (float32 [Hq], required by variants with sinks,
    differentiable: this rank's share of their gradient; see the module's notes). `score_parameters`: the run-time
    arrays of the variant's score modifiers (float32 [arrays, Hq], required by variants that read them,
    differentiable likewise).
    """
    ring, schedule, sinks, score_parameters = _prepare(q, k, v, variant, group, layout, sharding, block_mask,
                                                       dense_variant, deterministic, sinks, score_parameters)
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (q, k, v, sinks, score_parameters)):
        _check_backward(schedule)
    o, lse = _RingAttention.apply(q, k, v, sinks, score_parameters, schedule, ring, layout)
    return (o, lse) if return_lse else o


def ring_attention_forward(q, k, v, *, variant, group=None, layout="bshd", sharding="zigzag", block_mask=None,
                           dense_variant=None, sinks=None, score_parameters=None):
    """The forward pass of ring_attention without autograd: (O, LSE) of this rank's rows, as ring_attention's
    arguments say. With ring_attention_backward, for callers that keep their own graph (or a LocalRing of CUDA
    tensors, whose backward autograd cannot run)."""
    ring, schedule, sinks, score_parameters = _prepare(q, k, v, variant, group, layout, sharding, block_mask,
                                                       dense_variant, True, sinks, score_parameters)
    with torch.no_grad():
        return _ring_forward(schedule, ring, q, k, v, layout, sinks, score_parameters)


def ring_attention_backward(grad_o, q, k, v, o, lse, *, variant, group=None, layout="bshd", sharding="zigzag",
                            block_mask=None, dense_variant=None, deterministic=True, sinks=None,
                            score_parameters=None):
    """The backward pass of ring_attention without autograd: (dQ, dK, dV) of this rank's rows from the gradient of
    its O and the (O, LSE) ring_attention_forward returned, with the same arguments (every rank calls it), followed
    by this rank's share of dL/dsinks for a variant with sinks and of dL/dscore_parameters for one with run-time
    arrays."""
    ring, schedule, sinks, score_parameters = _prepare(q, k, v, variant, group, layout, sharding, block_mask,
                                                       dense_variant, deterministic, sinks, score_parameters)
    _check_backward(schedule)
    expected = q.shape[:-1] + (schedule.variant.value_head_dim,)
    if not isinstance(grad_o, torch.Tensor) or tuple(grad_o.shape) != tuple(expected) or grad_o.dtype != q.dtype:
        raise ValueError(f"context_parallel: grad_o must be a {q.dtype} tensor of shape {tuple(expected)}")
    if not isinstance(o, torch.Tensor) or tuple(o.shape) != tuple(expected):
        raise ValueError(f"context_parallel: o must be the O of ring_attention_forward, shape {tuple(expected)}")
    heads_q = q.shape[2] if layout == "bshd" else q.shape[1]
    rows = q.shape[1] if layout == "bshd" else q.shape[2]
    if (not isinstance(lse, torch.Tensor) or lse.dtype != torch.float32
            or tuple(lse.shape) != (q.shape[0], heads_q, rows)):
        raise ValueError(f"context_parallel: lse must be the fp32 LSE of ring_attention_forward, shape "
                         f"{(q.shape[0], heads_q, rows)}")
    if grad_o.stride(-1) != 1:
        grad_o = grad_o.contiguous()
    with torch.no_grad():
        dq, dk, dv, dsinks, dparameters = _ring_backward(schedule, ring, grad_o, q, k, v, o, lse, layout, sinks,
                                                         score_parameters)
    return (dq, dk, dv) + tuple(t for t in (dsinks, dparameters) if t is not None)
