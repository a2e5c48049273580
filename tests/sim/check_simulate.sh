#!/usr/bin/env bash
# cpbench simulate, advise and run --machine end to end on the CPU: a machine file from
# `calibrate --device cpu --quick` (kernels measured here, NCCL's links fitted from the
# committed H200 probe file) simulates a small config at P=2 and P=64; its records are
# PASS with runtime "sim", a time, the compute and comm parts and rho; traces are written;
# advise ranks each problem; a machine file made from another's kernels scaled to a probe's
# attention; a second calibration from a CPU run's own result file gives
# the mpi transport, and `run --machine` puts predicted_ms into every PASS record;
# `run -a step_order=plan,list` runs the list scheduler's order beside the schedule's.
#   check_simulate.sh BINARY MPIRUN SOURCE_DIR
set -uo pipefail
bin=${1:?usage: $0 BINARY MPIRUN SOURCE_DIR}
mpirun=${2:?}
src=${3:?}
. "$(dirname "$0")/../check_lib.sh"  # $work, check, $fails
cat > "$work/c.json" <<'JSON'
{"name": "sim_check", "world_size": [2],
 "axes": {"schedule": ["ulysses", "ring", "hcms"], "S": 512, "H": 64, "D": 32, "chunks": [2, "auto"],
          "mask": ["full", "causal"]},
 "measure": {"warmup": 0, "iterations": 2, "verify": "off"}}
JSON

"$bin" calibrate --device cpu --quick -q --out "$work/m.json" \
  --from "$src/results/h200x2/2026-11-22_probe_nvlink.json" > "$work/cal.txt" 2>&1
check "calibrate exits 0" test $? -eq 0
"$bin" simulate -c "$work/c.json" --machine "$work/m.json" -a transport=nccl --world 2,64 -q \
  --out "$work/s.json" --trace "$work/tr" > "$work/sim.txt" 2>&1
check "simulate exits 0" test $? -eq 0
check "records: PASS with runtime sim, time, parts and rho; P=2 and P=64" python3 - "$work/s.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = [p for p in d["points"] if p["status"] == "PASS"]
assert d["complete"] and d["provenance"]["runtime"] == "sim" and d["provenance"]["machine"]["name"], d["provenance"]
assert {p["params"]["P"] for p in ok} == {2, 64}, [p["params"]["P"] for p in ok]
for p in ok:
    assert p["runtime"] == "sim" and p["time_ms"]["p50"] > 0 and p["comp_ms"] > 0 and p["comm_ms"] > 0, p
    assert "rho" in p and p["time_ms"]["p50"] >= max(p["comp_ms"], p["comm_ms"]) * 0.999, p
assert all(p.get("chunks_chosen", 0) >= 1 for p in ok if p["params"].get("chunks") == "auto")
PY
check "one trace per PASS point" test "$(ls "$work/tr" | wc -l)" -eq \
  "$(python3 -c "import json; print(sum(p['status'] == 'PASS' for p in json.load(open('$work/s.json'))['points']))")"
"$bin" advise -c "$work/c.json" --machine "$work/m.json" -a transport=nccl --world 64 -q > "$work/adv.txt" 2>&1
check "advise exits 0" test $? -eq 0
check "advise ranks each of the 2 problems" test "$(grep -c '^  1\. ' "$work/adv.txt")" -eq 2
check "advise states the margin" grep -q 'margin of the first over the second' "$work/adv.txt"

"$bin" simulate -c "$work/c.json" --machine "$work/m.json" -a transport=nccl --world 2,64 -q --order list \
  --out "$work/s_list.json" > "$work/sim_list.txt" 2>&1
