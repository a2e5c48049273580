#!/usr/bin/env bash
# The HCMS paper reproduction on the GPU machine, in pieces that fit one device call
# (10 minutes): build, optionally the GPU tests and the start-barrier check, then
# scripts/reproduce_hcms.sh for the given paper configs, stopped after CPB_REPRO_SECONDS.
# Its result files are then copied to OUTDIR (the merged file, or the profile parts of a
# sweep the limit cut: what was measured is kept); logs, parts and figures are packed into
# OUTDIR/extras.tgz, since a device call brings back few files.
#   scripts/device/repro_run.sh OUTDIR NP [CONFIG.json...]   (no config: no reproduction)
# Environment:
#   CPB_GIT_SHA        the commit, for provenance (.git does not travel)
#   CPB_TESTS=1        also run every GPU test (CTest label gpu)
#   CPB_BUSBW=1        also run configs/busbw.json and a variant of it, alternately, two
#                      times each, into OUTDIR (issue 3); the variant merges
#                      CPB_BUSBW_MEASURE (a JSON object, default {"warmup_ms": 0}) into
#                      its measure settings
#   CPB_REPRO_SECONDS  time limit of the reproduction step [s] (default 400)
# Then, on any machine, with every config's OUTDIR/NAME.json gathered in one directory:
#   CPB_REPRO_REUSE=1 CPB_REPRO_CONFIGS="..." scripts/reproduce_hcms.sh DIR NP
# draws and tables them all.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
[ $# -ge 2 ] || { echo "usage: $0 OUTDIR NP [CONFIG.json...]" >&2; exit 2; }
out=$1 np=$2
shift 2
work=$(mktemp -d)
mkdir -p "$out"
status=0

echo "== build${CPB_TESTS:+, GPU tests}"
if [ "${CPB_TESTS:-0}" = 1 ]; then skip=0; else skip=1; fi
CPB_SKIP_TESTS=$skip timeout 300 scripts/device/gpu_check.sh "$work/check" || status=1

. scripts/device/gpu_env.sh
export CPB_BIN=build-gpu/cpbench

if [ "${CPB_BUSBW:-0}" = 1 ]; then
  busbw_measure=${CPB_BUSBW_MEASURE:-'{"warmup_ms": 0}'}
  variant=$(python3 scripts/results/busbw_variant.py "$work" "$busbw_measure") || exit 2
  echo "== configs/busbw.json and $(basename "$variant") (measure + $busbw_measure)"
  for cfg in configs/busbw.json "$variant" configs/busbw.json "$variant"; do
    name=$(basename "$cfg" .json)
    res="$out/$name.json"
    [ -f "$res" ] && res="$out/${name}_again.json"
    timeout 120 scripts/mpirun.sh "$np" "$CPB_BIN" run --config "$cfg" --device cuda --quiet --out "$res" \
      > "$work/$(basename "$res" .json).txt" 2>&1 || status=1
    python3 scripts/results/point_summary.py "$res"
  done
fi

if [ $# = 0 ]; then
  tar -czf "$out/extras.tgz" -C "$work" . 2>/dev/null
  exit $status
fi
echo "== reproduction: $*"
CPB_REPRO_CONFIGS="$*" timeout "${CPB_REPRO_SECONDS:-400}" scripts/reproduce_hcms.sh "$work/repro" "$np" \
  > "$work/repro.txt" 2>&1 || status=1
for f in "$work"/repro/*.json; do
  case "$f" in *.nvlink.json|*.pcie.json) continue ;; esac
  [ -f "$f" ] && cp "$f" "$out/"
done
# A reproduction cut by the time limit has parts but no merged file: bring the parts.
for f in "$work"/repro/*.nvlink.json "$work"/repro/*.pcie.json; do
  [ -f "$f" ] || continue
  merged="${f%.*.json}.json"
  [ -f "$merged" ] || cp "$f" "$out/"
done
tar -czf "$out/extras.tgz" -C "$work" . 2>/dev/null
tail -40 "$work/repro.txt"
exit $status
