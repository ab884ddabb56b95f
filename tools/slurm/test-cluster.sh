#!/usr/bin/env bash
# The Slurm test (docs/CONTRACTS.md §14, README "Running on a Slurm cluster"): starts a single-node Slurm cluster on
# localhost (munged, slurmctld, slurmd from Debian's slurm-wlm and munge; proctrack/linuxproc, no cgroups), then
#  1. submits `steermoe slurm detect --shards 4` (a 4-task job array and a dependent merge job) on models/default,
#     requeues task 2 once its checkpoint holds some pairs (`scontrol requeue`: SIGTERM, checkpoint, run again, resume),
#     kills task 3's process midway with SIGKILL (no final checkpoint; the task requeues itself and resumes from its last
#     checkpoint),
#     and compares the merged run with one process's (counts.csv, ranking.csv, pair files, paired_t.json, routing log: cmp);
#  2. submits `steermoe slurm experiment` on the demo's counting spec (2 detection shards, 3 slices of the cells) and
#     compares results.csv and the detection counts with one process's `experiment run`.
# Stops the daemons at the end (trap); removes its work folder when it made one and passed. Exit 0: passed; 1: failed; 77: cannot run here (not root, or Slurm/munge missing:
# tools/setup-test-deps.d/slurm.sh installs them).
# Usage: tools/slurm/test-cluster.sh [WORK_DIR]; STEERMOE=command (default: the repository's ./steermoe).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
steermoe=(${STEERMOE:-$root/steermoe})
[ "$(id -u)" = 0 ] || { echo "test-cluster: skipped: needs root (the test cluster runs its daemons and jobs as SlurmUser=root)"; exit 77; }
for c in munged slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
  command -v "$c" >/dev/null || { echo "test-cluster: skipped: $c is not installed (bash tools/setup-test-deps.d/slurm.sh installs slurm-wlm and munge)"; exit 77; }
done
start=$SECONDS
made_work=""; passed=""
if [ -n "${1:-}" ]; then work="$1"; else work="$(mktemp -d /tmp/steermoe-slurm.XXXXXX)"; made_work=1; fi
mkdir -p "$work"
work="$(cd "$work" && pwd)"
echo "test-cluster: work folder $work"

# --- the cluster -------------------------------------------------------------------------------------------------
mkdir -p "$work/munge" "$work/state" "$work/spool"
chmod 700 "$work/munge"
head -c 1024 /dev/urandom > "$work/munge/munge.key"
chmod 600 "$work/munge/munge.key"
cleanup() {
  set +e
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet --user=root >/dev/null 2>&1
  for pid in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munge/munged.pid"; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
  done
  sleep 1
  # A folder of its own is removed once the test passed; a given one, or a failed run's, is kept for its logs.
  if [ -n "$passed" ] && [ -n "$made_work" ]; then rm -rf "$work"; else echo "test-cluster: work folder kept: $work"; fi
}
trap cleanup EXIT
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed"
host="$(hostname -s)"
port=$(( 20000 + RANDOM % 20000 ))   # not Slurm's default ports: a system Slurm may use those
node="$(slurmd -C | head -1 | sed -E 's/RealMemory=[0-9]+/RealMemory=1000/')"
cat > "$work/slurm.conf" <<CONF
ClusterName=steermoe-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$(( port + 1 ))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
KillWait=30
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
  [ "$(sinfo -h -o %T 2>/dev/null | head -1)" = idle ] && break
  sleep 1
done
if [ "$(sinfo -h -o %T 2>/dev/null | head -1)" != idle ]; then
  echo "test-cluster: FAIL: the node did not become idle in 60 s"; sinfo 2>&1; tail -20 "$work/slurmctld.log" "$work/slurmd.log"; exit 1
fi
echo "test-cluster: cluster up ($(sinfo -h -o '%N %c CPUs %T'), $(( SECONDS - start )) s)"

fail() { echo "test-cluster: FAIL: $*"; exit 1; }

