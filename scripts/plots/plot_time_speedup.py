#!/usr/bin/env python3
"""Time and speedup vs sequence length, one line per schedule variant.

For each problem group (same P, H, Hkv, D, B, mask, dtype, transport, profile) one row
of two panels: the p50 time [ms] against S (log-log), and the speedup over Ulysses of
the same problem against S (speedup.vs_ulysses; the dashed line at 1 is Ulysses).
Points without a time (SKIPPED, FAILED) and missing speedups are left out.

Example: scripts/plots/plot_time_speedup.py results/x.json -o time_speedup.png
"""
from __future__ import annotations

import collections
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import cpb_results as cr  # noqa: E402


def main(argv=None):
    ap = cr.result_arg_parser(__doc__)
    cr.add_max_groups_arg(ap)
    args = ap.parse_args(argv)

    provenance, points = cr.load_or_exit(args.result)
    reg = cr.registry(provenance)
    groups = collections.OrderedDict()
    for r in points:
        if cr.time_ms(r) is not None and cr.number(r, "params", "S") is not None:
            groups.setdefault(cr.problem_group(r, reg), []).append(r)
    if not groups:
        print(f"error: {args.result}: no PASSing point with a time and an S to plot", file=sys.stderr)
        return 1
    shown = cr.first_groups(groups, args.max_groups)

    fig, axes = plt.subplots(len(shown), 2, figsize=(12, 4.2 * len(shown)), squeeze=False,
                             constrained_layout=True)
    for (group, records), (ax_t, ax_s) in zip(shown, axes):
        series = collections.defaultdict(list)
        for r in records:
            series[cr.variant_label(r, reg)].append(r)
        for label in sorted(series, key=cr.variant_sort_key):
            rs = sorted(series[label], key=lambda r: cr.number(r, "params", "S"))
            s = [cr.number(r, "params", "S") for r in rs]
            ax_t.plot(s, [cr.time_ms(r) for r in rs], marker="o", label=label)
            sp = [(cr.number(r, "params", "S"), cr.number(r, "speedup", "vs_ulysses")) for r in rs]
            sp = [(x, y) for x, y in sp if y is not None]
            if sp:
                ax_s.plot(*zip(*sp), marker="o", label=label)
        title = cr.describe_group(group)
        ax_t.set(xscale="log", yscale="log", xlabel="S [tokens]", ylabel="time p50 [ms]", title=title)
        ax_s.set(xscale="log", xlabel="S [tokens]", ylabel="speedup vs Ulysses", title=title)
        ax_s.axhline(1.0, color="grey", linestyle="--", linewidth=1)
        for ax in (ax_t, ax_s):
            ax.grid(True, which="both", alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize="small")
            else:
                ax.text(0.5, 0.5, "no speedup.vs_ulysses in these records", transform=ax.transAxes,
                        ha="center", va="center", color="grey")
    fig.suptitle(cr.title_of(provenance, args.result))
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
