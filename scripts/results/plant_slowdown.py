#!/usr/bin/env python3
"""Test utility for the A/A check of `cpbench compare` (scripts/device/aa_test.sh): copies a
result file with one point made slower by a factor, as if that point alone had run that
much slower. Every time of the point is multiplied: each round's samples and its p50,
p10, p90, min, max and mean, and the same fields of time_ms (cv and n stay: a scaled
sample has the same spread). The copy's provenance gets "planted": {"index", "factor"},
so it cannot pass for a measured file. Not a runtime feature: cpbench never plants.

    scripts/results/plant_slowdown.py IN.json OUT.json --index N [--factor 1.03]

Exit code 0; 2 when IN cannot be read, no timed point has index N, the factor is not
positive, or OUT is IN.
"""
import argparse
import json
import os
import sys

SCALED = ("p50", "p10", "p90", "min", "max", "mean")


def scale_stats(stats, factor):
    for key in SCALED:
        if isinstance(stats.get(key), (int, float)):
            stats[key] = stats[key] * factor


def plant(doc, index, factor):
    """Scales the point with `index` in place; returns False when it has no time_ms."""
    for point in doc.get("points", []):
        if point.get("index") != index or not isinstance(point.get("time_ms"), dict):
            continue
        scale_stats(point["time_ms"], factor)
        for rnd in point.get("rounds", []):
            scale_stats(rnd, factor)
            rnd["samples"] = [x * factor for x in rnd.get("samples", [])]
        doc.setdefault("provenance", {})["planted"] = {"index": index, "factor": factor}
        return True
    return False


def fail(message):
    print(f"plant_slowdown: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inp", metavar="IN.json")
    ap.add_argument("out", metavar="OUT.json")
    ap.add_argument("--index", type=int, required=True, help="the point's index field")
    ap.add_argument("--factor", type=float, default=1.03, help="time multiplier (default 1.03: 3%% slower)")
    a = ap.parse_args()
    if not a.factor > 0:
        fail(f"--factor {a.factor} is not a positive number")
    if os.path.abspath(a.inp) == os.path.abspath(a.out):
        fail("OUT must differ from IN (the measured file stays as it is)")
    try:
        with open(a.inp) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{a.inp}: {e}")
    if not plant(doc, a.index, a.factor):
        fail(f"{a.inp}: no point with index {a.index} and a time_ms")
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
