#!/usr/bin/env bash
# CPU benchmark of the attngen C kernels against PyTorch. Not part of the test suite.
#
#   benchmarks/cpu/run.sh [--shapes anchors|full|quick] [--dtypes fp32,fp16,bf16] [--no-backward] [--budget S]
#
# 1. makes a local virtual environment .venv-bench/ with numpy and a CPU build of PyTorch (from PyPI, or a
#    "+cpu" wheel when pip's configured find-links offer one),
# 2. generates the benchmark variants (benchmarks/cpu/variants.json) with `swift run attngen emit c`,
# 3. compiles them into one shared library with `cc -O3 -march=native -fopenmp -fPIC -shared`,
# 4. runs bench.py: checks every kernel against torch, times it against torch SDPA, unfused
#    matmul-softmax-matmul (torch and numpy) and torch autograd, and writes the machine's results:
#    benchmarks/cpu/RESULTS-<cpu model>.md (RESULTS=path to choose), so that each machine's rows are kept
#    (RESULTS.md: the AMD EPYC run of 2026-11-21). VENV=path uses an existing virtual environment with torch.
# ATTNGEN_BENCH_THREADS (default 2) sets the threads of every contender; CC picks the compiler; ATTNGEN_CFLAGS adds
# compiler flags (e.g. -DATTNGEN_NO_BF16_DOT), recorded in the report's command line. ATTNGEN_CFLAGS_B builds a
# second library of the same kernels with these flags instead (may be empty), timed in the same rounds as the first
# (bench.py --lib-b; the report adds B over A), e.g. ATTNGEN_CFLAGS_B=-DATTNGEN_NO_BF16_DOT.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${VENV:-$root/.venv-bench}"
work="$root/.build-bench"
cc="${CC:-cc}"
cd "$root"

# ---- 1. Python environment ------------------------------------------------------------------------
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    # Prefer a CPU-only wheel (about 190 MB) when the configured indexes/find-links have one; otherwise the
    # default PyPI wheel (which also pulls CUDA libraries, several GB, unused here).
    cpu_torch="$("$venv/bin/pip" index versions torch 2>/dev/null | tr ' ,' '\n\n' | grep -m1 '+cpu$' || true)"
    "$venv/bin/pip" install --quiet numpy "torch${cpu_torch:+==$cpu_torch}"
fi

# ---- 2. generate the kernels -------------------------------------------------------------------------
mkdir -p "$work"
swift build --scratch-path "$work/swift" --product attngen >/dev/null
"$work/swift/debug/attngen" emit c --spec "$here/variants.json" --out "$work/kernels" --force --quiet

# ---- 3. build the shared library -------------------------------------------------------------------
# build_library OUTPUT FLAGS: the emitted kernels with FLAGS (a list, split on spaces) added.
build_library() {
    # shellcheck disable=SC2086  # the flags are a list
    "$cc" -std=c11 -O3 -march=native -fopenmp $2 -fPIC -shared -I"$work/kernels" "$work/kernels"/*.c -o "$1" -lm
}
build_library "$work/libattngen_bench.so" "${ATTNGEN_CFLAGS:-}"
lib_b=()
if [ -n "${ATTNGEN_CFLAGS_B+set}" ]; then
    build_library "$work/libattngen_bench_b.so" "$ATTNGEN_CFLAGS_B"
    lib_b=(--lib-b "$work/libattngen_bench_b.so")
fi

# ---- 4. measure ------------------------------------------------------------------------------------
command_line="${ATTNGEN_CFLAGS:+ATTNGEN_CFLAGS='$ATTNGEN_CFLAGS' }${ATTNGEN_CFLAGS_B+ATTNGEN_CFLAGS_B='$ATTNGEN_CFLAGS_B' }${RESULTS:+RESULTS=$RESULTS }benchmarks/cpu/run.sh${*:+ $*}"
model="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' | tr 'A-Z' 'a-z' | sed 's/([^)]*)//g; s/[^a-z0-9]\{1,\}/-/g; s/^-//; s/-$//')"
results="${RESULTS:-$here/RESULTS-${model:-unknown-cpu}.md}"
"$venv/bin/python" "$here/bench.py" --lib "$work/libattngen_bench.so" "${lib_b[@]}" --results "$results" \
    --command "$command_line" "$@"
