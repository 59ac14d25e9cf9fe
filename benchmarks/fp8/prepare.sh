#!/usr/bin/env bash
# Emits, here (with Swift), the kernels of benchmarks/fp8/fp8_spec.json for sm90 (the Hopper family) into the ignored
# folder benchmarks/fp8/.generated, with the float64 reference beside them. Carry that folder to the GPU machine and
# run benchmarks/fp8/run.sh there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/benchmarks/fp8/.generated"
rm -rf "$OUT"
swift build --package-path "$ROOT" --product attngen
"$ROOT/.build/debug/attngen" emit cuda --arch sm90 --spec "$ROOT/benchmarks/fp8/fp8_spec.json" --out "$OUT" --force --quiet
cp "$ROOT/Tests/AttnGenTests/Fixtures/reference.c" "$ROOT/Tests/AttnGenTests/Fixtures/reference.h" "$OUT/"
echo "benchmarks/fp8/.generated: $(ls "$OUT"/*.cu | wc -l) CUDA sources"
