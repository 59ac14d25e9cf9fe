#!/usr/bin/env bash
# The attngen CUDA forward and backward benchmark against the anchors of shared/ANCHORS.md (benchmarks/gpu/BENCH.md).
# (benchmarks/gpu/run_all.sh runs the forward and backward checks and then this, in one GPU call.)
#
#   bash benchmarks/gpu/prepare.sh             # here, with Swift: emits benchmarks/gpu/.generated/bench from bench_spec.json
#   bash benchmarks/gpu/bench.sh run [ARGS]    # on the GPU machine: builds the kernels with nvcc and runs bench.py;
#                                              # writes bench_results.json, BENCH.md, bench_plot.png into $OUT
#
# benchmarks/gpu/.generated is ignored; carry it to the GPU machine (device `carry`).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GPU_DIR="$ROOT/benchmarks/gpu"
case "${1:-}" in
run)
    shift
    OUT=${OUT:-/tmp/attngen-bench}
    mkdir -p "$OUT"
    export BENCH_COMMAND="bash benchmarks/gpu/bench.sh run $*"
    PYTHONUNBUFFERED=1 python3 "$GPU_DIR/bench.py" --kernels "$GPU_DIR/.generated/bench" --out "$OUT" "$@" 2>&1 \
        | tee "$OUT/bench.log"
    ;;
*)
    echo "usage: bash benchmarks/gpu/bench.sh run [bench.py arguments] (after bash benchmarks/gpu/prepare.sh)" >&2
    exit 64
    ;;
esac
