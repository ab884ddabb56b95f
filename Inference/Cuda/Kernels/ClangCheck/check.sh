#!/usr/bin/env bash
# Compiles every kernel source (Common.cu + one source, as KernelSources.cs concatenates them for NVRTC) to PTX
# with clang-14, without the CUDA SDK, to catch syntax and type errors on a machine without a GPU or NVRTC.
# Usage: check.sh [OUTDIR]   (prints one line per source; exits non-zero on the first error)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/../Sources"
out="${1:-$(mktemp -d)}"
clang="${CLANG:-clang-14}"
command -v "$clang" >/dev/null || { echo "clang check: $clang not found (apt-get install clang-14)" >&2; exit 3; }
mkdir -p "$out"
for f in "$src"/*.cu; do
  name="$(basename "$f" .cu)"
  [ "$name" = Common ] && continue
  cat "$src/Common.cu" "$f" > "$out/$name.full.cu"
  "$clang" -x cuda --cuda-gpu-arch=sm_80 -nocudainc -nocudalib --cuda-device-only -O2 -std=c++17 \
    -Werror -Wno-unknown-cuda-version -fms-extensions -Xclang -target-feature -Xclang +ptx72 -include "$here/prelude.h" -S -o "$out/$name.ptx" "$out/$name.full.cu"
  entries=$(grep -c '^\.visible \.entry\|^\.entry' "$out/$name.ptx" || true)
  echo "$name.cu: OK, $entries kernels, $(wc -c < "$out/$name.ptx") bytes of PTX"
done
