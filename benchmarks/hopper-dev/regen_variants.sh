#!/usr/bin/env bash
# Regenerates benchmarks/hopper-dev/.variants/ (ignored; carry it to the GPU machine, which has no Swift): the C ABI
# header, the shared CUDA runtime header and, per variant, NAME.cuh (the launcher's declaration) and
# NAME_variant.cuh (constants and mask hooks) from `attngen emit cuda --arch sm90`. The mma.sync kernels it
# also emits (NAME.cu) are not kept: the Hopper kernel, Templates/hopper/forward.cu, is compiled once per
# variant against these headers instead (run.sh).
#
#     bash benchmarks/hopper-dev/regen_variants.sh        # from the repository root, with swift
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST="$ROOT/benchmarks/hopper-dev/.variants"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"
swift build -q
emit() { # NAME FLAGS...
    local name=$1; shift
    swift run -q attngen emit cuda --arch sm90 --name "$name" "$@" --out "$TMP/$name" --force -q
    cp "$TMP/$name/$name.cuh" "$TMP/$name/${name}_variant.cuh" "$DEST/"
    cp "$TMP/$name/attngen_abi.h" "$TMP/$name/attngen_checks.h" "$TMP/$name/attngen_runtime_cuda.cuh" "$DEST/"
}
rm -rf "$DEST"
mkdir -p "$DEST"
# variants.list: the standalone default of Templates/hopper/forward.cu (`ex`, the brief's example) and the
# variants of the check.
while read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    eval "emit $line"
done <"$ROOT/benchmarks/hopper-dev/variants.list"
echo "wrote $(ls "$DEST" | wc -l) files to $DEST"
