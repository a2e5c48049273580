#!/usr/bin/env python3
"""Projections from `cpbench simulate` result files (docs/SIMULATOR.md, "Projections"):
per shape (every params but P and the schedule's options), a markdown table of the
predicted time [ms] of each schedule at each world size (SKIPPED points show why, in
short), and one figure per file with a panel per shape: time against P, log-log.

    scripts/sim/plot_scaling.py OUT_PREFIX SIM.json ...

Writes OUT_PREFIX.md and OUT_PREFIX_<file name>.png. Exit code 0; 2 on bad input.
"""
import json
import os
import sys

SHORT = {"exceeds": "heads", "divide": "split", "levers": "lever"}


def shape_of(params):
    """(H, Hkv, D, mask, S, the rest): every param but P and the schedule's options."""
    rest = tuple(str(params.get(k)) for k in ("B", "dtype", "transport", "profile"))
    return (params.get("H"), params.get("Hkv"), params.get("D"), params.get("mask"), params.get("S"), rest)


def label(p):
    s = p["schedule"]
    for k in ("usp_u", "chunks", "comm_order", "comm_lanes", "qkv_layout"):
        v = p["params"].get(k)
        if v is not None and not (k == "chunks" and v == "auto") and not (k == "comm_order" and v == "interleaved"):
            s += f" {k}={v}"
    return s


def cell(p):
    if p["status"] == "PASS":
        t = p["time_ms"]["p50"]
        c = p.get("chunks_chosen")
        return (f"{t:.4g}" if t < 1e4 else f"{t:.3e}") + (f" (C={c})" if c else "")
    reason = p.get("reason", "")
    for k, v in SHORT.items():
        if k in reason:
            return f"- ({v})"
    return "-"


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    prefix, paths = sys.argv[1], sys.argv[2:]
    lines = []
    for path in paths:
        try:
            points = json.load(open(path))["points"]
        except (OSError, ValueError, KeyError) as e:
            print(f"plot_scaling: {path}: not a result file: {e}", file=sys.stderr)
            return 2
        shapes = {}
        for p in points:
            shapes.setdefault(shape_of(p["params"]), []).append(p)
        worlds = sorted({p["params"]["P"] for p in points})
        for shape, ps in shapes.items():
            H, Hkv, D, mask, S, rest = shape
            lines.append(f"\n{os.path.basename(path)}: S={S} H={H} Hkv={Hkv} D={D} {mask} {' '.join(rest)},"
                         " predicted ms\n")
            lines.append("| schedule | " + " | ".join(f"P={w}" for w in worlds) + " |")
            lines.append("|---|" + "---|" * len(worlds))
            for name in sorted({label(p) for p in ps}):
                row = {p["params"]["P"]: cell(p) for p in ps if label(p) == name}
                lines.append(f"| {name} | " + " | ".join(row.get(w, "") for w in worlds) + " |")
        plot(shapes, os.path.splitext(os.path.basename(path))[0], prefix)
    open(prefix + ".md", "w").write("\n".join(lines).lstrip() + "\n")
    print("\n".join(lines))
    return 0


def plot(shapes, name, prefix):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(shapes), figsize=(5 * len(shapes), 4), squeeze=False)
    for ax, (shape, ps) in zip(axes[0], sorted(shapes.items(), key=lambda kv: kv[0][4])):
        for sched in sorted({label(p) for p in ps}):
            pts = sorted((p["params"]["P"], p["time_ms"]["p50"]) for p in ps
                         if label(p) == sched and p["status"] == "PASS")
            if pts:
                ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", label=sched)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("GPUs")
        ax.set_ylabel("predicted time [ms]")
        ax.set_title(f"S={shape[4]} H={shape[0]} Hkv={shape[1]} {shape[3]}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(f"{prefix}_{name}.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
