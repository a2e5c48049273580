#!/usr/bin/env bash
# scripts/results/plant_slowdown.py with cpbench compare on the synthetic A/A fixtures
# (tests/fixtures/aa_rounds_{a,b}.json): A against B passes with no SLOWER or FASTER
# point; B with point 5 planted 3% slower fails with that point alone SLOWER; the planted
# copy says so in its provenance; bad arguments exit 2 and write nothing. Then
# scripts/device/aa_test.sh judging the fixtures (CPB_AA_REUSE=1): PASS, and INVALID (exit
# 3) once a point of B shared its GPU with another process.
#   check_plant_slowdown.sh BINARY SOURCE_DIR
set -uo pipefail
binary=${1:?usage: $0 BINARY SOURCE_DIR}
src=${2:?usage: $0 BINARY SOURCE_DIR}
plant=$src/scripts/results/plant_slowdown.py
a=$src/tests/fixtures/aa_rounds_a.json
b=$src/tests/fixtures/aa_rounds_b.json
. "$(dirname "$0")/../check_lib.sh"  # $work, check, $fails

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

mkdir -p "$work/aa" "$work/aa_shared"
cp "$a" "$work/aa/aa_a.json"
cp "$b" "$work/aa/aa_b.json"
aa() { CPB_BIN=$binary CPB_AA_REUSE=1 CPB_AA_THRESHOLD=1.5 bash "$src/scripts/device/aa_test.sh" "$1" unused.json; }
aa "$work/aa" >"$work/aa_test.txt" 2>&1
check "aa_test passes the fixtures" test $? -eq 0
cp "$a" "$work/aa_shared/aa_a.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d['points'][3]['gpu_state'] = {'other_processes': 1}
json.dump(d, open(sys.argv[2], 'w'))" "$b" "$work/aa_shared/aa_b.json"
aa "$work/aa_shared" >"$work/aa_test_shared.txt" 2>&1
check "aa_test: a shared GPU exits 3" test $? -eq 3
check "aa_test says INVALID" grep -q "^aa_test: INVALID: 1 point(s) shared the GPU" "$work/aa_test_shared.txt"

[ "$fails" -eq 0 ] || { cat "$work"/*.txt; exit 1; }
