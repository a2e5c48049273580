#!/usr/bin/env python3
"""Merge result files of one sweep that was split across calls (e.g. by --filter on S).

The points are concatenated in the order of the files, each tagged with "run" (the
index of its file); the merged provenance is the first file's, with every file's own
provenance kept whole under "runs". Measurements are copied unchanged. A part that is
itself a merged file (provenance "runs", every point tagged "run") is taken as its runs,
so merging merged files still gives one "run" per cpbench run.

Parts built from different commits are refused (exit 2) unless --allow-mixed-commits is
given; every merged point carries the commit that measured it ("git": its own, or its
run's provenance.git for records older than the field), so a mixed file says which
point came from which commit. The merged file is "complete" only when every part is.

    scripts/results/merge_results.py -o merged.json part1.json part2.json ...
"""
import argparse
import json
import os
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


def run_commit(prov):
    """A run's commit in the form its records carry: the provenance's sha, with "-dirty" when
    the tree differed from it (provenance "git_dirty"), as cpbench writes each point's "git"."""
    return str(prov.get("git", "unknown")) + ("-dirty" if prov.get("git_dirty") is True else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="+", help="result JSON files of the same config")
    ap.add_argument("-o", "--out", required=True, help="merged result JSON")
    ap.add_argument("--allow-mixed-commits", action="store_true",
                    help="merge parts built from different commits (each point keeps its own)")
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
    commits = sorted({str(p.get("git") or run_commit(prov)) for prov, points in runs for p in points}
                     | {run_commit(prov) for prov, _ in runs})
    if len(commits) > 1 and not args.allow_mixed_commits:
        print(f"merge_results: the parts come from {len(commits)} commits ({', '.join(commits)}); "
              "pass --allow-mixed-commits to merge them anyway (each point keeps its own commit)",
              file=sys.stderr)
        return 2
    merged = {"schema_version": docs[0]["schema_version"],
              "complete": all(d.get("complete", True) for d in docs),
              "provenance": dict(runs[0][0], runs=[prov for prov, _ in runs]),
              "points": []}
    for run, (prov, points) in enumerate(runs):
        for p in points:
            merged["points"].append(dict(p, run=run, git=p.get("git") or run_commit(prov)))
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(merged, f, indent=2)
        f.write("\n")
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
