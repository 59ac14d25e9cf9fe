#!/usr/bin/env bash
# Emits the decode benchmark's kernels (benchmarks/decode/decode_spec.json, sm90 with --family auto, as a user of
# an H100/H200 gets them) into the ignored folder benchmarks/decode/.generated, here, with Swift. Carry that folder
# to the GPU machine and run benchmarks/decode/run.sh there. Nothing emitted is committed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/benchmarks/decode/.generated"
rm -rf "$OUT"
swift build --package-path "$ROOT" --product attngen
"$ROOT/.build/debug/attngen" emit cuda --arch sm90 --family auto --spec "$ROOT/benchmarks/decode/decode_spec.json" \
    --out "$OUT" --quiet
echo "benchmarks/decode/.generated: $(ls "$OUT"/*.cu | wc -l) CUDA sources"
