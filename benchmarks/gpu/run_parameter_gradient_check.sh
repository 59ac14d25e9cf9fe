#!/usr/bin/env bash
# The GPU checks of the score modifiers' parameter gradients (#18) in one call: the backward check of every
# variant (benchmarks/gpu-backward/check.sh: dscore_parameters of the variants with run-time arrays against the
# float64 reference's dual numbers, bit-identical in deterministic mode, sanitizers), the forward check of the
# modifier and sink variants on mma.sync (ONLY=...; their hooks changed), and the PyTorch package on CUDA tensors
# (score_parameters differentiable). Run from the repository root on the GPU machine with benchmarks/gpu/.generated
# and benchmarks/torch/.package carried (bash benchmarks/gpu/prepare.sh, here). Writes $OUT/parameter_check.log.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/attngen-parameter-check}
mkdir -p "$OUT"
LOG="$OUT/parameter_check.log"
: >"$LOG"
say() { echo "$@" | tee -a "$LOG"; }
START=$(date +%s)
say "== $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
say "== 1. backward, every variant (gpu-backward/check.sh)"
bash "$ROOT/benchmarks/gpu-backward/check.sh" /tmp/pc-bwd >/tmp/pc-bwd.out 2>&1
say "exit $? after $(( $(date +%s) - START )) s"
grep -E "dparameters=[0-9]|FAIL|ERROR SUMMARY|RACECHECK SUMMARY|cases=|== done" /tmp/pc-bwd.out | grep -v "dparameters=-1" | tee -a "$LOG"
cp /tmp/pc-bwd.out "$OUT/backward.log"
say "== 2. mma.sync forward of the modifier and sink variants, with sanitizers"
ONLY=cu_alibi_causal_d128_bf16,cu_softcap_d64_fp16,cu_scoremod_params_d64_bf16_dropout,cu_alibi_runtime_softcap_fp32_d40,cu_sinks_softcap_fp32_d40_dropout,cu_sinks_causal_d128_bf16 \
    OUT=/tmp/pc-fwd bash "$ROOT/benchmarks/gpu/check.sh" >/tmp/pc-fwd.out 2>&1
say "exit $? after $(( $(date +%s) - START )) s"; grep -E "ALL PASS|FAIL|ERROR SUMMARY|RACECHECK SUMMARY" /tmp/pc-fwd.out | tee -a "$LOG"
cp /tmp/pc-fwd/REPORT.md "$OUT/forward-REPORT.md"
say "== 3. the PyTorch package on CUDA tensors"
PYTHONUNBUFFERED=1 PYTHONPATH="$ROOT/benchmarks/torch/.package" ATTNGEN_TORCH_CACHE=/tmp/pc-torch \
    python3 "$ROOT/Tests/AttnGenTests/Fixtures/torch_package_check.py" --device cuda >"$OUT/torch.txt" 2>&1
say "exit $? after $(( $(date +%s) - START )) s"
grep -E "dscore_parameters|dsinks|FAIL|failing checks" "$OUT/torch.txt" | tee -a "$LOG"
say "== done after $(( $(date +%s) - START )) s"
