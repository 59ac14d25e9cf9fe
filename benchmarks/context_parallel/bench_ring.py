"""Weak scaling of ring attention (the generated package's context_parallel module): forward + backward with a fixed
number of tokens per GPU, against the same variant on one GPU.

    python bench_ring.py --single                  # one GPU: the variant on T tokens, and SDPA (cuDNN, flash)
    python bench_ring.py --simulate 2,4            # R ranks as threads on one GPU (LocalRing): the schedule's
                                                   # compute without communication, all ranks' work in series
    torchrun --nproc_per_node=R bench_ring.py      # R GPUs, NCCL: the step, communication alone, compute alone

Shapes: batch --batch, --heads query heads on --kv-heads key/value heads of --head-dim, bf16, --tokens tokens per
GPU (the whole sequence holds R times as many), causal (zigzag sharding) unless --dense. TFLOP/s per GPU count the
whole sequence's attention FLOPs (forward 4·B·H·N²·d, halved when causal; forward + backward 3.5 times that)
divided by R and by the time. With --simulate the R ranks run one after another on one GPU, so the time is R times
a rank's compute and the rate is what R GPUs would reach per GPU if the communication were hidden completely; the
real run reports the communication alone (the ring's exchanges without kernels), the compute alone (the kernels
with the exchanges replaced by local copies) and the part of the communication the step hid:
(compute + communication - step) / communication. Medians of --repeats timed steps after two untimed ones.
Prints a markdown table; --json FILE also writes the rows.
"""
import argparse
import importlib
import json
import os
import statistics
import time

import torch


def flops(arguments, tokens):
    forward = 4.0 * arguments.batch * arguments.heads * tokens * tokens * arguments.head_dim
    return 3.5 * forward * (1.0 if arguments.dense else 0.5)


def tensors(arguments, tokens, device, generator_seed):
    generator = torch.Generator(device=device).manual_seed(generator_seed)

    def make(heads):
        return torch.randn(arguments.batch, tokens, heads, arguments.head_dim, device=device, generator=generator,
                           dtype=torch.bfloat16)

    return make(arguments.heads), make(arguments.kv_heads), make(arguments.kv_heads), make(arguments.heads)


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(function, repeats, device):
    """Median seconds of `function()` over `repeats` calls after two untimed ones."""
    for _ in range(2):
        function()
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        function()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def step_function(attention, q, k, v, grad_o):
    leaves = [t.detach().requires_grad_() for t in (q, k, v)]

    def step():
        o = attention(*leaves)
        o.backward(grad_o)
        for leaf in leaves:
            leaf.grad = None

    return step


def whole_tokens(arguments, world):
    """Tokens of the whole sequence with `world` ranks: --sequence (strong scaling), else --tokens per rank."""
    return arguments.sequence if arguments.sequence else arguments.tokens * world


def single(arguments, package, device):
    rows = []
    tokens = whole_tokens(arguments, 1)
    q, k, v, grad_o = tensors(arguments, tokens, device, 0)
    function = getattr(package, arguments.variant)
    seconds = timed(step_function(lambda *t: function(*t), q, k, v, grad_o), arguments.repeats, device)
    rows.append(("attngen, 1 GPU", 1, seconds, flops(arguments, tokens) / seconds / 1e12, "", "", ""))
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    groups = arguments.heads // arguments.kv_heads
    for name, backend in (("SDPA cuDNN", SDPBackend.CUDNN_ATTENTION), ("SDPA flash", SDPBackend.FLASH_ATTENTION)):
        def sdpa(q, k, v, backend=backend):
            with sdpa_kernel(backend):
                return F.scaled_dot_product_attention(
                    q.transpose(1, 2), k.repeat_interleave(groups, 2).transpose(1, 2),
                    v.repeat_interleave(groups, 2).transpose(1, 2), is_causal=not arguments.dense).transpose(1, 2)
        try:
            seconds = timed(step_function(sdpa, q, k, v, grad_o), arguments.repeats, device)
            rows.append((f"{name}, 1 GPU", 1, seconds, flops(arguments, tokens) / seconds / 1e12, "", "", ""))
        except RuntimeError as error:
            rows.append((f"{name}, 1 GPU", 1, float("nan"), float("nan"), "", "", f"failed: {str(error)[:80]}"))
    return rows


def simulate(arguments, package, cp, device, world):
    tokens = whole_tokens(arguments, world)
    q, k, v, grad_o = tensors(arguments, tokens, device, 0)
    shards = [[cp.shard(t, rank=r, world_size=world) for t in (q, k, v, grad_o)] for r in range(world)]
    del q, k, v, grad_o
    ring = cp.LocalRing(world)

    def rank_step(transport):  # explicit forward and backward: autograd runs CUDA backward passes on one thread
        q, k, v, grad_o = shards[transport.rank]
        o, lse = cp.ring_attention_forward(q, k, v, variant=arguments.variant, group=transport)
        cp.ring_attention_backward(grad_o, q, k, v, o, lse, variant=arguments.variant, group=transport)

    seconds = timed(lambda: ring.run(rank_step), arguments.repeats, device)
    # R ranks' work in series on one GPU: per GPU, the rate of the whole.
    return [(f"ring, {world} ranks simulated on 1 GPU", world, seconds / world,
             flops(arguments, tokens) / seconds / 1e12, "", "", "compute only, in series")]


