#!/usr/bin/env python3
"""A model of the Hopper forward kernel's work schedules under a causal mask (TUNING.md H4, H5): balance and L2.

No GPU. Work items are query tiles of 128 rows of one (batch, head); under a top-left causal mask with Nq = Nk
the item of query tile t reads key tiles 0 .. t (t + 1 of them). One time unit = one key tile of one CTA. The
schedules (G CTAs, one per SM):

  grid     H3: one CTA per item, block order = head-major, longest query tile first inside a head; the hardware
           starts the next block on whichever SM frees first; a per-item cost of 2 units (prologue and epilogue
           not overlapped).
  snake    H4: persistent, items ordered longest first over all heads (rank-major), waves of G taken forward and
           backward in turn; 0.5 units per item (the next item's loads overlap the current item's end).
  cyclic   head-major, longest first inside a head, CTA c takes items c, c + G, ... (the naive head-major order).
  pairs    H5: persistent, units = (head, p): query tiles T-1-p and p of one head (T + 1 key tiles together, one
           tile for the middle of an odd T), head-major; CTA c takes units c, c + G, ...

Per schedule: efficiency = work / (G x makespan), and an LRU model of L2 (capacity C, whole K + V tiles of
128 keys): every key tile read at its time, K/V bytes that miss (read from HBM) against the bytes read. "jit"
repeats the L2 model with every persistent item's speed drawn from 0.9 .. 1.1 (the CTAs drift apart as real ones
do; the lock-step timing flatters an order that spreads a head's readers over many waves).

    python3 benchmarks/hopper-dev/tools/schedule_model.py
"""
import heapq
import random
from collections import OrderedDict

G = 132  # H200 multiprocessors
TOKENS = 16384


def items_of(heads, tiles):
    """(head, query tile, length) in head-major, longest-first order."""
    return [(h, t, t + 1) for h in range(heads) for t in reversed(range(tiles))]


def schedule_grid(heads, tiles):
    order = items_of(heads, tiles)
    free = [(0.0, c) for c in range(G)]
    runs = []  # (start, head, length)
    for h, t, n in order:
        start, c = heapq.heappop(free)
        runs.append((start + 1.0, h, n))  # prologue before the first key tile
        heapq.heappush(free, (start + n + 2.0, c))
    return runs, max(f for f, _ in free)


JITTER = 0.0  # set by main(): each persistent item's time per key tile is 1 +- JITTER


def static_runs(per_cta, overhead=0.5):
    runs, end = [], 0.0
    for items in per_cta:
        time = 0.5
        for h, n in items:
            speed = random.uniform(1.0 - JITTER, 1.0 + JITTER)
            runs.append((time, h, n, speed))
            time += n * speed + overhead
        end = max(end, time)
    return runs, end


def schedule_snake(heads, tiles):
    order = [(h, tiles - 1 - r, tiles - r) for r in range(tiles) for h in range(heads)]
    per_cta = [[] for _ in range(G)]
    for wave in range((len(order) + G - 1) // G):
        for c in range(G):
            w = wave * G + (G - 1 - c if wave % 2 else c)
            if w < len(order):
                per_cta[c].append((order[w][0], order[w][2]))
    return static_runs(per_cta)


def schedule_cyclic(heads, tiles):
    order = items_of(heads, tiles)
    per_cta = [[(h, n) for h, _, n in order[c::G]] for c in range(G)]
    return static_runs(per_cta)


def schedule_pairs(heads, tiles):
    pairs = (tiles + 1) // 2
    units = []
    for h in range(heads):
        for p in range(pairs):
            long_tile, short_tile = tiles - 1 - p, p
            units.append([(h, long_tile + 1)] + ([(h, short_tile + 1)] if short_tile != long_tile else []))
    per_cta = [[item for unit in units[c::G] for item in unit] for c in range(G)]
    return static_runs(per_cta)


def l2_misses(runs, capacity_tiles):
    """Fraction of K/V tile reads that miss an LRU cache of capacity_tiles tiles (reads in time order)."""
    reads = []
    for start, h, n, *speed in runs:
        step = speed[0] if speed else 1.0
        reads.extend((start + k * step, h, k) for k in range(n))
    reads.sort()
    cache, misses = OrderedDict(), 0
    for _, h, k in reads:
        key = (h, k)
        if key in cache:
            cache.move_to_end(key)
        else:
            misses += 1
            cache[key] = True
            if len(cache) > capacity_tiles:
                cache.popitem(last=False)
    return misses / len(reads), misses


def main():
    global JITTER
    print(f"G = {G}; efficiency = work / (G x makespan); L2 miss = K/V tile reads from HBM / all K/V tile reads")
    print(f"{'d':>4} {'N':>6} {'schedule':>8} {'effic':>6} {'miss@50MB':>10} {'miss@25MB':>10} {'HBM GB@50':>10}"
          f" {'jit@50MB':>9} {'jit@25MB':>9}")
    for d, heads_per_batch in ((128, 16), (64, 32)):
        tile_bytes = 128 * d * 2 * 2  # K and V of 128 keys
        for n in (1024, 4096, 16384):
            tiles, heads = n // 128, (TOKENS // n) * heads_per_batch
            work = heads * tiles * (tiles + 1) // 2
            for name, fn in (("grid", schedule_grid), ("snake", schedule_snake), ("cyclic", schedule_cyclic),
                             ("pairs", schedule_pairs)):
                JITTER = 0.0
                runs, makespan = fn(heads, tiles)
                eff = work / (G * makespan)
                m50, count = l2_misses(runs, 50 * 2**20 // tile_bytes)
                m25, _ = l2_misses(runs, 25 * 2**20 // tile_bytes)
                JITTER = 0.1
                random.seed(1)
                runs, _ = fn(heads, tiles)
                j50, _ = l2_misses(runs, 50 * 2**20 // tile_bytes)
                j25, _ = l2_misses(runs, 25 * 2**20 // tile_bytes)
                print(f"{d:>4} {n:>6} {name:>8} {eff:>6.3f} {m50:>10.3f} {m25:>10.3f} {count * tile_bytes / 1e9:>10.2f}"
                      f" {j50:>9.3f} {j25:>9.3f}")


if __name__ == "__main__":
    main()
