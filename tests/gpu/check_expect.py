#!/usr/bin/env python3
"""Checks a GPU sweep result against its expectations (tests/gpu_configs/expect/NAME.json):
every `must_pass` pattern (params that must all match) has at least one PASS point, no
point FAILED, and every SKIPPED point's reason contains one of `allowed_skip_reasons`.
Prints each problem and exits 1 when there is one.

    check_expect.py RESULT.json EXPECT.json
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    points = json.load(open(sys.argv[1]))["points"]
    expect = json.load(open(sys.argv[2]))
    problems = []
    for pattern in expect.get("must_pass", []):
        hits = [p for p in points if p["status"] == "PASS" and
                all(p["params"].get(k, p.get(k)) == v for k, v in pattern.items())]
        if not hits:
            problems.append(f"no PASS point with {pattern}")
    for p in points:
        where = f'{p["schedule"]} {json.dumps(p["params"], sort_keys=True)}'
        if p["status"] == "FAILED":
            problems.append(f"FAILED: {where}: {p.get('reason', '')}")
        if p["status"] == "SKIPPED" and not any(r in p.get("reason", "") for r in expect["allowed_skip_reasons"]):
            problems.append(f"SKIPPED for an unexpected reason: {where}: {p.get('reason', '')}")
    statuses = {}
    for p in points:
        key = (p["params"].get("transport"), p["params"].get("profile"), p["status"])
        statuses[key] = statuses.get(key, 0) + 1
    for (t, prof, st), n in sorted(statuses.items()):
        print(f"{t:8} {prof:7} {st:8} {n}")
    for msg in problems:
        print(msg)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
