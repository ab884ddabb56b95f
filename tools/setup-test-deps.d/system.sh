#!/usr/bin/env bash
# Debian packages some tests exercise, installed when missing (as root, on this project's machines):
#  - libdnnl2: oneDNN, the `fast` precision's bf16 GEMM (tests compare it with the managed kernel);
#  - fonts-dejavu-core: DejaVu Sans, the figures' font (ScottPlot/SkiaSharp falls back to another without it);
#  - python3-numpy: /usr/bin/python3 loads the routing logs (.npy) the detect tests write;
#  - clang-14: compiles the CUDA kernel sources to PTX without a GPU or the CUDA SDK (Inference/Cuda/Kernels/ClangCheck);
#  - chromium-headless-shell: renders the demo's report.html to check its layout (DemoTests).
set -euo pipefail
need=()
[ -e /usr/lib/x86_64-linux-gnu/libdnnl.so.2 ] || ldconfig -p 2>/dev/null | grep -q 'libdnnl.so.2' || need+=(libdnnl2)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
command -v clang-14 >/dev/null || need+=(clang-14)
command -v chromium-headless-shell >/dev/null || need+=(chromium-headless-shell)
[ ${#need[@]} -eq 0 ] && { echo "system: libdnnl2, fonts-dejavu-core, python3-numpy, clang-14, chromium-headless-shell present"; exit 0; }
if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "system: missing ${need[*]} and cannot install them here (needs root and apt-get)" >&2; exit 1
fi
echo "system: installing ${need[*]} (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
