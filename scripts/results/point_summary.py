#!/usr/bin/env python3
"""One line per point of a result file: sizes, layout, status, time, comm time (with its
p10-p90 band and warm-up count) and compute time [ms].

    scripts/results/point_summary.py RESULT.json
"""
import json
import sys


def main():
    path = sys.argv[1]
    with open(path) as f:
        points = json.load(f)["points"]
    for p in points:
        q, c = p["params"], p.get("comm_time_ms", {})
        print(f'{path.split("/")[-1]:28s} S={q["S"]:6d} H={q["H"]:2d} {q.get("qkv_layout", "separate"):8s} '
              f'{p["status"]:6s} '
              f'T={p["time_ms"]["p50"]:8.3f} comm={p.get("comm_ms", 0):6.3f} '
              f'(p10-p90 {c.get("p10", 0):.3f}-{c.get("p90", 0):.3f}, {p.get("warmup", 0)} warm-ups) '
              f'comp={p.get("comp_ms", 0):8.3f} ms')


if __name__ == "__main__":
    main()
