#!/usr/bin/env python3
"""How much faster a point's first round ran than its later rounds, per result file
(docs/METRICS.md, "The first round runs fast"): for every PASS record with 3 or more
rounds, 1 - (first round's p50) / (median of the later rounds' p50s), and the median
board power of the first round and of the later ones (gpu_state); where every round
timed its own compute-only part (rounds[k].comp_ms, measure.isolate; none taken from
another point), the same figure for it.

    scripts/results/first_round.py RESULT.json ...

Prints one line per file: records, how many ran their first round faster, the median and
the largest gain [%], the powers [W], and the compute-only part's count and median gain. Exit 2 when a file cannot be read."""
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plots"))
import cpb_results as cr  # noqa: E402


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    for path in paths:
        _, points = cr.load_or_exit(path)
        gains, first_w, later_w, comp_gains = [], [], [], []
        for p in points:
            rounds = p.get("rounds") or []
            if p.get("status") != "PASS" or len(rounds) < 3:
                continue
            later = statistics.median(r["p50"] for r in rounds[1:])
            gains.append(1 - rounds[0]["p50"] / later)
            comp = [r.get("comp_ms") for r in rounds]
            own = not any("comp_ms_from" in r for r in rounds)  # a part another point timed counts there
            if own and all(c is not None and c > 0 for c in comp):
                comp_gains.append(1 - comp[0] / statistics.median(comp[1:]))
            power = [r.get("gpu_state", {}).get("power_w", {}).get("median") for r in rounds]
            if all(w is not None for w in power):
                first_w.append(power[0])
                later_w.append(statistics.median(power[1:]))
        if not gains:
            print(f"{path}: no PASS record with 3 or more rounds")
            continue
        watts = (f"; power {statistics.median(first_w):.0f} W first, {statistics.median(later_w):.0f} W later"
                 if first_w else "")
        comp = (f"; compute-only part: {sum(g > 0 for g in comp_gains)} of {len(comp_gains)} faster in the first "
                f"round, gain median {100 * statistics.median(comp_gains):.1f}%" if comp_gains else "")
        print(f"{path}: {len(gains)} records, {sum(g > 0 for g in gains)} faster in the first round; "
              f"gain median {100 * statistics.median(gains):.1f}%, largest {100 * max(gains):.1f}%{watts}{comp}")


if __name__ == "__main__":
    main(sys.argv[1:])
