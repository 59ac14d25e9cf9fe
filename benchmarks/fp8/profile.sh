#!/usr/bin/env bash
# Nsight Compute on the fp8 and bf16 kernels at d = 128, N = 16k, no mask (fp8_driver profile), on the GPU machine:
# one profiled call of each (--set full, with the per-instruction warp-stall samples), written as text beside the
# report: $OUT/profile-details.txt (every section) and $OUT/profile-source-*.csv (SASS with stall samples).
#
#     bash benchmarks/fp8/profile.sh [FOLDER]     (default benchmarks/fp8/.generated)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GEN=${1:-$ROOT/benchmarks/fp8/.generated}
OUT=${OUT:-/tmp/attngen-fp8}
mkdir -p "$OUT"
BUILD=$(mktemp -d)
bash "$ROOT/benchmarks/fp8/build.sh" "$GEN" "$BUILD"
# The kernels' short names are all forward_kernel: filter on the demangled name (namespace of the variant). The
# second call of each variant is profiled (the first warms up).
ncu --clock-control none --set full --import-source no --kernel-name-base demangled \
    --kernel-name 'regex:(f8_d128|b16_d128)_hopper' --launch-skip 1 --launch-count 3 \
    -o "$OUT/profile" -f "$BUILD/fp8_driver" profile
ncu --import "$OUT/profile.ncu-rep" --page details > "$OUT/profile-details.txt"
ncu --import "$OUT/profile.ncu-rep" --page source --csv --print-source sass > "$OUT/profile-source.csv" ||
    echo "(ncu --page source failed)"