# Waits until none of the jobs is queued or running; fails when a dependency can never be satisfied (a job failed).
wait_jobs() {
  local deadline=$(( SECONDS + $1 )); shift
  local ids; ids="$(IFS=,; echo "$*")"
  while [ $SECONDS -lt $deadline ]; do
    local q; q="$(squeue -h -j "$ids" -o '%i %T %r' 2>/dev/null || true)"
    [ -z "$q" ] && return 0
    if grep -q DependencyNeverSatisfied <<<"$q"; then echo "$q"; return 1; fi
    sleep 1
  done
  squeue -j "$ids"; return 1
}

same() {   # same REFERENCE_DIR OTHER_DIR FILE...
  local a="$1" b="$2"; shift 2
  for f in "$@"; do cmp -s "$a/$f" "$b/$f" || fail "$b/$f differs from $a/$f"; done
}

# --- 1. sharded detection, one task requeued midway, one killed midway ----------------------------------------------------
# 1192 pairs: the 40 of tests/fixtures/sharding (30 with matching spans: a paired t) and faithfulness's 288 four times.
pairs="$work/detect.pairs.jsonl"
{ cat "$root/tests/fixtures/sharding/mixed.pairs.jsonl"; for _ in 1 2 3 4; do cat "$root/tools/default-model/data/faithfulness.pairs.jsonl"; done; } > "$pairs"
t=$SECONDS
"${steermoe[@]}" detect --model "$root/models/default" --pairs "$pairs" --out "$work/detect-one" --routing-log --batch 8 >/dev/null 2>&1 \
  || fail "the one-process detect failed"
echo "test-cluster: one-process detect: $(( SECONDS - t )) s"
t=$SECONDS
(cd "$work" && "${steermoe[@]}" slurm detect --model "$root/models/default" --pairs "$pairs" --out "$work/detect" --shards 4 \
   --batch 1 --checkpoint-every 1 --routing-log --time 0:20:00 --submit) > "$work/detect-submit.txt"
array=$(awk '$1 == "detect" {print $2}' "$work/detect-submit.txt"); merge=$(awk '$1 == "detect-merge" {print $2}' "$work/detect-submit.txt")
[ -n "$array" ] && [ -n "$merge" ] || fail "slurm detect --submit printed no job ids: $(cat "$work/detect-submit.txt")"
echo "test-cluster: submitted detect array $array and merge $merge"
# Waits until task TASK's checkpoint holds at least 10 pairs; prints that count (nothing if the task finished first).
midway() {
  local shard="$work/detect.shards/$1-of-4" n
  for _ in $(seq 1 1200); do
    n=$(grep -o '"pairs_done": [0-9]*' "$shard/checkpoint.json" 2>/dev/null | grep -o '[0-9]*$' || true)
    if [ -n "$n" ] && [ "$n" -ge 10 ]; then echo "$n"; return 0; fi
    [ -f "$shard/run.json" ] && [ ! -f "$shard/checkpoint.json" ] && return 0
    sleep 0.1
  done
}
# Slurm holds a requeued job back (a begin time some minutes ahead); once it is pending again, let it start at once.
release() {
  for _ in $(seq 1 120); do
    [ "$(squeue -h -j "$1" -o %T 2>/dev/null)" = PENDING ] && { scontrol update JobId="$1" StartTime=now; return 0; }
    sleep 0.5
  done
  fail "$1 did not become pending again after its requeue"
}
# Task 2: requeued while it runs (preemption, `scontrol requeue`): SIGTERM, it stops with a checkpoint, runs again, resumes.
requeued=$(midway 2)
[ -n "$requeued" ] || fail "task 2 finished before its checkpoint could be seen (nothing was requeued)"
scontrol requeue "${array}_2"
echo "test-cluster: requeued task ${array}_2 after its checkpoint held $requeued pairs"
release "${array}_2"
# Task 3: its process killed outright (SIGKILL, as the OOM killer or a crash would: no checkpoint at the end, rows after
# the last one on disk). The task's shell sees the signal death and requeues the task itself (steermoe slurm's scripts do),
# so the merge's afterok dependency still holds; the next attempt resumes from the last checkpoint and drops those rows.
killed=$(midway 3)
[ -n "$killed" ] || fail "task 3 finished before its checkpoint could be seen (nothing was killed)"
job3=$(squeue -h -j "${array}_3" -o %A)
victim=""
for p in $(scontrol listpids "$job3" 2>/dev/null | awk 'NR > 1 {print $1}'); do
  tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- '--shard' && { victim=$p; break; }
