#!/usr/bin/env bash
# The GPU tests (CTest label gpu) under NVIDIA compute-sanitizer on one GPU: every test's
# command once under --tool memcheck (out-of-bounds and misaligned device accesses,
# leaked device allocations, errors returned by CUDA calls) and once under --tool racecheck
# (shared-memory hazards in the kernels). Builds with -lineinfo in build-gpu-sanitize,
# writes one log per test and tool to OUTDIR and OUTDIR/summary.txt, one line per test
# and tool: the test's exit status and the sanitizer's error count.
#   scripts/device/sanitize_gpu.sh OUTDIR [CTEST_REGEX]
# Environment: CPB_SANITIZE_TIMEOUT_S (per test and tool, default 3600: the sanitizers
# slow kernels down many times), CUDA_VISIBLE_DEVICES (default 0: one GPU, so the tests
# that need two ranks on two GPUs are skipped with exit 77 and listed as such).
# Exit 0 when every test passed or was skipped with 0 sanitizer errors; 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
out="${1:?usage: $0 OUTDIR [CTEST_REGEX]}"
regex="${2:-.}"
mkdir -p "$out"
out=$(cd "$out" && pwd)
export CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-0}"
limit="${CPB_SANITIZE_TIMEOUT_S:-3600}"

. scripts/device/gpu_env.sh
command -v compute-sanitizer >/dev/null || { echo "sanitize_gpu.sh: compute-sanitizer is not on PATH" >&2; exit 2; }
py_site_flag=()
[ -n "$cpb_py_site" ] && py_site_flag=(-DCPBENCH_PY_SITE="$cpb_py_site")
build="$(pwd)/build-gpu-sanitize"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCPBENCH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90a -DCMAKE_CUDA_FLAGS=-lineinfo "${py_site_flag[@]}" > "$out/configure.log" 2>&1 \
  || { tail -30 "$out/configure.log"; exit 1; }
ninja -C "$build" > "$out/build.log" 2>&1 || { grep -E "error|FAILED" "$out/build.log" | head -40; exit 1; }

# name <TAB> working directory (absolute) <TAB> command (tab-separated arguments) of every gpu test.
(cd "$build" && ctest -L gpu -R "$regex" --show-only=json-v1) > "$out/tests.json" || exit 1
python3 - "$out/tests.json" "$build" > "$out/tests.tsv" <<'PY' || exit 1
import json, sys
for t in json.load(open(sys.argv[1]))["tests"]:
    wd = next((p["value"] for p in t.get("properties", []) if p["name"] == "WORKING_DIRECTORY"), sys.argv[2])
    print("\t".join([t["name"], wd] + t["command"]))
PY
[ -s "$out/tests.tsv" ] || { echo "sanitize_gpu.sh: no gpu test matches '$regex'" >&2; exit 1; }

status=0
: > "$out/summary.txt"
while IFS=$'\t' read -r -a row; do
  name=${row[0]} wd=${row[1]} cmd=("${row[@]:2}")
  for tool in memcheck racecheck; do
    log="$out/${name}.${tool}.log"
    extra=()
    [ "$tool" = memcheck ] && extra=(--leak-check full)
    (cd "$wd" || exit 2
     timeout "$limit" compute-sanitizer --tool "$tool" "${extra[@]}" --target-processes all \
       --error-exitcode 99 --log-file "$log.%p" "${cmd[@]}") > "$log" 2>&1 < /dev/null
    rc=$?
    errors=$(cat "$log".* 2>/dev/null | awk '/ERROR SUMMARY:/ { n += $(NF - 1) } END { print n + 0 }')
    verdict=ok
    if [ "$rc" = 77 ]; then verdict=skipped
    elif [ "$rc" != 0 ] || [ "$errors" != 0 ]; then verdict=FAIL; status=1; fi
    printf '%-10s %-9s exit %-3s sanitizer errors %-4s %s\n' "$verdict" "$tool" "$rc" "$errors" "$name" \
      | tee -a "$out/summary.txt"
  done
done < "$out/tests.tsv"
echo "sanitize_gpu.sh: $(grep -c '^ok' "$out/summary.txt") ok, $(grep -c '^skipped' "$out/summary.txt") skipped," \
     "$(grep -c '^FAIL' "$out/summary.txt") failed (of $(wc -l < "$out/summary.txt") test runs); logs in $out"
exit $status
