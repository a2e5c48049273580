#!/usr/bin/env python3
"""One line per point of a result file: sizes, layout, status, time, comm time (with its
p10-p90 band and warm-up count) and compute time [ms].

    scripts/results/point_summary.py RESULT.json
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plots"))
import cpb_results as cr  # noqa: E402


def main():
    path = sys.argv[1]
    provenance, points = cr.load_or_exit(path)
    reg = cr.registry(provenance)
    layout = reg.how_options[0]  # qkv_layout, left out of params at its default
    for p in points:
        q, c = p["params"], p.get("comm_time_ms", {})
        print(f'{path.split("/")[-1]:28s} S={q["S"]:6d} H={q["H"]:2d} {q.get(layout, reg.options[layout]["default"]):8s} '
              f'{p["status"]:6s} '
              f'T={p["time_ms"]["p50"]:8.3f} comm={p.get("comm_ms", 0):6.3f} '
              f'(p10-p90 {c.get("p10", 0):.3f}-{c.get("p90", 0):.3f}, {p.get("warmup", 0)} warm-ups) '
              f'comp={p.get("comp_ms", 0):8.3f} ms')


if __name__ == "__main__":
    main()