class LocalCopies:
    """A transport without communication: every exchange returns this rank's own tensors (the kernels see the
    wrong shards, which does not change their time): the compute of a step alone."""

    def __init__(self, rank, world_size):
        self.rank, self.world_size = rank, world_size

    def start(self, tensors, channel):
        class Done:
            def wait(self):
                return tensors

        return Done()

    def all_gather(self, tensor):
        return [tensor] * self.world_size


def distributed(arguments, package, cp, device):
    import torch.distributed as dist

    rank, world = dist.get_rank(), dist.get_world_size()
    tokens = whole_tokens(arguments, world)
    q, k, v, grad_o = tensors(arguments, tokens // world, device, 1 + rank)

    def slowest(seconds):
        value = torch.tensor([seconds], device=device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return value.item()

    def synchronised(function):
        def run():
            dist.barrier()
            function()
        return run

    step = step_function(lambda *t: cp.ring_attention(*t, variant=arguments.variant), q, k, v, grad_o)
    total = slowest(timed(synchronised(step), arguments.repeats, device))
    copies = LocalCopies(rank, world)
    compute_step = step_function(lambda *t: cp.ring_attention(*t, variant=arguments.variant, group=copies),
                                 q, k, v, grad_o)
    compute = slowest(timed(synchronised(compute_step), arguments.repeats, device))
    ring = cp._ring(None)
    kv = [k.contiguous(), v.contiguous()]
    sums = [torch.zeros(k.shape, dtype=torch.float32, device=device),
            torch.zeros(v.shape, dtype=torch.float32, device=device)]

    def exchanges():  # the ring's messages of one forward and backward, each step's waited before the next
        for _ in range(world - 1):
            ring.start(kv, "kv").wait()
        for index in range(world):
            pending = [ring.start(kv, "kv")] if index + 1 < world else []
            pending.append(ring.start(sums, "dkv"))
            for exchange in pending:
                exchange.wait()

    communication = slowest(timed(synchronised(exchanges), arguments.repeats, device))
    hidden = (compute + communication - total) / communication if communication > 0 else float("nan")
    return [(f"ring, {world} GPUs ({dist.get_backend()})", world, total, flops(arguments, tokens) / world / total / 1e12,
             f"{communication * 1e3:.1f}", f"{compute * 1e3:.1f}", f"{100 * hidden:.0f} % hidden")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", default="attngen_torch")
    parser.add_argument("--variant", default=None, help="default: cpb_causal_d128_bf16 (cpb_dense_d128_bf16 with --dense)")
    parser.add_argument("--dense", action="store_true", help="no mask (default: causal)")
    parser.add_argument("--tokens", type=int, default=32768, help="tokens per GPU (weak scaling)")
    parser.add_argument("--sequence", type=int, default=0,
                        help="tokens of the whole sequence, split over the GPUs (strong scaling; overrides --tokens)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--heads", type=int, default=32)
    parser.add_argument("--kv-heads", type=int, default=8)
    parser.add_argument("--head-dim", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--single", action="store_true")
    parser.add_argument("--simulate", default="", help="comma-separated rank counts to simulate with threads")
    parser.add_argument("--json", default=None)
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"),
                        help="cpu: the C kernels (gloo under torchrun), to try the script without a GPU")
    arguments = parser.parse_args()
    if arguments.variant is None:
        arguments.variant = f"cpb_{'dense' if arguments.dense else 'causal'}_d{arguments.head_dim}_bf16"
    package = importlib.import_module(arguments.package)
    cp = importlib.import_module(f"{arguments.package}.context_parallel")
    rows = []
    is_distributed = "WORLD_SIZE" in os.environ
    if is_distributed:
        import torch.distributed as dist

        local = int(os.environ.get("LOCAL_RANK", 0))
        if arguments.device == "cuda":
            torch.cuda.set_device(local)
            device = torch.device("cuda", local)
        else:
            device = torch.device("cpu")
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        rows += distributed(arguments, package, cp, device)
        leader = dist.get_rank() == 0
    else:
        device = torch.device(arguments.device)
        leader = True
        if arguments.single:
            rows += single(arguments, package, device)
        for world in [int(x) for x in arguments.simulate.split(",") if x]:
            rows += simulate(arguments, package, cp, device, world)
    if leader:
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
        print(f"{name}; {arguments.variant}; B={arguments.batch}, "
              f"H={arguments.heads}/{arguments.kv_heads}, d={arguments.head_dim}, "
              f"{f'{arguments.sequence} tokens in all' if arguments.sequence else f'{arguments.tokens} tokens per GPU'}, "
              f"{'dense' if arguments.dense else 'causal, zigzag'}; forward + backward")
        print("| run | GPUs | ms per step | TFLOP/s per GPU | communication alone (ms) | compute alone (ms) | note |")
        print("|---|---|---|---|---|---|---|")
        for name, world, seconds, rate, communication, compute, note in rows:
            print(f"| {name} | {world} | {seconds * 1e3:.1f} | {rate:.0f} | {communication} | {compute} | {note} |")
        if arguments.json:
            with open(arguments.json, "w") as handle:
                json.dump({"arguments": vars(arguments), "rows": rows}, handle, indent=1)
    if is_distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
