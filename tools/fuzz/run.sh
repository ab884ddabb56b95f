#!/usr/bin/env bash
# Fuzzes one input format: tools/fuzz/run.sh TARGET SECONDS [OUT]
#   TARGET   one of `steermoe-fuzz list` (safetensors, config, tokenizer, chat-template, pairs, spec, plan, counts, npy, ...)
#   SECONDS  how long afl-fuzz runs
#   OUT      findings folder (default tools/fuzz/out/TARGET; afl-fuzz's queue, crashes/, hangs/, fuzzer_stats)
# Publishes the harness, instruments the project's assemblies with SharpFuzz, seeds afl-fuzz with tools/fuzz/corpus/TARGET
# (and every committed regression input), and prints one line "fuzz TARGET: N execs in S s (R/s), C crashes, H hangs".
# Exits 1 when afl-fuzz saved a crash or a hang (each is replayed and printed). Needs afl++ and the sharpfuzz tool
# (tools/setup-test-deps.d/fuzz.sh installs both).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: tools/fuzz/run.sh TARGET SECONDS [OUT]" >&2; exit 2; }
target="$1" seconds="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${3:-$here/out/$target}"
# One publish per target, so that runs of two targets side by side never rebuild each other's (ci.sh shares one: FUZZ_PUBLISH).
publish="${FUZZ_PUBLISH:-$here/out/publish-$target}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v afl-fuzz >/dev/null || { echo "run.sh: afl-fuzz not found (apt-get install afl++, or tools/setup-test-deps.d/fuzz.sh)" >&2; exit 2; }
(cd "$here" && dotnet tool run sharpfuzz >/dev/null 2>&1) || { echo "run.sh: the sharpfuzz tool is not restored (dotnet tool restore, or tools/setup-test-deps.d/fuzz.sh)" >&2; exit 2; }

# The instrumented publish is rebuilt when a source is newer than its stamp.
stamp="$publish/.instrumented"
if [ ! -f "$stamp" ] || [ -n "$(find "$here/../.." -name '*.cs' -newer "$stamp" -not -path '*/bin/*' -not -path '*/obj/*' -not -path '*/out/*' -print -quit)" ]; then
  rm -rf "$publish"
  dotnet publish "$here/Harness/SteerMoE.Research.Fuzz.csproj" -c Release -o "$publish" --nologo -v quiet >/dev/null
  for dll in "$publish"/SteerMoE.Research*.dll; do (cd "$here" && dotnet tool run sharpfuzz "$dll" >/dev/null); done
  touch "$stamp"
fi
[ -d "$here/corpus/$target" ] || { echo "run.sh: unknown target '$target'; targets: $(ls "$here/corpus" | tr '\n' ' ')" >&2; exit 2; }

seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
cp "$here/corpus/$target"/* "$seeds"/
[ -d "$here/regressions/$target" ] && cp "$here/regressions/$target"/* "$seeds"/ 2>/dev/null || true
dict=()
case "$target" in
  spec) dict=(-x "$here/dictionaries/yaml.dict") ;;
  chat-template) dict=(-x "$here/dictionaries/jinja.dict") ;;
  counts) dict=(-x "$here/dictionaries/csv.dict") ;;
  npy) dict=(-x "$here/dictionaries/npy.dict") ;;
  *) dict=(-x "$here/dictionaries/json.dict") ;;
esac
rm -rf "$out"; mkdir -p "$(dirname "$out")"
# The harness is a .NET program (no native instrumentation): skip afl's binary checks; 1 GiB heap cap so that a runaway
# allocation is an OutOfMemoryException (a crash) rather than the machine swapping; 5 s per input before it is a hang.
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
AFL_SHUFFLE_QUEUE=0 DOTNET_GCHeapHardLimit=0x40000000 DOTNET_TieredPGO=0 \
  afl-fuzz -i "$seeds" -o "$out" -t 5000 -m none -V "$seconds" "${dict[@]}" -- "$publish/steermoe-fuzz" afl "$target" >"$out.log" 2>&1 \
  || { echo "run.sh: afl-fuzz failed; the end of $out.log:" >&2; tail -20 "$out.log" >&2; exit 1; }

stats="$out/default/fuzzer_stats"
field() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
execs=$(field execs_done) run=$(field run_time) crashes=$(field saved_crashes) hangs=$(field saved_hangs)
echo "fuzz $target: $execs execs in $run s ($(( execs / (run > 0 ? run : 1) ))/s), $crashes crashes, $hangs hangs, corpus $(field corpus_count)"
if [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then
  # Every crash and hang input is kept as a regression input (named by its content's hash), to be committed with its fix.
  mkdir -p "$here/regressions/$target"
  for f in "$out"/default/crashes/id:* "$out"/default/hangs/id:*; do
    [ -e "$f" ] || continue
    kind=crash; case "$f" in */hangs/*) kind=hang ;; esac
    keep="$here/regressions/$target/$kind-$(sha1sum "$f" | cut -c1-12)"
    cp "$f" "$keep"
    echo "  $keep"
    dotnet run --project "$here/Harness" -c Release --no-build -- replay "$target" "$keep" | sed 's/^/    /' || true
  done
  exit 1
fi
