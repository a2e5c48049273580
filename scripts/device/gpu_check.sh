#!/usr/bin/env bash
# One call on a fresh GPU machine (the image of shared/DEVICE.md: nothing can be
# installed, cudnn-frontend headers travel in .deps/): configure and build with Ninja,
# run the GPU tests (CTest label gpu), run the given sweeps (each across both interconnect
# profiles: scripts/sweep_profiles.sh), write everything to OUTDIR and print a short
# table last.
#   scripts/device/gpu_check.sh OUTDIR [CONFIG.json ...]
# Environment: CPB_GIT_SHA (the commit, for provenance: .git does not travel),
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
py_site_flag=()
# Build against the Python environment's newer cuDNN and NCCL, where present.
[ -n "$cpb_py_site" ] && py_site_flag=(-DCPBENCH_PY_SITE="$cpb_py_site")
nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader
ngpu=$(nvidia-smi -L | grep -c '^GPU')
np="${CPB_NP:-$ngpu}"

t0=$(date +%s)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCPBENCH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90a "${py_site_flag[@]}" > "$out/configure.log" 2>&1 \
  || { tail -30 "$out/configure.log"; exit 1; }
grep "cpbench:" "$out/configure.log"
ninja -C build-gpu > "$out/build.log" 2>&1 || { grep -E "error|FAILED" "$out/build.log" | head -40; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"

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
exit $status
