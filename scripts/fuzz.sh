#!/usr/bin/env bash
# Builds the libFuzzer harnesses of the readers (the fuzz preset of CMakePresets.json:
# clang++, ASan + UBSan, build dir build-fuzz) and runs each for a number of executions:
#   scripts/fuzz.sh [HARNESS...]          (default: config plan result)
# Environment: FUZZ_RUNS executions per harness (default 1000000); FUZZ_JOBS harnesses run
# at once (default 1, each a single libFuzzer process); FUZZ_NICE the nice level (default
# 10). Each run starts from the committed seed corpus tests/fuzz/corpus/<name>/ (read
# only) and a working corpus build-fuzz/fuzz/<name>/corpus/ that keeps what it found;
# a crash, a sanitizer report, a timeout (10 s per input) or more than 2 GiB of memory is
# a finding, saved under build-fuzz/fuzz/<name>/ as crash-*, timeout-* or oom-*, and makes
# the script exit 1. The log of each run is build-fuzz/fuzz/<name>/log.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${FUZZ_RUNS:-1000000}
jobs=${FUZZ_JOBS:-1}
nice_level=${FUZZ_NICE:-10}
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(config plan result)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

# The longest input each harness tries [bytes]: the seeds' sizes (plans and result files
# of a few points are a few KiB to 12 KiB of JSON).
max_len() {
  case $1 in
    config) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

cmake --preset fuzz "${launcher[@]}" >/dev/null
targets=()
for h in "${harnesses[@]}"; do targets+=("cpbench_fuzz_$h"); done
cmake --build --preset fuzz -j 2 --target "${targets[@]}"

fuzz_one() {
  local h=$1 dir=$root/build-fuzz/fuzz/$1
  mkdir -p "$dir/corpus"
  local t0 t1 rc=0
  t0=$(date +%s)
  nice -n "$nice_level" "$root/build-fuzz/tests/fuzz/cpbench_fuzz_$h" \
    -runs="$runs" -max_len="$(max_len "$h")" -timeout=10 -rss_limit_mb=2048 \
    -dict="$root/tests/fuzz/$h.dict" -artifact_prefix="$dir/" -print_final_stats=1 \
    "$dir/corpus" "$root/tests/fuzz/corpus/$h" >"$dir/log.txt" 2>&1 || rc=$?
  t1=$(date +%s)
  local done_line
  done_line=$(grep -E '^Done [0-9]+ runs' "$dir/log.txt" | tail -1 || true)
  echo "fuzz.sh: $h: exit $rc, $((t1 - t0)) s, ${done_line:-no 'Done' line (see $dir/log.txt)}"
  return "$rc"
}

status=0
pids=()
for h in "${harnesses[@]}"; do
  fuzz_one "$h" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit "$status"
