#!/usr/bin/env python3
"""The table of issue 20's one-GPU figure: for each mask, the cuDNN backward inside cpbench
(Ulysses at P=1, pass bwd: the whole timed plan and its attention-backward step) against
the same cuDNN call timed alone with the algorithm the executor chose (deterministic when
its workspace fits under kDeterministicWorkspaceCap, else cuDNN's default), in ms and
TFLOP/s (2.5x the forward's FLOPs).

    backward_p1_table.py RESULT.json ALONE.log
"""
import json
import re
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    points = json.load(open(sys.argv[1]))["points"]
    alone = {}
    pat = re.compile(r"S=65536 H=32 D=128 (full|causal) (deterministic|default): ([0-9.]+) ms, ([0-9.]+) TFLOP/s")
    for line in open(sys.argv[2]):
        m = pat.search(line)
        if m:
            alone[(m.group(1), m.group(2))] = (float(m.group(3)), float(m.group(4)))
    print("| mask | pass | status | plan p50 ms | plan TFLOP/s | bwd step in plan TFLOP/s | step alone TFLOP/s |"
          " bare call alone ms | bare call TFLOP/s | step in plan / bare call (rate) | algorithm |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for p in points:
        mask = p["params"]["mask"]
        pas = p["params"].get("pass", "fwd")
        if p["status"] != "PASS":
            print(f"| {mask} | {pas} | {p['status']} {p.get('reason', '')} | | | | | | | |")
            continue
        t = p["time_ms"]["p50"]
        algo = "deterministic" if (mask, "deterministic") in alone else "default"
        bare = alone.get((mask, algo))
        in_plan = p.get("attn_tflops", 0)
        ratio = f"{in_plan / bare[1]:.4f}" if bare and bare[1] > 0 else ""
        print(f"| {mask} | {pas} | PASS | {t:.2f} | {p['tflops_per_gpu']:.1f} | {in_plan:.1f} |"
              f" {p.get('attn_standalone_tflops', 0):.1f} | {bare[0] if bare else ''} |"
              f" {bare[1] if bare else ''} | {ratio} | {algo} |")
        g = p["verify"].get("gradients")
        if g:
            print("|  | verify | " + "; ".join(f"{k} err/tol {v['max_abs_err'] / v['tolerance']:.3f}"
                                             for k, v in g.items()) + " | | | | | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
