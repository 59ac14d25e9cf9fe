#!/usr/bin/env bash
# One GPU call for the whole CUDA backend: forward correctness + sanitizers (benchmarks/gpu/check.sh), backward
# correctness, determinism, sanitizers and memory (benchmarks/gpu-backward/check.sh), then the benchmark
# (benchmarks/gpu/bench.sh run), in that order, under one wall-clock budget. Run from the repository root on
# the GPU machine, with benchmarks/gpu/.generated carried (bash benchmarks/gpu/prepare.sh, here):
#
#     bash benchmarks/gpu/run_all.sh [TOTAL_SECONDS (default 500)] [bench.py arguments...]
#
# Writes into $OUT (at most 8 files, as the device tool returns them): forward-REPORT.md, BENCH.md,
# bench_results.json, bench_plot.png, run_all.log, and logs.tgz (every log of the three steps).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOTAL=${1:-500}
shift || true
OUT=${OUT:-/tmp/attngen-run-all}
WORK=$(mktemp -d /tmp/attngen-run-all.XXXXXX)
START=$(date +%s)
LOG="$OUT/run_all.log"
mkdir -p "$OUT"
: >"$LOG"
say() { echo "$@" | tee -a "$LOG"; }
elapsed() { echo $(( $(date +%s) - START )); }

say "== $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version,clocks.sm,temperature.gpu --format=csv,noheader)"
say "== 1. forward check (benchmarks/gpu/check.sh)"
OUT="$WORK/forward" timeout 240 bash "$ROOT/benchmarks/gpu/check.sh" >"$WORK/forward.out" 2>&1
FORWARD=$?
say "forward check exit $FORWARD after $(elapsed) s"
grep -E "ALL PASS|FAIL|ERROR SUMMARY|RACECHECK SUMMARY|report:" "$WORK/forward.out" | tee -a "$LOG"

say "== 2. backward check (benchmarks/gpu-backward/check.sh)"
timeout 150 bash "$ROOT/benchmarks/gpu-backward/check.sh" "$WORK/backward" >"$WORK/backward.out" 2>&1
BACKWARD=$?
say "backward check exit $BACKWARD after $(elapsed) s"
grep -E "cases|FAIL|ERROR SUMMARY|RACECHECK SUMMARY|== done" "$WORK/backward.out" | tail -n 12 | tee -a "$LOG"

BUDGET=$(( TOTAL - $(elapsed) - 60 ))
say "== 3. benchmark (row budget $BUDGET s)"
OUT="$WORK/bench" bash "$ROOT/benchmarks/gpu/bench.sh" run --budget-s "$BUDGET" --flex-budget-s "$(( BUDGET / 2 ))" "$@" \
    >"$WORK/bench.out" 2>&1
BENCH=$?
say "benchmark exit $BENCH after $(elapsed) s"
tail -n 80 "$WORK/bench.out" >>"$LOG"

cp "$WORK/forward/REPORT.md" "$OUT/forward-REPORT.md" 2>/dev/null
for f in BENCH.md bench_results.json bench_plot.png; do cp "$WORK/bench/$f" "$OUT/" 2>/dev/null; done
tar czf "$OUT/logs.tgz" --exclude="*.bin" --exclude="*.o" -C "$WORK" . 2>/dev/null  # no inputs or objects
say "== exits: forward check $FORWARD, backward check $BACKWARD, benchmark $BENCH; $(elapsed) s"
[ "$FORWARD" -eq 0 ] && [ "$BACKWARD" -eq 0 ] && [ "$BENCH" -eq 0 ]
