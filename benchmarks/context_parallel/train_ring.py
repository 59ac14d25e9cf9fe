"""Trains a small causal transformer on one long sequence split across ranks with ring attention (the generated
package's context_parallel module), and with --check also on one device from the same seed and data, and compares
the loss curves.

    torchrun --nproc_per_node=2 benchmarks/context_parallel/train_ring.py --check      # NCCL, one GPU per rank
    torchrun --nproc_per_node=4 benchmarks/context_parallel/train_ring.py --length 131072
    torchrun --nproc_per_node=2 benchmarks/context_parallel/train_ring.py --device cpu  # gloo, the C kernels
    python benchmarks/context_parallel/train_ring.py --simulate 4 --device cpu --check  # ranks as threads

The task needs the long context: each sequence is a random prefix of `--length / 2` tokens followed by the same
tokens again, so the second half is predictable only by attending across the shards. Each rank embeds its tokens
at their global positions (context_parallel.positions), runs the blocks with ring attention, and its loss is the
sum over its tokens divided by all tokens; gradients are summed over the ranks (all_reduce, or the threads'
shared parameters). Prints the loss per step and the step time; with --check, PASS when the ring's curve stays
within `--tolerance` of the one-device curve (bf16 rounding differs between the two), FAIL otherwise (exit 1).
The package (PYTHONPATH) must hold the --variant, causal, and its dense companion (bash prepare.sh beside this).
"""
import argparse
import copy
import importlib
import os
import sys
import time

import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, width, heads, kv_heads, attention):
        super().__init__()
        self.heads, self.kv_heads, self.attention = heads, kv_heads, attention
        head_dim = width // heads
        self.norm1, self.norm2 = torch.nn.LayerNorm(width), torch.nn.LayerNorm(width)
        self.q = torch.nn.Linear(width, width)
        self.kv = torch.nn.Linear(width, 2 * kv_heads * head_dim)
        self.proj = torch.nn.Linear(width, width)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(width, 4 * width), torch.nn.GELU(), torch.nn.Linear(4 * width, width))

    def forward(self, x):
        batch, length, width = x.shape
        h = self.norm1(x)
        q = self.q(h).view(batch, length, self.heads, -1)
        k, v = self.kv(h).view(batch, length, 2, self.kv_heads, -1).unbind(2)
        x = x + self.proj(self.attention(q, k, v).reshape(batch, length, width))
        return x + self.mlp(self.norm2(x))


class TinyGPT(torch.nn.Module):
    def __init__(self, vocabulary, width, heads, kv_heads, layers, length, dtype):
        super().__init__()
        self.embed, self.position = torch.nn.Embedding(vocabulary, width), torch.nn.Embedding(length, width)
        self.blocks = torch.nn.ModuleList(Block(width, heads, kv_heads, None) for _ in range(layers))
        self.head = torch.nn.Linear(width, vocabulary)
        self.dtype = dtype

    def forward(self, tokens, positions, attention):
        x = self.embed(tokens) + self.position(positions)
        with torch.autocast(tokens.device.type, dtype=self.dtype):
            for block in self.blocks:
                block.attention = attention
                x = block(x)
            return self.head(x).float()


def data(step, arguments, device):
    """Step `step`'s batch: tokens [B, N] and next-token targets [B, N] (-100 at the last position)."""
    generator = torch.Generator().manual_seed(1000 + step)
    half = arguments.length // 2
    prefix = torch.randint(0, arguments.vocabulary, (arguments.batch, half), generator=generator)
    tokens = torch.cat([prefix, prefix], dim=1)
    targets = torch.cat([tokens[:, 1:], torch.full((arguments.batch, 1), -100)], dim=1)
    return tokens.to(device), targets.to(device)


def initial_model(arguments):
    """The model every run starts from (made once: threads must not share the global generator while seeding)."""
    package = importlib.import_module(arguments.package)
    torch.manual_seed(arguments.seed)
    return TinyGPT(arguments.vocabulary, arguments.width, arguments.heads, arguments.kv_heads, arguments.layers,
                   arguments.length, package.VARIANTS[arguments.variant].dtype)