check "simulate --order list exits 0" test $? -eq 0
check "records give both orders' predictions, time the faster" python3 - "$work/s.json" "$work/s_list.json" <<'PY'
import json, sys
given = {p["index"]: p for p in json.load(open(sys.argv[1]))["points"] if p["status"] == "PASS"}
ok = [p for p in json.load(open(sys.argv[2]))["points"] if p["status"] == "PASS"]
assert ok and len(ok) == len(given), (len(ok), len(given))
for p in ok:
    o = p["planner"]["step_order"]
    assert o["order"] in ("plan", "list") and o["plan_ms"] > 0 and o["list_ms"] > 0, o
    assert abs(o["plan_ms"] - given[p["index"]]["time_ms"]["p50"]) <= 1e-9 * o["plan_ms"], (o, given[p["index"]])
    assert (o["order"] == "list") == (o["list_ms"] < o["plan_ms"] * (1 - 1e-9)), o  # kListOrderMargin
    assert abs(p["time_ms"]["p50"] - min(o["plan_ms"], o["list_ms"])) <= 1e-9 * o["plan_ms"], (p["time_ms"], o)
PY
"$bin" simulate -c "$work/c.json" --machine "$work/m.json" --order lst -q > "$work/bad_order.txt" 2>&1
check "an unknown --order exits 2 naming what is allowed" test $? -eq 2
check "with the word and the choices" grep -q '"lst" is not a step order; allowed: plan, list' "$work/bad_order.txt"

# calibrate --kernels-from m.json --scale-to-probe: m.json's kernels, no measuring, the
# attention scaled to a probe whose attention alone took twice m.json's time for one of
# its measured shapes (the table is exact there), so every sample's time doubles.
python3 - "$work/m.json" "$work/p2.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
k = next(e for e in m["attention"] if not e["causal"] and e["heads"] == e["kv_heads"])
json.dump({"schema": "cpbench-probe", "schema_version": 1,
           "params": {"profile": "nvlink", "B": 1, "S": k["q_tokens"], "heads_per_rank": k["heads"],
                      "D": k["head_dim"], "mask": "full", "dtype": k["dtype"]},
           "rows": [{"transport": "ce", "status": "OK", "attn_ms": 2 * k["ms"], "comm_ms": k["ms"],
                     "both_ms": 2.5 * k["ms"], "bytes_per_rank": 1e6}]}, open(sys.argv[2], "w"))
PY
"$bin" calibrate --kernels-from "$work/m.json" --scale-to-probe -q --out "$work/m2.json" \
  --from "$work/p2.json" > "$work/cal_scaled.txt" 2>&1
check "calibrate --kernels-from --scale-to-probe exits 0" test $? -eq 0
check "m.json's kernels at twice their times, copy and merge kept, the factor and source recorded" python3 - \
  "$work/m.json" "$work/m2.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert len(a["attention"]) == len(b["attention"]) and b["copy"] == a["copy"] and b["merge"] == a["merge"]
for x, y in zip(a["attention"], b["attention"]):
    assert {k: v for k, v in x.items() if k != "ms"} == {k: v for k, v in y.items() if k != "ms"}, (x, y)
    assert abs(y["ms"] - 2 * x["ms"]) <= 1e-9 * x["ms"], (x, y)
assert abs(b["provenance"]["config"]["kernel_scale"]["factor"] - 2) < 1e-9, b["provenance"]["config"]
p = b["provenance"]
assert p["config"]["kernels_from"].endswith("m.json") and p["config"]["scale_to_probe"] is True, p["config"]
# The kernels' machine is m.json's (its provenance kept whole); this command started no
# runtime (runtime "none"): nothing was measured.
assert p["kernels_provenance"] == a["provenance"], p
assert "device" not in p and "gpus" not in p and p["runtime"] == "none", p
# config_hash is the hash of the config as written, kernel_scale included (FNV-1a 64 of
# its compact dump less name and description, bench/sweep/provenance.cpp).
def fnv(data):
    h = 0xcbf29ce484222325
    for c in data:
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
    return "%016x" % h
