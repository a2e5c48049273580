#!/usr/bin/env bash
# The compute-only and comm-only parts timed in every round, on the CPU runtime at 2 ranks
# (docs/METRICS.md, "Compute-only and comm-only parts", "Intervals"):
# - with rounds 3 every PASS record has 3 rounds, each with comp_ms, comm_ms and their
#   samples; the record's comp_ms and comm_ms are the medians of the rounds', comm_time_ms
#   pools the rounds' comm samples; rho_ci, bound_ci and (but for serial Ulysses) eta_ci
#   are intervals; the console's overlap table prints them;
# - with rounds 1 the one round has its parts and the intervals are there (the iterations');
# - with isolate off no round and no record has parts;
# - the rounds-3 file with the rounds' parts removed (a file written before they were
#   timed every round) is reported, exit 0, its figures recomputed: eta_ci, but no rho or
#   bound intervals.
#   check_parts_rounds.sh BINARY SOURCE_DIR
set -uo pipefail
bin=${1:?usage: $0 BINARY SOURCE_DIR}
src=${2:?}
. "$(dirname "$0")/../check_lib.sh"  # $work, check, $fails

run() {  # OUT MEASURE: a sweep at 2 ranks with these extra measure settings, its console in OUT.txt
  cat > "$work/$1.cfg.json" <<JSON
{
  "name": "parts_rounds",
  "axes": {"schedule": ["ulysses", "hcms", "ring"], "S": 64, "H": 4, "D": 16, "chunks": 2},
  "measure": {"warmup": 1, "warmup_ms": 0, "iterations": 4, "min_iterations": 1, $2}
}
JSON
  "$src/scripts/mpirun.sh" 2 "$bin" run -c "$work/$1.cfg.json" --device cpu --quiet --force --out "$work/$1.json" \
    > "$work/$1.txt" 2>&1
}
# FILE ROUNDS: what every PASS record of FILE must hold with parts in its ROUNDS rounds.
parts() {
  python3 - "$1" "$2" <<'PY'
import json, statistics, sys
d, rounds = json.load(open(sys.argv[1])), int(sys.argv[2])
bad = []
def interval(r, key):
    ci = r.get(key)
    return isinstance(ci, dict) and ci["lo"] <= ci["hi"]
for r in d["points"]:
    if r["status"] != "PASS":
        bad.append(f'{r["index"]}: {r["status"]}')
        continue
    rs = r["rounds"]
    if len(rs) != rounds:
        bad.append(f'{r["index"]}: {len(rs)} rounds')
        continue
    comp = [k["comp_ms"] for k in rs]
    comm = [k["comm_ms"] for k in rs]
    if any(not k.get("comp_samples") or not k.get("comm_samples") for k in rs):
        bad.append(f'{r["index"]}: a round without part samples')
    if r["comp_ms"] != statistics.median(comp) or r["comm_ms"] != statistics.median(comm):
        bad.append(f'{r["index"]}: comp_ms {r["comp_ms"]} / comm_ms {r["comm_ms"]} not the medians of {comp} / {comm}')
    n = sum(len(k["comm_samples"]) for k in rs)
    if r["comm_time_ms"]["n"] != n or r["comm_time_ms"]["p50"] != r["comm_ms"]:
        bad.append(f'{r["index"]}: comm_time_ms {r["comm_time_ms"]} against {n} samples')
    for key in ["rho_ci", "bound_ci"] + ([] if r["schedule"] == "ulysses" else ["eta_ci"]):
        if not interval(r, key):
            bad.append(f'{r["index"]}: no {key}')
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

run r3 '"rounds": 3'
check "rounds 3: exit 0" test $? -eq 0
check "rounds 3: every record's parts in every round, medians and intervals" parts "$work/r3.json" 3
# CONSOLE: every row of the overlap table has an interval in its rho and bound cells, the
# columns found by their titles (cells are joined by two spaces or more, docs/METRICS.md).
console_intervals() {
  python3 - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
cells = lambda line: re.split(r"\s{2,}", line.strip())
at = [i for i, line in enumerate(lines) if line.startswith("overlap: ")]
if not at:
    sys.exit("no overlap table")
titles = cells(lines[at[0] + 1])
rho, bound = titles.index("rho"), titles.index("bound")
rows, bad = 0, []
for line in lines[at[0] + 2:]:
    if not line.split() or line.split()[0] not in ("ulysses", "hcms", "ring"):
        break
    rows += 1
    c = cells(line)
    for name, i in (("rho", rho), ("bound", bound)):
        if len(c) != len(titles) or not re.fullmatch(r"[0-9.]+\*? \[[0-9.]+, [0-9.]+\]", c[i]):
            bad.append(f"{name} of {line!r}")
print("\n".join(bad))
sys.exit(1 if bad or rows != 3 else 0)
PY
}
check "rounds 3: the console prints rho's and the bound's intervals" console_intervals "$work/r3.txt"

run r1 '"rounds": 1'
check "rounds 1: exit 0" test $? -eq 0
check "rounds 1: the round's parts and the iterations' intervals" parts "$work/r1.json" 1

run off '"rounds": 2, "isolate": false'
check "isolate off: exit 0" test $? -eq 0
check "isolate off: no parts" python3 -c "
import json, sys
d = json.load(open('$work/off.json'))
sys.exit(any('comp_ms' in r or 'comm_ms' in r or any('comp_ms' in k or 'comm_ms' in k for k in r['rounds'])
             for r in d['points']))"

python3 - "$work/r3.json" "$work/old.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["points"]:
    for k in r["rounds"]:
        for key in ("comp_ms", "comp_samples", "comp_ms_from", "comm_ms", "comm_samples"):
            k.pop(key, None)
json.dump(d, open(sys.argv[2], "w"))
PY
"$bin" report "$work/old.json" --format csv > "$work/old_report.txt" 2>&1
check "a file without round parts: report exits 0" test $? -eq 0
check "its rho and bound have no interval, eta has" python3 -c "
import csv, sys
rows = list(csv.DictReader(open('$work/old_report.txt')))
hcms = [r for r in rows if r['schedule'] == 'hcms'][0]
sys.exit(not (rows and all(r['rho'] and not r.get('rho_ci.lo') and not r.get('bound_ci.lo') for r in rows)
             and hcms['eta_ci.lo']))"

[ "$fails" -eq 0 ] || { cat "$work"/*.txt; exit 1; }
