#!/usr/bin/env bash
# Checks the checker without a GPU: builds hopper_check.cu with the host compiler against attngen's C kernels of
# the same variants (emitted here with `attngen emit c`, so swift is needed) behind the Hopper entry points
# (mock_entries.cpp) and host stand-ins for the CUDA runtime calls (mock_cuda.cpp), then runs the probes, the
# status checks and the small matrix (--sanitize's shapes) plus any arguments given. Every case must PASS: the C
# kernels are correct, so a FAIL here is a bug in hopper_check.cu (its reference, layouts, poison or status
# expectations), found before it costs GPU time.
#
#     bash benchmarks/hopper-dev/mock/mock_check.sh [hopper_check arguments, default: --sanitize]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
DEV="$ROOT/benchmarks/hopper-dev"
BUILD=${BUILD:-/tmp/attngen-hopper-mock}
NV_INCLUDE=${NV_INCLUDE:-$(dirname "$(command -v nvcc)")/../include}
mkdir -p "$BUILD"
cd "$ROOT"
swift build -q
emit() { # NAME FLAGS...
    local name=$1; shift
    swift run -q attngen emit c --name "$name" "$@" --out "$BUILD/c_$name" --force -q
}
OBJS=()
while read -r line; do
    case "$line" in ''|'#'*|ex\ *) continue ;; esac
    eval "emit $line"
    name=${line%% *}
    cc -std=c11 -O3 -march=native -fopenmp -I "$BUILD/c_$name" -c "$BUILD/c_$name/$name.c" -o "$BUILD/$name.o"
    OBJS+=("$BUILD/$name.o")
done <"$DEV/variants.list"
CXXFLAGS="-std=c++17 -O2 -Wall -Wextra -Werror -Wno-unused-function -I $NV_INCLUDE -I $DEV/.variants"
c++ $CXXFLAGS -x c++ -c "$DEV/hopper_check.cu" -o "$BUILD/hopper_check.o"
c++ $CXXFLAGS -c "$DEV/mock/mock_cuda.cpp" -o "$BUILD/mock_cuda.o"
c++ $CXXFLAGS -c "$DEV/mock/mock_entries.cpp" -o "$BUILD/mock_entries.o"
c++ -fopenmp "$BUILD/hopper_check.o" "$BUILD/mock_cuda.o" "$BUILD/mock_entries.o" "${OBJS[@]}" -lm -lpthread \
    -o "$BUILD/hopper_check_mock"
if [ $# -eq 0 ]; then set -- --sanitize; fi
"$BUILD/hopper_check_mock" "$@"
