#!/usr/bin/env python3
"""Gantt chart of one point's run from its Chrome trace JSON (cpbench run --trace DIR).

One row per (rank, lane) with a bar per step: communication (exchange steps) in blue,
attention in orange, other work (copies, merges) in grey. Under each rank's lanes an
"overlap" row marks the time when a communication step and attention were in flight at
once, and its label gives that share of the communication steps' time. A step's span
runs from its start to its end event on its stream, so an NCCL kernel that waits for
SMs beside attention counts as in flight: this is an upper bound on the hidden share,
which the compute-only and comm-only timings of the result record pin down. --flows
draws the send -> receive arrows between ranks.

Example: scripts/plots/plot_trace_gantt.py traces/point_0003.json -o gantt.png
"""
from __future__ import annotations

import argparse
import collections
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.patches as mpatches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import cpb_results as cr  # noqa: E402

COLORS = {"comm": "#1f77b4", "compute": "#ff7f0e", "other": "#9a9a9a", "overlap": "#2ca02c"}


def load_events(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        print(f"error: {path}: cannot open the trace: {e.strerror}", file=sys.stderr)
        sys.exit(2)
    except ValueError as e:
        print(f"error: {path}: not valid JSON: {e}", file=sys.stderr)
        sys.exit(2)
    events = doc.get("traceEvents") if isinstance(doc, dict) else doc
    if not isinstance(events, list):
        print(f"error: {path}: not a Chrome trace (no traceEvents array)", file=sys.stderr)
        sys.exit(2)
    meta = doc.get("otherData") if isinstance(doc, dict) and isinstance(doc.get("otherData"), dict) else {}
    return [e for e in events if isinstance(e, dict)], meta


def kind_of(event):
    cat = str(event.get("cat", "")).lower()
    args = event.get("args") if isinstance(event.get("args"), dict) else {}
    if cat in ("exchange", "comm") or args.get("send_peers") or args.get("recv_peers"):
        return "comm"
    if cat == "attention":
        return "compute"
    return "other"


def union(intervals):
    merged = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


def intersect(xs, ys):
    out, i, j = [], 0, 0
    while i < len(xs) and j < len(ys):
        a, b = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        if a < b:
            out.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="Reads the Chrome trace JSON that cpbench writes per point (one "
                                        "process per rank, one thread per lane).")
    ap.add_argument("trace", metavar="TRACE.json", help="a Chrome trace written by cpbench run --trace")
    ap.add_argument("-o", "--out", required=True, metavar="OUT.png", help="the figure to write")
    ap.add_argument("--flows", action="store_true", help="draw send -> receive arrows between ranks")
    args = ap.parse_args(argv)

    events, meta = load_events(args.trace)
    rank_names, lane_names, lane_order = {}, {}, {}
    steps = collections.defaultdict(list)  # (pid, tid) -> [(start_ms, dur_ms, kind, name)]
    flows = collections.defaultdict(dict)  # id -> {"s": (pid, tid, ms), "f": ...}
    for e in events:
        ph, pid, tid = e.get("ph"), e.get("pid"), e.get("tid")
        args_ = e.get("args") if isinstance(e.get("args"), dict) else {}
        if ph == "M" and e.get("name") == "process_name":
            rank_names[pid] = str(args_.get("name", f"rank {pid}"))
        elif ph == "M" and e.get("name") == "thread_name":
            lane_names[(pid, tid)] = str(args_.get("name", tid))
        elif ph == "M" and e.get("name") == "thread_sort_index":
            lane_order[(pid, tid)] = args_.get("sort_index", tid)
        elif ph == "X" and isinstance(e.get("ts"), (int, float)):
            dur = e.get("dur") if isinstance(e.get("dur"), (int, float)) else 0
            steps[(pid, tid)].append((e["ts"] / 1000, dur / 1000, kind_of(e), str(e.get("name", ""))))
        elif ph in ("s", "f") and isinstance(e.get("ts"), (int, float)):
            flows[(e.get("cat"), e.get("name"), e.get("id"))][ph] = (pid, tid, e["ts"] / 1000)
    if not steps:
        print(f"error: {args.trace}: no complete (X) events to draw", file=sys.stderr)
        return 1

    # Rows, top to bottom: each rank's lanes, then its overlap row.
    rows, row_of, overlap_rows = [], {}, {}
    for pid in sorted({p for p, _ in steps}, key=lambda p: (not isinstance(p, int), p)):
        lanes = sorted((k for k in steps if k[0] == pid), key=lambda k: (lane_order.get(k, k[1]), str(k[1])))
        for k in lanes:
            row_of[k] = len(rows)
            rows.append(f"{rank_names.get(pid, f'rank {pid}')} · {lane_names.get(k, k[1])}")
        comm = union([(s, s + d) for k in lanes for s, d, kind, _ in steps[k] if kind == "comm"])
        comp = union([(s, s + d) for k in lanes for s, d, kind, _ in steps[k] if kind == "compute"])
        both = intersect(comm, comp)
        comm_total = sum(b - a for a, b in comm)
        hidden = sum(b - a for a, b in both)
        share = f"{100 * hidden / comm_total:.0f}% of comm-step time beside attention" if comm_total > 0 else "no comm"
        overlap_rows[pid] = (len(rows), both)
        rows.append(f"{rank_names.get(pid, f'rank {pid}')} · overlap ({share})")

    fig, ax = plt.subplots(figsize=(13, 0.55 * len(rows) + 1.8))
    t0 = min(s for items in steps.values() for s, _, _, _ in items)
    t1 = max(s + d for items in steps.values() for s, d, _, _ in items)
    for k, items in steps.items():
        y = row_of[k]
        for start, dur, kind, name in items:
            ax.barh(y, dur, left=start, height=0.7, color=COLORS[kind], edgecolor="black", linewidth=0.4)
            # Name the steps that are wide enough to hold it.
            if dur > 0.012 * len(name) * (t1 - t0):
                ax.text(start + dur / 2, y, name, ha="center", va="center", fontsize="x-small")
    for y, both in overlap_rows.values():
        for a, b in both:
            ax.barh(y, b - a, left=a, height=0.4, color=COLORS["overlap"], hatch="//", edgecolor="white",
                    linewidth=0)
    if args.flows:
        for ends in flows.values():
            if "s" in ends and "f" in ends and (ends["s"][0], ends["s"][1]) in row_of and \
                    (ends["f"][0], ends["f"][1]) in row_of:
                (sp, st, sx), (fp, ft, fx) = ends["s"], ends["f"]
                ax.annotate("", xy=(fx, row_of[(fp, ft)]), xytext=(sx, row_of[(sp, st)]),
                            arrowprops=dict(arrowstyle="->", color="black", alpha=0.45, linewidth=0.8))

    ax.set_yticks(range(len(rows)), labels=rows, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel("time since the run's start [ms]")
    ax.grid(True, axis="x", alpha=0.3)
    legend = [mpatches.Patch(color=COLORS[k], label=label) for k, label in
              (("comm", "communication"), ("compute", "attention"), ("other", "copy / merge / other"),
               ("overlap", "comm and attention at once"))]
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / len(rows)), ncol=4,
              fontsize="small")
    what = str(meta.get("schedule", ""))
    params = meta.get("params") if isinstance(meta.get("params"), dict) else {}
    reg = cr.registry()  # a trace holds no registry: this tree's
    sizes = (reg.split_option("size_or_auto"), reg.split_option("size"))  # chunks, usp_u
    what += " " + " ".join(f"{k}={params[k]}" for k in sizes + ("P", "S", "H", "D", "transport") if k in params)
    ax.set_title(f"{what.strip() or args.trace}: timeline of one run")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
