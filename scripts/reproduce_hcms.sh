#!/usr/bin/env bash
# Reproduce the HCMS paper's attention benchmarks (docs/REPRODUCING.md): run the paper
# configs for NP ranks, each across both interconnect profiles, then draw the figures and
# the reproduction table, all into OUTDIR. Every command is printed before it runs.
#   scripts/reproduce_hcms.sh OUTDIR [NP]
# NP: ranks, one per GPU (default: the number of GPUs nvidia-smi lists, else 2).
# Environment:
#   CPB_BIN             cpbench binary (default build/cpbench; on the GPU machine the one
#                       scripts/device/gpu_check.sh builds: build-gpu/cpbench)
#   CPB_REPRO_CONFIGS   configs to run, space-separated, globs allowed (default
#                       configs/paper/hcms_p${NP}_*.json; for a CPU check:
#                       "configs/paper/cpu/*.json")
#   CPB_RUN_ARGS        more `cpbench run` arguments for every sweep, e.g. "--filter S<=56160"
#   CPB_DEVICE          --device for cpbench run (cpu, cuda; default: cpbench's auto)
#   CPB_PYTHON          python3 with matplotlib for the figures (default: the first of
#                       /opt/torch/.venv/bin/python3 and python3 that imports matplotlib)
#   CPB_PROFILES        profiles to run (default "nvlink pcie"), see scripts/sweep_profiles.sh
#   CPB_REPRO_REUSE     1: run no sweep; report, draw and table the OUTDIR/NAME.json files
#                       earlier calls left (a long reproduction split across machines or
#                       sessions, one config per call, then one call with this set)
# Writes OUTDIR/NAME.json (merged, both profiles), NAME.nvlink.json/.pcie.json (parts) and
# their logs, NAME.md (cpbench report), NAME_time_speedup.png, NAME_hcms_chunks.png,
# NAME_speedup_vs_rho.png, repro_table.md and reproduce.log.
# Exit: 0 all sweeps passed; 2 bad arguments; else 1 (a sweep failed: the rest still ran,
# and whatever was measured is drawn and tabled).
set -uo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$self")/.." || exit 2
prog="scripts/reproduce_hcms.sh"

usage() {  # the header comment above
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$self" >&2
  exit 2
}
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "$prog: error: expected OUTDIR [NP]" >&2; usage; fi
case "$1" in -h|--help) usage ;; esac
out=$1
if [ $# = 2 ]; then
  np=$2
elif command -v nvidia-smi > /dev/null 2>&1 && [ "$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')" -gt 0 ]; then
  np=$(nvidia-smi -L | grep -c '^GPU')
else
  np=2
fi
[[ "$np" =~ ^[1-9][0-9]*$ ]] || { echo "$prog: error: NP: \"$np\" is not a positive integer" >&2; usage; }
export CPB_BIN="${CPB_BIN:-build/cpbench}"
[ -x "$CPB_BIN" ] || { echo "$prog: error: CPB_BIN: \"$CPB_BIN\" is not an executable (build first: scripts/configure.sh, or on the GPU machine CPB_SKIP_TESTS=1 scripts/device/gpu_check.sh OUT, then CPB_BIN=build-gpu/cpbench)" >&2; exit 2; }

configs=()
pattern="${CPB_REPRO_CONFIGS:-configs/paper/hcms_p${np}_*.json}"
for c in $pattern; do  # unquoted on purpose: a list and globs
  [ -f "$c" ] || { echo "$prog: error: CPB_REPRO_CONFIGS: no config file \"$c\" (NP=$np)" >&2; exit 2; }
  configs+=("$c")
done
[ ${#configs[@]} -gt 0 ] || { echo "$prog: error: no config matches \"$pattern\"" >&2; exit 2; }

mkdir -p "$out" || exit 2
exec > >(tee -a "$out/reproduce.log") 2>&1

# As on the GPU image: NVLink multicast off, the newer cuDNN and NCCL where present.
. scripts/device/gpu_env.sh

# python3 for the table (standard library only) and one with matplotlib for the figures.
py_plot=""
for p in ${CPB_PYTHON:-} /opt/torch/.venv/bin/python3 python3; do
  if command -v "$p" > /dev/null 2>&1 && "$p" -c "import matplotlib" > /dev/null 2>&1; then py_plot=$p; break; fi
done
py="${CPB_PYTHON:-python3}"
command -v "$py" > /dev/null 2>&1 || py=${py_plot:-python3}

show() {  # prints a command the way a shell would read it back
  local line="+" a
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./=:,@%+-]+$ ]]; then line+=" $a"; else line+=" '${a//\'/\'\\\'\'}'"; fi
  done
  printf '%s\n' "$line"
}
run() { show "$@"; "$@"; }

