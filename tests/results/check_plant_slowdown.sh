#!/usr/bin/env bash
# scripts/results/plant_slowdown.py with cpbench compare on the synthetic A/A fixtures
# (tests/fixtures/aa_rounds_{a,b}.json): A against B passes with no SLOWER or FASTER
# point; B with point 5 planted 3% slower fails with that point alone SLOWER; the planted
# copy says so in its provenance; bad arguments exit 2 and write nothing.
#   check_plant_slowdown.sh BINARY SOURCE_DIR
set -uo pipefail
binary=${1:?usage: $0 BINARY SOURCE_DIR}
src=${2:?usage: $0 BINARY SOURCE_DIR}
plant=$src/scripts/results/plant_slowdown.py
a=$src/tests/fixtures/aa_rounds_a.json
b=$src/tests/fixtures/aa_rounds_b.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
check() {  # check WHAT CONDITION...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}

"$binary" compare "$a" "$b" --threshold 1.5 >"$work/aa.txt"
check "A/A exits 0" test $? -eq 0
check "A/A has no SLOWER or FASTER point" bash -c "! grep -Eq '^(SLOWER|FASTER) ' '$work/aa.txt'"

python3 "$plant" "$b" "$work/planted.json" --index 5 --factor 1.03
check "plant exits 0" test $? -eq 0
check "planted provenance" python3 -c "import json,sys; d=json.load(open('$work/planted.json')); sys.exit(d['provenance']['planted'] != {'index': 5, 'factor': 1.03})"
"$binary" compare "$a" "$work/planted.json" --threshold 1.5 >"$work/planted.txt"
check "planted exits 1" test $? -eq 1
check "one SLOWER point" test "$(grep -c '^SLOWER ' "$work/planted.txt")" -eq 2  # its line and the regressions list
check "it is the planted one" grep -q '^SLOWER .* hcms C=2 S=49152 ' "$work/planted.txt"

python3 "$plant" "$b" "$work/none.json" --index 99 2>"$work/err.txt"
check "unknown index exits 2" test $? -eq 2
check "nothing written for it" test ! -e "$work/none.json"
python3 "$plant" "$b" "$work/neg.json" --index 5 --factor -1 2>>"$work/err.txt"
check "negative factor exits 2" test $? -eq 2
python3 "$plant" "$b" "$b" --index 5 2>>"$work/err.txt"
check "OUT = IN exits 2" test $? -eq 2

[ "$fails" -eq 0 ] || { cat "$work"/*.txt; exit 1; }
