#!/usr/bin/env python3
"""The simulator against measurements (issue 18, docs/SIMULATOR.md "Validation"): every
PASS point of the given result files simulated on a machine model and compared with its
measured time. Each file's own config (provenance.config) is simulated at the file's
world size with `cpbench simulate`; records are matched by their schedule and params.

    scripts/sim/validate.py [--part time|comm|comp] CPBENCH MACHINE.json OUT_DIR RESULT.json ...

--part comm compares the comm-only parts (comm_ms) instead of the whole times: they need
no kernel table (a comm-only plan has no compute step), so they can be checked before
one is measured. --part comp compares the compute-only parts (comp_ms): the kernel table
and the copy and merge models without any exchange, which separates the kernels' error
from the comm model's and the overlap's.

Writes OUT_DIR/validation.md (the error table by P, profile and transport, and how often
the prediction names a problem's fastest variant and its fastest schedule, over all
problems and over the decisive ones), OUT_DIR/validation.csv (one row per point) and
OUT_DIR/validation_scatter.png (predicted against measured). Prints the summary line last.
Exit code 0; 2 on bad input or a failed simulate.
"""
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def key_of(record):
    """A point's identity: its schedule and params (schedules share params: a ring and a
    Ulysses point of one problem and transport have equal params)."""
    return record["schedule"] + json.dumps(record["params"], sort_keys=True)


