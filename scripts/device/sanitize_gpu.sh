#!/usr/bin/env bash
# The GPU tests (CTest label gpu) under NVIDIA compute-sanitizer on one GPU: every
# GoogleTest case once under --tool memcheck (out-of-bounds and misaligned device
# accesses, leaked device allocations, errors returned by CUDA calls) and once under
# --tool racecheck (shared-memory hazards in the kernels), several at once; the cpbench
# jobs (RUN_SERIAL tests) under memcheck, one at a time; then the checks of their files
# (FIXTURES_REQUIRED: Python, no device code) without a sanitizer. Builds with -lineinfo
# in build-gpu-sanitize, writes one log per test and tool to OUTDIR and OUTDIR/summary.txt,
# one line per test and tool: the verdict, the test's own exit status and the sanitizer's
# errors, split by scripts/device/sanitizer_errors.py into cpbench's and those in cuDNN's
# and NCCL's code (counted, shown, not judged: this project cannot fix them). racecheck
# leaves cuDNN's kernels out (--kernel-name-exclude kns=cudnn, where the sanitizer has the
# option): they synchronise through asynchronous barriers that it reports as hazards, and
# instrumenting them makes a test run for minutes.
#   scripts/device/sanitize_gpu.sh OUTDIR [CTEST_REGEX]
# Environment: CPB_SANITIZE_TIMEOUT_S (per test and tool, default 1200: the sanitizers
# slow kernels down many times), CPB_SANITIZE_JOBS (test runs at once on the one GPU,
# default 4), CPB_SANITIZE_TOOLS (default "memcheck racecheck"), CUDA_VISIBLE_DEVICES
# (default 0: one GPU, so the tests that need two ranks on two GPUs are skipped, as
# tests/gpu/need_gpus.sh decides before the sanitizer starts). Disabled tests are left out.
# Exit 0 when every test passed or was skipped with no sanitizer error in cpbench's code;
# 1 otherwise; 3 when stopped by a signal (e.g. an outer `timeout`), after stopping every
# test it had started.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
here="$(pwd)/scripts/device"
out="${1:?usage: $0 OUTDIR [CTEST_REGEX]}"
regex="${2:-.}"
mkdir -p "$out"
out=$(cd "$out" && pwd)
export CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-0}"
limit="${CPB_SANITIZE_TIMEOUT_S:-1200}"
jobs="${CPB_SANITIZE_JOBS:-4}"
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
tools="${CPB_SANITIZE_TOOLS:-memcheck racecheck}"

. scripts/device/gpu_env.sh
command -v compute-sanitizer >/dev/null || { echo "sanitize_gpu.sh: compute-sanitizer is not on PATH" >&2; exit 2; }
py_site_flag=()
[ -n "$cpb_py_site" ] && py_site_flag=(-DCPBENCH_PY_SITE="$cpb_py_site")
build="$(pwd)/build-gpu-sanitize"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCPBENCH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90a -DCMAKE_CUDA_FLAGS=-lineinfo "${py_site_flag[@]}" > "$out/configure.log" 2>&1 \
  || { tail -30 "$out/configure.log"; exit 1; }
ninja -C "$build" > "$out/build.log" 2>&1 || { grep -E "error|FAILED" "$out/build.log" | head -40; exit 1; }

# mode <TAB> skip code <TAB> name <TAB> working directory <TAB> command (tab-separated
# arguments) of every gpu test. mode: "parallel" (a GoogleTest case: both tools, several
# at once), "serial" (RUN_SERIAL: a cpbench job with its own output files, memcheck only,
# one at a time and in CTest's order, so a fixture's files are written once), "none" (a
# FIXTURES_REQUIRED check of those files: Python, no device code, run without a sanitizer
# after every serial job, and not run when its job failed, as CTest does).
(cd "$build" && ctest -L gpu -R "$regex" --show-only=json-v1) > "$out/tests.json" || exit 1
python3 - "$out/tests.json" "$build" > "$out/tests.tsv" <<'PY' || exit 1
import json, sys
for t in json.load(open(sys.argv[1]))["tests"]:
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    if props.get("DISABLED") or "command" not in t:
        continue
    mode = "none" if props.get("FIXTURES_REQUIRED") else "serial" if props.get("RUN_SERIAL") else "parallel"
    skip = str(props.get("SKIP_RETURN_CODE", 77))
    print("\t".join([mode, skip, t["name"], props.get("WORKING_DIRECTORY", sys.argv[2])] + t["command"]))
PY
[ -s "$out/tests.tsv" ] || { echo "sanitize_gpu.sh: no gpu test matches '$regex'" >&2; exit 1; }

# Each test runs under timeout(1), which gives it a process group of its own: a signal to
# this script's group (an outer `timeout`, Ctrl-C) does not reach it, and a test left
# running holds the GPU for up to the per-test limit, under whatever runs next. So the
# timeouts' PIDs are kept, one empty file each (so that tests running side by side never
# write one file), and a signal stops them (timeout passes it on to its test).
pids="$out/.test_pids"
rm -rf "$pids" && mkdir -p "$pids"
stop_tests() {
  trap - TERM INT HUP
  echo "sanitize_gpu.sh: stopped by a signal; stopping the tests it started" >&2
  (cd "$pids" && ls) | xargs -r kill -TERM 2>/dev/null
  wait
  rm -rf "$pids"
  exit 3
}
trap stop_tests TERM INT HUP

