#!/usr/bin/env bash
# Timing experiments (TUNING.md F1-F4), on the GPU machine: builds the kernels of a folder emitted like
# benchmarks/fp8/.generated (possibly edited by hand for an experiment: the edits are described in the result logs)
# with fp8_driver.cu, and runs `fp8_driver MODE` for each MODE given (default: bench).
#
#     bash benchmarks/fp8/bench_folder.sh FOLDER [MODE ...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GEN=$(cd "$1" && pwd)
BUILD=$(mktemp -d)
bash "$ROOT/benchmarks/fp8/build.sh" "$GEN" "$BUILD"
echo "== $GEN"
shift
for mode in "${@:-bench}"; do "$BUILD/fp8_driver" "$mode"; done
