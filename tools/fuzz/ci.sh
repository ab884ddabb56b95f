#!/usr/bin/env bash
# CI's short fuzz: every target for SECONDS (default 10) on one shared instrumented publish, after the corpora replay
# of the test suite. Prints run.sh's line per target; exits 1 when any target saved a crash or a hang.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${1:-10}"
export FUZZ_PUBLISH="$here/out/publish-ci"
status=0
for target in $(ls "$here/corpus"); do
  bash "$here/run.sh" "$target" "$seconds" "$here/out/ci/$target" || status=1
done
exit $status
