#!/usr/bin/env bash
# A focused GPU check in one device call, for a change that touches a few variants: the mma.sync forward check of
# MMA_ONLY (benchmarks/gpu/check.sh with ONLY=..., sanitizers included; "all" runs every variant and the anchors),
# the Hopper family's (--family auto) forward check of HOPPER_ONLY ("all": every variant), the backward check of every variant when
# BACKWARD=1 (benchmarks/gpu-backward/check.sh; BACKWARD=hopper: the same with the Hopper family's backward, --family
# auto, whose key kernel runs on wgmma where it can; BACKWARD=both: the two), the PyTorch package on CUDA tensors
# when TORCH=1, and the backward benchmark against the anchors when BENCH_BACKWARD is a kernels folder under
# benchmarks/gpu/.generated (bench: the default build, --family auto; bf16, N 1k,
# 4k, 16k, bench.sh's BENCH.md and bench_results.json copied to $OUT/bench-backward). Empty lists
# skip a step. Run from the repository root on the GPU machine with benchmarks/gpu/.generated and
# benchmarks/torch/.package carried (bash benchmarks/gpu/prepare.sh, here); writes $OUT/focused_check.log and the
# reports (mma-REPORT.md, hopper-REPORT.md, backward.log, torch.txt). BENCH_VARLEN=1 also times variable-length batches
# against a dense batch (benchmarks/gpu/bench_varlen.py: $OUT/varlen/VARLEN.md). DECODE=1 runs the decode table
# (benchmarks/decode/run.sh, benchmarks/decode/.generated carried: bash benchmarks/decode/prepare.sh, here) into
# $OUT/decode; DECODE=paged adds the paged caches.
#
#     MMA_ONLY=cu_a,cu_b HOPPER_ONLY=cu_a BACKWARD=1 TORCH=1 bash benchmarks/gpu/run_focused_check.sh
#     BACKWARD=hopper BENCH_BACKWARD=bench bash benchmarks/gpu/run_focused_check.sh  # issue 14
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/attngen-focused-check}
mkdir -p "$OUT"
LOG="$OUT/focused_check.log"
: >"$LOG"
say() { echo "$@" | tee -a "$LOG"; }
# The end of a step: its exit status ($1) joins the script's, and the log says how long the call has run.
step_done() {
    STATUS=$((STATUS | $1))
    say "exit $1 after $(( $(date +%s) - START )) s"
}
START=$(date +%s)
STATUS=0
HUNG=0
say "== $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
if [ -n "${MMA_ONLY:-}" ]; then
    say "== mma.sync forward: $MMA_ONLY"
    if [ "$MMA_ONLY" = all ]; then ONLY_ARG=""; else ONLY_ARG=$MMA_ONLY; fi
    ONLY="$ONLY_ARG" OUT=/tmp/fc-mma BUILD=/tmp/fc-mma-build bash "$ROOT/benchmarks/gpu/check.sh" >/tmp/fc-mma.out 2>&1
    step_done $?
    grep -E "ALL PASS|FAIL|ERROR SUMMARY|RACECHECK SUMMARY|failing checks" /tmp/fc-mma.out | tee -a "$LOG"
    cp /tmp/fc-mma/REPORT.md "$OUT/mma-REPORT.md"
fi
if [ -n "${HOPPER_ONLY:-}" ]; then
    say "== Hopper family (auto) forward: $HOPPER_ONLY"
    if [ "$HOPPER_ONLY" = all ]; then HOPPER_ARG=""; else HOPPER_ARG=$HOPPER_ONLY; fi
    KERNELS="$ROOT/benchmarks/gpu/.generated/forward-hopper" ONLY="$HOPPER_ARG" OUT=/tmp/fc-hopper \
        BUILD=/tmp/fc-hopper-build bash "$ROOT/benchmarks/gpu/check.sh" >/tmp/fc-hopper.out 2>&1
    step_done $?
    grep -E "ALL PASS|FAIL|ERROR SUMMARY|RACECHECK SUMMARY" /tmp/fc-hopper.out | tee -a "$LOG"
    cp /tmp/fc-hopper/REPORT.md "$OUT/hopper-REPORT.md"
