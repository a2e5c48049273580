#!/usr/bin/env bash
# Issue 20's one-GPU figure in one call: build and run the GPU tests (gpu_check.sh), then
# CPB_BWD_PAIRS (default 4) pairs of (the bare cuDNN backward call timed alone at S=65536,
# H=32, D=128, bf16, full and causal: tests/gpu/test_cudnn_sdpa_backward.cpp; the same
# backward inside cpbench: configs/backward_h200_p1.json, Ulysses at P=1, pass bwd), the
# two in alternating order (odd pairs bare call first, even pairs sweep first) so that
# drift hits both alike, and print the table of their ratios, with a 95 % interval over
# the pairs, last.
#   scripts/device/backward_p1.sh OUTDIR      -> OUTDIR/alone_K.log, p1_K.json, table.md
# Environment: CPB_GIT_SHA as for gpu_check.sh; CPB_BWD_PAIRS (an integer >= 1).
# Exit status: 0 when the GPU tests and every sweep succeeded, else 1 (2: bad arguments).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
out="${1:?usage: $0 OUTDIR}"
pairs="${CPB_BWD_PAIRS:-4}"
[[ "$pairs" =~ ^[1-9][0-9]*$ ]] || { echo "backward_p1.sh: CPB_BWD_PAIRS=$pairs; allowed: an integer >= 1" >&2; exit 2; }
mkdir -p "$out"
scripts/device/gpu_check.sh "$out"
check=$?
. scripts/device/gpu_env.sh
bare() {
  build-gpu/tests/cpbench_gpu_tests --gtest_also_run_disabled_tests \
    --gtest_filter='CudnnSdpaBackward.DISABLED_StandaloneTimingS65536' > "$out/alone_$1.log" 2>&1
  grep "sdpa backward standalone" "$out/alone_$1.log"
}
sweep() {
  scripts/mpirun.sh 1 build-gpu/cpbench run --config configs/backward_h200_p1.json --device cuda --quiet \
    --out "$out/p1_$1.json" > "$out/p1_$1.log" 2>&1
  local rc=$?
  echo "sweep $1 rc=$rc"
  [ $rc = 0 ] || check=1
}
args=()
for ((k = 1; k <= pairs; ++k)); do
  if ((k % 2)); then bare "$k"; sweep "$k"; else sweep "$k"; bare "$k"; fi
  args+=("$out/p1_$k.json" "$out/alone_$k.log")
done
python3 scripts/device/backward_p1_table.py "${args[@]}" | tee "$out/table.md"
exit $check
