#!/usr/bin/env python3
"""How much device time a sweep needs, from the simulator's predicted point times: run
before booking a GPU call, to size the parts of a measurement round so that each fits a
call (scripts/device/multi_gpu_round.sh).

    scripts/device/device_time.py CPBENCH MACHINE.json [--budget S] [--json OUT] -- SIMULATE_ARGS...
    e.g. scripts/device/device_time.py build-cpu/cpbench configs/machines/h200.json -- \\
             -c configs/train_wan22.json --world 2 -a transport=nccl

Runs `cpbench simulate SIMULATE_ARGS --machine MACHINE.json` (run's --ranks-per-node N
passed as simulate's --node-size N) and, for every point it
predicts, estimates the seconds `cpbench run` spends on it with the config's measure
settings (its provenance.config), mirroring bench/sweep/measure.cpp and point_runner.cpp:

  warm-up runs   w = max(warmup, ceil(warmup_ms / t)), at most 1000
  timed runs     n = iterations, cut to max_seconds / t but at least min_iterations
  rounds         R = measure.rounds ("auto": 3, the CUDA runtime's default)
  seconds        R (w + n) t  +  [isolate] (w + n) (t_comp + t_comm)  +  A + B R

with t, t_comp and t_comm the predicted whole, compute-only and comm-only times. A + B R
is what is not timed: preparing the executor each round, the verified run and its
reference, the plan. A = 1.2 s and B = 0.1 s come from the two one-GPU A/A pairs
(results/h200x1/2026-12-05_aa_test_r5: 78 s per run, 18 points, 5 rounds;
results/h100x1/2026-12-06_aa_test_h100_r10: 123 s, 10 rounds); they leave out what more
ranks add (NCCL communicators, a tiled plan's solve), so multi-GPU estimates are low by
that much. The simulator itself misses by a median 7-10% (docs/SIMULATOR.md). SKIPPED
points cost nothing; points the simulator cannot predict are counted and named.

Prints one line per config point group (P, profile) and the total, and how many calls of
--budget seconds (default 480: a 600 s call less a build) the sweep needs. --json writes
the per-point estimates. Exit 0; 2 on bad usage or when simulate fails."""
import json
import math
import subprocess
import sys
import tempfile

A_SECONDS = 1.2  # per point: the verified run, its reference, planning
B_SECONDS = 0.1  # per point and round: preparing the executor
CUDA_DEFAULT_ROUNDS = 3
MAX_WARMUP_RUNS = 1000  # bench/sweep/measure.hpp kMaxTimedWarmupRuns


def usage(msg):
    print(f"device_time: error: {msg}", file=sys.stderr)
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    sys.exit(2)


def point_seconds(rec, m):
    """The estimated seconds of one predicted record under measure settings m."""
    t = rec["time_ms"]["p50"] / 1e3
    warm = max(m.get("warmup", 2), min(math.ceil(m.get("warmup_ms", 100) / 1e3 / t), MAX_WARMUP_RUNS))
    n = m.get("iterations", 10)
    fit = math.floor(m.get("max_seconds", 60) / t)
    if fit < n:
        n = max(m.get("min_iterations", 3), fit)
    rounds = m.get("rounds", "auto")
    rounds = CUDA_DEFAULT_ROUNDS if rounds in ("auto", 0) else rounds
    s = rounds * (warm + n) * t + A_SECONDS + B_SECONDS * rounds
    if m.get("isolate", True):
        s += (warm + n) * (rec.get("comp_ms", 0) + rec.get("comm_ms", 0)) / 1e3
    return s


def main(argv):
    if "--" not in argv:
        usage("missing -- before the simulate arguments")
    cut = argv.index("--")
    own, sim_args = argv[:cut], argv[cut + 1:]
    budget, json_out = 480.0, ""
    pos = []
    i = 0
    while i < len(own):
        if own[i] in ("--budget", "--json"):
            if i + 1 >= len(own):
                usage(f"{own[i]} needs a value")
            if own[i] == "--budget":
                try:
                    budget = float(own[i + 1])
                except ValueError:
                    usage(f'--budget: "{own[i + 1]}" is not a number of seconds')
                if budget <= 0:
                    usage(f"--budget: {budget} is not > 0")
            else:
                json_out = own[i + 1]
            i += 2
        else:
            pos.append(own[i])
            i += 1
    if len(pos) != 2:
        usage("CPBENCH and MACHINE.json are required")
    cpbench, machine = pos
    sim_args = ["--node-size" if a == "--ranks-per-node" else a for a in sim_args]
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/sim.json"
        cmd = [cpbench, "simulate", "--machine", machine, "-q", "-o", out] + sim_args
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr.strip(), file=sys.stderr)
            print(f"device_time: error: {' '.join(cmd)} exited {proc.returncode}", file=sys.stderr)
            sys.exit(2)
        data = json.load(open(out))
    measure = data["provenance"]["config"].get("measure", {})
    groups, rows, unpredicted = {}, [], []
    for rec in data["points"]:
        if rec["status"] == "SKIPPED" and "transport auto" not in rec.get("reason", ""):
            continue
        if rec["status"] != "PASS" or "time_ms" not in rec:
            unpredicted.append(f'{rec["index"]} {rec["schedule"]}: {rec.get("reason", rec["status"])}')
            continue
        s = point_seconds(rec, measure)
        key = (rec["params"]["P"], rec["params"].get("profile", "nvlink"))
        groups[key] = [groups.get(key, [0, 0.0])[0] + 1, groups.get(key, [0, 0.0])[1] + s]
        rows.append({"index": rec["index"], "schedule": rec["schedule"], "params": rec["params"],
                     "predicted_ms": rec["time_ms"]["p50"], "seconds": s})
    total = sum(r["seconds"] for r in rows)
    print(f"{data['provenance']['config'].get('name', '?')}: measure {json.dumps(measure, sort_keys=True)}")
    for (p, prof), (count, s) in sorted(groups.items()):
        print(f"  P={p} {prof}: {count} points, about {s:.0f} s")
    print(f"total: {len(rows)} points, about {total:.0f} s of device time "
          f"({math.ceil(total / budget) if total else 0} call(s) of {budget:.0f} s)")
    if unpredicted:
        print(f"not predicted ({len(unpredicted)}; add -a transport=... for transport auto):")
        for u in unpredicted[:10]:
            print("  " + u)
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"measure": measure, "total_seconds": total, "points": rows}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
