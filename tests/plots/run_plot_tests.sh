#!/usr/bin/env bash
# End-to-end test of traces and plots: runs an HCMS point with --trace on the CPU runtime,
# checks the trace has both lanes and a flow arrow, then draws every plot (result plots
# from the report fixture, the Gantt chart from the fresh trace) and checks each PNG.
#   run_plot_tests.sh CPBENCH MPIRUN SOURCE_DIR WORK_DIR
set -uo pipefail
cpbench=$1 mpirun=$2 src=$3 work=$4
rm -rf "$work" && mkdir -p "$work/traces"
pass=0 fail=0
check() {  # NAME COMMAND...
  local name=$1; shift
  if "$@" > "$work/$name.log" 2>&1; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $name:"; tail -5 "$work/$name.log"; fi
}
check trace_run "$mpirun" 2 "$cpbench" run --config "$src/configs/ci_smoke.json" --device cpu --quiet \
  --filter "schedule=hcms,chunks=2" --trace "$work/traces" --out "$work/trace_result.json"
trace=$(ls "$work"/traces/*hcms*.trace.json 2>/dev/null | head -1)
check trace_content python3 - "$trace" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
ev = t["traceEvents"]
lanes = {e["args"]["name"] for e in ev if e.get("ph") == "M" and e.get("name") == "thread_name"}
assert {"compute", "comm"} <= lanes, lanes
assert any(e.get("ph") == "X" and e.get("cat") == "attention" for e in ev)
assert any(e.get("ph") == "s" for e in ev) and any(e.get("ph") == "f" for e in ev), "no flow arrows"
PY
# The result file says what its names mean: its provenance holds this build's registry.
"$cpbench" list --format json > "$work/registry.json"
check provenance_registry python3 -c "import json, sys
doc, reg = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert doc['provenance']['registry'] == reg" "$work/trace_result.json" "$work/registry.json"
fixture="$src/tests/fixtures/report_sweep.json"
check time_speedup python3 "$src/scripts/plots/plot_time_speedup.py" "$fixture" -o "$work/time.png"
check speedup_rho python3 "$src/scripts/plots/plot_speedup_vs_rho.py" "$fixture" -o "$work/rho.png"
check hcms_chunks python3 "$src/scripts/plots/plot_hcms_chunks.py" "$fixture" -o "$work/chunks.png"
check chunks_variants python3 - "$src/scripts/plots" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import plot_hcms_chunks as pc
def row(schedule, t, **params):
    p = {"P": 2, "S": 1024, "H": 8, "transport": "nccl", **params}
    return {"schedule": schedule, "status": "PASS", "time_ms": {"p50": t}, "params": p}
points = [row("ulysses", 10.0), row("ulysses", 9.0, qkv_layout="packed"),
          row("hcms", 8.0, chunks=2), row("hcms", 7.0, chunks=2, qkv_layout="packed"),
          row("hcms", 7.5, chunks=2, comm_order="interleaved")]
sweeps, ulysses, _ = pc.chunk_sweeps(points, pc.cr.registry())
by_time = {c[2]: key for key, c in sweeps.items()}
assert len(sweeps) == 3, sweeps
assert ulysses[by_time[8.0]] == 10.0 and ulysses[by_time[7.0]] == 9.0, ulysses
assert ulysses[by_time[7.5]] == 10.0, ulysses
PY
# Forward and backward side by side, from a fresh CPU run of two schedules in every pass.
check passes_run "$mpirun" 2 "$cpbench" run --config "$src/tests/configs/backward.json" --device cpu --quiet \
  -a S=48,96 -a mask=causal -a Hkv=8 -a pass=fwd,bwd,fwd_bwd --filter "schedule=ulysses|ring" \
  --out "$work/passes_result.json"
check passes python3 "$src/scripts/plots/plot_passes.py" "$work/passes_result.json" -o "$work/passes.png"
check gantt python3 "$src/scripts/plots/plot_trace_gantt.py" "$trace" -o "$work/gantt.png"
for png in time rho chunks passes gantt; do
  check "png_$png" python3 -c "import sys; d=open(sys.argv[1],'rb').read(); assert d[:8]==b'\x89PNG\r\n\x1a\n' and len(d) > 5000" "$work/$png.png"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
