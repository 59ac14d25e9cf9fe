#!/usr/bin/env bash
# Builds and checks the Hopper forward kernel on an sm_90 GPU, in one command from the repository root:
#
#     bash benchmarks/hopper-dev/run.sh              # build, probes, status checks, matrix, timings (~1-2 min)
#     bash benchmarks/hopper-dev/run.sh --sanitize   # the same build, then only compute-sanitizer (memcheck,
#                                                    # synccheck, racecheck) on a small matrix of 3 variants
#     bash benchmarks/hopper-dev/run.sh --no-timing  # (any other argument goes to hopper_check)
#     bash benchmarks/hopper-dev/run.sh --build-only # compile and report ptxas figures (no GPU needed)
#
# 1. compiles each variant of benchmarks/hopper-dev/.variants (NAME.cu and NAME_mma.cu, emitted here by
#    no Swift needed) and hopper_check.cu, with nvcc -gencode arch=compute_90a,code=sm_90a -O3 -std=c++17
#    -Xptxas -v, in parallel; the ptxas lines of every kernel go to $OUT/ptxas.txt and a one-line digest each
#    (registers, stack, spills) is printed;
# 2. runs hopper_check (timeout 150 s); on a HANG (exit status 3) rebuilds the hanging variant with the in-kernel
#    mbarrier timeout (-DATTNGEN_HOPPER_WAIT_TIMEOUT) and reruns it, so that the device prints which barrier
#    never completed;
# 3. times torch SDPA (cuDNN and flash backends) at the same shapes with anchor_sdpa.py when python3 has torch
#    (not with --no-timing, --only or --sanitize; NO_ANCHOR=1 skips it) and prints attngen / anchor ratios;
# 4. prints a summary. Logs: $OUT (default /tmp/attngen-hopper-out; the device tool's $OUT when set).
#
# Environment: NVCC (default nvcc), EXTRA_FLAGS (e.g. "-Werror all-warnings"), LINK_FLAGS (extra link flags, e.g. -L for a pip-installed toolkit), BUILD (default /tmp/attngen-hopper-build), JOBS (default nproc), OUT.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEV="$ROOT/benchmarks/hopper-dev"
NVCC=${NVCC:-nvcc}
BUILD=${BUILD:-/tmp/attngen-hopper-build}
JOBS=${JOBS:-$(nproc)}
OUT=${OUT:-/tmp/attngen-hopper-out}
FLAGS="-gencode arch=compute_90a,code=sm_90a -O3 -std=c++17 ${EXTRA_FLAGS:-}"
# Every variant of variants.list but `ex` (hopper_check.cu's kVariants table describes the same ones).
VARIANTS=$(grep -v '^#' "$DEV/variants.list" | awk 'NF && $1 != "ex" {print $1}' | tr '\n' ' ')

SANITIZE=0
BUILD_ONLY=0
ARGS=()
for a in "$@"; do
    case "$a" in
        --sanitize) SANITIZE=1 ;;
        --build-only) BUILD_ONLY=1 ;;
        *) ARGS+=("$a") ;;
    esac
done

mkdir -p "$BUILD" "$OUT"
LOG="$OUT/run.log"
: >"$LOG"
rm -f "$OUT/anchor.txt" "$OUT/hang.txt" "$OUT/check.txt"
say() { echo "$@" | tee -a "$LOG"; }
START=$(date +%s)

