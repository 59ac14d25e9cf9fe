#!/usr/bin/env bash
# CPU decode benchmark (bench_decode.py): generates benchmarks/cpu/decode_variants.json with attngen emit c, builds
# them with cc -O3 -march=native -fopenmp into one shared library and times them against torch's CPU SDPA and the
# read bandwidth. VENV=path picks a virtual environment with torch (default .venv-bench, as run.sh makes it);
# ATTNGEN_BENCH_THREADS (default 2) the threads; ATTNGEN_CFLAGS adds compiler flags (e.g. -DATTNGEN_NO_BF16_DOT,
# declining the bf16 dot products of README.md "The C ABI"), recorded in the results' command line.
#
#   bash benchmarks/cpu/decode.sh [--quick] [--results FILE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${VENV:-$root/.venv-bench}"
work="$root/.build-bench/decode"
cc="${CC:-cc}"
cd "$root"
mkdir -p "$work"
swift build --scratch-path "$root/.build-bench/swift" --product attngen >/dev/null
"$root/.build-bench/swift/debug/attngen" emit c --spec "$here/decode_variants.json" --out "$work/kernels" --force --quiet
# shellcheck disable=SC2086  # ATTNGEN_CFLAGS is a list of flags
"$cc" -std=c11 -O3 -march=native -fopenmp ${ATTNGEN_CFLAGS:-} -fPIC -shared -I"$work/kernels" "$work/kernels"/*.c \
    -o "$work/libattngen_decode.so" -lm
ATTNGEN_KERNELS="$work/kernels" "$venv/bin/python" "$here/bench_decode.py" --lib "$work/libattngen_decode.so" \
    --command "${ATTNGEN_CFLAGS:+ATTNGEN_CFLAGS='$ATTNGEN_CFLAGS' }bash benchmarks/cpu/decode.sh${*:+ $*}" "$@"
