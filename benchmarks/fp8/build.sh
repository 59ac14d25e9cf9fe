#!/usr/bin/env bash
# Builds fp8_driver from a folder of emitted kernels (benchmarks/fp8/.generated, or a copy edited by hand for a timing
# experiment), on the GPU machine; used by run.sh, bench_folder.sh and profile.sh.
#
#     bash benchmarks/fp8/build.sh FOLDER BUILD_DIR     (writes BUILD_DIR/fp8_driver)
#
# KERNEL_FLAGS: extra nvcc flags for the kernels (run.sh passes -Werror all-warnings).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GEN=$(cd "$1" && pwd)
BUILD=$2
NVCC=${NVCC:-nvcc}
mkdir -p "$BUILD"
cd "$GEN"
pids=()
for source in *.cu; do
    # shellcheck disable=SC2086
    "$NVCC" -std=c++17 -O3 -arch=sm_90a ${KERNEL_FLAGS:-} -c "$source" -o "$BUILD/${source%.cu}.o" & pids+=($!)
done
"$NVCC" -std=c++17 -O3 -arch=sm_90a -I. -x cu -c "$ROOT/benchmarks/fp8/fp8_driver.cu" -o "$BUILD/driver.o" & pids+=($!)
gcc -std=c11 -O2 -I. -c reference.c -o "$BUILD/reference.o" & pids+=($!)
for pid in "${pids[@]}"; do wait "$pid"; done
"$NVCC" -arch=sm_90a "$BUILD"/*.o -o "$BUILD/fp8_driver"
