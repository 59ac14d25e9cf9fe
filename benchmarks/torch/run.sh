#!/usr/bin/env bash
# On the GPU machine, from the repository root, after bash benchmarks/torch/prepare.sh here:
#   bash benchmarks/torch/run.sh
# 1. builds every variant's CUDA kernels (python -m attngen_torch build --cuda, timed: the first-import cost),
# 2. runs Tests/AttnGenTests/Fixtures/torch_package_check.py on CUDA tensors (float64 reference, dropout, determinism,
#    opcheck, torch.compile, errors, CUDA-graph capture),
# 3. trains a small causal transformer with the attngen op and with SDPA from the same seed (train_compare.py),
# 4. times the per-call overhead at small sizes against SDPA (overhead.py),
# 5. times the fp8 variant's generated quantize call (fp8_quantize.py) and runs compute-sanitizer on it.
# Logs go to $OUT (default /tmp/attngen-torch-out). Exit status 1 when a check fails.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
OUT="${OUT:-/tmp/attngen-torch-out}"
mkdir -p "$OUT"
export PYTHONPATH="$root/benchmarks/torch/.package${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export ATTNGEN_TORCH_CACHE="${ATTNGEN_TORCH_CACHE:-/tmp/attngen-torch-cache}"
status=0
{
    date -u +"%Y-%m-%d %H:%M UTC"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
    python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda)"
    echo "nvcc: $(command -v nvcc || echo 'not on PATH')"
} 2>&1 | tee "$OUT/environment.txt"
start=$(date +%s%N)
python3 -m attngen_torch build --cuda 2>&1 | tee "$OUT/build.log" || status=1
echo "first build (CPU + CUDA, all variants, in parallel): $(( ($(date +%s%N) - start) / 1000000 )) ms" | tee -a "$OUT/build.log"
python3 Tests/AttnGenTests/Fixtures/torch_package_check.py --device cuda 2>&1 | tee "$OUT/check_cuda.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
python3 benchmarks/torch/train_compare.py 2>&1 | tee "$OUT/train.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
python3 benchmarks/torch/overhead.py 2>&1 | tee "$OUT/overhead.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
# fp8: the generated quantize call against torch's operations and a copy (fp8_quantize.py), and compute-sanitizer
# memcheck and racecheck on its small calls (the butterflies share a tile in shared memory between barriers).
python3 benchmarks/torch/fp8_quantize.py 2>&1 | tee "$OUT/fp8_quantize.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
if command -v compute-sanitizer >/dev/null 2>&1; then
    for tool in memcheck racecheck; do
        compute-sanitizer --tool "$tool" --error-exitcode 9 python3 benchmarks/torch/fp8_quantize.py --small \
            2>&1 | tail -4 | tee "$OUT/fp8_quantize_$tool.log"
        [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    done
fi
# README's CUDA example as written (prepare.sh put it and its emitted folder into .package/readme-cuda).
(cd benchmarks/torch/.package/readme-cuda && bash -e build.sh) 2>&1 | tail -3 | tee "$OUT/readme_cuda.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
exit $status