race_exclude=()
# A here-string, not a pipe: grep -q leaving early would fail the pipe under pipefail.
grep -q -- --kernel-name-exclude <<< "$(compute-sanitizer --help 2>&1)" \
  && race_exclude=(--kernel-name-exclude kns=cudnn)

# One test under one tool (TOOL "-": no sanitizer): its log(s) and one summary line
# (written in one go, so lines of tests running at the same time do not interleave). A
# test that tests/gpu/need_gpus.sh guards is asked first, without the sanitizer, whether
# this machine has its GPUs.
run_one() {  # run_one TOOL SKIP_CODE NAME WORKDIR COMMAND...
  local tool=$1 skip=$2 name=$3 wd=$4; shift 4
  local log="$out/${name//\//_}.${tool/-/plain}.log" extra=() rc errors verdict=ok
  # CTest lists the command with bash's full path.
  if [ "$#" -ge 3 ] && [[ "$1" == bash || "$1" == */bash ]] && [[ "$2" == */need_gpus.sh ]]; then
    bash "$2" "$3" true > "$log" 2>&1
    rc=$?
    if [ "$rc" != 0 ]; then
      [ "$rc" = "$skip" ] && verdict=skipped || verdict=FAIL
      printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$tool" "$verdict" "$rc" "- - -" >> "$out/results.tsv"
      return
    fi
    shift 3
  fi
  case "$tool" in
    memcheck) extra=(compute-sanitizer --tool memcheck --leak-check full) ;;
    racecheck) extra=(compute-sanitizer --tool racecheck "${race_exclude[@]}") ;;
  esac
  [ "$tool" = - ] || extra+=(--target-processes all --log-file "$log.%p")
  # In the background and waited for, so that the trap runs at once when this is the
  # script's own shell (a serial job).
  (cd "$wd" || exit 2
   exec timeout -k 10 "$limit" "${extra[@]}" "$@") > "$log" 2>&1 < /dev/null &
  local pid=$!
  : > "$pids/$pid"
  wait "$pid"
  rc=$?
  # Off the list once it ended, so a signal never reaches a process that reused its PID.
  rm -f "$pids/$pid"
  errors="- - -"
  if [ "$tool" != - ]; then
    # OURS THIRD_PARTY TOTAL; an unreadable log counts as one error of ours.
    errors=$(python3 "$here/sanitizer_errors.py" "$log".* 2>/dev/null) || errors="1 0 1"
  fi
  if [ "$tool" != - ] && [ "${errors%% *}" != 0 ]; then verdict=FAIL
  elif [ "$rc" = "$skip" ]; then verdict=skipped
  elif [ "$rc" != 0 ]; then verdict=FAIL; fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$tool" "$verdict" "$rc" "$errors" >> "$out/results.tsv"
}

: > "$out/results.tsv"
running=0
while IFS=$'\t' read -r -a row; do
  [ "${row[0]}" = parallel ] || continue
  for tool in $tools; do
    if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
    run_one "$tool" "${row[@]:1}" &
    running=$((running + 1))
  done
done < "$out/tests.tsv"
wait
while IFS=$'\t' read -r -a row; do
  case "${row[0]}" in
    serial) [[ " $tools " == *" memcheck "* ]] && run_one memcheck "${row[@]:1}" ;;
  esac
done < "$out/tests.tsv"
# The checks of the serial jobs' files, after all of them, as CTest orders fixtures: a
# check runs only when its job (its name less ".expect") passed, or was skipped (then the
# check skips too).
while IFS=$'\t' read -r -a row; do
  [ "${row[0]}" = none ] || continue
  job=$(awk -F'\t' -v n="${row[2]%.expect}" '$1 == n && $2 == "memcheck" { print $3 }' "$out/results.tsv")
  if [ "$job" != ok ] && [ "$job" != skipped ]; then
    printf '%s\t-\tnot run\t-\t- - -\n' "${row[2]}" >> "$out/results.tsv"
  else
    run_one - "${row[@]:1}"
  fi
done < "$out/tests.tsv"
rm -rf "$pids"
# One line per test and tool, by name: verdict, tool, exit status, the sanitizer's errors
# in cpbench's code and in the libraries' (cuDNN, NCCL, CUTLASS; "-": no sanitizer ran), name.
sort -t $'\t' -k1,1 -k2,2 "$out/results.tsv" \
  | awk -F'\t' '{ split($5, e, " ")
      printf "%-8s %-9s exit %-3s errors: ours %-3s libraries %-4s %s\n", $3, $2, $4, e[1], e[2], $1 }' \
  > "$out/summary.txt"
cat "$out/summary.txt"
status=0
grep -q '^FAIL' "$out/summary.txt" && status=1
echo "sanitize_gpu.sh: $(grep -c '^ok' "$out/summary.txt") ok, $(grep -c '^skipped' "$out/summary.txt") skipped," \
     "$(grep -c '^FAIL' "$out/summary.txt") failed, $(grep -c '^not run' "$out/summary.txt") not run" \
     "(of $(wc -l < "$out/summary.txt") lines); logs in $out"
exit $status
