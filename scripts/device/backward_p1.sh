#!/usr/bin/env bash
# Issue 20's one-GPU figure in one call: build and run the GPU tests (gpu_check.sh), time
# the bare cuDNN backward call alone at S=65536, H=32, D=128, bf16 (full and causal,
# deterministic and cuDNN's default algorithm), run configs/backward_h200_p1.json (the same
# backward inside cpbench: Ulysses at P=1, pass bwd) and print the table last.
#   scripts/device/backward_p1.sh OUTDIR
# Environment: CPB_GIT_SHA as for gpu_check.sh.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
out="${1:?usage: $0 OUTDIR}"
mkdir -p "$out"
scripts/device/gpu_check.sh "$out"
check=$?
. scripts/device/gpu_env.sh
build-gpu/tests/cpbench_gpu_tests --gtest_also_run_disabled_tests \
  --gtest_filter='CudnnSdpaBackward.DISABLED_StandaloneTimingS65536' > "$out/alone.log" 2>&1
grep "sdpa backward standalone" "$out/alone.log"
scripts/mpirun.sh 1 build-gpu/cpbench run --config configs/backward_h200_p1.json --device cuda --quiet \
  --out "$out/p1.json" > "$out/p1.log" 2>&1
echo "sweep rc=$?"
python3 scripts/device/backward_p1_table.py "$out/p1.json" "$out/alone.log" | tee "$out/table.md"
exit $check
