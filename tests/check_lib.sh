# shellcheck shell=bash
# Sourced by the shell tests that count their checks (sim/check_simulate.sh,
# results/check_plant_slowdown.sh, results/check_multi_gpu_round.sh): $work, a scratch
# directory removed on exit, and `check WHAT COMMAND...`, which runs COMMAND, prints
# "ok: WHAT" or "FAIL: WHAT" and counts the failures in $fails.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