c = {k: v for k, v in p["config"].items() if k not in ("name", "description")}
assert "kernel_scale" in c and p["config_hash"] == fnv(json.dumps(c, separators=(",", ":"), sort_keys=True).encode()), p
# The copy engine's probe row: attention 2 k alone, the copy k, both 2.5 k: rate 1 and
# attention slowed by k / (k - 0.5 k) = 2 while the copy moves.
t = [t for t in b["transports"] if t["transport"] == "ce"]
assert len(t) == 1 and t[0]["rate_beside_attention"] == 1 and abs(t[0]["attention_slowdown"] - 2) < 1e-9, t
PY

"$mpirun" 2 "$bin" run -c "$work/c.json" --device cpu -q --out "$work/r.json" > "$work/run.txt" 2>&1
check "CPU run exits 0" test $? -eq 0
# The run's comm-only times, taken on a CPU shared with other tests, can stall for a
# scheduler quantum and need not grow with the bytes, which calibrate refuses to fit. So
# they are replaced by 1e-6 ms per byte (1 GB/s, no latency), which the fit must recover.
check "the run's comm times set to 1 GB/s" python3 - "$work/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = [p for p in d["points"] if p["status"] == "PASS" and p.get("comm_bytes_per_rank", 0) > 0]
assert ok, d["points"]
for p in ok:
    p["comm_ms"] = 1e-6 * p["comm_bytes_per_rank"]
json.dump(d, open(sys.argv[1], "w"))
PY
"$bin" calibrate --device cpu --quick -q --out "$work/m_cpu.json" --from "$work/r.json" > "$work/cal2.txt" 2>&1
check "calibrate from the run exits 0" test $? -eq 0
check "and fits the mpi transport at 1 GB/s with no latency" python3 -c "
import json, sys; t = [t for t in json.load(open('$work/m_cpu.json'))['transports'] if t['transport'] == 'mpi']
sys.exit(not (len(t) == 1 and abs(t[0]['gbps'] - 1) < 1e-6 and abs(t[0]['latency_us']) < 1e-3))"
"$mpirun" 2 "$bin" run -c "$work/c.json" --device cpu -q --machine "$work/m_cpu.json" --out "$work/r2.json" \
  > "$work/run2.txt" 2>&1
check "run --machine exits 0" test $? -eq 0
check "every PASS record has predicted_ms" python3 - "$work/r2.json" <<'PY'
import json, sys
ok = [p for p in json.load(open(sys.argv[1]))["points"] if p["status"] == "PASS"]
assert ok and all(p.get("predicted_ms", 0) > 0 for p in ok), ok
PY
check "and its provenance names the machine file" python3 -c "
import json, sys; m = json.load(open('$work/r2.json'))['provenance']['machine']
sys.exit(not (m['path'].endswith('m_cpu.json') and m['name']))"

# step_order "list" on the CPU runtime: the calibrated file's shapes and transport with
# fixed costs (so that what the list scheduler decides does not depend on this machine's
# speed): attention at 10 GFLOP/s, copies and merges at 20 GB/s, the mpi transport at
# 100 us + bytes / 0.5 GB/s and stalled beside attention (as NCCL's kernels are on GPUs).
# There the list scheduler reorders the streaming point's tiled plans; both orders of each
# point run in one sweep and verify, and a reordered plan computes the same output bit for bit.
python3 - "$work/m_cpu.json" "$work/m_stall.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for t in m["transports"]:
    t["rate_beside_attention"], t["gbps"], t["latency_us"], t["per_message_us"] = 0.0, 0.5, 100.0, 0.0
for e in m["attention"]:
    pairs = e["q_tokens"] * (e["q_tokens"] + 1) / 2 if e["causal"] else e["q_tokens"] * e["k_tokens"]
    e["ms"] = 4.0 * e["heads"] * e["head_dim"] * pairs / 1e10 * 1e3
m["copy"] = m["merge"] = {"launch_us": 5.0, "gbps": 20.0}
json.dump(m, open(sys.argv[2], "w"))
PY
cat > "$work/c_order.json" <<'JSON'
{"name": "step_order_check", "world_size": [2],
 "axes": {"schedule": "tiled", "S": 512, "H": 8, "D": 32, "mask": ["full", "causal", "streaming"],
          "step_order": ["plan", "list"]},
 "measure": {"warmup": 0, "iterations": 2, "verify": "full"}}
