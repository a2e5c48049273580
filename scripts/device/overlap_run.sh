#!/usr/bin/env bash
# The overlap study of issue 4 in one device call (2 GPUs): build, the GPU tests of the
# transports (or all with CPB_ALL_TESTS=1), configs/overlap.json and
# configs/overlap_levers.json across both interconnect profiles, the interference probe
# in both profiles and both orders, Chrome traces of the best HCMS settings, and the quickstart sweep on
# GPUs. Results go to OUTDIR; bulky extras (parts, logs, traces) into OUTDIR/extras.tgz,
# since a device call brings back only a few files.
#   scripts/device/overlap_run.sh OUTDIR
# Environment: CPB_GIT_SHA (the commit, for provenance), CPB_PROBE_SECONDS (default 4).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
. scripts/device/gpu_env.sh
out="${1:?usage: $0 OUTDIR}"
work=$(mktemp -d)
status=0
step() { echo "== $*"; }

step "build, sweeps"
CPB_SKIP_TESTS=1 CPB_TAG=overlap timeout 420 scripts/device/gpu_check.sh "$work" \
  configs/overlap.json configs/overlap_levers.json || status=1
if [ "${CPB_ALL_TESTS:-0}" = 1 ]; then filter=""; else
  filter="-R watchdog|more_ranks|transports_small|UnsupportedReasons|executor"; fi
step "gpu tests ${filter:-all}"
# shellcheck disable=SC2086
(cd build-gpu && timeout 200 ctest --output-on-failure -L gpu $filter > "$work/ctest_gpu.log" 2>&1) || status=1
grep -E "tests passed|tests failed|\(Failed\)|Not Run" "$work/ctest_gpu.log" | head -20

step "probe"
# Each profile twice: attention posted first (as HCMS posts its exchanges), then the
# exchange first (as a ring does: docs/METRICS.md, "Probe").
secs="${CPB_PROBE_SECONDS:-4}"
for first in attention exchange; do
  sfx=""; [ "$first" = attention ] || sfx="_exchange_first"
  timeout 90 scripts/mpirun.sh 2 build-gpu/cpbench probe --device cuda --seconds "$secs" --quiet --first "$first" \
    --out "$work/probe_nvlink$sfx.json" || status=1
  NCCL_P2P_DISABLE=1 timeout 90 scripts/mpirun.sh 2 build-gpu/cpbench probe --device cuda --profile pcie \
    --seconds "$secs" --quiet --first "$first" --out "$work/probe_pcie$sfx.json" || status=1
done

step "traces"
CPB_BIN=build-gpu/cpbench timeout 90 scripts/sweep_profiles.sh 2 "$work/traces.json" --config configs/overlap.json \
  --device cuda --quiet --trace "$work/traces" \
  --filter 'S=56160,schedule=hcms,chunks=10,transport=ce|ce_host' > "$work/traces.txt" 2>&1 || status=1

step "quickstart on GPUs"
timeout 60 scripts/mpirun.sh 2 build-gpu/cpbench run --config configs/quickstart.json --device cuda --quiet \
  --out "$work/quickstart_gpu.json" > "$work/quickstart_gpu.txt" 2>&1
echo "quickstart rc=$?"; tail -3 "$work/quickstart_gpu.txt"

mkdir -p "$out"
for f in overlap_overlap.json overlap_overlap_levers.json probe_nvlink.json probe_pcie.json \
  probe_nvlink_exchange_first.json probe_pcie_exchange_first.json quickstart_gpu.json; do
  [ -f "$work/$f" ] && cp "$work/$f" "$out/"
done
tar -czf "$out/extras.tgz" -C "$work" --exclude='*.o' . 2>/dev/null
tail -60 "$work/overlap_overlap.txt"
tail -20 "$work/overlap_overlap_levers.txt"
exit $status
