#!/usr/bin/env bash
# The GPU session's runbook, run from the published bundle (tools/gpu/publish.sh) on the GPU machine, which has no
# dotnet. Each step fits one device call (< 10 minutes); results go to $OUT (default ./out).
#   ./run-on-device.sh check   gpu-check on the seven parity fixtures (CPU exact vs GPU exact / fast) and the demo's detect
#   ./run-on-device.sh olmoe   make-random OLMoE-1B-7B, HF grouped_mm baseline, steermoe bench --device cuda, ratios
#   ./run-on-device.sh qwen3   the same for Qwen3-30B-A3B with its first 24 layers
# Models are written to $MODELS (default /tmp/steermoe-models) and deleted after their step (disk is 64 GiB).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$here/out}"
models="${MODELS:-/tmp/steermoe-models}"
python="${PYTHON:-python3}"
mkdir -p "$out" "$models"
cd "$here"
echo "== $(date -u) step ${1:-?} on $(hostname)" | tee -a "$out/log.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee -a "$out/log.txt"

bench_model() {   # name preset [layers]
  local name="$1" preset="$2" layers="${3:-}" dir="$models/$1"
  local layerArg=(); [ -n "$layers" ] && layerArg=(--layers "$layers")
  local start=$SECONDS
  ./steermoe make-random --like "$preset" "${layerArg[@]}" --out "$dir" 2>&1 | tee -a "$out/log.txt"
  echo "make-random $name: $((SECONDS - start)) s, $(du -sh "$dir" | cut -f1)" | tee -a "$out/log.txt"
  "$python" hf_bench.py --model "$dir" --out "$out/hf-$name.json" 2>&1 | tee "$out/hf-$name.txt"
  ./steermoe bench --device cuda --model "$dir" --precision fast --baseline "$out/hf-$name.json" 2>&1 | tee "$out/bench-$name.txt"
  rm -rf "$dir"
}

case "${1:-}" in
  check)
    ./steermoe gpu-check --fixtures "$here/hf-parity" --detect-model "$here/default-model" --detect-pairs "$here/counting.pairs.jsonl" 2>&1 | tee "$out/gpu-check.txt"
    echo "gpu-check exit code: ${PIPESTATUS[0]}" | tee -a "$out/gpu-check.txt" ;;
  olmoe) bench_model olmoe olmoe-1b-7b ;;
  qwen3) bench_model qwen3-24 qwen3-30b-a3b 24 ;;
  *) echo "usage: $0 check|olmoe|qwen3" >&2; exit 2 ;;
esac