fi
backward_check() { # $1: the kernels' folder under benchmarks/gpu/.generated, $2: a label
    say "== backward ($2), every variant"
    # Bounded (BACKWARD_TIMEOUT seconds, default 420), so that a kernel that hangs leaves the rest of the call.
    KERNELS="$ROOT/benchmarks/gpu/.generated/$1" timeout "${BACKWARD_TIMEOUT:-420}" \
        bash "$ROOT/benchmarks/gpu-backward/check.sh" "/tmp/fc-$1" >"/tmp/fc-$1.out" 2>&1
    local code=$?
    step_done $code
    [ $code -eq 124 ] && { HUNG=1; say "the backward check ran past ${BACKWARD_TIMEOUT:-420} s (a kernel hung?)"; }
    grep -E "FAIL|ERROR SUMMARY|RACECHECK SUMMARY|cases=|== done" "/tmp/fc-$1.out" | tee -a "$LOG"
    cp "/tmp/fc-$1.out" "$OUT/$1.log"
}
case "${BACKWARD:-0}" in
    1) backward_check backward mma.sync ;;
    hopper) backward_check backward-hopper "Hopper family" ;;
    both) backward_check backward-hopper "Hopper family"; backward_check backward mma.sync ;;
esac
if [ "${TORCH:-0}" = 1 ]; then
    say "== the PyTorch package on CUDA tensors"
    PYTHONUNBUFFERED=1 PYTHONPATH="$ROOT/benchmarks/torch/.package" ATTNGEN_TORCH_CACHE=/tmp/fc-torch \
        python3 "$ROOT/Tests/AttnGenTests/Fixtures/torch_package_check.py" --device cuda >"$OUT/torch.txt" 2>&1
    step_done $?
    grep -E "FAIL|failing checks" "$OUT/torch.txt" | tee -a "$LOG"
fi
if [ -n "${BENCH_BACKWARD:-}" ] && [ $HUNG = 1 ]; then
    say "== backward benchmark skipped: the backward check hung"
elif [ -n "${BENCH_BACKWARD:-}" ]; then
    say "== backward benchmark, kernels of benchmarks/gpu/.generated/$BENCH_BACKWARD"
    OUT="$OUT/bench-backward" timeout "${BENCH_TIMEOUT:-360}" bash "$ROOT/benchmarks/gpu/bench.sh" run \
        --kernels "$ROOT/benchmarks/gpu/.generated/$BENCH_BACKWARD" --sections backward --dtypes bf16 --quick \
        --no-flex --repeats 10 >/tmp/fc-bench.out 2>&1
    step_done $?
    grep -E "FAIL|attngen.*cudnn|TFLOP" /tmp/fc-bench.out | head -40 | tee -a "$LOG"
fi
if [ "${BENCH_VARLEN:-0}" = 1 ]; then
    say "== variable-length batches against a dense batch (benchmarks/gpu/bench_varlen.py)"
    timeout "${BENCH_TIMEOUT:-360}" python3 "$ROOT/benchmarks/gpu/bench_varlen.py" --out "$OUT/varlen" \
        >/tmp/fc-varlen.out 2>&1
    step_done $?
    grep -E "^\||FAIL|Error" /tmp/fc-varlen.out | tee -a "$LOG"
    cp /tmp/fc-varlen.out "$OUT/varlen.log"
fi
if [ "${DECODE:-0}" != 0 ]; then
    # The decode table (benchmarks/decode/run.sh, with benchmarks/decode/.generated carried); DECODE=paged adds the
    # paged caches against the contiguous one.
    say "== decode benchmark (benchmarks/decode/run.sh, DECODE=$DECODE)"
    PAGED_ARG=""
    [ "$DECODE" = paged ] && PAGED_ARG=--paged
    OUT="$OUT/decode" timeout "${BENCH_TIMEOUT:-360}" bash "$ROOT/benchmarks/decode/run.sh" $PAGED_ARG \
        >/tmp/fc-decode.out 2>&1
    step_done $?
    grep -E "^\||FAIL|Error" /tmp/fc-decode.out | tee -a "$LOG"
    cp /tmp/fc-decode.out "$OUT/decode.log"
fi
say "== done after $(( $(date +%s) - START )) s, status $STATUS"
exit $STATUS