echo "$prog: $(date -u +%Y-%m-%dT%H:%M:%SZ), NP=$np, CPB_BIN=$CPB_BIN, configs: ${configs[*]}"
extra=()
# shellcheck disable=SC2206
[ -n "${CPB_RUN_ARGS:-}" ] && extra=(${CPB_RUN_ARGS})
[ -n "${CPB_DEVICE:-}" ] && extra=(--device "$CPB_DEVICE" "${extra[@]}")

status=0
results=()
for cfg in "${configs[@]}"; do
  name=$(basename "$cfg" .json)
  res="$out/$name.json"
  echo
  echo "== $cfg"
  if [ "${CPB_REPRO_REUSE:-0}" = 1 ]; then
    if [ -f "$res" ]; then echo "reusing $res"; results+=("$res"); else echo "$prog: $cfg: no $res to reuse"; status=1; fi
    continue
  fi
  run scripts/sweep_profiles.sh "$np" "$res" --config "$cfg" --quiet "${extra[@]}"
  rc=$?
  if [ "$rc" != 0 ]; then
    echo "$prog: $cfg: sweep exited $rc"
    status=1
  fi
  [ -f "$res" ] && results+=("$res")
done

echo
echo "== reports and figures"
[ -n "$py_plot" ] || echo "$prog: note: no python3 with matplotlib (set CPB_PYTHON): figures left out"
for res in "${results[@]}"; do
  base="${res%.json}"
  echo "+ $CPB_BIN report $res --format md > $base.md"
  "$CPB_BIN" report "$res" --format md > "$base.md" 2> "$base.report.err" \
    || echo "$prog: note: cpbench report $res failed: $(head -1 "$base.report.err")"
  [ -s "$base.report.err" ] || rm -f "$base.report.err"
  [ -n "$py_plot" ] || continue
  # A figure with nothing to draw (e.g. no chunk sweep in a splits config, or every
  # point SKIPPED on the CPU runtime) is a note, not a failure.
  run "$py_plot" scripts/plots/plot_time_speedup.py "$res" -o "${base}_time_speedup.png" --max-groups 12 \
    || echo "$prog: note: no time/speedup figure for $res"
  if "$py_plot" scripts/results/has_chunk_sweep.py "$res"; then
    run "$py_plot" scripts/plots/plot_hcms_chunks.py "$res" -o "${base}_hcms_chunks.png" --relative \
      || echo "$prog: note: no chunk-sweep figure for $res"
  else
    echo "$prog: note: $res has no hcms point by chunk count (only chunk_heads): no chunk-sweep figure"
  fi
  run "$py_plot" scripts/plots/plot_speedup_vs_rho.py "$res" -o "${base}_speedup_vs_rho.png" \
    || echo "$prog: note: no speedup-vs-rho figure for $res"
done

echo
echo "== reproduction table"
if [ ${#results[@]} -gt 0 ]; then
  run "$py" scripts/plots/repro_table.py "${results[@]}" --paper configs/paper/hcms_paper_numbers.json \
    -o "$out/repro_table.md" || status=1
  [ -f "$out/repro_table.md" ] && cat "$out/repro_table.md"
else
  echo "$prog: no result file to table"
  status=1
fi
echo
echo "$prog: files in $out:"
ls -1 "$out"
exit $status
