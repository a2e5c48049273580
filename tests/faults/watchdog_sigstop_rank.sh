#!/usr/bin/env bash
# Fault injection: rank 1 of a 2-rank CPU sweep is stopped (SIGSTOP) after the result file
# holds two points. The watchdog of rank 0 must end the whole job within --timeout plus a
# few seconds, with exit code 3 and a message naming the rank, the host and what it waited
# on, and the result file must still hold the points finished before the stop.
#   watchdog_sigstop_rank.sh CPBENCH MPIRUN CONFIG WORKDIR
set -u
bin=$1 mpirun=$2 cfg=$3 work=$4
timeout_s=5
bound_s=$((timeout_s + 25))  # generous: CI runs 2 ranks oversubscribed on 2 cores
rm -rf "$work" && mkdir -p "$work"
out=$work/result.json
fail() {
  echo "FAIL: $*" >&2
  echo "--- stderr of the job:" >&2
  cat "$work/stderr" >&2
  exit 1
}
points_in() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["points"]))' "$1" 2>/dev/null || echo 0; }

rank_of() { { tr '\0' '\n' <"/proc/$1/environ"; } 2>/dev/null | sed -n 's/^\(OMPI_COMM_WORLD_RANK\|PMI_RANK\)=//p' | head -1; }
# The ranks of this job: processes with an MPI rank whose command line names our result file.
rank_pids() {
  for d in /proc/[0-9]*; do
    { tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -q -- "--out $out" && [ -n "$(rank_of "${d#/proc/}")" ] &&
      echo "${d#/proc/}"
  done
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

"$mpirun" 2 "$bin" run --config "$cfg" --device cpu --quiet --timeout "$timeout_s" --out "$out" \
  >"$work/stdout" 2>"$work/stderr" &
job=$!
stopped=""
cleanup() {
  # Only the processes this test started: the job and its ranks.
  for p in $(rank_pids); do kill -KILL "$p" 2>/dev/null; done
  kill -KILL "$job" 2>/dev/null
}
trap cleanup EXIT

for _ in $(seq 1 1200); do
  [ -f "$out" ] && [ "$(points_in "$out")" -ge 2 ] && break
  kill -0 "$job" 2>/dev/null || fail "the sweep ended before the stop (too short to test)"
  sleep 0.1
done
for p in $(rank_pids); do [ "$(rank_of "$p")" = 1 ] && stopped=$p; done
[ -n "$stopped" ] || fail "rank 1's process not found"
kill -STOP "$stopped"
before=$(points_in "$out")
t0=$(now_ms)
while kill -0 "$job" 2>/dev/null; do
  if [ $(($(now_ms) - t0)) -gt $((bound_s * 1000)) ]; then
    fail "the job still runs ${bound_s} s after rank 1 was stopped (timeout ${timeout_s} s)"
  fi
  sleep 0.2
done
wait "$job"
rc=$?
echo "job ended $(($(now_ms) - t0)) ms after the stop with exit code $rc"

[ "$rc" = 3 ] || fail "exit code $rc, expected 3 (watchdog timeout)"
[ -z "$(rank_pids)" ] || fail "ranks left running: $(rank_pids)"
grep -q "cpbench: fatal: watchdog: waited more than ${timeout_s} s (the timeout: --timeout or measure.timeout) on .* \[host=[^ ]* rank=0\]" \
  "$work/stderr" || fail "no watchdog message naming the wait, host and rank 0"
python3 - "$out" "$before" <<'PY' || fail "the result file lost the finished points"
import json, sys
doc = json.load(open(sys.argv[1]))
points = doc["points"]
assert len(points) >= int(sys.argv[2]) >= 2, (len(points), sys.argv[2])
assert all(p["status"] == "PASS" for p in points), [p["status"] for p in points]
print(f"result file: {len(points)} points, all PASS")
PY
grep "watchdog" "$work/stderr"
echo "PASS"
