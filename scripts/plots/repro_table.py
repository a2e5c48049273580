#!/usr/bin/env python3
"""The HCMS paper reproduction table: our numbers beside the paper's, point by point.

For every problem (P, S, H, ..., profile) of the given result files, one row: the time of
Ulysses over nccl (the reference row of docs/METRICS.md), the fastest HCMS variant (its
chunks or chunk_heads and its transport) with its speedup over that Ulysses, its overlap
efficiency eta, the problem's rho and overlap bound, the fastest HCMS over nccl only, the
fastest HCMS against Ring over nccl, and the paper's figure for that point from
configs/paper/hcms_paper_numbers.json (which holds only numbers found in the paper, with
their source; a point it has no number for reads "not found"). One table per profile.

Several result files may be given (e.g. the main, chunks and splits sweeps of one run):
a speedup always compares two rows of the same file (measured minutes apart on the same
machine), and the best HCMS is the one with the highest speedup over its own file's
Ulysses; HCMS with one chunk (Ulysses by HCMS' plan) is not a candidate. Where a file
has no nccl Ulysses row (the CPU runtime has only mpi), the Ulysses row of another
transport is the reference and the cell names it.

Example: scripts/plots/repro_table.py out/hcms_p2_*.json -o out/repro_table.md
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys

import cpb_results as cr

FRAME_TOKENS = 6240
DEFAULT_PAPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "paper",
                             "hcms_paper_numbers.json")


def problem_key(record, reg):
    params = record.get("params") or {}
    # Params that are not part of the problem (docs/METRICS.md, "the same problem"): the
    # schedule options, the levers and the transport.
    not_problem = set(cr.option_keys(record, reg)) | {"transport"}
    return tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in params.items() if k not in not_problem))


def levers_set(record, reg):
    """Whether a lever or a how-option (qkv_layout) is off its registry default: what a
    reference row must leave unset."""
    params = record.get("params") or {}
    return any(not reg.at_default(k, params.get(k)) for k in tuple(reg.levers) + reg.how_options)


def transport(record):
    return str(cr.field(record, "params", "transport") or "?")


def reference(rows, schedule, reg):
    """The reference row of a schedule among one file's rows of one problem: with no lever
    (or how-option) set, over the first transport of the registry's order that has one
    (nccl, the cuda runtime's default, first)."""
    timed = [r for r in rows if cr.schedule(r) == schedule and cr.time_ms(r) is not None and not levers_set(r, reg)]
    timed.sort(key=lambda r: reg.order(reg.transports, transport(r)))
    return timed[0] if timed else None


def single_chunk(record, reg):
    """HCMS with one chunk is Ulysses run by HCMS' plan: no overlap, not a candidate."""
    return cr.chunk_count(record, reg) == 1


def variant(record, reg):
    """'C=4 / ce', 'heads=4,3,3 inputs_first / nccl': the split, then what is off its
    registry default: a named option that every record carries (not omitted at its default,
    e.g. comm_order) by its value alone; the other options, the levers and the how-options
    (qkv_layout), in that order, as name=value."""
    params = record.get("params") or {}
    others = [k for k in reg.options if k not in reg.split_options]
    bare = [k for k in others if reg.options[k]["kind"] == "name" and not reg.options[k]["omit_default"]]
    named = [k for k in others if k not in bare and k not in reg.how_options] + list(reg.levers) + \
        list(reg.how_options)
    label = cr.split_label(record, reg, missing="?")
    label += "".join(f" {params[k]}" for k in bare if not reg.at_default(k, params.get(k)))
    label += "".join(f" {k}={params[k]}" for k in named if not reg.at_default(k, params.get(k)))
    return f"{label} / {transport(record)}"


def fmt_ms(t):
    if t is None:
        return "—"
    return f"{t:.4g}" if t < 1000 else f"{t:.0f}"


def fmt_x(x):
    return "—" if x is None else f"{x:.3f}×"


def fmt_num(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def load_paper(path):
    if path is None or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"error: {path}: {e}", file=sys.stderr)
        sys.exit(2)


def paper_cell(paper, params):
    """The paper's figure(s) for one of our points: exact points first, then range claims
    whose scope holds the point; 'not found' when neither."""
    if not paper:
        return "not found"
    for p in paper.get("points", []):
        match = p.get("match", {})
        if all(params.get(k) == v for k, v in match.items()):
            return p.get("cell", "not found")
    cells = []
    for c in paper.get("claims", []):
        scope = c.get("scope")
        if not scope or not c.get("cell"):
            continue
        s = params.get("S")
        if s is None or not (scope.get("S_min", 0) <= s <= scope.get("S_max", float("inf"))):
            continue
        if "P" in scope and params.get("P") not in scope["P"]:
            continue
        if "profile" in scope and params.get("profile") not in scope["profile"]:
            continue
        cells.append(f"{c['cell']} [{c['id']}]")
    return "; ".join(cells) if cells else "not found"


def build_rows(paths):
    # file index -> problem key -> rows
    by_file = []  # (groups, the file's registry)
    provenances = []
    for path in paths:
        provenance, points = cr.load_or_exit(path)
        provenances.append(provenance)
        reg = cr.registry(provenance)
        groups = collections.defaultdict(list)
        for r in points:
            if cr.schedule(r) in ("ulysses", "hcms", "ring"):
                groups[problem_key(r, reg)].append(r)
        by_file.append((groups, reg))
    keys = []
    for groups, _ in by_file:
        for k in groups:
            if k not in keys:
                keys.append(k)

    rows = []
    untimed = []
    for key in keys:
        params = {k: json.loads(v) for k, v in key}
        best = best_nccl = None  # (speedup, record, U record, R record, the file's registry)
        first_u = None
        for groups, reg in by_file:
            recs = groups.get(key, [])
            u = reference(recs, "ulysses", reg)
            ring = reference(recs, "ring", reg)
            if u is not None and first_u is None:
                first_u = (u, ring, reg)
            if u is None:
                continue
            for r in recs:
                if cr.schedule(r) != "hcms" or cr.time_ms(r) is None or single_chunk(r, reg):
                    continue
                sp = cr.time_ms(u) / cr.time_ms(r)
                cand = (sp, r, u, ring, reg)
                if best is None or sp > best[0]:
                    best = cand
                if transport(r) == transport(u) and (best_nccl is None or sp > best_nccl[0]):
                    best_nccl = cand
        if best is None and first_u is None:
            # Nothing timed for this problem (every point SKIPPED or FAILED): say why, once.
            recs = [r for g, _ in by_file for r in g.get(key, []) if cr.schedule(r) in ("ulysses", "hcms")]
            why = next((f"{r.get('status')}: {r.get('reason')}" if r.get("reason") else str(r.get("status"))
                        for r in recs if r.get("status") != "PASS"), "no ulysses or hcms point")
            untimed.append((params, why))
            continue
        u = best[2] if best else first_u[0]
        ring = best[3] if best else first_u[1]
        rec = best[1] if best else None
        reg = best[4] if best else first_u[2]
        vs_ring, chained = None, False
        if rec is not None and ring is not None:
            vs_ring = cr.time_ms(ring) / cr.time_ms(rec)
        elif rec is not None:
            # Ring ran in another file: chain the two within-file ratios through Ulysses,
            # T_R / T = (T_R / T_U') * (T_U / T), rather than compare times across runs.
            for groups, reg in by_file:
                recs = groups.get(key, [])
                u2, r2 = reference(recs, "ulysses", reg), reference(recs, "ring", reg)
                if u2 is not None and r2 is not None:
                    vs_ring, chained = cr.time_ms(r2) / cr.time_ms(u2) * best[0], True
                    break
        rows.append({
            "params": params,
            "u": u, "ring": ring, "best": rec, "reg": reg,
            "speedup": best[0] if best else None,
            "speedup_same_transport": best_nccl[0] if best_nccl else None,
            "vs_ring": vs_ring, "vs_ring_chained": chained,
        })
    return rows, provenances, untimed


def render(rows, provenances, untimed, paths, paper):
    out = []
    out.append("# HCMS paper reproduction: our numbers beside the paper's")
    out.append("")
    out.append("Sources: " + ", ".join(f"`{p}`" for p in paths) + ".")
    runs = []
    for prov in provenances:
        bits = [str(prov.get(k)) for k in ("runtime", "date") if prov.get(k)]
        gpus = prov.get("gpus")
        if isinstance(gpus, list) and gpus:
            bits.insert(0, ", ".join(sorted({str(g) for g in gpus})))
        if prov.get("world_size"):
            bits.append(f"{prov['world_size']} ranks")
        runs.append(" · ".join(bits) or "?")
    out.append("Runs (in the order of the sources): " + "; ".join(runs) + ".")
    if paper and paper.get("paper"):
        pp = paper["paper"]
        out.append(f"Paper: {pp.get('title', '?')} ({pp.get('id', '?')}, {pp.get('url', '?')}).")
    out.append("")
    out.append("Columns: **U nccl**: p50 time of Ulysses over nccl (another transport is named when "
               "the file has no nccl row); **ρ**, **bound**: communication ratio of serial Ulysses and "
               "the overlap bound 1/max(ρ, 1-ρ); **best HCMS**: the HCMS variant with the highest speedup "
               "over U nccl (any transport), its time, speedup **×U** and overlap efficiency **η**; "
               "**HCMS nccl ×U**: the best HCMS that also moves its bytes over nccl; **×Ring**: best HCMS "
               "against Ring over nccl (‡: Ring ran in another file of the sources, so the ratio is chained through that file's Ulysses, T_R/T_U' · T_U/T); **paper**: the paper's figure for the point "
               "(configs/paper/hcms_paper_numbers.json; a range claim is marked with its id). "
               "docs/METRICS.md defines every metric; docs/REPRODUCING.md says what differs.")
    profiles = []
    for row in rows:
        prof = row["params"].get("profile", "?")
        if prof not in profiles:
            profiles.append(prof)
    reg = cr.registry(provenances[0] if provenances else None)
    for prof in sorted(profiles, key=lambda p: reg.order(reg.profiles, p)):
        out.append("")
        out.append(f"## profile {prof}")
        out.append("")
        out.append("| P | H | S | frames | U nccl [ms] | ρ | bound | best HCMS | time [ms] | ×U | η | HCMS nccl ×U | ×Ring | paper |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|")
        mine = [r for r in rows if r["params"].get("profile", "?") == prof]
        mine.sort(key=lambda r: tuple(r["params"].get(k, 0) if isinstance(r["params"].get(k, 0), int) else 0
                                      for k in ("P", "H", "S", "Hkv", "D", "B")))
        for r in mine:
            p = r["params"]
            u, best, reg = r["u"], r["best"], r["reg"]
            s = p.get("S")
            frames = str(s // FRAME_TOKENS) if isinstance(s, int) and s % FRAME_TOKENS == 0 else "—"
            u_cell = fmt_ms(cr.time_ms(u)) if u is not None else "—"
            # The column's transport is the registry's first (nccl); another is named.
            if u is not None and transport(u) != reg.transports[0]:
                u_cell += f" ({transport(u)})"
            src = best if best is not None else u
            rho = cr.number(src, "rho") if src is not None else None
            rho_cell = fmt_num(rho)
            if src is not None and cr.field(src, "rho_source") == "self":
                rho_cell += "*"
            # The Wan2.x shape (Hkv = H, D=128, B=1, full, bf16) goes without saying.
            usual = {"Hkv": p.get("H"), "D": 128, "B": 1, "mask": "full", "dtype": "bf16"}
            extras = [f"{k}={p[k]}" for k in usual if k in p and p[k] != usual[k]]
            h_cell = str(p.get("H", "?")) + (f" ({' '.join(extras)})" if extras else "")
            out.append("| " + " | ".join([
                str(p.get("P", "?")), h_cell, str(s), frames, u_cell, rho_cell,
                fmt_num(cr.number(src, "bound") if src is not None else None),
                variant(best, reg) if best is not None else "no timed HCMS",
                fmt_ms(cr.time_ms(best)) if best is not None else "—",
                fmt_x(r["speedup"]),
                fmt_num(cr.number(best, "eta") if best is not None else None),
                fmt_x(r["speedup_same_transport"]),
                fmt_x(r["vs_ring"]) + (" ‡" if r["vs_ring_chained"] else ""),
                paper_cell(paper, p),
            ]) + " |")
    if untimed:
        out.append("")
        out.append("## Problems with no timed point")
        out.append("")
        reasons = collections.OrderedDict()
        for params, why in untimed:
            reasons.setdefault((params.get("profile", "?"), why), []).append(params)
        for (prof, why), ps in reasons.items():
            pts = ", ".join(f"P={q.get('P')} H={q.get('H')} S={q.get('S')}" for q in ps[:8])
            more = f" and {len(ps) - 8} more" if len(ps) > 8 else ""
            out.append(f"- profile {prof}: {pts}{more}: {why}")
    if paper:
        out.append("")
        out.append("## The paper's figures used above, and the ones with no point to sit beside")
        out.append("")
        for c in paper.get("claims", []):
            if "value" in c:
                figure = f"{c['value']}"
            elif "min" in c and "max" in c:
                figure = f"{c['min']}–{c['max']}"
            else:
                figure = "?"
            figure += f" ({c['quantity']})" if c.get("quantity") else ""
            shown = f"; shown as \"{c['cell']}\"" if c.get("cell") else "; no row of ours sits beside it"
            out.append(f"- **{c.get('id')}**: {figure}{shown}. \"{c.get('text', '')}\" ({c.get('source', '?')})"
                       f"{'. ' + c['note'] if c.get('note') else ''}")
        if not paper.get("points"):
            out.append("- per-point numbers (times, speedups per S/H/P/platform, chunk sweeps, ρ, η): "
                       "not found (see configs/paper/hcms_paper_numbers.json, `not_found`)")
    out.append("")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="Reads only result JSON files; see docs/REPRODUCING.md.")
    ap.add_argument("results", nargs="+", metavar="RESULT.json", help="cpbench result files")
    ap.add_argument("--paper", default=DEFAULT_PAPER, metavar="FILE",
                    help="the paper's numbers (default configs/paper/hcms_paper_numbers.json); 'none' leaves them out")
    ap.add_argument("-o", "--out", metavar="OUT.md", help="write the table here (default: stdout)")
    args = ap.parse_args(argv)
    paper = None if args.paper == "none" else load_paper(args.paper)
    if args.paper != "none" and paper is None:
        print(f"note: {args.paper} not found; the paper column reads 'not found'", file=sys.stderr)
    # A part of scripts/sweep_profiles.sh (X.nvlink.json, X.pcie.json) is already in X.json.
    given = set(args.results)
    paths, parts = [], []
    for path in args.results:
        stem = path[: -len(".json")] if path.endswith(".json") else None
        whole = next((stem[: -len(tag)] + ".json" for tag in ("." + p for p in cr.registry().profiles)
                      if stem is not None and stem.endswith(tag)), None)
        (parts if whole in given else paths).append(path)
    if parts:
        print(f"note: left out {len(parts)} part file(s) whose merged file is given too: {' '.join(parts)}",
              file=sys.stderr)
    args.results = paths
    rows, provenances, untimed = build_rows(args.results)
    if not rows:
        print("error: no timed ulysses or hcms point in " + ", ".join(args.results), file=sys.stderr)
        return 1
    text = render(rows, provenances, untimed, args.results, paper)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
