"""Trains a small causal transformer for a few hundred steps three times from the same seed and the same data: with
the attngen op (t_causal_gqa_bf16 of the package benchmarks/torch/prepare.sh emits), with SDPA's default backend and
with SDPA's flash backend. The two SDPA runs differ only by bf16 rounding inside attention, which measures the noise;
the attngen curve must stay within 3x that distance (or 0.05) of the default SDPA curve. Prints the curves, the step
times and PASS/FAIL.

    python3 benchmarks/torch/train_compare.py [--steps 300] [--device cuda]
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

import attngen_torch


class Block(torch.nn.Module):
    def __init__(self, width, heads, attention):
        super().__init__()
        self.heads, self.attention = heads, attention
        self.norm1, self.norm2 = torch.nn.LayerNorm(width), torch.nn.LayerNorm(width)
        self.qkv, self.proj = torch.nn.Linear(width, 3 * width), torch.nn.Linear(width, width)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(width, 4 * width), torch.nn.GELU(), torch.nn.Linear(4 * width, width))

    def forward(self, x):
        batch, length, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(batch, length, 3, self.heads, width // self.heads).unbind(2)
        x = x + self.proj(self.attention(q, k, v).reshape(batch, length, width))
        return x + self.mlp(self.norm2(x))


class TinyGPT(torch.nn.Module):
    def __init__(self, attention, vocabulary=256, width=512, heads=8, layers=4, length=512):
        super().__init__()
        self.embed, self.position = torch.nn.Embedding(vocabulary, width), torch.nn.Embedding(length, width)
        self.blocks = torch.nn.ModuleList(Block(width, heads, attention) for _ in range(layers))
        self.head = torch.nn.Linear(width, vocabulary)

    def forward(self, tokens):
        x = self.embed(tokens) + self.position(torch.arange(tokens.shape[1], device=tokens.device))
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def sdpa(q, k, v):  # [B, S, H, D] in and out, like the attngen function
    return F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                          is_causal=True).transpose(1, 2)


def batches(steps, batch, length, device, vocabulary=256):
    """Sequences of a fixed random first-order Markov chain (learnable: the loss falls towards its entropy)."""
    generator = torch.Generator(device="cpu").manual_seed(1234)
    transitions = torch.softmax(torch.randn(vocabulary, vocabulary, generator=generator) * 3, -1)
    for _ in range(steps):
        tokens = torch.empty(batch, length + 1, dtype=torch.long)
        tokens[:, 0] = torch.randint(0, vocabulary, (batch,), generator=generator)
        for position in range(1, length + 1):
            tokens[:, position] = torch.multinomial(transitions[tokens[:, position - 1]], 1, generator=generator)[:, 0]
        yield tokens.to(device)


def train(name, attention, data, device, backend=None):
    torch.manual_seed(0)
    model = TinyGPT(attention).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses, times = [], []
    context = torch.nn.attention.sdpa_kernel(backend) if backend is not None else torch.enable_grad()
    with context:
        for tokens in data:
            start = time.perf_counter()
            with torch.autocast(device_type=device, dtype=torch.bfloat16):
                logits = model(tokens[:, :-1])
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
            losses.append(loss.item())
    return losses, times


def smooth(values, alpha=0.1):
    out, running = [], values[0]
    for value in values:
        running = alpha * value + (1 - alpha) * running
        out.append(running)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--device", default="cuda")
    options = parser.parse_args()
    length = 512
    data = list(batches(options.steps, options.batch, length, options.device))
    attngen = lambda q, k, v: attngen_torch.t_causal_gqa_bf16(q, k, v)
    runs = {"attngen": train("attngen", attngen, data, options.device),
            "SDPA default": train("SDPA default", sdpa, data, options.device)}
    if options.device == "cuda":
        from torch.nn.attention import SDPBackend
        runs["SDPA flash"] = train("SDPA flash", sdpa, data, options.device, backend=SDPBackend.FLASH_ATTENTION)
        noise_name = "SDPA flash"
    else:
        runs["SDPA math"] = train("SDPA math", sdpa, data, options.device)
        noise_name = "SDPA math"
    curves = {name: smooth(losses) for name, (losses, _) in runs.items()}
    print(f"TinyGPT: 4 layers, width 512, 8 heads of 64, causal, bf16 autocast, batch {options.batch} x {length} tokens, "
          f"AdamW 1e-3, {options.steps} steps, device {options.device}")
    print("| step | " + " | ".join(curves) + " |")
    print("|---" * (len(curves) + 1) + "|")
    for step in list(range(0, options.steps, max(1, options.steps // 12))) + [options.steps - 1]:
        print(f"| {step} | " + " | ".join(f"{runs[name][0][step]:.4f} (ema {curves[name][step]:.4f})" for name in curves) + " |")
    warm = min(20, options.steps - 1)
    distance = max(abs(a - b) for a, b in zip(curves["attngen"][warm:], curves["SDPA default"][warm:]))
    noise = max(abs(a - b) for a, b in zip(curves[noise_name][warm:], curves["SDPA default"][warm:]))
    print(f"max |EMA loss attngen - SDPA default| after step {warm}: {distance:.4f}; "
          f"{noise_name} - SDPA default (bf16 noise): {noise:.4f}")
    for name, (_, times) in runs.items():
        steady = times[warm:] or times
        print(f"step time {name}: median {statistics.median(steady) * 1e3:.2f} ms")
    ok = distance <= max(3 * noise, 0.05)
    print("PASS" if ok else "FAIL", "loss curves agree within bf16 noise" if ok else "loss curves differ beyond bf16 noise")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
