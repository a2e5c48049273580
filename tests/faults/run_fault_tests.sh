#!/usr/bin/env bash
# Fault injection on the CPU runtime (docs/RELIABILITY.md): signals and kill -9 during a
# sweep of tests/faults/sweep.json (8 points, 2 ranks); each case checks the exit code,
# how soon the job ended after the fault, and the result file's contents; --resume after
# a kill must reach the point set of a clean run.
# A config whose skip rules skip every point (all_skipped.json beside CONFIG) exits 0.
#   run_fault_tests.sh BINARY MPIRUN CONFIG
# Prints one line per case, then "N passed, M failed"; exits 1 when any case failed.
set -uo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BINARY MPIRUN CONFIG" >&2
  exit 2
fi
binary=$1
mpirun=$2
config=$3
limit_s=15  # the most seconds from the fault to the end of the job (mpirun needs ~2)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
problems=()
detail=""

# check_file FILE PY_EXPR...: each Python expression over d (the file as JSON) must hold.
check_file() {
  local file=$1
  shift
  local expr
  for expr in "$@"; do
    python3 - "$file" "$expr" <<'PY' || problems+=("$file: not true: $expr")
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
  done
}

# The rank's pid among mpirun's children (OMPI_COMM_WORLD_RANK in its environment).
rank_pid() {
  local mp=$1 rank=$2 p
  for p in $(pgrep -P "$mp"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then
      echo "$p"
      return
    fi
  done
}

# Starts a 2-rank sweep writing $work/NAME.json in the background; sets $job.
start() {
  "$mpirun" 2 "$binary" run --config "$config" --device cpu --quiet --out "$work/$1.json" "${@:2}" \
    >"$work/$1.stdout" 2>"$work/$1.stderr" &
  job=$!
  pids+=("$job")
}

# Waits until $work/NAME.json holds at least one point (at most 120 s).
wait_for_a_point() {
  local i
  for ((i = 0; i < 1200; i++)); do
    if [ -f "$work/$1.json" ] && python3 -c "import json,sys; sys.exit(0 if json.load(open('$work/$1.json'))['points'] else 1)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  problems+=("no point in $work/$1.json after 120 s")
  return 1
}

# Waits for $job; checks its exit code and that it ended within limit_s of $fault_at.
finish() {
  local expect_rc=$1 rc elapsed
  wait "$job"
  rc=$?
  elapsed=$(($(date +%s) - fault_at))
  detail="exit $rc after ${elapsed} s"
  [ "$rc" -eq "$expect_rc" ] || problems+=("exit code $rc, expected $expect_rc")
  [ "$elapsed" -le "$limit_s" ] || problems+=("ended ${elapsed} s after the fault (limit ${limit_s} s)")
}

report() {
  local name=$1
  if [ ${#problems[@]} -eq 0 ]; then
    passed=$((passed + 1))
    echo "PASS $name ($detail)"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    for p in "${problems[@]}"; do echo "     $p"; done
    echo "     stdout and stderr:"
    cat "$work/$name.stdout" "$work/$name.stderr" | sed 's/^/       /'
  fi
  problems=()
}

incomplete='d["complete"] is False and 1 <= len(d["points"]) < d["planned"] == 8'

# A clean run: exit 0, a complete file of 8 points; a rerun on it without --force refuses.
start clean
fault_at=$(date +%s)
limit_s=300 finish 0
check_file "$work/clean.json" 'd["complete"] is True and len(d["points"]) == 8 and "interrupted" not in d'
"$mpirun" 2 "$binary" run --config "$config" --device cpu --quiet --out "$work/clean.json" \
  >/dev/null 2>"$work/refused.stderr"
[ $? -eq 2 ] || problems+=("a rerun onto an existing --out did not exit 2")
grep -q -- "--force" "$work/refused.stderr" || problems+=("the refusal does not name --force")
check_file "$work/clean.json" 'd["complete"] is True and len(d["points"]) == 8'
report clean

# SIGINT to mpirun: the ranks get SIGCONT, SIGTERM one second later, SIGKILL one more
# second later; mpirun itself exits 1. The file records the SIGTERM the ranks got.
start sigint_mpirun
if wait_for_a_point sigint_mpirun; then
  fault_at=$(date +%s)
  kill -INT "$job"
  finish 1
  check_file "$work/sigint_mpirun.json" "$incomplete" 'd.get("interrupted") == "SIGTERM"'
  grep -q "cpbench: interrupted by SIGTERM" "$work/sigint_mpirun.stderr" || problems+=("rank 0 did not say it was interrupted")
fi
report sigint_mpirun

# SIGINT to rank 0 alone (the writer): it records SIGINT and exits 3; mpirun passes the 3 on.
start sigint_rank0
if wait_for_a_point sigint_rank0; then
  fault_at=$(date +%s)
  kill -INT "$(rank_pid "$job" 0)"
  finish 3
  check_file "$work/sigint_rank0.json" "$incomplete" 'd.get("interrupted") == "SIGINT"'
fi
report sigint_rank0

# kill -9 of rank 0: nothing can be recorded, but the last write says "complete": false.
start kill_rank0
if wait_for_a_point kill_rank0; then
  fault_at=$(date +%s)
  kill -9 "$(rank_pid "$job" 0)"
  finish 137
  check_file "$work/kill_rank0.json" "$incomplete" '"interrupted" not in d'
fi
report kill_rank0

# --resume of the killed file: the points already there are kept, the rest run, and the
# file ends complete with the point set of the clean run.
cp "$work/kill_rank0.json" "$work/resumed.json"
kept=$(python3 -c "import json; print(len(json.load(open('$work/resumed.json'))['points']))")
start resumed --resume
fault_at=$(date +%s)
limit_s=300 finish 0
# A build of a changed tree (or of an unknown commit) keeps nothing: its commit does not
# name its code (docs/RELIABILITY.md).
"$binary" --version | grep -qE 'dirty|unknown' && kept=0
grep -q "resume: keeping $kept of 8 points" "$work/resumed.stdout" || problems+=("stdout lacks 'resume: keeping $kept of 8 points'")
# Kept records are copied, not measured again: the same samples as in the killed file.
[ "$kept" -gt 0 ] && check_file "$work/resumed.json" \
  "all(any(q['index'] == p['index'] and q.get('time_ms') == p.get('time_ms') and q.get('rounds') == p.get('rounds') for q in d['points'])
       for p in json.load(open('$work/kill_rank0.json'))['points'])"
check_file "$work/resumed.json" 'd["complete"] is True and "interrupted" not in d' \
  "sorted((p['schedule'], json.dumps(p['params'], sort_keys=True), p['index']) for p in d['points']) == sorted((p['schedule'], json.dumps(p['params'], sort_keys=True), p['index']) for p in json.load(open('$work/clean.json'))['points'])"
report resumed

# A config whose skip rules skip every point: exit 0, a warning, a complete file of SKIPPED rows.
"$mpirun" 2 "$binary" run --config "$(dirname "$config")/all_skipped.json" --device cpu --quiet \
  --out "$work/all_skipped.json" >"$work/all_skipped.stdout" 2>"$work/all_skipped.stderr"
rc=$?
detail="exit $rc"
[ "$rc" -eq 0 ] || problems+=("exit code $rc, expected 0")
grep -q "cpbench: warning: the config skips every point of the sweep" "$work/all_skipped.stderr" ||
  problems+=("no warning on stderr")
check_file "$work/all_skipped.json" 'd["complete"] is True and len(d["points"]) == 2' \
  'all(p["status"] == "SKIPPED" and p["reason"] == "skipped on purpose" for p in d["points"])'
report all_skipped

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