def how_params(binary):
    """The params that say how, not what, a point solves: the schedules' options and the
    levers of the binary's registry (`cpbench list --format json`), and the transport, as
    cpbench's problem_key leaves them out."""
    out = subprocess.run([binary, "list", "--format", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"validate: {binary} list --format json exited {out.returncode}: {out.stderr.strip()}")
    registry = json.loads(out.stdout)
    return {"transport"} | {o["name"] for o in registry["options"]} | {l["name"] for l in registry["levers"]}


def problem_of(params, how):
    """The problem a point solves: its params less those in `how`."""
    return json.dumps({k: v for k, v in params.items() if k not in how}, sort_keys=True)


def simulate_file(binary, machine, path, work):
    doc = json.load(open(path))
    prov = doc.get("provenance", {})
    world = prov.get("world_size")
    config = prov.get("config")
    if not world or not isinstance(config, dict):
        print(f"validate: {path}: no provenance world_size/config; left out", file=sys.stderr)
        return doc, {}
    config = dict(config)
    config.pop("world_size", None)
    # "auto" ran as the runtime's transport, which the records name: simulate those.
    config["axes"] = dict(config.get("axes", {}))
    config["axes"]["transport"] = sorted({r["params"]["transport"] for r in doc.get("points", [])
                                          if "transport" in r.get("params", {})})
    cfg_path = os.path.join(work, "config.json")
    out_path = os.path.join(work, "sim.json")
    json.dump(config, open(cfg_path, "w"))
    run = subprocess.run([binary, "simulate", "-c", cfg_path, "--machine", machine, "--world", str(world), "--node-size", str(world),
                          "-q", "--force", "--out", out_path], capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"validate: simulate of {path} exited {run.returncode}: {run.stderr.strip()[-2000:]}")
    sim = json.load(open(out_path))
    return doc, {key_of(r): r for r in sim["points"] if r.get("status") == "PASS"}


def main():
    args = sys.argv[1:]
    part = "time"
    if len(args) >= 2 and args[0] == "--part":
        part, args = args[1], args[2:]
    if part not in ("time", "comm", "comp") or len(args) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    binary, machine, out_dir, paths = args[0], args[1], args[2], args[3:]
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    how = how_params(binary)
    with tempfile.TemporaryDirectory() as work:
        for path in paths:
            doc, sim = simulate_file(binary, machine, path, work)
            for r in doc.get("points", []):
                if r.get("status") != "PASS" or r["params"].get("P", 1) < 2:
                    continue
                s = sim.get(key_of(r))
                if not s:
                    continue
                if part in ("comm", "comp"):
                    field = part + "_ms"
                    if not r.get(field) or not s.get(field):
                        continue
                    meas, pred = r[field], s[field]
                else:
                    meas, pred = r["time_ms"]["p50"], s["time_ms"]["p50"]
                rows.append({"file": path, "schedule": r["schedule"], "P": r["params"]["P"],
                             "noise": noise_of(r),
                             "S": r["params"]["S"], "profile": r["params"].get("profile", "nvlink"),
                             "transport": r["params"].get("transport", ""), "measured_ms": meas,
                             "predicted_ms": pred, "error": (pred - meas) / meas,
                             "problem": path + "|" + problem_of(r["params"], how),
                             "label": r["schedule"] + json.dumps({k: v for k, v in r["params"].items()
                                                                  if k in how},
                                                                 sort_keys=True)})
    if not rows:
        print("validate: no point matched", file=sys.stderr)
        return 2
    write_outputs(rows, out_dir, part)
    return 0


def noise_of(record):
    """A record's noise as a fraction of its time, as cpbench compare defines it
    (bench/report/compare.cpp, noise_of): with R >= 2 rounds the between-round CV of
    their p50s over sqrt(R); with one round time_ms.cv; 0 when it has neither."""
    p50s = [r["p50"] for r in record.get("rounds") or [] if isinstance(r, dict) and (r.get("p50") or 0) > 0]
    if len(p50s) < 2:
        return record.get("time_ms", {}).get("cv") or 0.0
    return statistics.stdev(p50s) / statistics.mean(p50s) / len(p50s) ** 0.5


def pct(x):
    return f"{100 * x:.1f}%"


def summary(errors):
    a = sorted(abs(e) for e in errors)
    p90 = a[min(len(a) - 1, int(round(0.9 * (len(a) - 1))))]
    return statistics.median(a), p90, statistics.median(errors)


# The multiple of the combined noise a gap must exceed: cpbench compare's default noise
# factor K (`compare --noise`, default 3: bench/cli/main.cpp), so a decisive gap is one
# compare would not call noise.
DECISIVE_K = 3


def decisive(rs):
    """Whether a problem's measured fastest variant beats the runner-up by more than
    DECISIVE_K times the two points' combined noise, sqrt(n1^2 + n2^2) of the fastest's
    time (n: noise_of); variants closer than that cannot be ranked by any model."""
    first, second = sorted(rs, key=lambda r: r["measured_ms"])[:2]
    gap = (second["measured_ms"] - first["measured_ms"]) / first["measured_ms"]
    return gap > DECISIVE_K * (first["noise"] ** 2 + second["noise"] ** 2) ** 0.5


# Predictions within this fraction of the least are ties: the model cannot tell them apart
# (e.g. Ulysses, HCMS with one chunk and USP with u = P plan the same steps).
TIE = 1e-9


def predicted_best(predicted):
    """The keys whose predicted time lies within TIE of the least (`predicted`: key ->
    predicted time)."""
    least = min(predicted.values())
    return [k for k, t in predicted.items() if t <= least * (1 + TIE)]


def named(measured_best, predicted):
    """Whether the prediction names `measured_best` alone."""
    return predicted_best(predicted) == [measured_best]


def tied(measured_best, predicted):
    """Whether `measured_best` is among two or more keys the prediction ties for least."""
    best = predicted_best(predicted)
    return len(best) > 1 and measured_best in best


def fastest_agreement(rows):
    """(right, problems, right among the decisive, decisive problems, tied): problems with
    two or more variants whose measured fastest the prediction names alone; tied counts
    those where it ties the measured fastest with another variant (not counted right)."""
    problems = {}
    for r in rows:
        problems.setdefault(r["problem"], []).append(r)
    agree = total = agree_d = total_d = ties = 0
    for rs in problems.values():
        if len(rs) < 2:
            continue
        measured_best = min(rs, key=lambda r: r["measured_ms"])["label"]
        predicted = {r["label"]: r["predicted_ms"] for r in rs}
        right = named(measured_best, predicted)
        total += 1
        agree += right
        ties += tied(measured_best, predicted)
        if decisive(rs):
            total_d += 1
            agree_d += right
    return agree, total, agree_d, total_d, ties


def fastest_schedule_agreement(rows):
    """fastest_agreement over schedules instead of variants (issue 18's count names the
    fastest schedule): a schedule's measured time is that of its measured fastest variant,
    its predicted time that of its predicted fastest (each the best of its variants, on
    either side); problems with two or more schedules count, and a problem is decisive
    when its measured fastest schedule's best variant beats the runner-up schedule's by
    more than DECISIVE_K times their combined noise."""
    problems = {}
    for r in rows:
        problems.setdefault(r["problem"], {}).setdefault(r["schedule"], []).append(r)
    agree = total = agree_d = total_d = ties = 0
    for by_schedule in problems.values():
        if len(by_schedule) < 2:
            continue
        measured = {s: min(rs, key=lambda r: r["measured_ms"]) for s, rs in by_schedule.items()}
        predicted = {s: min(r["predicted_ms"] for r in rs) for s, rs in by_schedule.items()}
        measured_best = min(measured, key=lambda s: measured[s]["measured_ms"])
        right = named(measured_best, predicted)
        total += 1
        agree += right
        ties += tied(measured_best, predicted)
        if decisive(list(measured.values())):
            total_d += 1
            agree_d += right
    return agree, total, agree_d, total_d, ties


def write_outputs(rows, out_dir, part):
    with open(os.path.join(out_dir, "validation.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    groups = {}
    for r in rows:
        groups.setdefault((r["P"], r["profile"], r["transport"], r["schedule"]), []).append(r["error"])
    med, p90, bias = summary([r["error"] for r in rows])
    agree, total, agree_d, total_d, ties = fastest_agreement(rows)
    s_agree, s_total, s_agree_d, s_total_d, s_ties = fastest_schedule_agreement(rows)
    lines = ["| P | profile | transport | schedule | points | median abs error | p90 abs error | median signed error |",
             "|---|---|---|---|---|---|---|---|"]
    for (P, profile, transport, schedule), errs in sorted(groups.items()):
        m, p, b = summary(errs)
        lines.append(f"| {P} | {profile} | {transport} | {schedule} | {len(errs)} | {pct(m)} | {pct(p)} | {pct(b)} |")
    lines.append(f"| all | | | | {len(rows)} | {pct(med)} | {pct(p90)} | {pct(bias)} |")
    if part == "time":  # the fastest variant is a question of the whole time only
        lines.append("")
        lines.append(f"Fastest variant of a problem predicted correctly: {agree} of {total} problems"
                     f" ({pct(agree / total) if total else '-'});"
                     f" among the decisive problems (the measured fastest ahead of the runner-up by more"
                     f" than {DECISIVE_K} times their combined noise): {agree_d} of {total_d}"
                     f" ({pct(agree_d / total_d) if total_d else '-'}); tied with another variant in the"
                     f" prediction (not counted right): {ties}.")
        lines.append("")
        lines.append(f"Fastest schedule of a problem (each schedule by its best variant) predicted correctly:"
                     f" {s_agree} of {s_total} problems ({pct(s_agree / s_total) if s_total else '-'});"
                     f" among the decisive ones: {s_agree_d} of {s_total_d}"
                     f" ({pct(s_agree_d / s_total_d) if s_total_d else '-'}); tied with another schedule in"
                     f" the prediction (not counted right): {s_ties}.")
    open(os.path.join(out_dir, "validation.md"), "w").write("\n".join(lines) + "\n")
    scatter(rows, os.path.join(out_dir, "validation_scatter.png"), part)
    print("\n".join(lines))
    print(f"validate: {len(rows)} points ({part}): median abs error {pct(med)}, p90 {pct(p90)}" +
          (f"; fastest variant predicted in {agree}/{total} problems, {agree_d}/{total_d} decisive;"
           f" fastest schedule in {s_agree}/{s_total}, {s_agree_d}/{s_total_d} decisive" if part == "time" else ""))


def scatter(rows, path, part):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 6))
    for (profile, marker) in (("nvlink", "o"), ("pcie", "s")):
        for P, color in ((2, "tab:blue"), (4, "tab:orange"), (8, "tab:green")):
            pts = [r for r in rows if r["profile"] == profile and r["P"] == P]
            if pts:
                ax.scatter([r["measured_ms"] for r in pts], [r["predicted_ms"] for r in pts], s=10, marker=marker,
                           color=color, label=f"P={P} {profile}", alpha=0.7)
    lo = min(min(r["measured_ms"], r["predicted_ms"]) for r in rows)
    hi = max(max(r["measured_ms"], r["predicted_ms"]) for r in rows)
    ax.plot([lo, hi], [lo, hi], color="gray", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"measured {part} [ms]")
    ax.set_ylabel(f"predicted {part} [ms]")
    ax.legend()
    ax.set_title("cpbench simulate against measurements")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
