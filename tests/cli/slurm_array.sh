#!/bin/bash
# Runs a real single-node Slurm on loopback (HARNESS.md §9.2): submits a sharded job array of a CPU spec with
# a dependent merge job, and checks that the merged results equal an unsharded run's apart from timings.
# Needs root; installs slurmctld, slurmd, slurm-client and munge from Debian when they are missing.
# Skips (exit 77) when not root or when the packages cannot be installed. KEEP_T=1 keeps the scratch
# directory (configuration, logs, shard outputs) for debugging.
set -uo pipefail
corey=$(readlink -f "$1") src=$(readlink -f "$2") scratch=$3
PY=${COREY_PYTHON:-python3}  # needs numpy for some checks; CTest passes the one it found
[ "$(id -u)" = 0 ] || { echo "skipped: needs root to run slurmctld/slurmd"; exit 77; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null 2>&1 ||
    { echo "skipped: cannot install Slurm packages"; exit 77; }
fi
set -e
rm -rf "$scratch" && mkdir -p "$scratch"
T=$(mktemp -d /tmp/corey-slurm.XXXXXX)
chmod 755 "$T"
mkdir -p "$T"/{state,spool,log,out}

munge_pid=""
stop_all() {
  for pidfile in "$T/slurmd.pid" "$T/slurmctld.pid"; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  [ -n "$munge_pid" ] && kill "$munge_pid" 2>/dev/null || true
  sleep 1
  [ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap stop_all EXIT

# munge: our own socket, key and pid file, so a munged of the host (if any) is left alone.
mkdir -p "$T/munge" && chown munge:munge "$T/munge" && chmod 755 "$T/munge"
runuser -u munge -- /usr/sbin/munged --socket="$T/munge/munge.socket.2" --pid-file="$T/munge/munged.pid" \
  --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed" --key-file=/etc/munge/munge.key
munge_pid=$(cat "$T/munge/munged.pid")

cat >"$T/slurm.conf" <<CONF
ClusterName=looptest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket.2
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MaxArraySize=1001
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$T/slurm.conf
/usr/sbin/slurmctld -i
/usr/sbin/slurmd -N localhost
for _ in $(seq 60); do
  sinfo -h -o "%P %a %t" 2>/dev/null | grep -q "debug\* up idle" && break
  sleep 1
done
sinfo -h -o "%P %a %t" | grep -q "debug\* up idle" || { echo "slurm did not come up"; cat "$T"/log/*.log; exit 1; }

check_spec() {
  local cmd=$1 spec=$2 tag=$3
  local out="$T/out/$tag"
  mkdir -p "$out"
  cat >"$out/shard.sh" <<SH
#!/bin/bash
exec "$corey" $cmd "$spec" --out "$out/run" --resume --quiet --backend cpu
SH
  chmod +x "$out/shard.sh"
  local jid
  jid=$(cd "$out" && sbatch --parsable --array=0-3%2 -o "$out/%A_%a.log" "$out/shard.sh")
  jid=${jid%%;*}
  (cd "$out" && sbatch --parsable --dependency=afterok:"$jid" -o "$out/merge.log" \
    --wrap "\"$corey\" merge \"$out/run\" -o \"$out/merged.json\"") >/dev/null
  for _ in $(seq 300); do
    [ -z "$(squeue -h 2>/dev/null)" ] && break
    sleep 1
  done
  [ -z "$(squeue -h)" ] || { echo "jobs did not finish"; squeue; exit 1; }
  [ -f "$out/merged.json" ] || { echo "no merged result ($tag)"; cat "$out"/*.log; exit 1; }
  "$corey" $cmd "$spec" --out "$out/single" --quiet --backend cpu
  "$PY" - "$out" "$tag" <<'PY'
import glob, json, sys
out, tag = sys.argv[1], sys.argv[2]
shards = sorted(glob.glob(out + "/run/shard-*-of-0004.json"))
assert len(shards) == 4, shards
for i, path in enumerate(shards):
    run = json.load(open(path))["run"]["shard"]
    slurm = run["slurm"]
    assert run["index"] == i and run["count"] == 4 and run["source"] == "SLURM_ARRAY_TASK_ID", run
    assert (slurm["SLURM_ARRAY_TASK_COUNT"], slurm["SLURM_ARRAY_TASK_MIN"], slurm["SLURM_ARRAY_TASK_MAX"]) == (4, 0, 3), slurm
    assert slurm["SLURM_ARRAY_TASK_ID"] == i, slurm
merged = json.load(open(out + "/merged.json"))
single = json.load(open(out + "/single/results.json"))
assert merged["run"]["status"] == "complete", merged["run"]["status"]
assert sorted(merged["run"]["planned"]) == sorted(r["point_id"] for r in merged["results"])
# Measured times differ between any two runs; everything else must be equal.
TIMING = {"fingerprint", "measure", "time_s", "outliers", "clock", "throughput", "samples", "wall_s",
          "holdout", "floor", "solver_mean_us"}
def scrub(value):
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
a = [scrub(r) for r in merged["results"]]
b = [scrub(r) for r in single["results"]]
assert a == b, "merged records differ from the unsharded run's"
if tag == "costmodel":
    def table_scrub(t):
        keep = [i for i, c in enumerate(t["columns"]) if c["name"] not in TIMING]
        return [t["table"], [[row["cells"][i] for i in keep] for row in t["rows"]]]
    assert [table_scrub(t) for t in merged["tables"]] == [table_scrub(t) for t in single["tables"]], \
        "merged tables differ from the unsharded run's"
print(f"{tag}: 4 shards merged, {len(a)} records equal to the unsharded run")
PY
}

check_spec costmodel "$src/experiments/smoke/costmodel_tiny.yaml" costmodel
if [ -f "$src/experiments/smoke/kernel_sweep_cpu.yaml" ]; then
  check_spec kernel-sweep "$src/experiments/smoke/kernel_sweep_cpu.yaml" kernel_sweep
fi
echo "slurm array + merge ok"
