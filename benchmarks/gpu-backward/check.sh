#!/usr/bin/env bash
# The GPU check of the CUDA backward pass, run on a machine with an NVIDIA GPU (sm_90: H100/H200):
#
#   benchmarks/gpu-backward/check.sh [OUTDIR]
#
# Builds the backward kernels of benchmarks/gpu-backward/check_variants.json (emitted into
# benchmarks/gpu/.generated/backward by `bash benchmarks/gpu/prepare.sh`, here, and carried) with check_driver.cu and the
# float64 reference (Tests/AttnGenTests/Fixtures/reference.c), then
#   1. check_driver: every variant x 3 shapes against float64 reference gradients, deterministic mode twice
#      (bit-identical) and fast mode once; then memory and time at N = 16384;
#   2. torch_compare.py: the same gradients against PyTorch autograd of scaled_dot_product_attention (float64
#      and the storage dtype) where PyTorch has the variant; PyTorch's math-backward peak memory at N = 16384;
#   3. compute-sanitizer memcheck and racecheck on a small run.
# Logs go to OUTDIR (default /tmp/gpu-backward-out). Exit status: non-zero when a step fails. NVCC_EXTRA adds flags
# to the kernels' build, e.g. NVCC_EXTRA=-DATTNGEN_HOPPER_WAIT_TIMEOUT=4000000000 turns a Hopper kernel's hung
# mbarrier wait into a message and a trap (attngen_runtime_hopper.cuh).
set -u
export PATH="$PATH:/usr/local/cuda/bin"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUTDIR=${1:-/tmp/gpu-backward-out}
BUILD=$(mktemp -d /tmp/gpu-backward-build.XXXXXX)
KERNELS=${KERNELS:-"$ROOT/benchmarks/gpu/.generated/backward"}
[ -f "$KERNELS/check_variants.inc" ] || { echo "no $KERNELS/check_variants.inc: run bash benchmarks/gpu/prepare.sh first" >&2; exit 2; }
FIXTURES=$ROOT/Tests/AttnGenTests/Fixtures
ARCH="-gencode arch=compute_90a,code=sm_90a"
mkdir -p "$OUTDIR"
status=0

echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
nvcc --version | tail -n 2

echo "== build"
start=$(date +%s)
pids=()
for source in "$KERNELS"/*_backward.cu; do
    nvcc -std=c++17 -O3 $ARCH ${NVCC_EXTRA:-} -I"$KERNELS" -c "$source" -o "$BUILD/$(basename "$source" .cu).o" &
    pids+=($!)
done
nvcc -std=c++17 -O2 $ARCH -I"$KERNELS" -I"$FIXTURES" -c "$HERE/check_driver.cu" -o "$BUILD/check_driver.o" &
pids+=($!)
cc -std=c11 -O2 -I"$KERNELS" -I"$FIXTURES" -c "$FIXTURES/reference.c" -o "$BUILD/reference.o" &
pids+=($!)
for pid in "${pids[@]}"; do wait "$pid" || { echo "build step failed"; status=1; }; done
nvcc $ARCH -o "$BUILD/check_driver" "$BUILD"/*.o -lm || { echo "link failed"; exit 1; }
echo "built in $(( $(date +%s) - start )) s"

echo "== check_driver (float64 reference, determinism, memory and time at N = 16384)"
"$BUILD/check_driver" "$OUTDIR" 2>&1 | tee "$OUTDIR/check.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== PyTorch"
PYTHONUNBUFFERED=1 python3 "$HERE/torch_compare.py" "$OUTDIR" 2>&1 | tee "$OUTDIR/torch.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== compute-sanitizer"
for tool in memcheck racecheck; do
    compute-sanitizer --tool "$tool" --error-exitcode 3 "$BUILD/check_driver" "" small 2>&1 | tee "$OUTDIR/sanitizer-$tool.log" | tail -n 8
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
echo "== done, status $status"
exit $status
