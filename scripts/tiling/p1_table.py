#!/usr/bin/env python3
"""Issue 19's one-GPU table (configs/ultraattn/h200_p1.json): for each mask and each
schedule variant, its median time, the mask's density (its attention FLOPs over the
full mask's, from the records' flops_per_rank_max) and the ratio time / (dense time x
density), the dense time being ulysses under the full mask (one cuDNN call at P=1). The
issue's target is a ratio of at most 1.10 for tiled. Markdown on stdout.

    scripts/tiling/p1_table.py RESULT.json
"""
import json
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    points = [p for p in json.load(open(sys.argv[1]))["points"] if p.get("status") == "PASS"]
    dense = [p for p in points if p["schedule"] == "ulysses" and p["params"]["mask"] == "full"]
    if not dense:
        print("p1_table: no PASS point of ulysses under the full mask (the dense reference)", file=sys.stderr)
        return 2
    t_dense, f_dense = dense[0]["time_ms"]["p50"], dense[0]["flops_per_rank_max"]
    print(f"Dense: ulysses, full mask, {t_dense:.2f} ms ({dense[0]['tflops_per_gpu']:.0f} TFLOP/s).\n")
    print("| mask | schedule | tile_blocks | time [ms] | p10-p90 [ms] | density | dense time x density [ms] | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for p in points:
        density = p["flops_per_rank_max"] / f_dense
        t = p["time_ms"]
        ideal = t_dense * density
        print(f"| {p['params']['mask']} | {p['schedule']} | {p['params'].get('tile_blocks', '-')} | {t['p50']:.2f} | "
              f"{t.get('p10', float('nan')):.2f}-{t.get('p90', float('nan')):.2f} | {density:.4f} | {ideal:.2f} | "
              f"{t['p50'] / ideal:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
