#!/usr/bin/env bash
# A/B timing of the C kernels of this working tree against those of a git revision, in one process per shape
# (benchmarks/cpu/ab_driver.c): on a machine whose rate drifts between runs, only ratios taken in one process hold
# (NOTES.md 15 and 16). Not part of the test suite.
#
#   benchmarks/cpu/ab.sh [--against REV] [--threads N] [--rounds R] [--backward] [SHAPE ...]
#
#   --against REV   the revision [A] is built from (default HEAD: the uncommitted changes are [B])
#   --threads N     OpenMP threads of every call (default 2)
#   --rounds R      timed rounds; each library's best is printed (default 5)
#   --backward      time the backward pass as well
#   SHAPE           D:N or D:N:causal over the fp32 variants of benchmarks/cpu/variants.json
#                   (default: 64:2048 128:2048 128:4096:causal)
#
# Each shape prints [A] [B] [A] [B]: the two builds called in turn, twice, so that the spread of one build shows.
# Builds go to .build-ab/ (ignored): attngen at both revisions, their emitted kernels, one library per variant.
# CC picks the C compiler (default cc); the libraries are built with -O3 -march=native -fopenmp, as run.sh does.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$root/.build-ab"
cc="${CC:-cc}"
against=HEAD threads=2 rounds=5 backward=0
shapes=()
while [ $# -gt 0 ]; do
    case "$1" in
        --against) against="${2:?--against needs a revision}"; shift 2 ;;
        --threads) threads="${2:?--threads needs a count}"; shift 2 ;;
        --rounds) rounds="${2:?--rounds needs a count}"; shift 2 ;;
        --backward) backward=1; shift ;;
        -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "ab.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
        *) shapes+=("$1"); shift ;;
    esac
done
[ ${#shapes[@]} -gt 0 ] || shapes=(64:2048 128:2048 128:4096:causal)
for shape in "${shapes[@]}"; do
    [[ "$shape" =~ ^(64|128):[0-9]+(:causal)?$ ]] || { echo "ab.sh: bad shape '$shape' (D:N or D:N:causal, D 64 or 128)" >&2; exit 64; }
done
revision="$(git -C "$root" rev-parse --verify --quiet "$against^{commit}")" \
    || { echo "ab.sh: '$against' is not a revision of this repository" >&2; exit 64; }

# ---- attngen at both revisions, and the kernels each emits ------------------------------------------------
mkdir -p "$work"
echo "ab.sh: building attngen (this tree, and $against = ${revision:0:12})" >&2
swift build --package-path "$root" --scratch-path "$work/swift-b" --product attngen >/dev/null
rm -rf "$work/source-a" && mkdir -p "$work/source-a"
git -C "$root" archive --format=tar "$revision" | tar -x -C "$work/source-a"
swift build --package-path "$work/source-a" --scratch-path "$work/swift-a" --product attngen >/dev/null
for side in a b; do
    "$work/swift-$side/debug/attngen" emit c --spec "$here/variants.json" --out "$work/kernels-$side" --force --quiet
done
"$cc" -std=c11 -O2 -I"$work/kernels-b" "$here/ab_driver.c" -o "$work/ab_driver" -ldl -lm

# ---- one library per variant and side, then the timings -------------------------------------------------------
for shape in "${shapes[@]}"; do
    IFS=: read -r d n causal <<<"$shape"
    name="bench_d${d}_fp32${causal:+_causal}"
    causal_flag=0
    [ -n "$causal" ] && causal_flag=1
    for side in a b; do
        sources=("$work/kernels-$side/$name.c")
        [ "$backward" = 1 ] && sources+=("$work/kernels-$side/${name}_backward.c")
        "$cc" -std=c11 -O3 -march=native -fopenmp -fPIC -shared -I"$work/kernels-$side" "${sources[@]}" \
            -o "$work/lib_${name}_$side.so" -lm
    done
    libraries=("$work/lib_${name}_a.so" "$work/lib_${name}_b.so" "$work/lib_${name}_a.so" "$work/lib_${name}_b.so")
    "$work/ab_driver" forward "$name" "$d" "$n" "$causal_flag" "$rounds" "$threads" "${libraries[@]}"
    if [ "$backward" = 1 ]; then
        "$work/ab_driver" backward "$name" "$d" "$n" "$causal_flag" "$rounds" "$threads" "${libraries[@]}"
    fi
done
