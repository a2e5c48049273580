#!/usr/bin/env python3
"""The power-limit artefact in committed GPU result files (docs/METRICS.md, "Compute at
the plan's conditions"): per interconnect profile and transport, over the serial Ulysses
rows of at least 5 ms, how much faster their attention ran inside the plan than alone
(attn_tflops / attn_standalone_tflops), how far serial Ulysses came in under its parts
timed alone (T / (T_comp + T_comm)), and the scale cpbench now applies to the
compute-only part (comp_scale); over the other rows, eta and rho from the parts as timed
alone (eta_unmatched, rho_unmatched) against eta and rho at the plan's conditions.
Reads every file through `cpbench report --format csv`, which recomputes the derived
figures with today's definitions.

    scripts/results/power_artefact.py CPBENCH FILE.json ... > table.md

Exit code 0; 2 when a file cannot be reported.
"""
import csv
import io
import statistics
import subprocess
import sys


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def num(row, key):
    try:
        return float(row[key])
    except (KeyError, ValueError):
        return None


def rows_of(binary, path):
    out = subprocess.run([binary, "report", path, "--format", "csv"], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"power_artefact: cpbench report {path} exited {out.returncode}: {out.stderr.strip()}")
    return [r for r in csv.DictReader(io.StringIO(out.stdout)) if r.get("status") == "PASS"]


def spread(values):
    if not values:
        return "-"
    return f"{statistics.median(values):.3f} [{min(values):.3f}, {max(values):.3f}]"


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, paths = sys.argv[1], sys.argv[2:]
    groups = {}
    for path in paths:
        for r in rows_of(binary, path):
            key = (r.get("profile", ""), r.get("transport", ""))
            g = groups.setdefault(key, {"attn": [], "closure": [], "scale": [], "eta": [], "eta_raw": [],
                                        "rho": [], "rho_raw": []})
            t, comp, comm = num(r, "time_ms.p50"), num(r, "comp_ms"), num(r, "comm_ms")
            if r["schedule"] == "ulysses" and t and t >= 5 and comp and comm:
                inplan, alone = num(r, "attn_tflops"), num(r, "attn_standalone_tflops")
                if inplan and alone:
                    g["attn"].append(inplan / alone)
                g["closure"].append(t / (comp + comm))
                if num(r, "comp_scale") is not None:
                    g["scale"].append(num(r, "comp_scale"))
            elif r["schedule"] != "ulysses" and num(r, "eta_unmatched") is not None:
                g["eta"].append(num(r, "eta"))
                g["eta_raw"].append(num(r, "eta_unmatched"))
                g["rho"].append(num(r, "rho"))
                g["rho_raw"].append(num(r, "rho_unmatched") or num(r, "rho"))
    print("| profile | transport | Ulysses rows | attention in plan / alone | T / (T_comp + T_comm) |"
          " comp_scale | other rows | eta unmatched | eta | rho unmatched | rho |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (profile, transport), g in sorted(groups.items()):
        if not g["closure"]:
            continue
        print(f"| {profile} | {transport} | {len(g['closure'])} | {spread(g['attn'])} | {spread(g['closure'])} |"
              f" {spread(g['scale'])} | {len(g['eta'])} | {spread(g['eta_raw'])} | {spread(g['eta'])} |"
              f" {spread(g['rho_raw'])} | {spread(g['rho'])} |")
    print("\nmedian [min, max] over the rows; attention in plan / alone is the speed ratio (above 1: faster"
          " inside the plan); rows: PASS, Ulysses rows of T >= 5 ms.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
