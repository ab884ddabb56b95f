#!/usr/bin/env bash
# What the fuzzing harness needs (docs/RELIABILITY.md): afl-fuzz from Debian's afl++ package, and SharpFuzz's
# instrumentation tool (SharpFuzz.CommandLine 2.3.0, a local dotnet tool: .config/dotnet-tools.json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if ! command -v afl-fuzz >/dev/null; then
  if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
    echo "fuzz: afl-fuzz missing and cannot be installed here (needs root and apt-get: apt-get install afl++)" >&2; exit 1
  fi
  echo "fuzz: installing afl++ (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q afl++ >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q afl++ >/dev/null; }
fi
(cd "$root" && dotnet tool restore >/dev/null)
echo "fuzz: afl-fuzz $(afl-fuzz -h 2>&1 | grep -o '++[0-9.a-z]*' | head -1), sharpfuzz 2.3.0 present"
