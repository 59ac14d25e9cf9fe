#!/usr/bin/env bash
# Timing experiments (TUNING.md F1-F4), on the GPU machine: builds the kernels of a folder emitted like
# benchmarks/fp8/.generated (possibly edited by hand for an experiment: the edits are described in the result logs)
# with fp8_driver.cu, and runs `fp8_driver bench`.
#
#     bash benchmarks/fp8/bench_folder.sh FOLDER
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GEN=$(cd "$1" && pwd)
NVCC=${NVCC:-nvcc}
BUILD=$(mktemp -d)
cd "$GEN"
for source in *.cu; do "$NVCC" -std=c++17 -O3 -arch=sm_90a -c "$source" -o "$BUILD/${source%.cu}.o" & done
"$NVCC" -std=c++17 -O3 -arch=sm_90a -I. -x cu -c "$ROOT/benchmarks/fp8/fp8_driver.cu" -o "$BUILD/driver.o" &
gcc -std=c11 -O2 -I. -c reference.c -o "$BUILD/reference.o" &
wait
"$NVCC" -arch=sm_90a "$BUILD"/*.o -o "$BUILD/fp8_driver"
echo "== $GEN"
"$BUILD/fp8_driver" bench
