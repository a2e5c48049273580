#!/usr/bin/env python3
"""Forward and backward side by side: the p50 time of each pass against S, one colour
per schedule variant (solid: fwd, dashed: bwd, dotted: fwd_bwd), and the backward's time
over the forward's of the same variant and S (the dashed line at 2.5 is the FLOP ratio
of docs/METRICS.md, "Backward pass": a backward at the forward's rate lies on it).

One row of two panels per problem group apart from the pass (same P, H, Hkv, D, B, mask,
dtype, transport, profile). Points without a time (SKIPPED, FAILED) are left out.

Example: scripts/plots/plot_passes.py results/train.json -o passes.png
"""
from __future__ import annotations

import collections
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import cpb_results as cr  # noqa: E402

PASSES = ("fwd", "bwd", "fwd_bwd")
STYLE = {"fwd": "-", "bwd": "--", "fwd_bwd": ":"}
BACKWARD_FLOP_RATIO = 2.5


def pass_of(record):
    return (record.get("params") or {}).get("pass", "fwd")


def group_without_pass(record, reg):
    return tuple(item for item in cr.problem_group(record, reg) if item[0] != "pass")


def main(argv=None):
    ap = cr.result_arg_parser(__doc__)
    cr.add_max_groups_arg(ap)
    args = ap.parse_args(argv)

    provenance, points = cr.load_or_exit(args.result)
    reg = cr.registry(provenance)
    groups = collections.OrderedDict()
    for r in points:
        if cr.time_ms(r) is not None and cr.number(r, "params", "S") is not None and pass_of(r) in PASSES:
            groups.setdefault(group_without_pass(r, reg), []).append(r)
    groups = collections.OrderedDict((g, rs) for g, rs in groups.items() if len({pass_of(r) for r in rs}) > 1)
    if not groups:
        print(f"error: {args.result}: no problem with PASSing points in more than one pass", file=sys.stderr)
        return 1
    shown = cr.first_groups(groups, args.max_groups)

    fig, axes = plt.subplots(len(shown), 2, figsize=(12, 4.2 * len(shown)), squeeze=False,
                             constrained_layout=True)
    for (group, records), (ax_t, ax_r) in zip(shown, axes):
        # variant -> pass -> S -> time
        times = collections.defaultdict(lambda: collections.defaultdict(dict))
        for r in records:
            times[cr.variant_label(r, reg)][pass_of(r)][cr.number(r, "params", "S")] = cr.time_ms(r)
        for i, label in enumerate(sorted(times, key=cr.variant_sort_key)):
            colour = f"C{i % 10}"
            for p in PASSES:
                line = sorted(times[label][p].items())
                if line:
                    ax_t.plot(*zip(*line), STYLE[p], marker="o", color=colour, label=f"{label} {p}")
            fwd, bwd = times[label]["fwd"], times[label]["bwd"]
            ratio = sorted((s, bwd[s] / fwd[s]) for s in bwd if s in fwd and fwd[s] > 0)
            if ratio:
                ax_r.plot(*zip(*ratio), marker="o", color=colour, label=label)
        title = cr.describe_group(group)
        ax_t.set(xscale="log", yscale="log", xlabel="S [tokens]", ylabel="time p50 [ms]", title=title)
        ax_r.set(xscale="log", xlabel="S [tokens]", ylabel="bwd time / fwd time", title=title)
        ax_r.axhline(BACKWARD_FLOP_RATIO, color="grey", linestyle="--", linewidth=1)
        for ax in (ax_t, ax_r):
            ax.grid(True, which="both", alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize="small")
    fig.suptitle(cr.title_of(provenance, args.result))
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