say "== build ($($NVCC --version | grep release | sed 's/.*release/release/'), $JOBS jobs) in $BUILD"
# compile_variant NAME OBJ EXTRA_FLAGS: the variant's emitted Hopper kernel (NAME.cu) into OBJ and its mma.sync
# fallback (NAME_mma.cu, for layouts TMA cannot address) beside it; ptxas's report of the Hopper kernel in OBJ.log.
compile_variant() {
    local name=$1 obj=$2 extra=$3
    $NVCC $FLAGS -Xptxas -v $extra -I "$DEV/.variants" -c "$DEV/.variants/$name.cu" -o "$obj" >"$obj.log" 2>&1 &&
        $NVCC $FLAGS $extra -I "$DEV/.variants" -c "$DEV/.variants/${name}_mma.cu" -o "${obj%.o}_mma.o" >"$obj.mma.log" 2>&1
    local status=$?
    [ $status -eq 0 ] || { echo "BUILD FAILED: $name"; cat "$obj.log" "$obj.mma.log" 2>/dev/null; }
    return $status
}
export -f compile_variant
export NVCC FLAGS DEV ROOT
rm -f "$BUILD"/*.o "$BUILD"/hopper_check
echo $VARIANTS | tr ' ' '\n' | xargs -P "$JOBS" -I{} bash -c 'compile_variant {} "$0/{}.o" ""' "$BUILD" 2>&1 | tee -a "$LOG"
$NVCC $FLAGS -I "$DEV/.variants" "$DEV/hopper_check.cu" "$BUILD"/*.o -o "$BUILD/hopper_check" ${LINK_FLAGS:-} 2>&1 | tee -a "$LOG"
LINKED=1
if [ ! -x "$BUILD/hopper_check" ]; then
    LINKED=0
    # --build-only without the CUDA static libraries (no GPU toolkit install): the variants' figures still count.
    [ "$BUILD_ONLY" -eq 1 ] && say "hopper_check not linked (fine for --build-only)" || { say "BUILD FAILED (hopper_check)"; exit 1; }
fi
: >"$OUT/ptxas.txt"
for v in $VARIANTS; do
    cat "$BUILD/$v.o.log" >>"$OUT/ptxas.txt"
    regs=$(grep -o 'Used [0-9]* registers' "$BUILD/$v.o.log" | head -1)
    frame=$(grep -o '[0-9]* bytes stack frame, [0-9]* bytes spill stores, [0-9]* bytes spill loads' "$BUILD/$v.o.log" | head -1)
    warn=$(grep -ci 'warning' "$BUILD/$v.o.log")
    say "ptxas $(printf '%-24s' $v) $regs, $frame, $warn warnings"
done
grep -i 'warning' "$OUT/ptxas.txt" | sort -u | head -20 | tee -a "$LOG"
say "build took $(( $(date +%s) - START )) s"
for v in $VARIANTS; do [ -s "$BUILD/$v.o" ] || { say "BUILD FAILED: $v"; exit 1; }; done
[ "$BUILD_ONLY" -eq 1 ] && exit 0

STATUS=0
if [ "$SANITIZE" -eq 0 ]; then
say "== hopper_check ${ARGS[*]:-}"
timeout 150 "$BUILD/hopper_check" ${ARGS[@]+"${ARGS[@]}"} 2>&1 | tee "$OUT/check.txt" | tee -a "$LOG"
STATUS=${PIPESTATUS[0]}
fi
if [ "$STATUS" -eq 3 ] || [ "$STATUS" -eq 124 ]; then
    HUNG=$(grep -o 'HANG: [a-z0-9_]*' "$OUT/check.txt" | awk '{print $2}' | head -1)
    [ "$STATUS" -eq 3 ] && [ -n "$HUNG" ] || HUNG=$(grep '^CASE\|^PROBE' "$OUT/check.txt" | tail -1 | awk '{print $2}')
    say "== HANG in $HUNG: rebuilding it with the in-kernel mbarrier timeout and rerunning it"
    mkdir -p "$BUILD/debug"
    for v in $VARIANTS; do
        if [ "$v" = "$HUNG" ]; then
            compile_variant "$v" "$BUILD/debug/$v.o" "-DATTNGEN_HOPPER_WAIT_TIMEOUT=4000000000" | tee -a "$LOG"
        else
            cp "$BUILD/$v.o" "$BUILD/${v}_mma.o" "$BUILD/debug/"
        fi
    done
    $NVCC $FLAGS -I "$DEV/.variants" "$DEV/hopper_check.cu" "$BUILD"/debug/*.o -o "$BUILD/debug/hopper_check" ${LINK_FLAGS:-} 2>&1 | tee -a "$LOG"
    timeout 60 "$BUILD/debug/hopper_check" --no-timing --only "$HUNG" 2>&1 | tail -40 | tee "$OUT/hang.txt" | tee -a "$LOG"
fi

# 3. Anchors: torch SDPA (cuDNN, flash) at the timed shapes, in the same run, when torch is there.
case " ${ARGS[*]:-} " in *" --no-timing "*|*" --only "*) ANCHOR=0 ;; *) ANCHOR=1 ;; esac
if [ "$SANITIZE" -eq 0 ] && [ "$ANCHOR" -eq 1 ] && [ "${NO_ANCHOR:-0}" != 1 ] && python3 -c 'import torch' 2>/dev/null; then
    say "== anchors: torch SDPA (benchmarks/hopper-dev/anchor_sdpa.py)"
    timeout 300 python3 "$DEV/anchor_sdpa.py" --ours "$OUT/check.txt" 2>&1 | tee "$OUT/anchor.txt" | tee -a "$LOG"
fi

SAN_STATUS=0
if [ "$SANITIZE" -eq 1 ]; then
    for tool in memcheck synccheck racecheck; do
        say "== compute-sanitizer --tool $tool (small matrix)"
        timeout 100 compute-sanitizer --tool $tool "$BUILD/hopper_check" --sanitize --only hop_dense_d128_bf16,hop_causal_br_d128_bf16,hop_window_br_d64_fp16,hop_causal_d256_bf16,hop_pred_d192_fp16 \
            >"$OUT/sanitize_$tool.txt" 2>&1
        s=$?
        tail -4 "$OUT/sanitize_$tool.txt" | tee -a "$LOG"
        [ $s -eq 0 ] || SAN_STATUS=$s
    done
fi

say ""
say "==== run.sh summary ===="
grep -h '^ptxas ' "$LOG" | sed 's/^/  /' | tee -a "$OUT/summary.txt"
[ -f "$OUT/check.txt" ] && [ "$SANITIZE" -eq 0 ] && sed -n '/==== SUMMARY ====/,$p' "$OUT/check.txt" | tee -a "$OUT/summary.txt"
[ -f "$OUT/anchor.txt" ] && grep '^RATIO\|==== attngen vs' "$OUT/anchor.txt" | tee -a "$OUT/summary.txt"
[ -f "$OUT/hang.txt" ] && { echo "hang diagnosis:"; grep -i 'timed out\|HANG\|error' "$OUT/hang.txt" | head -10; }
[ "$SANITIZE" -eq 1 ] && echo "compute-sanitizer: $( [ $SAN_STATUS -eq 0 ] && echo clean || echo "errors (see $OUT/sanitize_*.txt)")"
[ "$SANITIZE" -eq 1 ] && STATUS=$SAN_STATUS
echo "exit status $STATUS; total $(( $(date +%s) - START )) s; logs in $OUT"
exit $STATUS
