#!/usr/bin/env bash
# cpbench under a real one-node Slurm on localhost (Debian's slurmctld, slurmd and munge,
# configured here in a temporary directory, on free ports, torn down at the end):
#   1. `CPB_LAUNCHER=srun scripts/mpirun.sh 2 cpbench run` of the quickstart on the CPU
#      runtime, as `srun -n 2 --mpi=pmix`: every point PASS, world size 2, and the
#      provenance's `slurm` names the job and its step;
#   2. scripts/slurm/cpbench.sbatch through `sbatch --wait` with the same config: exit 0,
#      the result file (every point PASS, `slurm.job_id` the submitted job's), its report
#      and its figure.
# Exit 77 (skipped, with the reason) where no local Slurm can start: the packages are
# missing, or not root (slurmd and munged here run as root).
#   check_slurm.sh CPBENCH SOURCE_DIR
set -uo pipefail
cpbench=$(cd "$(dirname "${1:?usage: $0 CPBENCH SOURCE_DIR}")" && pwd)/$(basename "$1")
src=$(cd "${2:?usage: $0 CPBENCH SOURCE_DIR}" && pwd)
skip() { echo "skipped: $*"; exit 77; }
for tool in slurmctld slurmd srun sbatch sinfo scancel munged mungekey; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (Debian: slurmctld slurmd slurm-client munge)"
done
[ "$(id -u)" = 0 ] || skip "not root: slurmd and munged are started as root"

work=$(mktemp -d /tmp/cpbench-slurm.XXXXXX)
chmod 755 "$work"
export SLURM_CONF="$work/slurm.conf"
teardown() {
  scancel --full --quiet --user root 2>/dev/null
  for pidfile in "$work"/slurmd.pid "$work"/slurmctld.pid "$work"/munged.pid; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  sleep 1
  rm -rf "$work"
}
trap teardown EXIT
fail=0
check() {  # check WHAT COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
logs() { for f in "$work"/*.log "$work"/job/*.out; do [ -f "$f" ] && { echo "== $f"; tail -20 "$f"; }; done; }

mungekey --create --keyfile="$work/munge.key" || skip "mungekey failed"
munged --force --key-file="$work/munge.key" --socket="$work/munge.sock" --pid-file="$work/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munged.seed" || skip "munged did not start"
read -r ctld_port slurmd_port < <(python3 -c "
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(('127.0.0.1', 0))
print(*[x.getsockname()[1] for x in s])")
mkdir -p "$work/state" "$work/spool" "$work/job"
cat > "$SLURM_CONF" <<EOF
ClusterName=cpbench
SlurmctldHost=$(hostname -s)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge.sock
CredType=cred/munge
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=pmix
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
$(slurmd -C | head -1) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -c -f "$SLURM_CONF" || { logs; skip "slurmctld did not start"; }
slurmd -f "$SLURM_CONF" || { logs; skip "slurmd did not start"; }
for _ in $(seq 60); do
  [ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && break
  sleep 0.5
done
[ "$(sinfo -h -o %t 2>/dev/null)" = idle ] || { logs; skip "the local node did not come up: $(sinfo -h 2>&1)"; }
echo "local Slurm up: $(sinfo -h -o '%P %D %t %N %c CPUs')"

# The records of FILE: every point PASS, world size 2, and provenance.slurm as expected.
check_result() {  # check_result FILE JOB_ID|any STEP(yes|no)
  python3 - "$@" <<'PY'
import json, sys
path, job, step = sys.argv[1:]
doc = json.load(open(path))
bad = [p["index"] for p in doc["points"] if p["status"] not in ("PASS", "SKIPPED")]
passed = sum(p["status"] == "PASS" for p in doc["points"])
prov = doc["provenance"]
slurm = prov.get("slurm") or {}
errors = []
if bad or not passed: errors.append(f"points not PASS: {bad}, {passed} PASS")
if prov.get("world_size") != 2: errors.append(f"world_size {prov.get('world_size')}")
if not slurm.get("job_id") or (job != "any" and slurm["job_id"] != job): errors.append(f"slurm {slurm}")
if step == "yes" and "step_id" not in slurm: errors.append(f"no step_id in {slurm}")
if slurm.get("ntasks") != "2" or not slurm.get("nodelist"): errors.append(f"slurm {slurm}")
print("; ".join(errors) or f"{passed} PASS, slurm {slurm}")
sys.exit(1 if errors else 0)
PY
}

cd "$src" || exit 1
config=configs/quickstart.json
CPB_LAUNCHER=srun timeout 600 scripts/mpirun.sh 2 "$cpbench" run -c "$config" --device cpu --quiet \
  --out "$work/srun.json" > "$work/srun.log" 2>&1
check "srun -n 2: exit 0" test $? -eq 0
check "srun -n 2: the result file" check_result "$work/srun.json" any yes

job=$(timeout 600 sbatch --parsable --wait -n 2 -o "$work/job/%j.out" \
  --export=ALL,CPB_CONFIG=$config,CPB_OUT=$work/job,CPB_BIN=$cpbench,CPB_DEVICE=cpu \
  scripts/slurm/cpbench.sbatch)
rc=$?
check "sbatch --wait cpbench.sbatch: exit 0 (job ${job:-none})" test "$rc" -eq 0
check "sbatch: the result file names the job" check_result "$work/job/quickstart.json" "${job:-none}" yes
check "sbatch: the report" grep -q '^|' "$work/job/quickstart.md"
check "sbatch: the figure" test -s "$work/job/quickstart_time_speedup.png"
[ "$fail" = 0 ] || logs
exit "$fail"
