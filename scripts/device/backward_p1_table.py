#!/usr/bin/env python3
"""The table of issue 20's one-GPU figure: for each mask, the cuDNN backward inside cpbench
(Ulysses at P=1, pass bwd: the whole timed plan and its attention-backward step) against
the same cuDNN call timed alone (the deterministic algorithm the executor uses; cuDNN's
default algorithm for reference), in ms and TFLOP/s (2.5x the forward's FLOPs).

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
          " bare call alone ms (det.) | plan / bare call | default algorithm ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for p in points:
        mask = p["params"]["mask"]
        pas = p["params"].get("pass", "fwd")
        if p["status"] != "PASS":
            print(f"| {mask} | {pas} | {p['status']} {p.get('reason', '')} | | | | | | | |")
            continue
        t = p["time_ms"]["p50"]
        det = alone.get((mask, "deterministic"))
        dflt = alone.get((mask, "default"))
        ratio = f"{t / det[0]:.4f}" if det and pas == "bwd" else ""
        print(f"| {mask} | {pas} | PASS | {t:.2f} | {p['tflops_per_gpu']:.1f} | {p.get('attn_tflops', 0):.1f} |"
              f" {p.get('attn_standalone_tflops', 0):.1f} | {det[0] if det else ''} | {ratio} |"
              f" {dflt[0] if dflt else ''} |")
        g = p["verify"].get("gradients")
        if g:
            print("|  | verify | " + "; ".join(f"{k} err/tol {v['max_abs_err'] / v['tolerance']:.3f}"
                                             for k, v in g.items()) + " | | | | | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
