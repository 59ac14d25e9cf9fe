#!/usr/bin/env bash
# The GPU checks of attention sinks (#18) in one call, with what the full checks need around them: the mma.sync
# forward check of every variant (benchmarks/gpu/check.sh: its matrix, sanitizers, anchors and the PyTorch package on
# CUDA), the sink variants again under compute-sanitizer (mma.sync and the Hopper family, ONLY=...), and the backward
# check of every variant (benchmarks/gpu-backward/check.sh). Run from the repository root on the GPU machine with
# benchmarks/gpu/.generated and benchmarks/torch/.package carried (bash benchmarks/gpu/prepare.sh, here).
# Writes $OUT/sinks_check.log and the reports (mma-REPORT.md, hopper-REPORT.md, mma-sinks-REPORT.md, backward.log).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/attngen-sinks-check}
mkdir -p "$OUT"
LOG="$OUT/sinks_check.log"
: >"$LOG"
say() { echo "$@" | tee -a "$LOG"; }
START=$(date +%s)
SINKS=cu_sinks_causal_d128_bf16,cu_sinks_gqa_8x2_d64_fp16_window,cu_sinks_paged16_d128_bf16,cu_sinks_softcap_fp32_d40_dropout,cu_sinks_all_masked_d64_fp16
say "== $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
say "== 1. mma.sync forward, every variant (check.sh)"
OUT=/tmp/sc-mma bash "$ROOT/benchmarks/gpu/check.sh" >/tmp/sc-mma.out 2>&1
say "exit $? after $(( $(date +%s) - START )) s"; grep -E "ALL PASS|FAIL|ERROR SUMMARY|RACECHECK SUMMARY|failing checks" /tmp/sc-mma.out | tee -a "$LOG"
cp /tmp/sc-mma/REPORT.md "$OUT/mma-REPORT.md"
say "== 2. Hopper family forward, the sink variants (and two without), with sanitizers"
KERNELS="$ROOT/benchmarks/gpu/.generated/forward-hopper" ONLY="$SINKS,cu_causal_d128_bf16_lse,cu_alibi_causal_d128_bf16" \
    OUT=/tmp/sc-hopper BUILD=/tmp/sc-hopper-build bash "$ROOT/benchmarks/gpu/check.sh" >/tmp/sc-hopper.out 2>&1
say "exit $? after $(( $(date +%s) - START )) s"; grep -E "ALL PASS|FAIL|ERROR SUMMARY|RACECHECK SUMMARY" /tmp/sc-hopper.out | tee -a "$LOG"
cp /tmp/sc-hopper/REPORT.md "$OUT/hopper-REPORT.md"
say "== 3. mma.sync forward, the sink variants with sanitizers"
ONLY="$SINKS" OUT=/tmp/sc-mma-sinks bash "$ROOT/benchmarks/gpu/check.sh" >/tmp/sc-mma-sinks.out 2>&1
say "exit $? after $(( $(date +%s) - START )) s"; grep -E "ALL PASS|FAIL|ERROR SUMMARY|RACECHECK SUMMARY" /tmp/sc-mma-sinks.out | tee -a "$LOG"
cp /tmp/sc-mma-sinks/REPORT.md "$OUT/mma-sinks-REPORT.md"
say "== 4. backward, every variant (gpu-backward/check.sh)"
bash "$ROOT/benchmarks/gpu-backward/check.sh" /tmp/sc-bwd >/tmp/sc-bwd.out 2>&1
say "exit $? after $(( $(date +%s) - START )) s"
grep -E "sinks|FAIL|ERROR SUMMARY|RACECHECK SUMMARY|cases|== done" /tmp/sc-bwd.out | tail -n 30 | tee -a "$LOG"
cp /tmp/sc-bwd.out "$OUT/backward.log"
say "== done after $(( $(date +%s) - START )) s"
