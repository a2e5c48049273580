#!/usr/bin/env python3
"""The GPU-runtime acceptance checks, computed from a result JSON (markdown to stdout).

For every timed Ulysses row: attention TFLOP/s inside the plan against the same cuDNN
call timed alone (target >= 95%); the time against its own compute-only + comm-only
times (target within 5%); its comm-only time against the time the NCCL all-to-all
figures measured with nccl-tests on the same machine kind predict for its two exchanges
at their own sizes (2 ranks only: shared/DEVICE.md measured 2 GPUs, algbw 485 / 561 / 662 GB/s at 64 MiB / 256 MiB /
1 GiB per rank, interpolated in log(size), held flat outside; the input exchange moves Q,
K and V together, the output exchange O; target within 10%), one row per Ulysses point
(its qkv_layout named: separate, or packed into one transfer per peer). Also: verification status of every
point, HCMS bitwise equality with Ulysses, and which S=524288 rows ran.

    scripts/results/check_gpu_runtime.py RESULT.json
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plots"))
import cpb_results as cr  # noqa: E402

NCCL_ALLTOALL_ALGBW = [(64 << 20, 485.0), (256 << 20, 561.0), (1 << 30, 662.0)]  # bytes, GB/s


def nccl_algbw(size):
    pts = NCCL_ALLTOALL_ALGBW
    if size <= pts[0][0]:
        algbw = pts[0][1]
    elif size >= pts[-1][0]:
        algbw = pts[-1][1]
    else:
        for (s0, b0), (s1, b1) in zip(pts, pts[1:]):
            if s0 <= size <= s1:
                t = (math.log(size) - math.log(s0)) / (math.log(s1) - math.log(s0))
                algbw = b0 + t * (b1 - b0)
    return algbw


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    provenance, pts = cr.load_or_exit(sys.argv[1])
    reg = cr.registry(provenance)
    layout = reg.how_options[0]  # qkv_layout, left out of params at its default
    chunks = reg.split_option("size_or_auto")
    status = {}
    for r in pts:
        status[r["status"]] = status.get(r["status"], 0) + 1
    bitwise = [r["verify"].get("bitwise_equal") for r in pts if r["schedule"] == "hcms" and r["status"] != "SKIPPED"]
    print("## Checks\n")
    print("Points: " + ", ".join(f"{n} {s}" for s, n in sorted(status.items())) +
          f". HCMS bitwise equal to Ulysses: {sum(1 for b in bitwise if b is True)} of {len(bitwise)} HCMS points.\n")
    print("| S | H | qkv | T [ms] | comp + comm [ms] | T over comp+comm | attention in plan [TFLOP/s] | cuDNN alone [TFLOP/s] | ratio | comm-only [ms] | busbw [GB/s] | NCCL-predicted comm [ms] | NCCL-predicted / measured |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in pts:
        if r["schedule"] != "ulysses" or r["status"] != "PASS":
            continue
        p = r["params"]
        t = r["time_ms"]["p50"]
        cc = r["comp_ms"] + r["comm_ms"]
        a, alone = r.get("attn_tflops"), r.get("attn_standalone_tflops")
        # nccl-tests size = one rank's send buffer, its own part included.
        tensor = (p["S"] // p["P"]) * p["H"] * p["D"] * p["B"] * (4 if p["dtype"] == "fp32" else 2)
        if p["P"] == 2:
            predicted_ms = sum(size / (nccl_algbw(size) * 1e9) * 1e3 for size in (3 * tensor, tensor))
            nccl = f"{predicted_ms:.3f} | {predicted_ms / r['comm_ms']:.0%}"
        else:
            nccl = "- | - (the nccl-tests figures are for 2 ranks)"
        print(f"| {p['S']} | {p['H']} | {p.get(layout, reg.options[layout]['default'])} | {t:.2f} | {cc:.2f} | {100 * (t - cc) / cc:+.1f}% | "
              f"{a:.0f} | {alone:.0f} | {a / alone:.1%} | {r['comm_ms']:.3f} | {r.get('busbw_gbps'):.0f} | {nccl} |")
    print()
    big = [r for r in pts if r["params"]["S"] == 524288 and r["status"] != "SKIPPED"]
    print("S=524288: " + (", ".join(f"{r['schedule']}"
                                   + (f" {reg.split_tag(chunks)}={r['params'][chunks]}" if r["schedule"] == "hcms" else "")
                                   + f" {r['status']} {r['time_ms']['p50'] / 1e3:.2f} s" for r in big) or "no row ran") + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