def train(arguments, device, rank, world_size, initial, attention, sum_gradients):
    """The loss curve and step times of one rank (world_size 1 and attention = the plain function: one device)."""
    cp = importlib.import_module(f"{arguments.package}.context_parallel")
    model = copy.deepcopy(initial).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=arguments.lr)
    positions = cp.positions(arguments.length, rank=rank, world_size=world_size, device=device)
    losses, times = [], []
    for step in range(arguments.steps):
        start = time.perf_counter()
        tokens, targets = data(step, arguments, device)
        if world_size > 1:
            tokens = cp.shard(tokens, rank=rank, world_size=world_size)
            targets = cp.shard(targets, rank=rank, world_size=world_size)
        logits = model(tokens, positions, attention)
        total = arguments.batch * (arguments.length - 1)  # the targets of the whole sequence
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100, reduction="sum") / total
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        sum_gradients(model, loss)
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
        losses.append(float(loss.detach()))
    return losses, times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", default="attngen_torch")
    parser.add_argument("--variant", default="cpb_causal_d64_bf16", help="a causal variant saving the LSE, with --backward")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--simulate", type=int, default=0, help="R ranks as threads on one device (LocalRing)")
    parser.add_argument("--length", type=int, default=16384, help="tokens per sequence (all ranks together)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--vocabulary", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="also train on one device and compare the curves")
    parser.add_argument("--tolerance", type=float, default=0.05, help="largest |loss difference| allowed by --check")
    arguments = parser.parse_args()
    package = importlib.import_module(arguments.package)
    cp = importlib.import_module(f"{arguments.package}.context_parallel")

    distributed = "WORLD_SIZE" in os.environ and arguments.simulate == 0
    if distributed:
        import torch.distributed as dist

        rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        if arguments.device == "cuda":
            local = int(os.environ.get("LOCAL_RANK", rank))
            torch.cuda.set_device(local)
            device = torch.device("cuda", local)
        else:
            device = torch.device("cpu")
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

        def attention(q, k, v):
            return cp.ring_attention(q, k, v, variant=arguments.variant)

        def sum_gradients(model, loss):
            for parameter in model.parameters():
                dist.all_reduce(parameter.grad)

        curves = [train(arguments, device, rank, world_size, initial_model(arguments), attention, sum_gradients)]
    else:
        rank, world_size = 0, max(1, arguments.simulate)
        device = torch.device(arguments.device)
        if device.type == "cuda" and world_size > 1:
            parser.error("--simulate trains through autograd, which runs every thread's CUDA backward pass on one "
                         "thread per device (the ranks would wait for each other there): use --device cpu, or "
                         "torchrun with one GPU per rank")
        ring = cp.LocalRing(world_size)
        initial = initial_model(arguments)

        def run_rank(transport):
            def attention(q, k, v):
                return cp.ring_attention(q, k, v, variant=arguments.variant, group=transport)

            # Threads share nothing but the ring: each trains its own replica from the same seed, and the
            # gradients are summed through the ring's all-gather, like all_reduce.
            def sum_gradients(model, loss):
                for parameter in model.parameters():
                    parameter.grad = sum(transport.all_gather(parameter.grad))

            return train(arguments, device, transport.rank, world_size, initial, attention, sum_gradients)

        curves = ring.run(run_rank)
    losses, times = curves[0]
    # the losses of one rank are its share; the whole loss is their sum over the ranks
    if distributed:
        whole = torch.tensor(losses, dtype=torch.float64, device=device)
        dist.all_reduce(whole)
        losses = whole.tolist()
    else:
        losses = [sum(curve[0][step] for curve in curves) for step in range(arguments.steps)]
    status = 0
    if rank == 0:
        label = f"{world_size} ranks" + (" (threads on one device)" if not distributed and world_size > 1 else "")
        print(f"ring attention, {label}, {arguments.length} tokens per sequence, variant {arguments.variant}")
        steady = sorted(times[1:]) or times
        print(f"step time (median after the first): {steady[len(steady) // 2] * 1000:.1f} ms")
        for step in range(0, arguments.steps, max(1, arguments.steps // 10)):
            print(f"  step {step:4d}  loss {losses[step]:.4f}")
        print(f"  step {arguments.steps - 1:4d}  loss {losses[-1]:.4f}")
    if arguments.check and rank == 0:
        variant = package.VARIANTS[arguments.variant]
        function = getattr(package, arguments.variant)
        reference, _ = train(arguments, device, 0, 1, initial_model(arguments), lambda q, k, v: function(q, k, v),
                             lambda model, loss: None)
        gap = max(abs(a - b) for a, b in zip(losses, reference))
        learned = reference[-1] < reference[0] - 0.1
        print(f"one device ({variant.name}): first loss {reference[0]:.4f}, last {reference[-1]:.4f}; "
              f"largest |ring - one device| {gap:.4f} (tolerance {arguments.tolerance})")
        ok = gap <= arguments.tolerance and learned
        print("PASS" if ok else "FAIL" + ("" if learned else ": the one-device run did not learn"))
        status = 0 if ok else 1
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
    sys.exit(status)


if __name__ == "__main__":
    main()
