#!/usr/bin/env python3
"""Bytes per rank of every schedule under every mask, from the plans (issue 19, item 6).

    scripts/tiling/bytes_table.py CPBENCH OUTDIR [--world 2,4,8,64] [-S 524288] [-H 32] [--hkv 32] [-D 128]
                                  [--solver greedy|milp] [--tile-u 1,2,4,8]

Runs `cpbench simulate` over one config (every mask x every schedule, one shape) on a
machine file calibrated on the CPU runtime, whose kernel table is extended with head-dim
placeholders so that any D is costable: the times it predicts mean nothing, but each
record's `comm_bytes_per_rank` (the largest bytes a rank sends, from the schedule's
model, which the plan checks hold equal to the plan) and the tiled records' `planner`
(the assignment's objective: the largest send or receive volume, and its lower bound)
are exact. Writes OUTDIR/bytes.json (the records) and OUTDIR/bytes.md (the table, MiB
per rank; `-` where the schedule cannot split the problem; the tiled assignment's
objective, lower bound and how its solver ended). With several --tile-u values, the
column "tiled, best u" gives the least bytes of the tiled schedule over the Ulysses degrees
that split the problem (tile_u: heads over groups of u ranks, tiles over P / u), and its u;
the objective, bound and solver columns stay those of u = 1.
"""
import argparse
import json
import os
import subprocess
import sys

MASKS = ["full", "causal", "strided", "global_local", "star", "streaming", "document", "block_causal",
         "sliding_window"]
SCHEDULES = ["ring", "zigzag_ring", "ulysses", "usp", "tiled"]


# Any committed probe gives the NCCL transport a model; no bytes depend on it either.
PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "results", "h200x2",
                     "2026-11-22_probe_nvlink.json")


def machine_file(cpbench, outdir, head_dim):
    path = os.path.join(outdir, "cpu_machine.json")
    if os.path.exists(path):
        os.remove(path)
    subprocess.run([cpbench, "calibrate", "--device", "cpu", "--quick", "-q", "--out", path, "--from", PROBE],
                   check=True, stdout=subprocess.DEVNULL)
    d = json.load(open(path))
    # Placeholders of the head dim asked for; no number of this table depends on them.
    d["attention"] += [{"causal": c, "dtype": "bf16", "head_dim": head_dim, "heads": 1, "k_tokens": 1024,
                        "kv_heads": 1, "ms": 1.0, "q_tokens": 1024} for c in (False, True)]
    json.dump(d, open(path, "w"))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cpbench")
    ap.add_argument("outdir")
    ap.add_argument("--world", default="2,4,8,64")
    ap.add_argument("-S", type=int, default=524288)
    ap.add_argument("-H", type=int, default=32)
    ap.add_argument("--hkv", type=int, default=32)
    ap.add_argument("-D", type=int, default=128)
    ap.add_argument("--solver", default="milp", choices=["greedy", "milp"])
    ap.add_argument("--tile-u", default="1", help="tiled Ulysses degrees, comma-separated; 1 among them")
    a = ap.parse_args()
    tile_us = [int(u) for u in a.tile_u.split(",")]
    if 1 not in tile_us:
        ap.error("--tile-u must include 1 (the tiled, objective, bound and solver columns are those of u = 1)")
    os.makedirs(a.outdir, exist_ok=True)
    worlds = [int(w) for w in a.world.split(",")]
    config = {"name": "bytes_table", "world_size": worlds,
              "axes": {"schedule": SCHEDULES, "S": a.S, "H": a.H, "Hkv": a.hkv, "D": a.D, "mask": MASKS,
                       "mask_window": a.S // 8, "dtype": "bf16", "transport": "nccl", "usp_u": 2,
                       "tile_solver": a.solver, "tile_u": tile_us}}
    cfg = os.path.join(a.outdir, "bytes_config.json")
    json.dump(config, open(cfg, "w"), indent=1)
    out = os.path.join(a.outdir, "bytes.json")
    subprocess.run([a.cpbench, "simulate", "-c", cfg, "--machine", machine_file(a.cpbench, a.outdir, a.D),
                    "--out", out, "--force", "--quiet"], check=True)
    points = json.load(open(out))["points"]
    cell = {}
    for p in points:
        if p["status"] != "PASS":
            continue
        key = (p["params"]["mask"], p["params"]["P"])
        mib = p["comm_bytes_per_rank"] / 2**20
        u = p["params"].get("tile_u", 1)
        if p["schedule"] == "tiled":
            best = cell.setdefault(key, {}).get("best")
            if best is None or mib < best[0]:
                cell[key]["best"] = (mib, u)
        if p["schedule"] == "tiled" and u != 1:
            continue
        cell.setdefault(key, {})[p["schedule"]] = mib
        if p["schedule"] == "tiled":
            cell[key]["bound"] = p["planner"]["bound_bytes"] / 2**20
            cell[key]["objective"] = p["planner"]["objective_bytes"] / 2**20
            cell[key]["status"] = "%s, %.1f s" % (p["planner"]["status"], p["planner"]["solve_s"])
    several_u = len(tile_us) > 1
    best_head = " | tiled, best u" if several_u else ""
    lines = ["| mask | P | " + " | ".join(SCHEDULES) + best_head + " | tiled objective | its lower bound | solver |",
             "|---|---|" + "---|" * (len(SCHEDULES) + 3 + several_u)]
    fmt = lambda v: "-" if v is None else ("%.1f" % v if v >= 0.1 else "%.3f" % v)
    for m in MASKS:
        for w in worlds:
            c = cell.get((m, w), {})
            best = ""
            if several_u:
                best = " | -" if "best" not in c else " | %s (u=%d)" % (fmt(c["best"][0]), c["best"][1])
            cols = " | ".join(fmt(c.get(s)) for s in SCHEDULES)
            lines.append("| %s | %d | %s%s | %s | %s | %s |" % (m, w, cols, best, fmt(c.get("objective")),
                                                              fmt(c.get("bound")), c.get("status", "-")))
    table = "\n".join(lines) + "\n"
    open(os.path.join(a.outdir, "bytes.md"), "w").write(table)
    sys.stdout.write(table)


if __name__ == "__main__":
    main()
