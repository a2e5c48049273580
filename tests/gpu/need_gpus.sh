#!/usr/bin/env bash
# Runs COMMAND when at least N GPUs are visible; otherwise prints why and exits 77, which
# the tests using it declare as SKIP_RETURN_CODE: a test of N ranks needs N GPUs (NCCL
# cannot share a GPU between ranks), so on a smaller machine it is skipped, not failed,
# and `ctest -L gpu` on one GPU passes with the two-rank tests listed as skipped. Visible:
# the GPUs nvidia-smi lists, at most as many as CUDA_VISIBLE_DEVICES names when it is set.
# No nvidia-smi means no GPU (skipped, as the GPU tests in cpbench_gpu_tests do); an
# nvidia-smi that fails is a broken machine, not a small one: exit 1.
#   need_gpus.sh N COMMAND [ARG ...]
set -uo pipefail
need=${1:?usage: $0 N COMMAND [ARG ...]}
shift
if ! command -v nvidia-smi > /dev/null; then
  echo "skipped: needs $need GPU(s), and this machine has no nvidia-smi"
  exit 77
fi
if ! list=$(nvidia-smi -L 2>&1); then
  echo "need_gpus.sh: nvidia-smi -L failed: $list" >&2
  exit 1
fi
have=$(grep -c '^GPU' <<< "$list")
if [ -n "${CUDA_VISIBLE_DEVICES+set}" ]; then
  visible=$(tr ',' '\n' <<< "$CUDA_VISIBLE_DEVICES" | grep -c '[^[:space:]]')
  [ "$visible" -lt "$have" ] && have=$visible
fi
if [ "$have" -lt "$need" ]; then
  echo "skipped: needs $need GPU(s), $have visible"
  exit 77
fi
exec "$@"
