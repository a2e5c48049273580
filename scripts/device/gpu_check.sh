#!/usr/bin/env bash
# One call on a fresh GPU machine (the image of shared/DEVICE.md: nothing can be
# installed, cudnn-frontend headers travel in .deps/): configure and build with Ninja,
# run the GPU tests (CTest label gpu), run the given sweeps (each across both interconnect
# profiles: scripts/sweep_profiles.sh), write everything to OUTDIR and print a short
# table last.
#   scripts/device/gpu_check.sh OUTDIR [CONFIG.json ...]
# Environment: CPB_GIT_SHA (the commit: .git does not travel, so the build compiles this
#              value into the binary, and cpbench refuses to run when it is set to another),
#              CPB_SKIP_TESTS=1 (sweeps only), CPB_RUN_ARGS="-a S=32760 --filter ...",
#              CPB_NP (ranks; default: number of GPUs), CPB_TAG (file name prefix).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
out="${1:?usage: $0 OUTDIR [CONFIG.json ...]}"
shift
mkdir -p "$out"
log="$out/gpu_check.log"
exec > >(tee -a "$log") 2>&1

. scripts/device/gpu_env.sh
nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader
ngpu=$(nvidia-smi -L | grep -c '^GPU')
# SM clock, power and temperature of every GPU twice a second while this call runs, so a
# slow point can be checked against throttling (the machines are shared). Summarised last.
nvidia-smi --query-gpu=timestamp,index,clocks.sm,power.draw,temperature.gpu --format=csv,nounits -lms 500 \
  > "$out/gpu_clocks.csv" 2>&1 &
smi_pid=$!
trap 'kill "$smi_pid" 2>/dev/null' EXIT
np="${CPB_NP:-$ngpu}"

t0=$(date +%s)
cpb_build_gpu "$out" || exit 1
grep "cpbench:" "$out/configure.log"
echo "build: $(( $(date +%s) - t0 )) s, $(build-gpu/cpbench --version)"

status=0
if [ "${CPB_SKIP_TESTS:-0}" != 1 ]; then
  (cd build-gpu && ctest --output-on-failure -L gpu --timeout 600 > "$out/ctest_gpu.log" 2>&1)
  rc=$?
  [ $rc = 0 ] || status=1
  grep -E "tests passed|tests failed|\(Failed\)|\(SEGFAULT\)|\(Timeout\)|Not Run" "$out/ctest_gpu.log" | head -30
  echo "gpu tests rc=$rc"
fi

tag="${CPB_TAG:-sweep}"
results=()
for cfg in "$@"; do
  name=$(basename "$cfg" .json)
  res="$out/${tag}_${name}.json"
  # Both interconnect profiles, each in its own processes, merged into one file.
  # shellcheck disable=SC2086
  CPB_BIN=build-gpu/cpbench scripts/sweep_profiles.sh "$np" "$res" --config "$cfg" --device cuda --quiet \
    ${CPB_RUN_ARGS:-} > "$out/${tag}_${name}.txt" 2>&1
  rc=$?
  echo "sweep $cfg rc=$rc"
  [ $rc = 0 ] || { status=1; tail -15 "$out/${tag}_${name}.txt"; }
  [ -f "$res" ] && results+=("$res")
done
for res in "${results[@]}"; do
  build-gpu/cpbench report "$res" --format md > "${res%.json}.md" 2>&1
  echo "== $res"
  tail -40 "${res%.json}.txt"
done
kill "$smi_pid" 2>/dev/null
# Per GPU: samples, SM clock [MHz] min/median/max, power [W] max, temperature [C] max.
awk -F', *' 'NR > 1 && $3 ~ /^[0-9]+$/ { n[$2]++; c[$2, n[$2]] = $3 + 0
    if ($4 + 0 > pw[$2]) pw[$2] = $4 + 0; if ($5 + 0 > tp[$2]) tp[$2] = $5 + 0 }
  END { for (g in n) { m = n[g]; for (i = 1; i <= m; i++) v[i] = c[g, i]
      for (i = 2; i <= m; i++) { x = v[i]; j = i - 1; while (j > 0 && v[j] > x) { v[j + 1] = v[j]; j-- }; v[j + 1] = x }
      printf "gpu %s: %d samples, SM clock %d/%d/%d MHz (min/median/max), power max %.0f W, temp max %d C\n",
        g, m, v[1], v[int((m + 1) / 2)], v[m], pw[g], tp[g] } }' "$out/gpu_clocks.csv"
exit $status
