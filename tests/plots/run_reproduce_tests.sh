#!/usr/bin/env bash
# End-to-end test of scripts/reproduce_hcms.sh on the CPU runtime: the tiny paper configs
# (configs/paper/cpu) in the nvlink profile, then the same OUTDIR again with
# CPB_REPRO_REUSE=1, which must table the files it finds without running a sweep, and
# fail (exit 1) when a config's result file is missing; then checks the records' comm-only
# statistics and merge_results.py.
#   run_reproduce_tests.sh CPBENCH SOURCE_DIR WORK_DIR
set -uo pipefail
cpbench=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail=0
bad() { echo "FAIL: $*"; fail=1; }
export CPB_BIN=$cpbench CPB_DEVICE=cpu CPB_PROFILES=nvlink CPB_REPRO_CONFIGS="configs/paper/cpu/*.json"

"$src/scripts/reproduce_hcms.sh" "$work/out" 2 > "$work/run.log" 2>&1 || bad "the reproduction exited $?"
for n in tiny_main tiny_chunks tiny_splits; do
  [ -s "$work/out/$n.json" ] || bad "no $n.json"
  [ -s "$work/out/$n.md" ] || bad "no $n.md"
done
grep -q '^|' "$work/out/repro_table.md" 2>/dev/null || bad "no table in repro_table.md"

rm -f "$work/out/repro_table.md" "$work/out"/*.png
CPB_REPRO_REUSE=1 "$src/scripts/reproduce_hcms.sh" "$work/out" 2 > "$work/reuse.log" 2>&1 || bad "the reuse run exited $?"
grep -q 'sweep_profiles.sh' "$work/reuse.log" && bad "the reuse run ran a sweep"
[ "$(grep -c '^reusing ' "$work/reuse.log")" = 3 ] || bad "the reuse run did not reuse the 3 result files"
grep -q '^|' "$work/out/repro_table.md" 2>/dev/null || bad "the reuse run wrote no table"

# The comm-only part's statistics: p50 is comm_ms, min <= p50 <= max.
python3 - "$work/out/tiny_main.json" <<'PY' || bad "comm_time_ms of tiny_main.json"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["points"] if r.get("comm_ms", 0) > 0]
assert rows, "no row with a comm-only time"
for r in rows:
    t = r["comm_time_ms"]
    assert t["p50"] == r["comm_ms"] and t["min"] <= t["p50"] <= t["max"] and t["n"] >= 1, r
PY

# Attention inside the plan and its largest step alone, on every row that ran.
python3 - "$work/out/tiny_main.json" <<'PY' || bad "attn_tflops and attn_standalone_tflops of tiny_main.json"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["points"] if r["status"] == "PASS"]
assert rows, "no row ran"
for r in rows:
    assert r["attn_tflops"] > 0 and r["attn_standalone_tflops"] > 0, r
PY

# Merging a merged file keeps one run per cpbench run: (main + chunks) + splits = 3 runs.
merge="$src/scripts/results/merge_results.py"
python3 "$merge" -o "$work/ab.json" "$work/out/tiny_main.json" "$work/out/tiny_chunks.json" || bad "merge a+b"
python3 "$merge" -o "$work/abc.json" "$work/ab.json" "$work/out/tiny_splits.json" || bad "merge (a+b)+c"
python3 - "$work/out" "$work/abc.json" <<'PY' || bad "the merge of a merged file did not keep its runs"
import json, sys
parts = [json.load(open(f"{sys.argv[1]}/{n}.json")) for n in ("tiny_main", "tiny_chunks", "tiny_splits")]
m = json.load(open(sys.argv[2]))
assert len(m["provenance"]["runs"]) == 3, len(m["provenance"]["runs"])
assert not any("runs" in r for r in m["provenance"]["runs"])
for i, d in enumerate(parts):
    mine = [{k: v for k, v in p.items() if k != "run"} for p in m["points"] if p["run"] == i]
    theirs = [{k: v for k, v in p.items() if k != "run"} for p in d["points"]]
    assert mine == theirs, f"run {i}"
    assert m["provenance"]["runs"][i] == d["provenance"]["runs"][0], f"provenance of run {i}"
PY

# Parts of different commits are refused unless asked for; then each point keeps its own.
python3 - "$work/out/tiny_chunks.json" "$work/other_commit.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["provenance"]["git"] = "0" * 40
for p in d["points"]:
    p["git"] = "0" * 40
json.dump(d, open(sys.argv[2], "w"))
PY
python3 "$merge" -o "$work/mixed.json" "$work/out/tiny_main.json" "$work/other_commit.json" 2> "$work/mixed.log"
rc=$?
[ "$rc" = 2 ] || bad "merging parts of two commits gave exit $rc, not 2"
grep -q -- '--allow-mixed-commits' "$work/mixed.log" || bad "the refusal does not name --allow-mixed-commits"
[ ! -e "$work/mixed.json" ] || bad "a refused merge wrote its output"
python3 "$merge" --allow-mixed-commits -o "$work/mixed.json" "$work/out/tiny_main.json" "$work/other_commit.json" \
  || bad "--allow-mixed-commits did not merge"
python3 - "$work/out/tiny_main.json" "$work/mixed.json" <<'PY' || bad "a mixed merge lost a point's commit"
import json, sys
prov = json.load(open(sys.argv[1]))["provenance"]
mine = prov["git"] + ("-dirty" if prov.get("git_dirty") is True else "")  # as the points carry it
m = json.load(open(sys.argv[2]))
assert {p["git"] for p in m["points"] if p["run"] == 0} == {mine}
assert {p["git"] for p in m["points"] if p["run"] == 1} == {"0" * 40}
PY

rm -f "$work/out/tiny_splits.json"
CPB_REPRO_REUSE=1 "$src/scripts/reproduce_hcms.sh" "$work/out" 2 > "$work/missing.log" 2>&1
rc=$?
[ "$rc" = 1 ] || bad "a missing result file gave exit $rc, not 1"
grep -q 'no .*tiny_splits.json to reuse' "$work/missing.log" || bad "the missing file is not named"

[ "$fail" = 0 ] && echo "reproduce_hcms.sh: all checks passed"
exit $fail
