#!/usr/bin/env bash
# Times the paper's pipeline (detection on pairs, generation and scoring on a benchmark) on OLMoE-shaped random
# weights: make-random's olmoe-1b-7b (16 layers x 64 experts, top-8, 6.9 B parameters, 13.8 GB of bf16) with
# --word-tokenizer (a word-level tokenizer over its 50304 ids: random weights answer with arbitrary ids),
# FaithEval-counterfactual-shaped rows of about WORDS words. Answers are meaningless; the work per prompt is that of the real model.
#   tools/paper/olmoe_shaped_timing.sh WORK_DIR [PROMPTS=32] [PAIRS=16] [WORDS=120] [NEW_TOKENS=32] [PRECISION=fast]
# Prints the log of `experiment run` (detection, then the unsteered cell with per-batch progress) and the times.
set -euo pipefail
work=${1:?usage: olmoe_shaped_timing.sh WORK_DIR [PROMPTS] [PAIRS] [WORDS] [NEW_TOKENS] [PRECISION]}
prompts=${2:-32}; pairs=${3:-16}; words=${4:-120}; new_tokens=${5:-32}; precision=${6:-fast}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"
model="$work/olmoe-1b-7b-random"
[ -f "$model/tokenizer.json" ] || "$root/steermoe" make-random --like olmoe-1b-7b --word-tokenizer --out "$model"
python3 "$root/tools/paper/make_timing_inputs.py" "$model" "$work/data" "$prompts" "$pairs" "$words"
cat > "$work/timing.yaml" <<YAML
name: olmoe-shaped-timing
pairs: pairs.jsonl
benchmarks: [faitheval-counterfactual]
strategies: [authors]
precision: $precision
max_new_tokens: $new_tokens
batch_size: 16
grid: { activate: [0], deactivate: [0] }
YAML
rm -rf "$work/run"
start=$(date +%s)
"$root/steermoe" experiment run "$work/timing.yaml" --model "$model" --data "$work/data" --out "$work/run" | tee "$work/run.log"
end=$(date +%s)
echo "wall: $((end - start)) s for $pairs detection pairs and $prompts prompts of about $words words, $new_tokens new tokens each ($precision)"