done
[ -n "$victim" ] || fail "found no steermoe process of task ${array}_3 (job $job3) to kill"
kill -KILL "$victim"
echo "test-cluster: killed task ${array}_3's steermoe (pid $victim, SIGKILL) after its checkpoint held at least $killed pairs"
release "${array}_3"
wait_jobs 300 "$array" "$merge" || fail "the detect jobs did not finish (logs: $work/detect.slurm/logs)"
log="$work/detect.slurm/logs/detect-2.log"
grep -q "attempt 2" "$log" || fail "$log: task 2 did not run a second time"
grep -q "stopped after" "$log" || fail "$log: the first attempt did not stop with a checkpoint"
grep -q "resuming" "$log" || fail "$log: the second attempt did not resume from the checkpoint"
log="$work/detect.slurm/logs/detect-3.log"
grep -q "died of signal 9; requeueing the task" "$log" || fail "$log: task 3 did not requeue itself after the kill"
grep -q "attempt 2" "$log" || fail "$log: task 3 did not run a second time after the kill"
grep -q "stopped after" "$log" && fail "$log: the killed attempt wrote a final checkpoint (it should have died at once)"
grep -q "resuming" "$log" || fail "$log: the attempt after the kill did not resume from the checkpoint"
grep -q "paired t over 30 pairs" "$work/detect.slurm/logs/detect-merge.log" || fail "the merge did not see the 30 pairs with matching spans"
same "$work/detect-one" "$work/detect" counts.csv ranking.csv pair_counts.npy pair_tokens.npy paired_t.json \
  routing-log/router_logits.npy routing-log/topk.npy routing-log/token_id.npy routing-log/pair.npy routing-log/side.npy \
  routing-log/position.npy routing-log/in_target.npy routing-log/routing_log.json
echo "test-cluster: sharded detection (4 tasks, one requeued, one killed) equals one process byte for byte ($(( SECONDS - t )) s)"

# --- 2. a sharded experiment -----------------------------------------------------------------------------------------
spec="$root/Experiments/Library/Demo/Specs/counting.yaml"
t=$SECONDS
"${steermoe[@]}" experiment run "$spec" --out "$work/experiment-one" >/dev/null 2>&1 || fail "the one-process experiment failed"
echo "test-cluster: one-process experiment: $(( SECONDS - t )) s"
t=$SECONDS
(cd "$work" && "${steermoe[@]}" slurm experiment "$spec" --out "$work/experiment" --shards 2 --cell-shards 3 --time 0:20:00 --submit) > "$work/experiment-submit.txt"
ids=$(awk '{print $2}' "$work/experiment-submit.txt" | grep -E '^[0-9]+$' | tr '\n' ' ')
[ "$(wc -w <<<"$ids")" = 4 ] || fail "slurm experiment --submit printed no 4 job ids: $(cat "$work/experiment-submit.txt")"
# shellcheck disable=SC2086
wait_jobs 300 $ids || fail "the experiment jobs did not finish (logs: $work/experiment/slurm/logs)"
same "$work/experiment-one" "$work/experiment" results.csv detection/counts.csv
echo "test-cluster: sharded experiment (2 detection shards, 3 slices of 13 cells) equals one process: results.csv, detection/counts.csv ($(( SECONDS - t )) s)"
passed=1
echo "test-cluster: PASS ($(( SECONDS - start )) s)"
