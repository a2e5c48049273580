#!/usr/bin/env bash
# One call on a fresh GPU machine (the image of shared/DEVICE.md): build cpbench as
# gpu_check.sh does, then `cpbench calibrate` on one GPU: the kernel table and the copy
# and merge models measured there, the transports fitted from the committed H200 probe
# and bus-bandwidth results (docs/SIMULATOR.md, "The machine model and calibration").
# Writes OUTDIR/NAME.json (the machine file), OUTDIR/calibrate.log (this output) and
# OUTDIR/calibrate_shapes.log (one line per shape); prints the summary table last.
#   scripts/device/calibrate.sh OUTDIR [--quick]
# Environment: CPB_GIT_SHA (the commit, as for gpu_check.sh), CPB_NAME (the model's
#              name; default the GPU's model in lower case, e.g. h200 or h100, "gpu" when
#              nvidia-smi names none), CPB_FROM (the --from files, space-separated; default
#              the committed probe and busbw results of results/h200x2).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
out="${1:?usage: $0 OUTDIR [--quick]}"
shift
mkdir -p "$out"
exec > >(tee -a "$out/calibrate.log") 2>&1

. scripts/device/gpu_env.sh
nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader

t0=$(date +%s)
cpb_build_gpu "$out" cpbench || exit 1
echo "build: $(( $(date +%s) - t0 )) s, $(build-gpu/cpbench --version)"

r=results/h200x2
from=${CPB_FROM:-"$r/2026-11-22_probe_nvlink.json $r/2026-11-22_probe_pcie.json \
$r/2026-11-22_busbw_warmup/busbw.json $r/2026-11-22_busbw/busbw_barrier_on.json"}
# The calls asking for one kind of GPU may be served by another: name the file after the
# GPU it measured.
gpu_model=$(nvidia-smi --query-gpu=name --format=csv,noheader -i 0 2>/dev/null | grep -oiE '\b[A-Z]{1,2}[0-9]{2,4}[A-Z]?\b' | head -1)
name=${CPB_NAME:-$(tr '[:upper:]' '[:lower:]' <<< "${gpu_model:-gpu}")}
t0=$(date +%s)
# One rank on the first GPU; the shape lines go to their own log.
# shellcheck disable=SC2086
CUDA_VISIBLE_DEVICES=0 scripts/mpirun.sh 1 build-gpu/cpbench calibrate --device cuda --name "$name" \
  --out "$out/$name.json" --from $from "$@" 2> "$out/calibrate_shapes.log"
rc=$?
echo "calibrate: rc=$rc, $(( $(date +%s) - t0 )) s; $(grep -c 'skipped' "$out/calibrate_shapes.log") shapes skipped"
grep 'skipped' "$out/calibrate_shapes.log" | head -20
[ $rc = 0 ] || tail -20 "$out/calibrate_shapes.log"
exit $rc
