#!/usr/bin/env python3
"""table.md of this directory from sim.json and cross_node.txt (see README.md)."""
import json
import re

cross = {}
for line in open("cross_node.txt"):
    m = re.match(r"P=(\d+)\s+(\S+)\s+across nodes \(max per node\)\s+([\d.]+) ->\s+([\d.]+)", line)
    cross[(int(m.group(1)), m.group(2))] = (float(m.group(3)), float(m.group(4)))
rows = {}
for p in json.load(open("sim.json"))["points"]:
    rows.setdefault((p["params"]["P"], p["params"]["mask"]), {})[p["params"].get("tile_node", 1)] = p
print("| P | mask | across nodes, max per node [MiB]: device -> node | bytes per rank, max [MiB]: device -> node "
      "| predicted [ms]: device -> node | node / device | assignment |")
print("|---|---|---|---|---|---|---|")
for (P, m), r in sorted(rows.items()):
    a, b = r[1], r[8]
    c = cross[(P, m)]
    two = "node_ranks" in b["planner"]
    if two:
        assert abs(c[1] - b["planner"]["node_cross_bytes"] / 2**20) < 0.1, (P, m)
    print(f"| {P} | {m} | {c[0]:.0f} -> {c[1]:.0f} | {a['planner']['objective_bytes'] / 2**20:.0f} -> "
          f"{b['planner']['objective_bytes'] / 2**20:.0f} | {a['time_ms']['p50']:.1f} -> {b['time_ms']['p50']:.1f} | "
          f"{b['time_ms']['p50'] / a['time_ms']['p50']:.3f} | {'two levels' if two else 'device level (fallback)'} |")
