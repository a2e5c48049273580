#!/usr/bin/env python3
"""Merge result files of one sweep that was split across calls (e.g. by --filter on S).

The points are concatenated in the order of the files, each tagged with "run" (the
index of its file); the merged provenance is the first file's, with every file's own
provenance kept whole under "runs". Measurements are copied unchanged. A part that is
itself a merged file (provenance "runs", every point tagged "run") is taken as its runs,
so merging merged files still gives one "run" per cpbench run.

    scripts/results/merge_results.py -o merged.json part1.json part2.json ...
"""
import argparse
import json
import sys


def runs_of(doc):
    """The (provenance, points) of each cpbench run in a result file: one for a plain
    file; the runs a merged file lists, its points split by their "run" tag."""
    prov = doc.get("provenance", {})
    points = doc.get("points", [])
    runs = prov.get("runs")
    if not isinstance(runs, list) or not points or any("run" not in p for p in points):
        return [(prov, points)]
    return [(r, [{k: v for k, v in p.items() if k != "run"} for p in points if p["run"] == i])
            for i, r in enumerate(runs)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="+", help="result JSON files of the same config")
    ap.add_argument("-o", "--out", required=True, help="merged result JSON")
    args = ap.parse_args()
    docs = []
    for path in args.parts:
        try:
            with open(path) as f:
                docs.append(json.load(f))
        except (OSError, ValueError) as e:
            print(f"merge_results: {path}: {e}", file=sys.stderr)
            return 2
    versions = {d.get("schema_version") for d in docs}
    if len(versions) != 1:
        print(f"merge_results: schema versions differ: {sorted(map(str, versions))}", file=sys.stderr)
        return 2
    runs = [r for d in docs for r in runs_of(d)]
    merged = {"schema_version": docs[0]["schema_version"],
              "provenance": dict(runs[0][0], runs=[prov for prov, _ in runs]),
              "points": []}
    for run, (_, points) in enumerate(runs):
        for p in points:
            merged["points"].append(dict(p, run=run))
    with open(args.out, "w") as f:
        json.dump(merged, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
