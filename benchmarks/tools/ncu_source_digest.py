#!/usr/bin/env python3
"""Digest of Nsight Compute's per-instruction page (warp-stall samples and executed instructions per SASS line).

Input: the CSV that `ncu --import REPORT --page source --csv --print-source sass` writes (benchmarks/fp8/profile.sh
makes one); it holds one block per profiled kernel, each starting with a "Kernel Name" line. Output, per kernel:
the stall reasons over all samples, the instructions with the most samples (with their index, so that regions can
be named), and for each region given with --region NAME:FIRST:LAST (instruction indices, inclusive) its share of
the samples, its stall reasons, and its instructions per execution of the region's most executed instruction (for a
loop body: instructions per iteration, by opcode).

    python3 benchmarks/tools/ncu_source_digest.py profile-source.csv [--kernel 0] [--top 30] \\
        [--region consumer:1600:2420 --region transposer:3340:3500]
"""
import argparse
import collections
import csv
import sys

SAMPLES = "Warp Stall Sampling (All Samples)"
EXECUTED = "Instructions Executed"


def kernels(path):
    """[(name, header, rows)] of the file's kernel blocks."""
    blocks, name, lines = [], None, []
    with open(path, newline="") as f:
        for line in f:
            if line.startswith('"Kernel Name"'):
                if name is not None:
                    blocks.append((name, lines))
                name, lines = next(csv.reader([line]))[1], []
            elif name is not None:
                lines.append(line)
    if name is not None:
        blocks.append((name, lines))
    out = []
    for name, lines in blocks:
        reader = csv.reader(lines)
        header = next(reader)
        rows = [r for r in reader if len(r) >= len(header)]
        out.append((name, header, rows))
    return out


def opcode(source):
    words = source.split()
    if not words:
        return "?"
    word = words[1] if words[0].startswith("@") and len(words) > 1 else words[0]
    return word.split(".")[0]


def number(text):
    try:
        return int(text)
    except ValueError:
        return 0


def stall_line(header, rows):
    reasons = [h for h in header if h.startswith("stall_") and "Not Issued" not in h]
    index = {h: i for i, h in enumerate(header)}
    total = collections.Counter()
    for r in rows:
        for k in reasons:
            total[k] += number(r[index[k]])
    all_samples = sum(total.values()) or 1
    return "  ".join(f"{k[6:]} {100 * v / all_samples:.1f}%" for k, v in total.most_common(10))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv")
    parser.add_argument("--kernel", type=int, action="append", help="kernel block index (default: all)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--region", action="append", default=[], help="NAME:FIRST:LAST instruction indices")
    args = parser.parse_args()
    blocks = kernels(args.csv)
    if not blocks:
        sys.exit(f"{args.csv}: no 'Kernel Name' block (is it ncu's --page source --csv output?)")
    for number_, (name, header, rows) in enumerate(blocks):
        if args.kernel and number_ not in args.kernel:
            continue
        index = {h: i for i, h in enumerate(header)}
        if SAMPLES not in index or EXECUTED not in index:
            sys.exit(f"kernel {number_}: the CSV has no '{SAMPLES}' / '{EXECUTED}' columns")
        samples = [number(r[index[SAMPLES]]) for r in rows]
        total = sum(samples) or 1
        print(f"== kernel {number_}: {name}")
        print(f"   {len(rows)} instructions, {sum(samples)} samples; stalls: {stall_line(header, rows)}")
        order = sorted(range(len(rows)), key=lambda i: -samples[i])[: args.top]
        for i in order:
            print(f"   {samples[i]:7d} {100 * samples[i] / total:5.1f}%  #{i:<5d} ex={number(rows[i][index[EXECUTED]]):<10d} "
                  f"{rows[i][1].strip()[:70]}")
        for region in args.region:
            try:
                label, first, last = region.split(":")
                first, last = int(first), int(last)
            except ValueError:
                sys.exit(f"--region {region}: want NAME:FIRST:LAST")
            part = rows[first : last + 1]
            if not part:
                sys.exit(f"--region {region}: no instructions there (the kernel has {len(rows)})")
            executions = max(number(r[index[EXECUTED]]) for r in part) or 1
            part_samples = sum(samples[first : last + 1])
            mix = collections.Counter()
            for r in part:
                mix[opcode(r[1])] += number(r[index[EXECUTED]]) / executions
            print(f"   region {label} [{first}, {last}]: {100 * part_samples / total:.1f}% of the samples, "
                  f"{sum(mix.values()):.0f} instructions per execution of its most executed one ({executions})")
            print(f"      stalls: {stall_line(header, part)}")
            print("      " + ", ".join(f"{k} {v:.0f}" for k, v in mix.most_common(16)))


if __name__ == "__main__":
    main()
