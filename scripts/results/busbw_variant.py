#!/usr/bin/env python3
"""Writes a variant of configs/busbw.json whose measure settings have CHANGE merged in.

CHANGE is a JSON object of measure keys (e.g. '{"warmup_ms": 0}'). The variant is named
busbw_<key>_<value>... after the change, written to DIR/<name>.json, and its path printed.

    scripts/results/busbw_variant.py DIR CHANGE
"""
import json
import sys


def main():
    out_dir, change = sys.argv[1], json.loads(sys.argv[2])
    with open("configs/busbw.json") as f:
        config = json.load(f)
    config["name"] = "busbw_" + "_".join(f"{k}_{json.dumps(v)}" for k, v in sorted(change.items())).lower()
    config["measure"].update(change)
    path = f"{out_dir}/{config['name']}.json"
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    print(path)


if __name__ == "__main__":
    main()
