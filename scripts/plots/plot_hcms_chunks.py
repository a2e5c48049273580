#!/usr/bin/env python3
"""HCMS chunk sweep: time against the chunk count C, one line per sequence length.

One panel per problem group and variant (qkv_layout, comm_order, levers, ...). HCMS with
C = 1 is Ulysses, so where the sweep has no hcms C=1 point the Ulysses time of the same
problem is drawn at C = 1 (open marker): the Ulysses row with the panel's qkv_layout and
levers where there is one, else the one without options. The
fastest C of each S (Ulysses included, as C = 1) is starred. With --relative, times are divided by the Ulysses time
of the same problem (below 1 = faster than Ulysses). Points without a time and hcms
points with explicit chunk_heads are left out.

Example: scripts/plots/plot_hcms_chunks.py results/x.json -o chunks.png --relative
"""
from __future__ import annotations

import collections
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import cpb_results as cr  # noqa: E402


def chunk_sweeps(points, reg):
    """({(variant group, S): {C: time_ms}}, {(variant group, S): Ulysses time_ms}, number of
    hcms points left out for an explicit head list) of the timed points; `reg`: the file's
    cr.registry()."""
    sweeps = collections.defaultdict(dict)
    ulysses_of = {}
    explicit = 0
    for r in points:
        t, s = cr.time_ms(r), cr.number(r, "params", "S")
        if t is None or s is None:
            continue
        key = (cr.variant_group(r, reg), s)
        if cr.schedule(r) == "ulysses":
            ulysses_of[key] = t
        elif cr.schedule(r) == "hcms":
            if cr.head_list(r, reg):
                explicit += 1
                continue
            c = cr.number(r, "params", reg.split_option("size_or_auto"))
            if c is not None:
                sweeps[key][int(c)] = t
    # Ulysses has no comm_order or chunk_shape: a variant setting one compares with the
    # Ulysses row of its problem that sets no option.
    ulysses = {}
    for group, s in sweeps:
        base = (tuple(item for item in group if item[0] in cr.PROBLEM_KEYS), s)
        t = ulysses_of.get((group, s), ulysses_of.get(base))
        if t is not None:
            ulysses[(group, s)] = t
    return dict(sweeps), ulysses, explicit


def main(argv=None):
    ap = cr.result_arg_parser(__doc__)
    ap.add_argument("--relative", action="store_true", help="plot time / Ulysses time of the same problem")
    args = ap.parse_args(argv)

    provenance, points = cr.load_or_exit(args.result)
    sweeps, ulysses, explicit = chunk_sweeps(points, cr.registry(provenance))
    if explicit:
        print(f"note: left out {explicit} hcms point(s) with explicit chunk_heads", file=sys.stderr)
    if args.relative:
        sweeps = {k: v for k, v in sweeps.items() if k in ulysses}
    if not sweeps:
        need = " with a Ulysses point of the same problem" if args.relative else ""
        print(f"error: {args.result}: no timed hcms point{need} to plot", file=sys.stderr)
        return 1

    groups = collections.OrderedDict()
    for (group, s) in sorted(sweeps, key=lambda k: k[1]):
        groups.setdefault(group, []).append(s)
    fig, axes = plt.subplots(len(groups), 1, figsize=(8, 4.5 * len(groups)), squeeze=False,
                             constrained_layout=True)
    for (group, sizes), (ax,) in zip(groups.items(), axes):
        for i, s in enumerate(sizes):
            key = (group, s)
            base = ulysses.get(key) if args.relative else 1.0
            by_c = dict(sweeps[key])
            color = f"C{i % 10}"
            if 1 not in by_c and key in ulysses:
                ax.plot([1], [ulysses[key] / base], marker="o", markerfacecolor="none", color=color)
                by_c_line = {1: ulysses[key], **by_c}
            else:
                by_c_line = by_c
            cs = sorted(by_c_line)
            ax.plot(cs, [by_c_line[c] / base for c in cs], marker="o", color=color, label=f"S={int(s)}")
            best = min(by_c_line, key=by_c_line.get)
            ax.plot([best], [by_c_line[best] / base], marker="*", markersize=14, color=color, linestyle="none")
        ax.set(xlabel="chunks C (C=1: Ulysses)",
               ylabel="time / Ulysses time" if args.relative else "time p50 [ms]",
               title=cr.describe_group(group))
        if args.relative:
            ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
        else:
            ax.set_yscale("log")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small", title="★ fastest C")
    fig.suptitle("HCMS chunk sweep: " + cr.title_of(provenance, args.result))
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
