#!/usr/bin/env bash
# Here (with Swift): emits the PyTorch package the context-parallel run uses into the ignored folder
# benchmarks/context_parallel/.package: the benchmark's variants (cp_bench_spec.json) and the check's
# (Tests/AttnGenTests/Fixtures/cp_variants.json) in one package. Carry it to the GPU machine:
# run(carry=["benchmarks/context_parallel/.package"]), then bash benchmarks/context_parallel/run.sh there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
swift build --product attngen >/dev/null
spec="$(mktemp --suffix=.json)"
trap 'rm -f "$spec"' EXIT
python3 - "$spec" <<'PY'
import json, sys
variants = []
for path in ("benchmarks/context_parallel/cp_bench_spec.json", "Tests/AttnGenTests/Fixtures/cp_variants.json"):
    with open(path) as handle:
        variants += json.load(handle)["variants"]
with open(sys.argv[1], "w") as handle:
    json.dump({"variants": variants}, handle)
PY
"$(swift build --show-bin-path)/attngen" emit torch --spec "$spec" --out benchmarks/context_parallel/.package \
    --force --quiet
echo "benchmarks/context_parallel/.package: $(find benchmarks/context_parallel/.package -type f | wc -l) files"
