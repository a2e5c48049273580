#!/usr/bin/env bash
# Ranks that plan from different tiling assignments (one rank reading a cache file of
# another, valid assignment) must not run mismatched plans: the point is FAILED with the
# reason naming the tiling cache, the job exits 1 and nothing hangs.
#   tiling_cache_disagreement.sh CPBENCH MPIRUN WORKDIR
# Exit 77 (skipped) when the build's cache is off (a dirty tree: docs/CONFIG.md, "Environment").
set -uo pipefail
bin=$1 mpirun=$2 work=$3
rm -rf "$work" && mkdir -p "$work/a" "$work/b" || exit 1
cfg=$work/cfg.json
cat > "$cfg" <<'EOF'
{"name": "cache_disagreement", "axes": {"schedule": "tiled", "S": 256, "H": 2, "D": 8, "mask": "strided"},
 "measure": {"warmup": 0, "iterations": 1, "rounds": 1, "verify": "full"}}
EOF
fail() { echo "FAIL: $*"; exit 1; }

# 1. Both ranks solve; the assignment is stored in a/.
CPB_TILING_CACHE=$work/a "$mpirun" 2 "$bin" run -c "$cfg" --device cpu --quiet --out "$work/first.json" \
  > "$work/first.log" 2>&1 || fail "the first run exited $? ($(tail -3 "$work/first.log"))"
cache=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["points"][0]["planner"]["cache"])' \
  "$work/first.json") || fail "no planner in the first run's record"
case "$cache" in
  stored) ;;
  off:*) echo "skipped: the tiling cache is $cache"; exit 77 ;;
  *) fail "the first run's cache status is '$cache', not stored" ;;
esac

# 2. b/ gets the same file with another valid assignment: every tile on rank 0, its
# objective recomputed from the key (the traffic rules of bench/tiling/tiling_problem.hpp).
python3 - "$work/a" "$work/b" <<'PY' || fail "could not write the other assignment"
import json, os, sys
name = os.listdir(sys.argv[1])[0]
doc = json.load(open(os.path.join(sys.argv[1], name)))
key = doc["problem"]
owner, tiles, ranks = key["owner"], key["tiles"], key["ranks"]
rank_of = [0] * len(tiles)
send, recv = [0.0] * ranks, [0.0] * ranks
need_q, need_kv = set(), set()
for (i, j, _), r in zip(tiles, rank_of):
    if owner[i] != r: need_q.add((i, r))
    if owner[j] != r: need_kv.add((j, r))
for i, r in need_q:
    send[owner[i]] += key["q_bytes"][i] + 0; recv[r] += key["q_bytes"][i]
    send[r] += key["o_bytes"][i]; recv[owner[i]] += key["o_bytes"][i]
for j, r in need_kv:
    send[owner[j]] += key["kv_bytes"][j]; recv[r] += key["kv_bytes"][j]
assert rank_of != doc["solution"]["rank_of"], "the stored assignment is already all on rank 0"
doc["solution"].update(rank_of=rank_of, objective=max(send + recv), bound=0, gap=1)
json.dump(doc, open(os.path.join(sys.argv[2], name), "w"))
PY

# 3. Rank 0 reads a/, rank 1 reads b/.
start=$(date +%s)
"$mpirun" 1 env CPB_TILING_CACHE="$work/a" "$bin" run -c "$cfg" --device cpu --quiet --out "$work/mixed.json" \
  : -np 1 env CPB_TILING_CACHE="$work/b" "$bin" run -c "$cfg" --device cpu --quiet --out "$work/mixed.json" \
  > "$work/mixed.log" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "the mixed run exited $rc, not 1 ($(tail -3 "$work/mixed.log"))"
python3 - "$work/mixed.json" <<'PY' || fail "the mixed run's record is not the expected FAILED point"
import json, sys
p = json.load(open(sys.argv[1]))["points"][0]
assert p["status"] == "FAILED", p["status"]
assert "the ranks planned different tile assignments" in p["reason"], p["reason"]
assert p["planner"]["cache"] == "hit", p.get("planner")
PY
echo "ok: FAILED with the reason, exit 1, in $(( $(date +%s) - start )) s"
