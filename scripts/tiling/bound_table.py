#!/usr/bin/env python3
"""Every schedule's predicted time against the balanced bound, per mask (issue 19's last done-when line).

    scripts/tiling/bound_table.py CPBENCH MACHINE OUTDIR [--world 8,64] [--node-size 8] [-S 524288[,...]]
                                  [--masks full,...] [--transport nccl] [--solver greedy|milp]

The balanced bound of a point is its mask's attention FLOPs / P at the dense cuDNN rate of
one GPU: the fastest full-mask (non-causal) call of MACHINE's kernel table at the point's
head dim and dtype, measured on one GPU (D = 128, bf16 on the H100 file: 696 TFLOP/s).
It is what a schedule would take with the work spread evenly, every call at the best
dense rate and every byte hidden, so no prediction goes below it. (The rate the table
gives one call at the point's own heads can be lower -- e.g. about 544 TFLOP/s for 64
query and 8 key heads at S = 65536 in the H100 file, a price extrapolated from its 8- and
32-head entries -- and schedules whose per-rank calls it prices faster would then beat
such a "bound".) The mask's FLOPs / P come from the records (TFLOP/s per GPU x time), which
must agree across the schedules of a cell.

`cpbench simulate` runs one config per model shape -- MHA (H = Hkv = 32), GQA (H = 64,
Hkv = 8) and one head (H = 1) at D = 128, bf16 -- over every mask (or --masks), ring, zigzag ring,
Ulysses, USP (u = 8) and tiled (tile_u 1 and 8), at the given world sizes with
--node-size GPUs per node (the machine file's inter-node links beyond one node). Writes
OUTDIR/<shape>.json (the records) and OUTDIR/bound.md: per shape, mask and P, each schedule's predicted time over the bound
("-": the schedule cannot split the point), the better tiled variant's ratio, and the
predicted speedup of that tiled variant over ring. "best tiled" is the better of two
variants chosen on the same predictions it reports (best of 2, labelled so).
"""
import argparse
import json
import os
import subprocess
import sys

MASKS = ["full", "causal", "strided", "global_local", "star", "streaming", "document", "block_causal",
         "sliding_window"]
SCHEDULES = ["ring", "zigzag_ring", "ulysses", "usp", "tiled"]
SHAPES = {"mha": (32, 32), "gqa": (64, 8), "one_head": (1, 1)}


def simulate(cpbench, machine, config, out, extra):
    subprocess.run([cpbench, "simulate", "-c", config, "--machine", machine, "--out", out, "--force", "--quiet"] +
                   extra, check=True, stdout=subprocess.DEVNULL)
    return json.load(open(out))["points"]


def dense_rate(machine, d, dtype="bf16"):
    """The fastest full-mask call of the machine's kernel table at head dim d [TFLOP/s]."""
    best = 0.0
    for e in json.load(open(machine))["attention"]:
        if e["causal"] or e["head_dim"] != d or e["dtype"] != dtype:
            continue
        flops = 4.0 * e["heads"] * d * e["q_tokens"] * e["k_tokens"]
        best = max(best, flops / (e["ms"] * 1e-3) / 1e12)
    if best == 0:
        sys.exit("bound_table: %s has no full-mask %s entry at head dim %d" % (machine, dtype, d))
    return best


def variant(p):
    if p["schedule"] != "tiled":
        return p["schedule"]
    return "tiled u=%d" % p["params"].get("tile_u", 1)


def row(n, m, w, c, variants):
    """One table row: each variant's time over the bound, the better tiled one, its speedup over ring."""
    ratio = lambda v: "-" if v not in c else "%.2f" % (c[v] / c["bound"])
    tiled = [v for v in ("tiled u=1", "tiled u=8") if v in c]
    best = min(tiled, key=lambda v: c[v]) if tiled else None
    best_cell = "-" if best is None else "%.2f (%s)" % (c[best] / c["bound"], best[6:])
    vs_ring = "-" if best is None or "ring" not in c else "%.2fx" % (c["ring"] / c[best])
    return "| %d | %s | %d | %.1f | %s | %s | %s |" % (n, m, w, c["bound"], " | ".join(ratio(v) for v in variants),
                                                      best_cell, vs_ring)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cpbench")
    ap.add_argument("machine")
    ap.add_argument("outdir")
    ap.add_argument("--world", default="8,64")
    ap.add_argument("--node-size", type=int, default=8)
    ap.add_argument("-S", default="524288", help="sequence lengths, comma-separated")
    ap.add_argument("--masks", default=",".join(MASKS))
    ap.add_argument("-D", type=int, default=128)
    ap.add_argument("--transport", default="nccl")
    ap.add_argument("--solver", default="milp", choices=["greedy", "milp"])
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    worlds = [int(w) for w in a.world.split(",")]
    lengths = [int(x) for x in a.S.split(",")]
    masks = a.masks.split(",")
    variants = ["ring", "zigzag_ring", "ulysses", "usp", "tiled u=1", "tiled u=8"]
    rate = dense_rate(a.machine, a.D)
    lines = []
    for name, (h, hkv) in SHAPES.items():
        cfg = os.path.join(a.outdir, "%s_config.json" % name)
        json.dump({"name": "bound_" + name, "world_size": worlds,
                   "axes": {"schedule": SCHEDULES, "S": lengths, "H": h, "Hkv": hkv, "D": a.D, "mask": masks,
                            "mask_window": min(lengths) // 8, "dtype": "bf16", "transport": a.transport, "usp_u": 8,
                            "tile_solver": a.solver, "tile_u": [1, 8]}}, open(cfg, "w"), indent=1)
        points = simulate(a.cpbench, a.machine, cfg, os.path.join(a.outdir, "%s.json" % name),
                          ["--world", a.world, "--node-size", str(a.node_size)])
        cell = {}
        for p in points:
            if p["status"] != "PASS":
                continue
            t = p["time_ms"]["p50"]
            per_rank_tflop = p["tflops_per_gpu"] * t * 1e-3  # the mask's FLOPs / P [TFLOP]
            bound_ms = per_rank_tflop / rate * 1e3
            c = cell.setdefault((p["params"]["S"], p["params"]["mask"], p["params"]["P"]), {"bound": bound_ms})
            if abs(c["bound"] - bound_ms) > 1e-9 * bound_ms:
                sys.exit("bound_table: the schedules of %s disagree on the mask's FLOPs" % (p["params"],))
            c[variant(p)] = t
        lines += ["", "### %s: H = %d, Hkv = %d, D = %d" % (name, h, hkv, a.D), "",
                  "| S | mask | P | bound [ms] | " + " | ".join(variants) +
                  " | best tiled (best of 2) | best tiled vs ring |",
                  "|---|---|---|---|" + "---|" * (len(variants) + 2)]
        for n, m, w in ((n, m, w) for n in lengths for m in masks for w in worlds):
            c = cell.get((n, m, w))
            if c:
                lines.append(row(n, m, w, c, variants))
    head = ("Predicted time / balanced bound (the mask's FLOPs / P at %.0f TFLOP/s, the fastest dense call of the "
            "machine's kernel table); machine %s, transport %s, %d GPUs per node, tile_solver %s.\n" %
            (rate, os.path.basename(a.machine), a.transport, a.node_size, a.solver))
    table = head + "\n".join(lines) + "\n"
    open(os.path.join(a.outdir, "bound.md"), "w").write(table)
    sys.stdout.write(table)


if __name__ == "__main__":
    main()
