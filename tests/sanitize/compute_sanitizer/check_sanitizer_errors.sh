#!/usr/bin/env bash
# scripts/device/sanitizer_errors.py on hand-written compute-sanitizer logs (in the formats
# of the H100 run of 2026-12-05, results/h100x1/2026-12-05_sanitizer_first_run; the kernel
# and file names are made up): errors in cuDNN's, NCCL's and CUTLASS's code are counted
# apart (a namespaced kernel, an "0xOFF in NAME" place, an API error reached through the
# CUDA runtime), everything else, an error it cannot place included, counts as cpbench's.
#   check_sanitizer_errors.sh SOURCE_DIR
set -uo pipefail
src="${1:?usage: $0 SOURCE_DIR}"
here="$src/tests/sanitize/compute_sanitizer"
tool="$src/scripts/device/sanitizer_errors.py"
fail=0
expect() {  # expect "OURS THIRD_PARTY TOTAL" LOG...
  local want=$1 got
  shift
  got=$(python3 "$tool" "$@")
  if [ "$got" = "$want" ]; then echo "ok   $want  $*"; else echo "FAIL $*: got '$got', want '$want'"; fail=1; fi
}
expect "1 2 3" "$here/racecheck.log"
expect "2 2 4" "$here/memcheck.log"
expect "1 0 1" "$here/unplaced.log"
expect "4 4 8" "$here/racecheck.log" "$here/memcheck.log" "$here/unplaced.log"
python3 "$tool" "$here/missing.log" > /dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || { echo "FAIL: an unreadable log gave exit $rc, want 2"; fail=1; }
python3 "$tool" > /dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || { echo "FAIL: no log gave exit $rc, want 2"; fail=1; }
exit $fail
