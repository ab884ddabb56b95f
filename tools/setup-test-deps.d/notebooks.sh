#!/usr/bin/env bash
# What executing the C# notebooks headless needs (tools/notebooks/run.sh, notebooks/README in README.md "Notebooks"):
#  - Debian's jupyter-nbconvert (6.5.3; `jupyter nbconvert --execute`, with python3-nbclient) and python3-ipykernel
#    (jupyter-client and the kernel machinery);
#  - the .NET Interactive kernel: the local dotnet tool Microsoft.dotnet-interactive 1.0.712001 (.config/dotnet-tools.json),
#    registered with Jupyter (.net-csharp) for opening the notebooks; run.sh itself uses a kernelspec of its own.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
need=()
command -v jupyter-nbconvert >/dev/null || need+=(jupyter-nbconvert)
/usr/bin/python3 -c 'import ipykernel, nbclient' 2>/dev/null || need+=(python3-ipykernel python3-nbclient)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
    echo "notebooks: missing ${need[*]} and cannot install them here (needs root and apt-get)" >&2; exit 1
  fi
  echo "notebooks: installing ${need[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi
cd "$root"
dotnet tool restore >/dev/null
# The user's Jupyter data folder (`jupyter kernelspec` is in Debian's jupyter-client, which is not installed: look for the
# file). dotnet-interactive refuses to register into a kernels folder that does not exist yet, as on a fresh machine.
data="$(jupyter --data-dir 2>/dev/null || echo "$HOME/.local/share/jupyter")"
if [ ! -f "$data/kernels/.net-csharp/kernel.json" ]; then
  echo "notebooks: registering the .NET Interactive kernels with Jupyter (dotnet-interactive jupyter install)"
  mkdir -p "$data/kernels"
  dotnet tool run dotnet-interactive -- jupyter install >/dev/null 2>&1 \
    || { echo "notebooks: 'dotnet tool run dotnet-interactive -- jupyter install' failed" >&2; exit 1; }
fi
echo "notebooks: jupyter-nbconvert $(jupyter-nbconvert --version 2>/dev/null), dotnet-interactive $(dotnet tool run dotnet-interactive -- --version 2>/dev/null | cut -d+ -f1) present"
