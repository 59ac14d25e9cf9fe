#!/usr/bin/env bash
# The GPU check of the attngen CUDA backend. Run from the repository root on a machine with an NVIDIA GPU
# (sm_90; the kernels are the sm90 emission) and nvcc:
#
#     bash benchmarks/gpu/check.sh            # writes $OUT/REPORT.md (OUT defaults to /tmp/attngen-gpu-check)
#
# 1. builds the kernels of benchmarks/gpu/check_variants.json (emitted into benchmarks/gpu/.generated/forward by
#    `bash benchmarks/gpu/prepare.sh`, here, and carried) and the driver
#    against the float64 reference of Tests/AttnGenTests/Fixtures/reference.c;
# 2. runs the variant x shape matrix (check_driver), compute-sanitizer memcheck and racecheck on a subset,
#    and the benchmark variants at the ANCHORS.md shapes;
# 3. runs the PyTorch package of `attngen emit torch` (benchmarks/torch/.package, emitted by prepare.sh; carry it
#    too) through its check on CUDA tensors (Tests/AttnGenTests/Fixtures/torch_package_check.py);
# 4. writes the report ($OUT/REPORT.md; OUT defaults to /tmp/attngen-gpu-check).
# ONLY=NAME[,NAME...] checks those variants alone (matrix and sanitizers) and skips the benchmark and the PyTorch step.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GPU_DIR="$ROOT/benchmarks/gpu"
KERNELS=${KERNELS:-"$GPU_DIR/.generated/forward"}
[ -f "$KERNELS/check_variants.inc" ] || { echo "no $KERNELS/check_variants.inc: run bash benchmarks/gpu/prepare.sh first" >&2; exit 2; }
OUT=${OUT:-/tmp/attngen-gpu-check}
BUILD=${BUILD:-/tmp/attngen-gpu-build}
NVCC=${NVCC:-nvcc}
ARCH=${ARCH:-"-gencode arch=compute_90a,code=sm_90a"}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT" "$BUILD"
LOG="$OUT/check.log"
: >"$LOG"
say() { echo "$@" | tee -a "$LOG"; }

