#!/usr/bin/env bash
# Emits everything the GPU scripts build, here (with Swift), into the ignored folder benchmarks/gpu/.generated:
#
#   forward/   the kernels of benchmarks/gpu/check_variants.json (sm90) and check_variants.inc, for check.sh
#   backward/  the kernels of benchmarks/gpu-backward/check_variants.json and their table, for gpu-backward/check.sh
#   bench/     the kernels of benchmarks/gpu/bench_spec.json, for bench.sh run and the profiling scripts
#
#     bash benchmarks/gpu/prepare.sh
#
# Nothing emitted is committed: the spec files are. Carry the folder to the GPU machine (device `carry`:
# benchmarks/gpu/.generated), then run benchmarks/gpu/run_all.sh there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/benchmarks/gpu/.generated"
rm -rf "$OUT"
mkdir -p "$OUT"
swift build --package-path "$ROOT" --product attngen
"$ROOT/.build/debug/attngen" emit cuda --arch sm90 --spec "$ROOT/benchmarks/gpu/bench_spec.json" \
    --out "$OUT/bench" --force --quiet
# The check tables hold the float64 reference's view of each variant, which the test harness renders.
ATTNGEN_GPU_CHECK_OUT="$OUT" swift test --package-path "$ROOT" --filter GPUCheckSourcesTests >"$OUT/prepare.log" 2>&1 \
    || { cat "$OUT/prepare.log" >&2; exit 1; }
for folder in forward backward bench; do
    echo "benchmarks/gpu/.generated/$folder: $(ls "$OUT/$folder"/*.cu | wc -l) CUDA sources"
done
