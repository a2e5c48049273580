#!/usr/bin/env python3
"""Exit 0 when a result file has an hcms point sized by its chunk count (not by an explicit
head list), which plot_hcms_chunks.py can draw; else 1 (2 when the file cannot be read).

    scripts/results/has_chunk_sweep.py RESULT.json
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plots"))
import cpb_results as cr  # noqa: E402


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    provenance, points = cr.load_or_exit(sys.argv[1])
    reg = cr.registry(provenance)
    return 0 if any(cr.schedule(p) == "hcms" and not cr.head_list(p, reg) for p in points) else 1


if __name__ == "__main__":
    sys.exit(main())
