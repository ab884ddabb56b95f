#!/usr/bin/env bash
# Executes the C# notebooks (notebooks/*.ipynb) headless, as CI does: publishes the library into notebooks/.lib/
# (what the notebooks' `#r ".lib/..."` lines load; no NuGet at run time), then runs every notebook with
# `jupyter nbconvert --to notebook --execute` on the .NET Interactive kernel (the local tool Microsoft.dotnet-interactive,
# .config/dotnet-tools.json) into a temporary folder. Exits 1 when a cell of any notebook fails, printing the cell and error.
#   bash tools/notebooks/run.sh                       execute notebooks/*.ipynb, then --self-check (what ./test runs)
#   bash tools/notebooks/run.sh NOTEBOOK.ipynb ...    execute these only
#   bash tools/notebooks/run.sh --build                only publish notebooks/.lib/ (before opening the notebooks in Jupyter)
#   NOTEBOOK_OUT_DIR=DIR bash tools/notebooks/run.sh   keep the executed notebooks (with their outputs) in DIR
#   bash tools/notebooks/run.sh --self-check           check that a failing cell fails this runner (a broken temp notebook)
# Needs jupyter-nbconvert and python3-ipykernel (tools/setup-test-deps.d/notebooks.sh installs them).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
lib="$root/notebooks/.lib"
cell_timeout="${NOTEBOOK_CELL_TIMEOUT:-300}"

build() {
  echo "notebooks: publishing Experiments/Library to notebooks/.lib"
  dotnet publish Experiments/Library/SteerMoE.Research.csproj -c Release --nologo -v quiet -o "$lib" >/dev/null \
    || { echo "notebooks: dotnet publish Experiments/Library failed" >&2; return 1; }
  # The kernel loads `#r` assemblies from their folder; SkiaSharp (ScottPlot) and SQLite load their native libraries
  # from there too, so this machine's ones go beside them.
  local rid; case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
  cp -f "$lib/runtimes/$rid/native/"*.so "$lib/" 2>/dev/null \
    || { echo "notebooks: no native libraries under $lib/runtimes/$rid/native" >&2; return 1; }
}

# A kernelspec of our own (in a temporary JUPYTER_PATH, found before the user's) that starts the pinned local tool.
# The executed notebooks go to a temporary folder, or to $NOTEBOOK_OUT_DIR (kept) when set.
kernel_dir="$(mktemp -d)"
if [ -n "${NOTEBOOK_OUT_DIR:-}" ]; then out_dir="$NOTEBOOK_OUT_DIR"; mkdir -p "$out_dir"; trap 'rm -rf "$kernel_dir"' EXIT
else out_dir="$(mktemp -d)"; trap 'rm -rf "$kernel_dir" "$out_dir"' EXIT; fi
setup_kernel() {
  command -v jupyter-nbconvert >/dev/null || { echo "notebooks: jupyter-nbconvert not found (apt-get install jupyter-nbconvert python3-ipykernel; tools/setup-test-deps.d/notebooks.sh)" >&2; return 1; }
  dotnet tool restore >/dev/null || { echo "notebooks: dotnet tool restore failed (Microsoft.dotnet-interactive, .config/dotnet-tools.json)" >&2; return 1; }
  mkdir -p "$kernel_dir/kernels/.net-csharp"
  cat > "$kernel_dir/kernels/.net-csharp/kernel.json" <<JSON
{"argv": ["dotnet", "tool", "run", "dotnet-interactive", "--", "jupyter", "--default-kernel", "csharp", "{connection_file}"],
 "display_name": ".NET (C#)", "language": "C#"}
JSON
  export JUPYTER_PATH="$kernel_dir${JUPYTER_PATH:+:$JUPYTER_PATH}"
}

# Executes one notebook; the kernel's working folder is the notebook's own (relative paths start there). Returns nbconvert's status.
execute() {
  local nb="$1" log; log="$(mktemp)"
  local start=$SECONDS
  jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=.net-csharp \
    --ExecutePreprocessor.timeout="$cell_timeout" --output-dir "$out_dir" "$nb" >"$log" 2>&1
  local status=$?
  if [ $status -eq 0 ]; then
    echo "notebooks: $nb: ok ($((SECONDS - start)) s)"
  else
    echo "notebooks: $nb: FAILED ($((SECONDS - start)) s)"
    # nbconvert stops at the failing cell and writes nothing; a second run that goes on past errors gives each
    # failing cell's source and the kernel's messages (compiler diagnostics come as stderr).
    if jupyter nbconvert --to notebook --execute --allow-errors --ExecutePreprocessor.kernel_name=.net-csharp \
         --ExecutePreprocessor.timeout="$cell_timeout" --output-dir "$out_dir" --output failed "$nb" >/dev/null 2>&1; then
      /usr/bin/python3 - "$out_dir/failed.ipynb" <<'PY'
import json, sys
cells = json.load(open(sys.argv[1]))["cells"]
code = [c for c in cells if c["cell_type"] == "code"]
for i, c in enumerate(code, 1):
    outs = c.get("outputs", [])
    errors = [o for o in outs if o["output_type"] == "error"]
    if not errors: continue
    src = "".join(c["source"]).splitlines()
    print(f"  code cell {i} (first line: {src[0] if src else ''}):")
    for o in outs:
        if o["output_type"] == "stream" and o["name"] == "stderr":
            for line in "".join(o["text"]).splitlines():
                if line.strip(): print("    " + line)
    for o in errors:
        print(f"    {o['ename']}: {o['evalue']}")
        for line in o.get("traceback", [])[:8]: print("    " + line)
    break  # later cells usually fail because this one did
PY
    else
      grep -v 'Microsoft.Hosting.Lifetime\|^      ' "$log" | tail -20
    fi
  fi
  rm -f "$log"; return $status
}

self_check() {
  # A notebook whose second cell throws must fail the runner; one that runs must pass.
  local dir; dir="$(mktemp -d "$root/notebooks/.self-check-XXXXXX")"
  local meta='"metadata": {"kernelspec": {"name": ".net-csharp", "display_name": ".NET (C#)", "language": "C#"}, "language_info": {"name": "C#"}}, "nbformat": 4, "nbformat_minor": 4'
  local cell='{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": '
  echo "{\"cells\": [${cell}\"Console.WriteLine(1 + 1);\"}], $meta}" > "$dir/passes.ipynb"
  echo "{\"cells\": [${cell}\"var x = 1;\"}, ${cell}\"throw new InvalidOperationException(\\\"deliberately broken cell\\\");\"}, ${cell}\"x\"}], $meta}" > "$dir/broken.ipynb"
  local ok=0
  execute "$dir/passes.ipynb" >/dev/null || { echo "notebooks: self-check: a notebook that runs failed the runner" >&2; ok=1; }
  if execute "$dir/broken.ipynb" >/dev/null; then echo "notebooks: self-check: a notebook with a failing cell passed the runner" >&2; ok=1; fi
  rm -rf "$dir"
  [ $ok -eq 0 ] && echo "notebooks: self-check: a failing cell fails the runner, a passing notebook passes"
  return $ok
}

case "${1:-}" in
  --build) build; exit $? ;;
  --self-check) setup_kernel || exit 1; self_check; exit $? ;;
esac
build || exit 1
setup_kernel || exit 1
status=0
if [ $# -gt 0 ]; then
  for nb in "$@"; do execute "$nb" || status=1; done
else
  # CI (./test): every notebook, then the check that a failing cell would have failed this.
  for nb in notebooks/*.ipynb; do execute "$nb" || status=1; done
  self_check || status=1
fi
exit $status
