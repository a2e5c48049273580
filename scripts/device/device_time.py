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

  a loop of runs of t s  (w + n) t, with w = max(warmup, ceil(warmup_ms / t)) (at most
                         1000) and n = iterations, cut to max_seconds / t but at least
                         min_iterations
  rounds                 R = measure.rounds ("auto": 3, the CUDA runtime's default)
  seconds                R loop(t) + (1 + 2 clamp(n / 2, 1, 5)) t
                         + [isolate] R (loop(t_comp) + loop(t_comm))  +  A + B R

with t, t_comp and t_comm the predicted whole, compute-only and comm-only times: the
timed loop and the parts alone in every round; in the first also the verified run and
the step-timed runs (each a whole run and its largest step alone). A + B R is what is
not timed: set-up, the verification's reference, preparing the executor each round.
A = 1.1 s and B = 0.02 s are fitted to the two one-GPU A/A runs
(results/h200x1/2026-12-05_aa_test_r5: 78 s per run, 18 points, 5 rounds, predicted with
h200.json; results/h100x1/2026-12-06_aa_test_h100_r10: 123 s, 10 rounds, h100.json)
under the model of those runs' build, which timed the parts in the first round only
([isolate] (loop(t_comp) + loop(t_comm)), not R times); they are not refitted, since no
GPU run times the parts in every round;
they leave out what more ranks add (NCCL communicators, a tiled plan's solve) and what a
backward point's verification adds (its GPU reference), so such estimates are low. The
compute-only time, shared within a round of a comparison group between points with the
same compute, is counted for every point, which makes estimates high there. The
simulator itself misses by a median 7-10% (docs/SIMULATOR.md). SKIPPED points cost nothing; points the simulator cannot predict
are counted and named.

`run` writes its file after each comparison group (a problem: all its schedules,
transports and options), so a call that ends inside a group loses it: the largest
group must fit the call. The groups here are the records with equal params less the
transport and the schedules' options and levers (as cpbench's problem key leaves them
out); the largest is printed, with a warning when it exceeds --budget.

Prints one line per world size and profile, the total, how many calls of --budget
seconds (default 480: a 600 s call less a build) the sweep needs, and the largest
comparison group. --json writes
the per-point estimates. Exit 0; 2 on bad usage or when simulate fails."""
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plots"))
import cpb_results as cr  # noqa: E402

A_SECONDS = 1.1  # per point: set-up, the verification reference, planning
B_SECONDS = 0.02  # per point and round: preparing the executor
CUDA_DEFAULT_ROUNDS = 3
MAX_WARMUP_RUNS = 1000  # bench/sweep/measure.hpp kMaxTimedWarmupRuns


def group_of(rec, reg):
    """The comparison group of a record: its params less the transport and its schedule's
    options and levers (cpb_results.option_keys, from the file's registry `reg`)."""
    how = set(cr.option_keys(rec, reg)) | {"transport"}
    return tuple((k, json.dumps(v, sort_keys=True)) for k, v in sorted(rec["params"].items()) if k not in how)


def usage(msg):
    print(f"device_time: error: {msg}", file=sys.stderr)
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    sys.exit(2)


def loop_seconds(t, m):
    """A timed loop's seconds (bench/sweep/measure.cpp) for runs of t seconds, and its n."""
    if t <= 0:
        return 0.0, 0
    warm = max(m.get("warmup", 2), min(math.ceil(m.get("warmup_ms", 100) / 1e3 / t), MAX_WARMUP_RUNS))
    n = m.get("iterations", 10)
    fit = math.floor(m.get("max_seconds", 60) / t)
    if fit < n:
        n = max(m.get("min_iterations", 3), fit)
    return (warm + n) * t, n


def point_seconds(rec, m):
    """The estimated seconds of one predicted record under measure settings m."""
    t = rec["time_ms"]["p50"] / 1e3
    rounds = m.get("rounds", "auto")
    rounds = CUDA_DEFAULT_ROUNDS if rounds in ("auto", 0) else rounds
    loop, n = loop_seconds(t, m)
    # The first round also runs the verified run and the step-timed runs, each a whole run
    # and its largest step alone (bench/sweep/step_timed_runs.cpp), at most t each.
    s = rounds * loop + (1 + 2 * min(max(n // 2, 1), 5)) * t + A_SECONDS + B_SECONDS * rounds
    if m.get("isolate", True):  # the parts alone, each its own loop, in every round
        parts = loop_seconds(rec.get("comp_ms", 0) / 1e3, m)[0] + loop_seconds(rec.get("comm_ms", 0) / 1e3, m)[0]
        s += rounds * parts
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
    reg = cr.registry(data["provenance"])
    groups, rows, unpredicted, comparison = {}, [], [], {}
    for rec in data["points"]:
        if rec["status"] == "SKIPPED" and "transport auto" not in rec.get("reason", ""):
            continue
        if rec["status"] != "PASS" or "time_ms" not in rec:
            unpredicted.append(f'{rec["index"]} {rec["schedule"]}: {rec.get("reason", rec["status"])}')
            continue
        s = point_seconds(rec, measure)
        key = (rec["params"]["P"], rec["params"].get("profile", "nvlink"))
        groups[key] = [groups.get(key, [0, 0.0])[0] + 1, groups.get(key, [0, 0.0])[1] + s]
        g = group_of(rec, reg)
        comparison[g] = comparison.get(g, 0.0) + s
        rows.append({"index": rec["index"], "schedule": rec["schedule"], "params": rec["params"],
                     "predicted_ms": rec["time_ms"]["p50"], "seconds": s})
    total = sum(r["seconds"] for r in rows)
    print(f"{data['provenance']['config'].get('name', '?')}: measure {json.dumps(measure, sort_keys=True)}")
    for (p, prof), (count, s) in sorted(groups.items()):
        print(f"  P={p} {prof}: {count} points, about {s:.0f} s")
    print(f"total: {len(rows)} points, about {total:.0f} s of device time "
          f"({math.ceil(total / budget) if total else 0} call(s) of {budget:.0f} s)")
    if comparison:
        g, s = max(comparison.items(), key=lambda kv: kv[1])
        what = ", ".join(f"{k}={json.loads(v)}" for k, v in g if v != "null")
        print(f"largest comparison group: about {s:.0f} s ({what})")
        if s > budget:
            print(f"warning: it exceeds the budget of {budget:.0f} s: a call ends inside it and loses it; "
                  "split the sweep (e.g. --filter S=...) or shorten its measure settings")
    if unpredicted:
        print(f"not predicted ({len(unpredicted)}; add -a transport=... for transport auto):")
        for u in unpredicted[:10]:
            print("  " + u)
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"measure": measure, "total_seconds": total, "points": rows}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
