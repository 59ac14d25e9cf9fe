#!/usr/bin/env bash
# Regenerates benchmarks/hopper-dev/variants/ (committed, so that the GPU machine needs no Swift): the C ABI
# header, the shared CUDA runtime header and, per variant, NAME.cuh (the launcher's declaration) and
# NAME_variant.cuh (constants and mask hooks) from `attngen emit cuda --arch sm90`. The mma.sync kernels it
# also emits (NAME.cu) are not kept: the Hopper kernel, Templates/hopper/forward.cu, is compiled once per
# variant against these headers instead (run.sh).
#
#     bash benchmarks/hopper-dev/regen_variants.sh        # from the repository root, with swift
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST="$ROOT/benchmarks/hopper-dev/variants"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"
swift build -q
emit() { # NAME FLAGS...
    local name=$1; shift
    swift run -q attngen emit cuda --arch sm90 --name "$name" "$@" --out "$TMP/$name" --force -q
    cp "$TMP/$name/$name.cuh" "$TMP/$name/${name}_variant.cuh" "$DEST/"
    cp "$TMP/$name/attngen_abi.h" "$TMP/$name/attngen_runtime_cuda.cuh" "$DEST/"
}
rm -rf "$DEST"
mkdir -p "$DEST"
# The standalone default of Templates/hopper/forward.cu (the brief's example).
emit ex --head-dim 128 --dtype bf16 --causal --lse
# The variants of the check (hopper_check.cu's table must match these flags).
emit hop_dense_d128_bf16     --head-dim 128 --dtype bf16 --lse
emit hop_causal_d128_bf16    --head-dim 128 --dtype bf16 --causal --lse
emit hop_causal_br_d128_bf16 --head-dim 128 --dtype bf16 --causal bottom-right --lse
emit hop_causal_d128_fp16    --head-dim 128 --dtype fp16 --causal --lse
emit hop_dense_d64_bf16      --head-dim 64 --dtype bf16
emit hop_window_br_d64_fp16  --head-dim 64 --dtype fp16 --window 200:0 --window-align bottom-right --lse
emit hop_sparse_d128_bf16    --head-dim 128 --dtype bf16 --block-sparse 128x128 --lse
emit hop_pred_d64_bf16       --head-dim 64 --dtype bf16 --predicate '(q + 2 * k) % 5 != 0' --lse
echo "wrote $(ls "$DEST" | wc -l) files to $DEST"
