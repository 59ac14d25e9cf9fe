#!/usr/bin/env bash
# The decode benchmark, on the GPU machine (benchmarks/decode/.generated carried; bash benchmarks/decode/prepare.sh
# emits it here):
#
#     bash benchmarks/decode/run.sh [bench_decode.py arguments...]     # writes $OUT/DECODE.md and decode.json
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/attngen-decode}
mkdir -p "$OUT"
ATTNGEN_ABI_DIR="$ROOT/benchmarks/decode/.generated" PYTHONUNBUFFERED=1 python3 "$ROOT/benchmarks/decode/bench_decode.py" \
    --kernels "$ROOT/benchmarks/decode/.generated" --out "$OUT" "$@"
