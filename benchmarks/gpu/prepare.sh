#!/usr/bin/env bash
# Emits everything the GPU scripts build, here (with Swift), into the ignored folder benchmarks/gpu/.generated:
#
#   forward/   the kernels of benchmarks/gpu/check_variants.json (sm90, mma.sync) and check_variants.inc, for check.sh
#   forward-hopper/  the same variants with --family auto (the Hopper kernel where it runs), for
#              KERNELS=benchmarks/gpu/.generated/forward-hopper bash benchmarks/gpu/check.sh
#   backward/  the kernels of benchmarks/gpu-backward/check_variants.json and their table, for gpu-backward/check.sh
#   backward-hopper/  the same variants with --family auto (the Hopper key kernel where it runs), for
#              KERNELS=benchmarks/gpu/.generated/backward-hopper bash benchmarks/gpu-backward/check.sh
#   bench/     the kernels of benchmarks/gpu/bench_spec.json (sm90, --family auto), for bench.sh run and the
#              profiling scripts
# and, through benchmarks/torch/prepare.sh, the PyTorch package check.sh step 3 runs (benchmarks/torch/.package).
#
#     bash benchmarks/gpu/prepare.sh
#
# Nothing emitted is committed: the spec files are. Carry the folders to the GPU machine (device `carry`:
# benchmarks/gpu/.generated and benchmarks/torch/.package), then run benchmarks/gpu/run_all.sh there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/benchmarks/gpu/.generated"
rm -rf "$OUT"
mkdir -p "$OUT"
swift build --package-path "$ROOT" --product attngen
# sm90 with --family auto: the Hopper kernel for the variants it runs (NAME.cu, with NAME_mma.cu beside it for
# layouts TMA cannot address), the mma.sync kernel for the rest (d = 256, dropout), as a user of sm90 gets.
"$ROOT/.build/debug/attngen" emit cuda --arch sm90 --family auto --spec "$ROOT/benchmarks/gpu/bench_spec.json" \
    --out "$OUT/bench" --force --quiet
# The check tables hold the float64 reference's view of each variant, which the test harness renders.
ATTNGEN_GPU_CHECK_OUT="$OUT" swift test --package-path "$ROOT" --filter GPUCheckSourcesTests >"$OUT/prepare.log" 2>&1 \
    || { cat "$OUT/prepare.log" >&2; exit 1; }
bash "$ROOT/benchmarks/torch/prepare.sh"
for folder in forward forward-hopper backward backward-hopper bench; do
    echo "benchmarks/gpu/.generated/$folder: $(ls "$OUT/$folder"/*.cu | wc -l) CUDA sources"
done
