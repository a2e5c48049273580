#!/usr/bin/env bash
# The GPU tests (CTest label gpu) under NVIDIA compute-sanitizer on one GPU: every
# GoogleTest case once under --tool memcheck (out-of-bounds and misaligned device
# accesses, leaked device allocations, errors returned by CUDA calls) and once under
# --tool racecheck (shared-memory hazards in the kernels), several at once; the cpbench
# jobs (RUN_SERIAL tests) under memcheck, one at a time; the checks of their files
# (FIXTURES_REQUIRED, Python) listed as not run. Builds with -lineinfo in build-gpu-sanitize,
# writes one log per test and tool to OUTDIR and OUTDIR/summary.txt, one line per test
# and tool: the test's exit status and the sanitizer's error count.
#   scripts/device/sanitize_gpu.sh OUTDIR [CTEST_REGEX]
# Environment: CPB_SANITIZE_TIMEOUT_S (per test and tool, default 1200: the sanitizers
# slow kernels down many times), CPB_SANITIZE_JOBS (test runs at once on the one GPU,
# default 4), CPB_SANITIZE_TOOLS (default "memcheck racecheck"), CUDA_VISIBLE_DEVICES
# (default 0: one GPU, so the tests that need two ranks on two GPUs are skipped with exit
# 77 and listed as such). Disabled tests are left out.
# Exit 0 when every test passed or was skipped with 0 sanitizer errors; 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
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
# FIXTURES_REQUIRED check of those files: Python, no device code, listed as not run).
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

# One test under one tool: its log(s) and one summary line (written in one go, so lines of
# tests running at the same time do not interleave).
run_one() {  # run_one TOOL SKIP_CODE NAME WORKDIR COMMAND...
  local tool=$1 skip=$2 name=$3 wd=$4; shift 4
  local log="$out/${name//\//_}.${tool}.log" extra=() rc errors verdict=ok
  [ "$tool" = memcheck ] && extra=(--leak-check full)
  (cd "$wd" || exit 2
   timeout "$limit" compute-sanitizer --tool "$tool" "${extra[@]}" --target-processes all \
     --error-exitcode 99 --log-file "$log.%p" "$@") > "$log" 2>&1 < /dev/null
  rc=$?
  errors=$(cat "$log".* 2>/dev/null | awk '/ERROR SUMMARY:/ { n += $(NF - 1) } END { print n + 0 }')
  if [ "$rc" = "$skip" ]; then verdict=skipped
  elif [ "$rc" != 0 ] || [ "$errors" != 0 ]; then verdict=FAIL; fi
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
    none) printf '%s\t-\tnot run\t-\t-\n' "${row[2]}" >> "$out/results.tsv" ;;
  esac
done < "$out/tests.tsv"
# One line per test and tool, by name: verdict, tool, exit status, sanitizer errors, name.
sort -t $'\t' -k1,1 -k2,2 "$out/results.tsv" \
  | awk -F'\t' '{ printf "%-10s %-9s exit %-3s sanitizer errors %-4s %s\n", $3, $2, $4, $5, $1 }' > "$out/summary.txt"
cat "$out/summary.txt"
status=0
grep -q '^FAIL' "$out/summary.txt" && status=1
echo "sanitize_gpu.sh: $(grep -c '^ok' "$out/summary.txt") ok, $(grep -c '^skipped' "$out/summary.txt") skipped," \
     "$(grep -c '^FAIL' "$out/summary.txt") failed, $(grep -c '^not run' "$out/summary.txt") not run" \
     "(of $(wc -l < "$out/summary.txt") lines); logs in $out"
exit $status
