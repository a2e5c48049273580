#!/usr/bin/env python3
"""Checks that two result files hold the same points with the same statuses and bitwise
the same outputs (verify.output_digest), e.g. the same config before and after a change
that must not change what is computed:

    scripts/results/same_outputs.py before.json after.json

Points are matched by index; schedule, params, status and reason must be equal, and
every point with an output digest in both files must have the same digest and the same
verify.max_abs_err. Prints one line per difference and a summary; exit 0 when there are
none, 1 when there are, 2 on bad input.
"""
import json
import sys


def load_points(path):
    try:
        with open(path) as f:
            return json.load(f)["points"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"same_outputs: {path}: not a cpbench result file ({e})")


def differences(before, after):
    out = []
    if len(before) != len(after):
        out.append(f"{len(before)} points before, {len(after)} after")
    for b, a in zip(before, after):
        where = f"point {b.get('index')} ({b.get('schedule')})"
        for key in ("index", "schedule", "params", "status", "reason"):
            if b.get(key) != a.get(key):
                out.append(f"{where}: {key} {b.get(key)!r} -> {a.get(key)!r}")
        vb, va = b.get("verify", {}), a.get("verify", {})
        if "output_digest" in vb and "output_digest" in va:
            for key in ("output_digest", "max_abs_err"):
                if vb.get(key) != va.get(key):
                    out.append(f"{where}: verify.{key} {vb.get(key)!r} -> {va.get(key)!r}")
    return out


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    before, after = load_points(argv[1]), load_points(argv[2])
    diffs = differences(before, after)
    for d in diffs:
        print(d)
    digests = sum(1 for p in after if "output_digest" in p.get("verify", {}))
    print(f"{len(after)} points, {digests} with output digests: "
          f"{'the same' if not diffs else f'{len(diffs)} differences'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