JSON
"$mpirun" 2 "$bin" run -c "$work/c_order.json" --device cpu -q --machine "$work/m_stall.json" \
  --out "$work/r_order.json" > "$work/run_order.txt" 2>&1
check "run with step_order plan and list exits 0" test $? -eq 0
check "both orders PASS, a reordered plan gives the same output digest, the console names the lever" python3 - \
  "$work/r_order.json" "$work/run_order.txt" <<'PY'
import json, sys
pts = json.load(open(sys.argv[1]))["points"]
assert pts and all(p["status"] == "PASS" for p in pts), [(p["params"], p["status"]) for p in pts]
given = {p["params"]["mask"]: p for p in pts if "step_order" not in p["params"]}
listed = [p for p in pts if p["params"].get("step_order") == "list"]
assert len(given) == len(listed) == 3, (len(given), len(listed))
reordered = 0
for p in listed:
    o = p["planner"]["step_order"]
    assert (o["order"] == "list") == (o["list_ms"] < o["plan_ms"] * (1 - 1e-9)), o  # kListOrderMargin
    assert abs(p["predicted_ms"] - min(o["plan_ms"], o["list_ms"])) <= 1e-9 * o["plan_ms"], (p["predicted_ms"], o)
    assert p["verify"]["output_digest"] == given[p["params"]["mask"]]["verify"]["output_digest"], p["params"]
    reordered += o["order"] == "list"
assert reordered >= 1, "no tiled plan was reordered: the test exercises nothing"
assert "step_order=list" in open(sys.argv[2]).read()
PY
"$mpirun" 2 "$bin" run -c "$work/c_order.json" --device cpu -q --machine "$work/m_stall.json" \
  --out "$work/r_order.json" --resume > "$work/resume_order.txt" 2>&1
if "$bin" --version | grep -qE 'dirty|unknown'; then  # a dirty build keeps no record, so nothing to drop
  check "--resume of a dirty build keeps nothing" grep -q 'resume: keeping 0 of 6' "$work/resume_order.txt"
else
  check "--resume runs the list-order points again, keeping the others" bash -c \
    "grep -q '3 kept records with step_order \"list\" run again' '$work/resume_order.txt'"
fi
"$mpirun" 2 "$bin" run -c "$work/c.json" --device cpu -q -a step_order=list --out "$work/no_machine.json" \
  > "$work/no_machine.txt" 2>&1
check "step_order list without --machine exits 2" test $? -eq 2
check "naming the lever and what it needs, writing nothing" \
  bash -c "grep -q 'step_order \"list\" (point 0, ulysses): needs --machine FILE' '$work/no_machine.txt' && test ! -e '$work/no_machine.json'"
"$mpirun" 2 "$bin" run -c "$work/c.json" --device cpu -q -a step_order=list --machine "$work/m.json" \
  --out "$work/no_mpi.json" > "$work/no_mpi.txt" 2>&1
check "step_order list with a machine file lacking the point's transport exits 2" test $? -eq 2
check "and says which, writing nothing" \
  bash -c "grep -q 'no model of transport mpi' '$work/no_mpi.txt' && test ! -e '$work/no_mpi.json'"
"$bin" simulate -c "$work/c.json" --machine "$work/m.json" -a transport=nccl -a profile=pcie -q \
  --out "$work/bad.json" --trace "$work/bad_tr" > "$work/bad.txt" 2>&1
check "a (transport, profile) the machine file lacks exits 2" test $? -eq 2
check "and says which" grep -q "cpbench: error: .*pcie" "$work/bad.txt"
check "and writes neither the file nor the traces" test ! -e "$work/bad.json" -a ! -e "$work/bad_tr"

[ "$fails" -eq 0 ] || { tail -n 30 "$work"/*.txt; exit 1; }
