#!/usr/bin/env bash
# fp8 forward on the H200, in one call (README.md "fp8 inputs"; issue 19): builds the kernels that prepare.sh emitted,
# checks them against the float64 reference (fresh random inputs, poisoned O, awkward sizes), runs compute-sanitizer
# on a small case, measures the accuracy of plain per-head scaling and of a Hadamard rotation against the unquantized
# inputs, and times fp8 against our own bf16 kernel. Writes $OUT/fp8.log.
#
#     bash benchmarks/fp8/run.sh            (on the GPU machine, benchmarks/fp8/.generated carried)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GEN="$ROOT/benchmarks/fp8/.generated"
OUT=${OUT:-/tmp/attngen-fp8}
mkdir -p "$OUT"
BUILD=$(mktemp -d)
KERNEL_FLAGS="-Werror all-warnings" bash "$ROOT/benchmarks/fp8/build.sh" "$GEN" "$BUILD"
{
    echo "# fp8 forward, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
    echo "# command: bash benchmarks/fp8/run.sh"
    "$BUILD/fp8_driver" check
    if command -v compute-sanitizer >/dev/null; then
        compute-sanitizer --tool memcheck --error-exitcode 9 "$BUILD/fp8_driver" check-small >/dev/null \
            && echo "SANITIZER memcheck clean" || echo "SANITIZER memcheck FAILED"
        compute-sanitizer --tool racecheck --error-exitcode 9 "$BUILD/fp8_driver" check-small >/dev/null \
            && echo "SANITIZER racecheck clean" || echo "SANITIZER racecheck FAILED"
    fi
    "$BUILD/fp8_driver" accuracy
    "$BUILD/fp8_driver" bench
} 2>&1 | tee "$OUT/fp8.log"
