#!/usr/bin/env bash
# Publishes the `steermoe` command for the GPU machine (which has no dotnet): trimmed, self-contained, one file for
# linux-x64 (partial trimming: the framework is trimmed, our assemblies are kept whole, and System.Text.Json keeps its
# reflection serializer, which make-random and the run files use), plus the parity fixtures, the demo's default model
# and counting pairs (gpu-check's detect check), the device runbook and the HF baseline script, into one folder (< 64 MiB).
# Usage: tools/gpu/publish.sh [OUTDIR]   (default .build/gpu-bundle)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/.build/gpu-bundle}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
rm -rf "$out"
mkdir -p "$out"
# the trimmer's outputs are incremental and do not notice changed trimming options: start the linux-x64 build clean
find "$root" -path "$root/.git" -prune -o -type d -path '*/obj/Release/net10.0/linux-x64' -prune -exec rm -rf {} +
dotnet publish "$root/Experiments/Cli/SteerMoE.Research.Cli.csproj" -c Release -r linux-x64 --self-contained \
  -p:PublishTrimmed=true -p:TrimMode=partial -p:JsonSerializerIsReflectionEnabledByDefault=true \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -p:DebugType=none -p:GenerateDocumentationFile=false -o "$out/publish" --nologo -v quiet
mv "$out/publish/steermoe" "$out/steermoe"
# anything else the publish left (native libraries that could not be bundled) goes beside the binary
find "$out/publish" -type f ! -name '*.pdb' -exec mv {} "$out/" \;
rm -rf "$out/publish"
cp -r "$root/tests/fixtures/hf-parity" "$out/hf-parity"
cp -r "$root/models/default" "$out/default-model"
cp "$root/tools/default-model/data/counting.pairs.jsonl" "$out/"
cp "$root/tools/gpu/run-on-device.sh" "$root/tools/gpu/hf_bench.py" "$root/tools/gpu/README.md" "$out/"
size=$(du -sm "$out" | cut -f1)
echo "published $out: $(du -sh "$out/steermoe" | cut -f1) binary, ${size} MiB in all"
[ "$size" -lt 64 ] || { echo "publish: the bundle is ${size} MiB, over the 64 MiB the device transfer allows" >&2; exit 1; }
