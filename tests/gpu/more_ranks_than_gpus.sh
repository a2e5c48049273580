#!/usr/bin/env bash
# More ranks than GPUs on a node must be a usage error (exit 2) naming the reason, on
# every rank, before anything runs: NCCL cannot share a GPU between ranks.
#   more_ranks_than_gpus.sh CPBENCH MPIRUN_SH CONFIG
set -uo pipefail
cpbench=$1 mpirun_sh=$2 config=$3
gpus=$(nvidia-smi -L | grep -c '^GPU')
out=$(mktemp -d)
"$mpirun_sh" $((gpus + 1)) "$cpbench" run --config "$config" --device cuda --quiet --out "$out/r.json" \
  > "$out/log" 2>&1
rc=$?
cat "$out/log"
status=0
[ "$rc" = 2 ] || { echo "FAIL: exit $rc, expected 2"; status=1; }
grep -q "NCCL cannot share a GPU between ranks" "$out/log" || { echo "FAIL: no reason in the output"; status=1; }
[ ! -e "$out/r.json" ] || { echo "FAIL: a result file was written"; status=1; }
rm -rf "$out"
exit $status
