#!/usr/bin/env python3
"""Checks that two result files hold the same points with the same statuses and bitwise
the same outputs (verify.output_digest), e.g. the same config before and after a change
that must not change what is computed:

    scripts/results/same_outputs.py before.json after.json

Points are matched by their index; schedule, params, status and reason must be equal,
and every point with an output digest in the first file must have the same digest and
the same verify.max_abs_err in the second. The first file must have output digests. Prints one line per difference and a summary; exit 0 when there are
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
    """(the differences as lines, how many output digests were compared)."""
    out = []
    by_index = {p.get("index"): p for p in after}
    compared = 0
    if len(before) != len(after):
        out.append(f"{len(before)} points before, {len(after)} after")
    for b in before:
        where = f"point {b.get('index')} ({b.get('schedule')})"
        a = by_index.get(b.get("index"))
        if a is None:
            out.append(f"{where}: missing after")
            continue
        for key in ("schedule", "params", "status", "reason"):
            if b.get(key) != a.get(key):
                out.append(f"{where}: {key} {b.get(key)!r} -> {a.get(key)!r}")
        vb, va = b.get("verify", {}), a.get("verify", {})
        if "output_digest" in vb:
            compared += 1
            for key in ("output_digest", "max_abs_err"):
                if vb.get(key) != va.get(key):
                    out.append(f"{where}: verify.{key} {vb.get(key)!r} -> {va.get(key)!r}")
    return out, compared


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    before, after = load_points(argv[1]), load_points(argv[2])
    if not any("output_digest" in p.get("verify", {}) for p in before):
        print(f"same_outputs: {argv[1]} has no output digests (written before verify.output_digest); "
              "nothing to compare outputs with", file=sys.stderr)
        return 2
    diffs, compared = differences(before, after)
    for d in diffs:
        print(d)
    print(f"{len(before)} points, {compared} output digests compared: "
          f"{'the same' if not diffs else f'{len(diffs)} differences'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
