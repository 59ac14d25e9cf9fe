#!/usr/bin/env bash
# On the GPU machine, from the repository root, after bash benchmarks/context_parallel/prepare.sh here:
#   bash benchmarks/context_parallel/run.sh [--quick]
# 1. builds the package's kernels for CPU and CUDA (timed);
# 2. Tests/AttnGenTests/Fixtures/context_parallel_check.py on CUDA tensors: LocalRing R = 1...4 against float64 and
#    the single call, and real NCCL process groups when there are two GPUs or more;
# 3. train_ring.py --check: a small model, ring against one device (2 ranks as threads on the CPU, 2k tokens;
#    torchrun on 2 and 4 GPUs, 16k tokens, where there are that many);
# 4. bench_ring.py: weak scaling at 32k tokens per GPU (one GPU and SDPA; 2 and 4 ranks simulated on one GPU;
#    torchrun on 2 and 4 GPUs where there are that many), causal and dense; strong scaling of one 128k-token
#    causal sequence on 1, 2 and 4 GPUs.
# Logs go to $OUT (default /tmp/attngen-cp-out). Exit status 1 when a check fails. NVLink multicast stays off.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
OUT="${OUT:-/tmp/attngen-cp-out}"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
export PYTHONPATH="$root/benchmarks/context_parallel/.package${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export ATTNGEN_TORCH_CACHE="${ATTNGEN_TORCH_CACHE:-/tmp/attngen-cp-cache}"
quick=0; [ "${1:-}" = "--quick" ] && quick=1
gpus=$(nvidia-smi --list-gpus | wc -l)
status=0
{
    date -u +"%Y-%m-%d %H:%M UTC"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
    python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'NCCL', torch.cuda.nccl.version())"
    echo "GPUs: $gpus; command: bash benchmarks/context_parallel/run.sh $*"
} 2>&1 | tee "$OUT/environment.txt"
start=$(date +%s%N)
python3 -m attngen_torch build --cuda 2>&1 | tee "$OUT/build.log" || status=1
echo "build (CPU + CUDA, all variants): $(( ($(date +%s%N) - start) / 1000000 )) ms" | tee -a "$OUT/build.log"
timeout 180 python3 Tests/AttnGenTests/Fixtures/context_parallel_check.py --device cuda --processes 2>&1 | tee "$OUT/check.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
train="benchmarks/context_parallel/train_ring.py --check --length 16384 --steps 30"
{
    # ranks as threads train on CPU only (autograd runs CUDA backward passes on one thread per device)
    timeout 120 python3 benchmarks/context_parallel/train_ring.py --check --simulate 2 --device cpu --length 2048 \
        --steps 30 || status=1
    for ranks in 2 4; do
        if [ "$gpus" -ge "$ranks" ]; then
            torchrun --standalone --nproc_per_node="$ranks" $train || status=1
        fi
    done
} 2>&1 | tee "$OUT/train.log"
bench="benchmarks/context_parallel/bench_ring.py"
{
    for mode in "" "--dense"; do
        timeout 120 python3 $bench $mode --single --simulate 2,4 --json "$OUT/bench${mode:+-dense}-1gpu.json" || status=1
        [ "$quick" -eq 1 ] && break
        for ranks in 2 4; do
            if [ "$gpus" -ge "$ranks" ]; then
                torchrun --standalone --nproc_per_node="$ranks" $bench $mode || status=1
            fi
        done
    done
    # Strong scaling: one causal sequence of 128k tokens on 1, 2 and 4 GPUs.
    if [ "$quick" -eq 0 ]; then
        timeout 150 python3 $bench --sequence 131072 --single --simulate 2,4 --repeats 3 \
            --json "$OUT/bench-strong-1gpu.json" || status=1
        for ranks in 2 4; do
            if [ "$gpus" -ge "$ranks" ]; then
                torchrun --standalone --nproc_per_node="$ranks" $bench --sequence 131072 --repeats 3 || status=1
            fi
        done
    fi
} 2>&1 | tee "$OUT/bench.log"
exit $status
