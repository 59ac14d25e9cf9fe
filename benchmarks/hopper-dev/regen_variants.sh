#!/usr/bin/env bash
# Regenerates benchmarks/hopper-dev/.variants/ (ignored; carry it to the GPU machine, which has no Swift): per variant
# of variants.list, what `attngen emit cuda --arch sm90` writes (the Hopper family): NAME.cu (the Hopper kernel and
# its launcher, from Templates/hopper/forward.cu), NAME_mma.cu (the mma.sync fallback for layouts TMA cannot
# address), NAME.cuh, NAME_variant.cuh, and the shared headers. run.sh compiles NAME.cu and NAME_mma.cu.
#
#     bash benchmarks/hopper-dev/regen_variants.sh        # from the repository root, with swift
#     BUDGET=200000 bash benchmarks/hopper-dev/regen_variants.sh   # another shared-memory budget (fewer K/V stages)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST="$ROOT/benchmarks/hopper-dev/.variants"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"
swift build -q
emit() { # NAME FLAGS...
    local name=$1; shift
    swift run -q attngen emit cuda --arch sm90 --name "$name" "$@" ${BUDGET:+--budget "$BUDGET"} --out "$TMP/$name" --force -q
    cp "$TMP/$name/$name.cu" "$TMP/$name/${name}_mma.cu" "$TMP/$name/$name.cuh" "$TMP/$name/${name}_variant.cuh" "$DEST/"
    cp "$TMP/$name/attngen_abi.h" "$TMP/$name/attngen_checks.h" "$TMP/$name/attngen_runtime_cuda.cuh" \
        "$TMP/$name/attngen_runtime_hopper.cuh" "$DEST/"
}
rm -rf "$DEST"
mkdir -p "$DEST"
# variants.list: `ex` (the brief's example) and the variants of the check.
while read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    eval "emit $line"
done <"$ROOT/benchmarks/hopper-dev/variants.list"
echo "wrote $(ls "$DEST" | wc -l) files to $DEST"
