#!/usr/bin/env python3
"""Speedup over Ulysses against the communication ratio rho, with the overlap bound.

Each timed point of the chosen schedules (default: hcms) is a marker at (rho, its
speedup.vs_ulysses); one series per (transport, profile). The curve is the bound on the
speedup of perfect overlap over serial execution, 1/(1-rho) where comm <= compute, and
1/rho beyond (docs/METRICS.md: bound = 1/max(rho, 1-rho)). Points lacking rho or the
speedup are left out; with --best, only the fastest variant of each problem is shown.

Example: scripts/plots/plot_speedup_vs_rho.py results/x.json -o rho.png --best
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
    ap.add_argument("--schedule", action="append", metavar="NAME",
                    help="schedules to show (repeatable; default hcms; 'all' = every schedule but ulysses)")
    ap.add_argument("--best", action="store_true",
                    help="per problem (params but the schedule options), only the fastest shown variant")
    args = ap.parse_args(argv)
    wanted = set(args.schedule or ["hcms"])

    provenance, points = cr.load_or_exit(args.result)
    reg = cr.registry(provenance)
    chosen = []
    for r in points:
        name = cr.schedule(r)
        if name == "ulysses" or ("all" not in wanted and name not in wanted):
            continue
        rho, speedup = cr.number(r, "rho"), cr.number(r, "speedup", "vs_ulysses")
        if cr.time_ms(r) is None or rho is None or speedup is None:
            continue
        chosen.append(r)
    if args.best:
        best = {}
        for r in chosen:
            key = (cr.problem_group(r, reg), cr.number(r, "params", "S"))
            if key not in best or cr.time_ms(r) < cr.time_ms(best[key]):
                best[key] = r
        chosen = list(best.values())
    if not chosen:
        print(f"error: {args.result}: no timed point of {', '.join(sorted(wanted))} with rho and "
              "speedup.vs_ulysses", file=sys.stderr)
        return 1

    series = collections.defaultdict(list)
    for r in chosen:
        key = f"{cr.field(r, 'params', 'transport') or '?'} / {cr.field(r, 'params', 'profile') or '?'}"
        series[key].append((cr.number(r, "rho"), cr.number(r, "speedup", "vs_ulysses")))

    fig, ax = plt.subplots(figsize=(7.5, 5.5), constrained_layout=True)
    top_rho = max(x for pts in series.values() for x, _ in pts)
    hi = min(1.0, max(0.55, top_rho * 1.15))
    xs = [hi * i / 400 for i in range(401)]
    ax.plot(xs, [1 / max(x, 1 - x) for x in xs], color="black", linewidth=1.5,
            label="bound 1/(1-ρ) (1/ρ for ρ > 1/2)")
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="Ulysses")
    markers = "osD^v<>phX*"
    for i, key in enumerate(sorted(series)):
        x, y = zip(*sorted(series[key]))
        ax.scatter(x, y, marker=markers[i % len(markers)], s=36, label=key, zorder=3)
    ax.set(xlim=(0, hi), xlabel="ρ = T_comm / (T_comm + T_comp) of serial Ulysses",
           ylabel="speedup vs Ulysses",
           title=f"{', '.join(sorted(wanted))}{' (best variant)' if args.best else ''}: "
                 f"{cr.title_of(provenance, args.result)}")
    ax.grid(True, alpha=0.3)
    ax.legend(title="transport / profile", fontsize="small")
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
