#!/usr/bin/env bash
# Sets up everything, builds, and runs the quickstart sweep: two ranks under mpirun, on
# GPUs when there are two, otherwise on the CPU runtime. Prints the verified table and
# writes build/quickstart.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_deps.sh
scripts/configure.sh cpbench
gpus=0
if command -v nvidia-smi >/dev/null; then gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true); fi
device=cpu
[ "$gpus" -ge 2 ] && device=auto
scripts/mpirun.sh 2 build/cpbench run --config configs/quickstart.json --device "$device" \
  --force --out build/quickstart.json "$@"
echo "result: build/quickstart.json   (tables: build/cpbench report build/quickstart.json)"
