#!/usr/bin/env bash
# The GPU part of the mutation tests (docs/METRICS.md, "Mutation tests"), for one call on
# a fresh one-GPU machine (shared/DEVICE.md): builds cpbench_mutations with the CUDA
# runtime, runs tests/mutations/run_mutations.py --suite gpu (S >= 32768, one rank, the
# default verify mode) in bf16 and in fp16, and writes to OUTDIR, per dtype, the rows as
# JSON (mutations_gpu_DTYPE.json) and the table as Markdown (mutations_gpu_DTYPE.md).
# In bf16 the 1% softmax-scale error moves outputs by less than bf16's rounding budget
# (docs/METRICS.md, "Mutation tests"): it is run and tabled there but checked in fp16 only.
#   scripts/device/mutations_gpu.sh OUTDIR
# Exit status: 0 when every dtype's suite passed its checks (every mutation FAILED, every
# clean run PASS), 1 otherwise, 2 on a build error.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
out="${1:?usage: $0 OUTDIR}"
mkdir -p "$out"
exec > >(tee -a "$out/mutations_gpu.log") 2>&1

. scripts/device/gpu_env.sh
nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader
cpb_build_gpu "$out" cpbench_mutations || exit 2

status=0
for dtype in bf16 fp16; do
  echo "== dtype $dtype"
  unchecked=()
  [ "$dtype" = bf16 ] && unchecked=(--undetectable scale_1pct)
  python3 tests/mutations/run_mutations.py --suite gpu --device cuda --dtype "$dtype" "${unchecked[@]}" \
    --binary build-gpu/tests/cpbench_mutations --mpirun scripts/mpirun.sh \
    --out "$out/mutations_gpu_$dtype.json" > "$out/mutations_gpu_$dtype.md" || status=1
  cat "$out/mutations_gpu_$dtype.md"
done
exit $status
