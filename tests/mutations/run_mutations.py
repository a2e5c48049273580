#!/usr/bin/env python3
"""Runs the mutation suite (tests/mutations/plan_mutations.hpp) through cpbench_mutations
and checks it: every mutated point must be FAILED, every clean point PASS. Prints the
table of docs/METRICS.md ("Mutation tests") and writes the rows as JSON (--out).

Suites: cpu (the CPU test sizes, run by ctest), cpu-large (the sizes at which the old
inputs let mutations pass, CPU runtime), gpu (one GPU, S >= 32768,
scripts/device/mutations_gpu.sh). Every mutation must be FAILED at some point of the
suite and at every point it applies to (NOT_APPLICABLE is accepted on one rank only),
every clean run PASS; --undetectable names a mutation that is run and tabled but not
checked. Exit 1 when a check fails."""
import argparse
import json
import subprocess
import sys

MUTATIONS = {
    # mutation: the schedules it is planted in
    "equal_weight_merge": ["ring", "zigzag_ring", "usp"],
    "scale_1pct": ["ulysses", "ring", "hcms"],
    "skip_ring_step": ["ring", "zigzag_ring", "usp"],
    "chunk_head_shift": ["hcms"],
    "row_offset": ["ulysses", "ring", "zigzag_ring", "hcms", "usp"],
    # Backward mutations run with pass fwd_bwd (BACKWARD), as do their schedules' clean runs.
    "bwd_scale_1pct": ["ulysses", "hcms", "ring", "zigzag_ring", "usp", "tiled"],
    "bwd_drop_partial": ["ulysses", "hcms"],
}
BACKWARD = {m for m in MUTATIONS if m.startswith("bwd_")}
BACKWARD_SCHEDULES = sorted({s for m in BACKWARD for s in MUTATIONS[m]})

# (ranks, shape) of each suite; each mutation runs on every shape with its schedules,
# and the clean plan ("none") of every schedule runs on every shape.
SUITES = {
    "cpu": [
        (2, dict(S=256, H=4, D=32, mask="full")),
        (4, dict(S=512, H=8, Hkv=4, D=32, mask="causal")),
    ],
    # One GPU (P = 1): Ring and USP have no merge there, zigzag_ring's causal plan has
    # (its two chunks), so the merge mutations run in zigzag_ring's causal point.
    "gpu": [
        (1, dict(S=32768, H=16, D=128, mask="full")),
        (1, dict(S=65536, H=16, Hkv=4, D=128, mask="causal")),
    ],
}
# The points at which the old inputs let a mutation pass (issue 16), on the CPU runtime:
# (ranks, schedule, mutation, shape), each with its clean run.
LARGE = [
    (2, "ulysses", "scale_1pct", dict(S=32768, H=2, D=32, mask="full")),
    (2, "ring", "equal_weight_merge", dict(S=49152, H=1, D=32, mask="full")),
]


def points(suite):
    if suite == "cpu-large":
        for ranks, schedule, mutation, shape in LARGE:
            yield ranks, schedule, "none", shape
            yield ranks, schedule, mutation, shape
        return
    for ranks, shape in SUITES[suite]:
        forward = sorted({s for m, ss in MUTATIONS.items() if m not in BACKWARD for s in ss})
        for s in forward:
            yield ranks, s, "none", shape
        for s in BACKWARD_SCHEDULES:
            yield ranks, s, "none", dict(shape, **{"pass": "fwd_bwd"})
        for m, ss in MUTATIONS.items():
            for s in ss:
                yield ranks, s, m, dict(shape, **{"pass": "fwd_bwd"}) if m in BACKWARD else shape


def options(schedule, ranks):
    if schedule == "hcms":
        return {"chunks": 2}
    if schedule == "usp":
        return {"usp_u": 2 if ranks % 2 == 0 and ranks > 2 else 1}
    return {}


def run(args, ranks, schedule, mutation, shape):
    point = dict(shape, **options(schedule, ranks), dtype=args.dtype)
    cmd = [args.mpirun, str(ranks)] if args.mpirun else []
    cmd += [args.binary, "--device", args.device, "--schedule", schedule, "--mutation", mutation]
    for k, v in point.items():
        cmd += ["--" + k, str(v)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if out.returncode != 0 or not lines:
        return dict(point, schedule=schedule, mutation=mutation, P=ranks, verdict="ERROR",
                    error=(out.stderr or out.stdout).strip()[-400:])
    row = json.loads(lines[-1])
    if row.get("mutation") != mutation:
        row.update(verdict="ERROR", error="ran mutation %r, asked for %r" % (row.get("mutation"), mutation))
    return row


def table(rows):
    head = ("| mutation | schedule | pass | P | S | H/Hkv | D | mask | verify | tensor | max_abs_err | err/tol "
            "| err/tol at dtype | verdict |")
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        def num(k, fmt):
            return format(r[k], fmt) if k in r else "-"
        lines.append("| {} | {} | {} | {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            r["mutation"], r["schedule"], r.get("pass", "fwd"), r.get("P"), r.get("S"), r.get("H"), r.get("Hkv"),
            r.get("D"), r.get("mask"), r.get("verify", "-"), r.get("tensor", "o"), num("max_abs_err", ".2e"),
            num("ratio", ".3g"), num("ratio_at_dtype", ".3g"), r["verdict"]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--mpirun", default="", help="scripts/mpirun.sh; empty: run one process")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--suite", default="cpu", choices=sorted(SUITES) + ["cpu-large"])
    ap.add_argument("--dtype", default="bf16")
    ap.add_argument("--out", default="")
    ap.add_argument("--undetectable", action="append", default=[],
                    help="a mutation run and tabled but not checked (below the dtype's rounding budget)")
    args = ap.parse_args()
    rows, bad = [], []
    for ranks, schedule, mutation, shape in points(args.suite):
        rows.append(run(args, ranks, schedule, mutation, shape))
    for r in rows:
        if r["mutation"] in args.undetectable:
            continue
        want = "PASS" if r["mutation"] == "none" else "FAILED"
        # On one rank some plans have no merge or no second head chunk to plant a bug in.
        if r["verdict"] != want and not (r["verdict"] == "NOT_APPLICABLE" and r.get("P") == 1):
            bad.append(r)
    for m in sorted({r["mutation"] for r in rows} - {"none"}):
        if m in args.undetectable:
            continue
        if not any(r["mutation"] == m and r["verdict"] == "FAILED" for r in rows):
            bad.append({"mutation": m, "error": "not FAILED at any point of the suite"})
    print(table(rows))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    for r in bad:
        print("UNEXPECTED: " + json.dumps(r), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
