#!/usr/bin/env bash
# An A/B of the Hopper forward kernel as emitted (A) against the same source with one edit (B), in one
# `bench.py --tune` run (TUNING.md). Here (with Swift):
#
#     bash benchmarks/gpu/tune_ab.sh prepare 'SED EXPRESSION' [SPEC]   # emits benchmarks/gpu/.generated/tune-ab
#
# and on the GPU machine (benchmarks/gpu/.generated/tune-ab carried):
#
#     bash benchmarks/gpu/tune_ab.sh run [bench.py arguments]       # N = 512 .. 16k; $OUT/tune_ab.log
#
# TUNE_AB_DIR (both steps) names another folder than benchmarks/gpu/.generated/tune-ab, for two A/Bs in one call.
# TUNE_AB_B_FROM (prepare) names a folder that `attngen emit cuda --arch sm90 --family auto --spec SPEC` wrote with
# other templates (an earlier commit, say): B's NAME.cu then comes from there instead of from the sed expression
# (pass '-' as the expression), for an A/B of a change that one sed line cannot express.
#
# Four copies of each variant of SPEC (default benchmarks/gpu/tune_spec.json: bf16 d = 64 and 128, causal or not),
# timed one after the other at each shape in the order aaa, bbb, ccc, ddd: aaa and ccc as emitted, bbb and ddd with
# the sed expression applied to NAME.cu (e.g. 's/constexpr int kQuadGroups = .*;/constexpr int kQuadGroups =
# 0;/'). aaa against ccc (and bbb against ddd) is the run's own noise.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${TUNE_AB_DIR:-"$ROOT/benchmarks/gpu/.generated/tune-ab"} # another folder: two A/Bs prepared for one call
case "${1:-}" in
prepare)
    [ $# -ge 2 ] || { echo "usage: bash benchmarks/gpu/tune_ab.sh prepare 'SED EXPRESSION' [SPEC]" >&2; exit 64; }
    edit=$2
    spec=${3:-"$ROOT/benchmarks/gpu/tune_spec.json"}
    swift build --package-path "$ROOT" --product attngen
    rm -rf "$DIR" "$DIR.tmp"
    "$ROOT/.build/debug/attngen" emit cuda --arch sm90 --family auto --spec "$spec" --out "$DIR.tmp" --force --quiet
    mkdir -p "$DIR"
    cp "$DIR.tmp"/attngen*.h "$DIR.tmp"/attngen*.cuh "$DIR.tmp"/attngen_abi.py "$DIR"
    for header in "$DIR.tmp"/*_variant.cuh; do
        variant=$(basename "$header" _variant.cuh) # e.g. tc_bf16_d128_causal: tn<label>_bf16_d128_causal
        for label in aaa bbb ccc ddd; do
            name="tn${label}_${variant#*_}"
            for file in "$DIR.tmp/$variant".cu "$DIR.tmp/$variant".cuh "$DIR.tmp/${variant}"_variant.cuh \
                "$DIR.tmp/${variant}"_mma.cu; do
                [ -f "$file" ] && sed "s/$variant/$name/g" "$file" >"$DIR/$(basename "$file" | sed "s/^$variant/$name/")"
            done
            if [ $label = bbb ] || [ $label = ddd ]; then
                if [ -n "${TUNE_AB_B_FROM:-}" ]; then
                    [ -f "$TUNE_AB_B_FROM/$variant.cu" ] || { echo "TUNE_AB_B_FROM has no $variant.cu" >&2; exit 1; }
                    ! cmp -s "$TUNE_AB_B_FROM/$variant.cu" "$DIR.tmp/$variant.cu" ||
                        { echo "TUNE_AB_B_FROM's $variant.cu is A's" >&2; exit 1; }
                    sed "s/$variant/$name/g" "$TUNE_AB_B_FROM/$variant.cu" >"$DIR/$name.cu"
                else
                    before=$(md5sum <"$DIR/$name.cu")
                    sed -i "$edit" "$DIR/$name.cu"
                    [ "$(md5sum <"$DIR/$name.cu")" != "$before" ] || { echo "the sed expression changed nothing in $name.cu" >&2; exit 1; }
                fi
            fi
        done
    done
    rm -rf "$DIR.tmp"
    echo "$DIR: $(ls "$DIR"/tn*.cu | wc -l) sources; B is: $([ -n "${TUNE_AB_B_FROM:-}" ] && echo "the sources in $TUNE_AB_B_FROM" || echo "$edit")"
    ;;
run)
    shift
    OUT=${OUT:-/tmp/attngen-tune-ab}
    mkdir -p "$OUT"
    PYTHONUNBUFFERED=1 ATTNGEN_ABI_DIR="$DIR" python3 "$ROOT/benchmarks/gpu/bench.py" --tune "$DIR" --kernels none \
        --tune-seqlens 512,1024,2048,4096,16384 --out "$OUT" "$@" 2>&1 | tee "$OUT/tune_ab.log"
    ;;
*)
    echo "usage: bash benchmarks/gpu/tune_ab.sh prepare 'SED EXPRESSION' [SPEC] | run [bench.py arguments]" >&2
    exit 64
    ;;
esac
