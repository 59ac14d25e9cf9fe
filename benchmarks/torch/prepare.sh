#!/usr/bin/env bash
# Here (with Swift): emits the PyTorch package the GPU run checks and times into the ignored folder
# benchmarks/torch/.package (attngen emit torch over Tests/AttnGenTests/Fixtures/torch_variants.json, the variants of
# the CPU test in CI). Carry it to the GPU machine: run(carry=["benchmarks/torch/.package"]).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
swift build --product attngen >/dev/null
"$(swift build --show-bin-path)/attngen" emit torch --spec Tests/AttnGenTests/Fixtures/torch_variants.json \
    --out benchmarks/torch/.package --force --quiet
echo "benchmarks/torch/.package: $(find benchmarks/torch/.package -type f | wc -l) files"
# README's CUDA example, as written (its emit line with out/ moved into .package/readme-cuda), for run.sh.
heading="### CUDA, on an H100 or H200"
example=benchmarks/torch/.package/readme-cuda
mkdir -p "$example"
python3 benchmarks/torch/readme_block.py "$heading" cpp >"$example/main.cu"
emit="$(python3 benchmarks/torch/readme_block.py "$heading" sh | grep '^swift run attngen ' | sed 's/^swift run attngen //')"
(cd "$example" && eval "\"$(cd "$root" && swift build --show-bin-path)/attngen\" $emit --force --quiet")
python3 benchmarks/torch/readme_block.py "$heading" sh | grep -v '^swift run attngen ' >"$example/build.sh"
echo "$example: README's CUDA example ($(ls "$example/out" | tr '\n' ' '))"
