#!/usr/bin/env python3
"""The table of issue 20's one-GPU figure: for each mask, the cuDNN backward inside cpbench
(Ulysses at P=1, pass bwd: the whole timed plan and its attention-backward step) against
the same cuDNN call timed alone with the algorithm the executor chose (deterministic when
its workspace fits under kDeterministicWorkspaceCap, else cuDNN's default), in ms and
TFLOP/s (2.5x the forward's FLOPs), one row per pair of runs.

    backward_p1_table.py RESULT.json ALONE.log [RESULT.json ALONE.log ...]

Each (RESULT.json, ALONE.log) is one pair: a sweep of configs/backward_h200_p1.json and
the bare call's gtest log, run back to back (scripts/device/backward_p1.sh alternates
their order). A last line per mask gives the geometric mean of the pairs' ratios (step in
plan / bare call, by rate) and, with two pairs or more, its 95 % interval: the t interval
of the mean of the log ratios over the pairs (pairs are independent processes; t with
pairs - 1 degrees of freedom, so few pairs give a wide interval). Points that did not
PASS enter no ratio, and the mask's line counts them. Exit 2 on bad arguments or
unreadable input.
"""
import json
import math
import re
import sys

# Student's t, two-sided 95 %, by degrees of freedom (pairs - 1).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
       15: 2.131, 20: 2.086, 30: 2.042}
PATTERN = re.compile(r"S=65536 H=32 D=128 (full|causal) (deterministic|default): ([0-9.]+) ms, ([0-9.]+) TFLOP/s")


def t95(df):
    return T95[max(k for k in T95 if k <= df)]  # conservative between tabulated values


def read_alone(path):
    alone = {}
    with open(path) as f:
        for line in f:
            m = PATTERN.search(line)
            if m:
                alone[(m.group(1), m.group(2))] = (float(m.group(3)), float(m.group(4)))
    return alone


def interval(ratios):
    """Geometric mean of `ratios` and its 95 % t interval over them (None with one)."""
    logs = [math.log(r) for r in ratios]
    mean = sum(logs) / len(logs)
    if len(logs) < 2:
        return math.exp(mean), None
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (len(logs) - 1))
    half = t95(len(logs) - 1) * sd / math.sqrt(len(logs))
    return math.exp(mean), (math.exp(mean - half), math.exp(mean + half))


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        pairs = [(json.load(open(args[i]))["points"], read_alone(args[i + 1])) for i in range(0, len(args), 2)]
    except (OSError, ValueError, KeyError) as e:
        print(f"backward_p1_table.py: {e}", file=sys.stderr)
        return 2
    print("| pair | mask | pass | status | plan p50 ms | plan TFLOP/s | bwd step in plan TFLOP/s | step alone TFLOP/s |"
          " bare call alone ms | bare call TFLOP/s | step in plan / bare call (rate) | algorithm |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    ratios = {}
    not_pass = {}
    for k, (points, alone) in enumerate(pairs, 1):
        for p in points:
            mask = p["params"]["mask"]
            pas = p["params"].get("pass", "fwd")
            if p["status"] != "PASS":
                not_pass[mask] = not_pass.get(mask, 0) + 1
                print(f"| {k} | {mask} | {pas} | {p['status']} {p.get('reason', '')} | | | | | | | | |")
                continue
            algo = "deterministic" if (mask, "deterministic") in alone else "default"
            bare = alone.get((mask, algo))
            in_plan = p.get("attn_tflops", 0)
            ratio = ""
            if bare and bare[1] > 0 and in_plan > 0:
                ratios.setdefault(mask, []).append(in_plan / bare[1])
                ratio = f"{in_plan / bare[1]:.4f}"
            print(f"| {k} | {mask} | {pas} | PASS | {p['time_ms']['p50']:.2f} | {p['tflops_per_gpu']:.1f} |"
                  f" {in_plan:.1f} | {p.get('attn_standalone_tflops', 0):.1f} | {bare[0] if bare else ''} |"
                  f" {bare[1] if bare else ''} | {ratio} | {algo} |")
            g = p["verify"].get("gradients")
            if g:
                print(f"| {k} |  | verify | " + "; ".join(f"{t} err/tol {v['max_abs_err'] / v['tolerance']:.3f}"
                                                      for t, v in g.items()) + " | | | | | | | | |")
    for mask, rs in ratios.items():
        mean, ci = interval(rs)
        left = f"; {not_pass[mask]} point(s) not PASS left out" if mask in not_pass else ""
        if ci is None:
            print(f"\n{mask}: step in plan / bare call {mean:.4f} (one pair: no interval){left}")
            continue
        within = "within 3 %" if 0.97 <= ci[0] and ci[1] <= 1.03 else "not shown within 3 %"
        print(f"\n{mask}: step in plan / bare call {mean:.4f} [{ci[0]:.4f}, {ci[1]:.4f}] (geometric mean of "
              f"{len(rs)} pairs, 95 % t interval): {within}{left}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
