#!/usr/bin/env bash
# Slurm for the cluster test (tools/slurm/test-cluster.sh): Debian's slurm-wlm (slurmctld, slurmd, sbatch, ...) and munge
# (Slurm's authentication), installed when missing (as root, on this project's machines). The test starts its own
# single-node cluster on localhost from them; nothing is configured system-wide and no daemon is enabled.
set -euo pipefail
need=()
for c in slurmctld slurmd sbatch; do command -v "$c" >/dev/null || { need+=(slurm-wlm); break; }; done
command -v munged >/dev/null || need+=(munge)
[ ${#need[@]} -eq 0 ] && { echo "slurm: slurm-wlm, munge present"; exit 0; }
if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "slurm: missing ${need[*]} and cannot install them here (needs root and apt-get)" >&2; exit 1
fi
echo "slurm: installing ${need[*]} (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
# The packages start their daemons with the system configuration; the test runs its own, so stop those (when systemd runs).
for s in slurmctld slurmd munge; do systemctl stop "$s" >/dev/null 2>&1 || true; done
