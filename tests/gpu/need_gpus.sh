#!/usr/bin/env bash
# Runs COMMAND when this machine has at least N GPUs; otherwise prints why and exits 77,
# which the tests using it declare as SKIP_RETURN_CODE: a test of N ranks needs N GPUs
# (NCCL cannot share a GPU between ranks), so on a smaller machine it is skipped, not
# failed, and `ctest -L gpu` on one GPU passes with the two-rank tests listed as skipped.
#   need_gpus.sh N COMMAND [ARG ...]
set -uo pipefail
need=${1:?usage: $0 N COMMAND [ARG ...]}
shift
have=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
if [ "$have" -lt "$need" ]; then
  echo "skipped: needs $need GPUs, this machine has $have"
  exit 77
fi
exec "$@"
