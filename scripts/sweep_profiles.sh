#!/usr/bin/env bash
# One sweep across both interconnect profiles, each in its own processes, merged into one
# result file:
#   scripts/sweep_profiles.sh NP OUT.json [cpbench run ARGS...]
# e.g.
#   scripts/sweep_profiles.sh 2 out/main.json --config configs/paper/hcms_p2_main.json --quiet
#   scripts/sweep_profiles.sh 4 out/x.json -c configs/overlap.json --filter 'S=32760,schedule=hcms|ulysses'
#
# NCCL reads its environment once per process, so profile pcie (nccl through host memory:
# NCCL_P2P_DISABLE=1 in every rank's environment before NCCL starts) cannot share a
# process with profile nvlink. This script runs `cpbench run` twice through
# scripts/mpirun.sh (which forwards NCCL_P2P_DISABLE to the ranks with -x):
#   1. NCCL_P2P_DISABLE unset,  --filter profile=nvlink  -> OUT.nvlink.json
#   2. NCCL_P2P_DISABLE=1,      --filter profile=pcie    -> OUT.pcie.json
# then merges the parts into OUT.json with scripts/results/merge_results.py (measurements
# unchanged; speedups, rho and eta never compare two profiles, so each part's are final).
# A --filter in ARGS is combined with the profile term (terms joined by ','; several
# --filter options are joined the same way). --trace DIR becomes DIR/nvlink and DIR/pcie.
# A profile with no point to run (the config or filter leaves none) is skipped with a
# message; with --dry-run the two point lists are printed and nothing is run or merged.
#
# Environment: CPB_BIN (cpbench binary, default build/cpbench), CPB_PYTHON (python3 for the
# merge, default python3), CPB_PROFILES (default "nvlink pcie"), and what scripts/mpirun.sh
# reads (CPB_MPIRUN_FLAGS, NCCL_*, LD_LIBRARY_PATH, CUDA_VISIBLE_DEVICES).
# Exit: 0 every run passed (its points PASS or SKIPPED); 2 bad arguments, or a config or
# filter cpbench rejects, or no point to run in any profile; otherwise the first failing
# run's status (1: a point FAILED verification). Parts of failed runs are merged too.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
prog="scripts/sweep_profiles.sh"

usage() {
  cat >&2 <<EOF
usage: $prog NP OUT.json [cpbench run ARGS...]
  NP        MPI ranks (one per GPU), a positive integer
  OUT.json  merged result file; the parts go to OUT.nvlink.json and OUT.pcie.json
  ARGS      passed to 'cpbench run' (--config FILE is required there; not --out)
Runs profile nvlink, then profile pcie with NCCL_P2P_DISABLE=1, each in its own mpirun.
Environment: CPB_BIN (default build/cpbench), CPB_PYTHON, CPB_PROFILES ("nvlink pcie").
EOF
  exit 2
}
die_usage() { echo "$prog: error: $*" >&2; usage; }

[ $# -ge 2 ] || die_usage "NP and OUT.json are required"
case "$1" in -h|--help) usage ;; esac
np=$1
out=$2
shift 2
[[ "$np" =~ ^[1-9][0-9]*$ ]] || die_usage "NP: \"$np\" is not a positive integer"
[[ "$out" == *.json ]] || die_usage "OUT.json: \"$out\" does not end in .json"
out_dir=$(dirname "$out")
[ -d "$out_dir" ] || die_usage "OUT.json: the directory \"$out_dir\" does not exist"

bin="${CPB_BIN:-build/cpbench}"
[ -x "$bin" ] || die_usage "CPB_BIN: \"$bin\" is not an executable cpbench binary (build it, or set CPB_BIN)"
py="${CPB_PYTHON:-python3}"
profiles="${CPB_PROFILES:-nvlink pcie}"
for prof in $profiles; do
  case "$prof" in nvlink|pcie) ;; *) die_usage "CPB_PROFILES: \"$prof\" is not a profile; allowed: nvlink, pcie" ;; esac
done

# Split ARGS: filters are combined, --trace is split per profile, --out is ours.
pass=()
filters=()
trace=""
dry=0
have_config=0
while [ $# -gt 0 ]; do
  case "$1" in
    --filter) [ $# -ge 2 ] || die_usage "--filter needs a value"; filters+=("$2"); shift 2 ;;
    --filter=*) filters+=("${1#--filter=}"); shift ;;
    --trace) [ $# -ge 2 ] || die_usage "--trace needs a directory"; trace=$2; shift 2 ;;
    --trace=*) trace="${1#--trace=}"; shift ;;
    -o|--out|-o*|--out=*) die_usage "$1: the output is OUT.json, the second argument" ;;
    --dry-run) dry=1; shift ;;
    -c|--config|--config=*|-c*) have_config=1; pass+=("$1"); shift ;;
    *) pass+=("$1"); shift ;;
  esac
