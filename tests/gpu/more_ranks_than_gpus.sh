#!/usr/bin/env bash
# More ranks than GPUs on a node must be a usage error (exit 2) naming the reason, on
# every rank, before anything runs: NCCL cannot share a GPU between ranks.
#   more_ranks_than_gpus.sh CPBENCH MPIRUN_SH
# The config is written here for NP = GPUs + 1 ranks (S and H multiples of NP), so the
# GPU count, not a shape the world size cannot split, is what stops the run on any machine.
set -uo pipefail
cpbench=$1 mpirun_sh=$2
gpus=$(nvidia-smi -L | grep -c '^GPU')
np=$((gpus + 1))
out=$(mktemp -d)
cat > "$out/c.json" <<JSON
{"name": "more_ranks_than_gpus",
 "axes": {"schedule": ["ulysses"], "S": [$((128 * np))], "H": [$np], "D": [64], "B": [1],
          "mask": ["full"], "dtype": ["bf16"]},
 "measure": {"warmup": 0, "iterations": 1, "verify": "full"}}
JSON
"$mpirun_sh" "$np" "$cpbench" run --config "$out/c.json" --device cuda --quiet --out "$out/r.json" \
  > "$out/log" 2>&1
rc=$?
cat "$out/log"
status=0
[ "$rc" = 2 ] || { echo "FAIL: exit $rc, expected 2"; status=1; }
grep -q "NCCL cannot share a GPU between ranks" "$out/log" || { echo "FAIL: no reason in the output"; status=1; }
[ ! -e "$out/r.json" ] || { echo "FAIL: a result file was written"; status=1; }
rm -rf "$out"
exit $status
