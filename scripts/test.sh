#!/usr/bin/env bash
# Sets up everything, builds, and runs the tests: unit tests, multi-rank runs under
# mpirun (2, 3 and 4 ranks, oversubscribed), CLI error tests, cpbench under a one-node
# Slurm on localhost (its packages installed here where packages can be). GPU tests (CTest label
# `gpu`) run too when CPB_TEST_GPU=1 (scripts/device/gpu_check.sh sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
CPB_SETUP_SLURM=1 scripts/setup_deps.sh
scripts/configure.sh
labels=(-LE gpu)
[ "${CPB_TEST_GPU:-0}" = 1 ] && labels=()
cd "${CPB_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 900 -j "$(nproc)" "${labels[@]}" "$@"