done
[ $have_config = 1 ] || die_usage "ARGS must name a config: --config FILE"

# "a,b" from the user's filters plus the profile term.
filter_for() {
  local joined="" f
  for f in "${filters[@]}" "profile=$1"; do
    [ -n "${f//[[:space:]]/}" ] || continue
    joined="${joined:+$joined,}$f"
  done
  printf '%s' "$joined"
}

# Runs "$@" in the environment of profile $1 (NCCL_P2P_DISABLE set only for pcie).
in_profile() {
  local prof=$1
  shift
  if [ "$prof" = pcie ]; then
    (export NCCL_P2P_DISABLE=1; exec "$@")
  else
    (unset NCCL_P2P_DISABLE; exec "$@")
  fi
}

show() {  # ENV_TEXT COMMAND...: prints the command the way a shell would read it back
  local line="+ $1" a
  shift
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./=:,@%+-]+$ ]]; then line+="$a "; else line+="'${a//\'/\'\\\'\'}' "; fi
  done
  printf '%s\n' "${line% }"
}

base="${out%.json}"
parts=()
status=0
for prof in $profiles; do
  part="$base.$prof.json"
  log="$base.$prof.log"
  rm -f "$part"
  filt=$(filter_for "$prof")
  env_text=$([ "$prof" = pcie ] && echo "NCCL_P2P_DISABLE=1 " || echo "")
  cmd=("$here/mpirun.sh" "$np" "$bin" run "${pass[@]}" --filter "$filt")

  # The point list first: bad input fails here (exit 2) before anything runs, and a
  # profile the config or filter leaves empty is skipped rather than failed.
  show "$env_text" "${cmd[@]}" --dry-run
  listing=$(in_profile "$prof" "${cmd[@]}" --dry-run 2>&1)
  rc=$?
  if [ $dry = 1 ]; then
    printf '%s\n' "$listing"
  fi
  if [ "$rc" != 0 ]; then
    if grep -q "^cpbench: error" <<< "$listing"; then
      grep "^cpbench: error" <<< "$listing" | sort -u >&2
    else
      printf '%s\n' "$listing" | tail -20 >&2
    fi
    echo "$prog: profile $prof: the point list failed (exit $rc)" >&2
    exit "$rc"
  fi
  summary=$(grep -E '^[0-9]+ points \([0-9]+ to run' <<< "$listing" | tail -1)
  if [[ "$summary" =~ ^([0-9]+)\ points\ \(([0-9]+)\ to\ run ]]; then
    if [ "${BASH_REMATCH[2]}" = 0 ]; then
      echo "$prog: profile $prof: no point to run (${BASH_REMATCH[1]} after the filter, all skipped by the config or schedule); skipping this profile"
      continue
    fi
    echo "$prog: profile $prof: $summary"
  else
    echo "$prog: profile $prof: note: could not read the point count from the dry run; running anyway"
  fi
  [ $dry = 1 ] && continue

  prof_cmd=("${cmd[@]}")
  [ -n "$trace" ] && prof_cmd+=(--trace "$trace/$prof")
  prof_cmd+=(--out "$part")
  show "$env_text" "${prof_cmd[@]}"
  in_profile "$prof" "${prof_cmd[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  if [ "$rc" = 2 ] && grep -qE "no point matches the config and filter|no point of the sweep can run" "$log"; then
    echo "$prog: profile $prof: no point to run; skipping this profile"
    continue
  fi
  if [ "$rc" != 0 ]; then
    echo "$prog: profile $prof: cpbench run exited $rc (log: $log)" >&2
    [ "$status" = 0 ] && status=$rc
  fi
  if [ -f "$part" ]; then
    parts+=("$part")
  else
    echo "$prog: profile $prof: no result file was written" >&2
    [ "$status" = 0 ] && status=1
  fi
done

[ $dry = 1 ] && exit 0
if [ ${#parts[@]} = 0 ]; then
  if [ "$status" = 0 ]; then
    echo "$prog: error: no point to run in any profile ($profiles); nothing written" >&2
    exit 2
  fi
  exit "$status"
fi
show "" "$py" "$here/results/merge_results.py" -o "$out" "${parts[@]}"
if ! "$py" "$here/results/merge_results.py" -o "$out" "${parts[@]}"; then
  echo "$prog: error: merging ${parts[*]} failed" >&2
  exit 1
fi
echo "$prog: wrote $out (from ${parts[*]})"
exit "$status"