say "== build ($NVCC, $JOBS jobs)"
START=$(date +%s)
# Objects of an earlier build (another KERNELS folder: NAME_mma.o of the Hopper family) would be linked too.
rm -f "$BUILD"/*.o "$BUILD/check_driver"
ls "$KERNELS"/*.cu | xargs -P "$JOBS" -I{} sh -c \
    "$NVCC -std=c++17 -O3 $ARCH -Werror all-warnings -Xptxas -warn-spills -c {} -o $BUILD/\$(basename {} .cu).o" \
    2>&1 | tee -a "$LOG"
$NVCC -std=c++17 -O3 $ARCH -I"$KERNELS" -I"$ROOT/Tests/AttnGenTests/Fixtures" \
    -c "$ROOT/Tests/AttnGenTests/Fixtures/reference.c" -o "$BUILD/reference.o" 2>&1 | tee -a "$LOG"
$NVCC -std=c++17 -O3 $ARCH -I"$KERNELS" -I"$ROOT/Tests/AttnGenTests/Fixtures" \
    "$GPU_DIR/check_driver.cu" "$BUILD"/*.o -o "$BUILD/check_driver" 2>&1 | tee -a "$LOG"
say "build took $(( $(date +%s) - START )) s"
[ -x "$BUILD/check_driver" ] || { say "BUILD FAILED"; exit 1; }

say "== correctness matrix"
"$BUILD/check_driver" ${ONLY:+--only "$ONLY"} 2>&1 | tee "$OUT/matrix.txt" | tee -a "$LOG"
MATRIX_STATUS=${PIPESTATUS[0]}

SUBSET=cu_paged1_d64_fp16_causal_br,cu_paged48_gqa_d64_bf16_window,cu_dense_d64_fp16,cu_causal_br_d64_fp16_lse,cu_blocksparse_d64_fp16_lse,cu_predicate_d64_fp16_lse,cu_dropout_d64_fp16,cu_gqa_8x2_d128_bf16_causal,cu_odd_d40_fp16_lse,cu_unaligned_d33_fp16,cu_fp32_d40_causal_dropout
RACE_SUBSET=cu_dense_d64_fp16,cu_window_br_d128_fp16,cu_blocksparse_d64_fp16_lse,cu_unaligned_d33_fp16,cu_fp32_d64_lse
if [ -n "${ONLY:-}" ]; then SUBSET=$ONLY; RACE_SUBSET=$ONLY; fi
say "== compute-sanitizer memcheck ($SUBSET)"
compute-sanitizer --tool memcheck --leak-check full "$BUILD/check_driver" --quick --only "$SUBSET" \
    >"$OUT/memcheck.txt" 2>&1
MEMCHECK_STATUS=$?
tail -3 "$OUT/memcheck.txt" | tee -a "$LOG"
say "== compute-sanitizer racecheck ($RACE_SUBSET)"
compute-sanitizer --tool racecheck --racecheck-report all "$BUILD/check_driver" --quick --only "$RACE_SUBSET" \
    >"$OUT/racecheck.txt" 2>&1
RACECHECK_STATUS=$?
tail -3 "$OUT/racecheck.txt" | tee -a "$LOG"
say "== synccheck"
compute-sanitizer --tool synccheck "$BUILD/check_driver" --quick --only cu_dense_d64_fp16,cu_fp32_d64_lse \
    >"$OUT/synccheck.txt" 2>&1
SYNCCHECK_STATUS=$?
tail -2 "$OUT/synccheck.txt" | tee -a "$LOG"

TORCH_STATUS=0
if [ -z "${ONLY:-}" ]; then
    say "== benchmark (ANCHORS shapes: 16k tokens, hidden 2048, bf16)"
    "$BUILD/check_driver" --bench 2>&1 | tee "$OUT/bench.txt" | tee -a "$LOG"

    say "== the PyTorch package (attngen emit torch) on CUDA tensors"
    PYTHONUNBUFFERED=1 PYTHONPATH="$ROOT/benchmarks/torch/.package" ATTNGEN_TORCH_CACHE="$BUILD/torch" \
        python3 "$ROOT/Tests/AttnGenTests/Fixtures/torch_package_check.py" --device cuda 2>&1 \
        | tee "$OUT/torch.txt" | tee -a "$LOG"
    TORCH_STATUS=${PIPESTATUS[0]}
fi

# ---- report ----
REPORT="$OUT/REPORT.md"
{
    echo "# GPU check of the attngen CUDA backend"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1) (name, driver, memory)"
    echo "- nvcc: $($NVCC --version | tail -2 | head -1)"
    echo "- command: \`bash benchmarks/gpu/check.sh\` (kernels: benchmarks/gpu/check_variants.json, emitted for sm90 by prepare.sh; built with $ARCH)"
    echo "- reference: Tests/AttnGenTests/Fixtures/reference.c (float64, its own Philox and masks); fresh random inputs (seed below)"
    echo
    echo "## Correctness (exit status $MATRIX_STATUS)"
    echo
    echo "Shapes per variant: (B, Hq, Hkv, Nq, Nk) = (2,4,2,128,128) BHSD, (1,2,2,77,203) BSHD, (1,2,1,203,77),"
    echo "(1,1,1,1,1), (1,2,2,1,300) BSHD, (1,2,2,5,0), (1,3,3,517,389), (1,2,2,150,150) with O one element off a 16-byte boundary; fixed-head variants use their own heads."
    echo "Error = ||O - ref||_2 / ||ref||_2 (worst shape), max |O - ref|, max |LSE - ref| (fully masked rows must give"
    echo "O = 0 and LSE = -inf exactly; outputs are poisoned with NaN before each run). Dropout variants: O with one-hot V"
    echo "must be zero exactly where the reference's Philox drops. Each variant also checks the launcher's error codes."
    echo
    grep -E '^\||^philox|^device|dropout pattern|ALL PASS|FAILURES|shape [0-9]' "$OUT/matrix.txt"
    echo
    echo "## compute-sanitizer (on \`check_driver --quick\`, 2 shapes per variant)"
    echo
    echo "- memcheck (exit $MEMCHECK_STATUS) on $SUBSET: $(grep -E 'ERROR SUMMARY|LEAK SUMMARY' "$OUT/memcheck.txt" | tr '\n' ' ')"
    echo "- racecheck (exit $RACECHECK_STATUS) on $RACE_SUBSET: $(grep -E 'RACECHECK SUMMARY|ERROR SUMMARY' "$OUT/racecheck.txt" | tr '\n' ' ')"
    echo "- synccheck (exit $SYNCCHECK_STATUS): $(grep -E 'ERROR SUMMARY' "$OUT/synccheck.txt" | tr '\n' ' ')"
    echo
    echo "## Throughput (informational; forward FLOPs = 4·B·H·N²·d, halved for causal; median of 20, CUDA events)"
    echo
    grep -E '^\|' "$OUT/bench.txt"
    echo
    echo "## The PyTorch package on CUDA tensors (Tests/AttnGenTests/Fixtures/torch_package_check.py, exit status $TORCH_STATUS)"
    echo
    grep -vE '^pass' "$OUT/torch.txt"
} >"$REPORT"
say "== report: $REPORT"
[ "$MATRIX_STATUS" -eq 0 ] && [ "$MEMCHECK_STATUS" -eq 0 ] && [ "$RACECHECK_STATUS" -eq 0 ] && [ "$TORCH_STATUS" -eq 0 ]
