"""Reading cpbench result files for the plot scripts.

A result file is {"schema_version": 1, "provenance": {...}, "points": [record, ...]}
(docs/ARCHITECTURE.md gives the record schema; docs/METRICS.md defines the metrics). Any field of a record may be missing
or null (a SKIPPED row has no times), so every accessor here returns None instead of
raising. The grouping rules mirror bench/report/record_fields.hpp and bench/report/metrics.hpp.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys

SCHEMA_VERSION = 1

# Params of the problem and its run (bench/problem.cpp shape_json, Point::params); every
# other param is a schedule option or an overlap lever (the transport stays in the group:
# one table or series per transport).
PROBLEM_KEYS = ("P", "S", "H", "Hkv", "D", "B", "mask", "dtype", "transport", "profile")
# The registry of a result file written before result files held one: `cpbench list
# --format json` of this tree (tests/plots checks that the two agree).
REGISTRY_SNAPSHOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "registry.json")
SCHEDULE_ORDER = ("ulysses", "hcms", "ring", "zigzag_ring", "usp", "tiled")


class ResultFileError(Exception):
    """The file is missing, not JSON, or not a cpbench result file."""


class Registry:
    """The names a result file uses and what they mean: the schedule options, the overlap
    levers, the transports and the profiles, each in its registry's order
    (bench/sweep/registry_json.hpp)."""

    def __init__(self, doc):
        self.options = {o["name"]: o for o in doc["options"]}
        self.levers = {lever["name"]: lever for lever in doc["levers"]}
        self.transports = [t["name"] for t in doc["transports"]]
        self.profiles = list(doc["profiles"])
        # The options that size the split (chunk count, head split, USP degree), which a
        # variant's label shows by their tags; the other options and the levers make the variant.
        self.split_options = tuple(n for n, o in self.options.items() if o.get("split_tag"))
        # The options that change how the bytes move, not which (qkv_layout): a row that
        # sets one is not a reference row (docs/METRICS.md).
        self.how_options = tuple(n for n, o in self.options.items() if o.get("how"))

    def at_default(self, name, value):
        """Whether an option or lever of a record's params is unset or at its default."""
        spec = self.options.get(name) or self.levers.get(name) or {}
        return value is None or value == spec.get("default")

    def split_tag(self, name):
        return self.options[name]["split_tag"]

    def split_option(self, kind):
        """The split-sizing option of a kind: "size_or_auto" (the chunk count), "head_list"
        (the heads of each chunk) or "size" (the USP degree)."""
        return next(n for n in self.split_options if self.options[n]["kind"] == kind)

    def label_order(self, name):
        """The sort key of an option or lever name in labels and variant groups."""
        names = list(self.options) + list(self.levers)
        if name in self.levers:
            return (3, names.index(name), name)
        if name in self.options:
            o = self.options[name]
            return (2 if o.get("how") else 1 if o.get("omit_default") else 0, names.index(name), name)
        return (4, 0, name)

    def order(self, names, name):
        """The sort key of `name` among `names` (transports, profiles): unknown names last."""
        return names.index(name) if name in names else len(names)


@functools.lru_cache(maxsize=None)
def _snapshot():
    with open(REGISTRY_SNAPSHOT, encoding="utf-8") as f:
        return Registry(json.load(f))


def registry(provenance=None):
    """The registry a result file was written with (its provenance's "registry"), else the
    snapshot of this tree's (result files from before provenance held it)."""
    doc = (provenance or {}).get("registry")
    return Registry(doc) if isinstance(doc, dict) else _snapshot()


def load(path):
    """Returns (provenance dict, list of point records); raises ResultFileError."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise ResultFileError(f"{path}: cannot open the result file: {e.strerror}") from e
    except ValueError as e:
        raise ResultFileError(f"{path}: not valid JSON: {e}") from e
    if not isinstance(doc, dict):
        raise ResultFileError(f"{path}: not a result file (the top level is not an object)")
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultFileError(f"{path}: schema_version {version!r} is not supported; "
                              f"these scripts read {SCHEMA_VERSION}")
    points = doc.get("points")
    if not isinstance(points, list):
        raise ResultFileError(f'{path}: "points" is missing or not an array')
    points = [p for p in points if isinstance(p, dict) and isinstance(p.get("params"), dict)]
    provenance = doc.get("provenance") if isinstance(doc.get("provenance"), dict) else {}
    return provenance, points


def result_arg_parser(doc):
    """The command line every result plot starts from: RESULT.json and -o OUT.png.

    `doc` is the script's docstring; its first paragraph becomes the description."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                 epilog="Reads only the result JSON; see docs/METRICS.md for the metrics.")
    ap.add_argument("result", metavar="RESULT.json", help="a cpbench result file")
    ap.add_argument("-o", "--out", required=True, metavar="OUT.png", help="the figure to write")
    return ap


def add_max_groups_arg(ap, default=6):
    """--max-groups: the plots of one problem group per row show at most this many rows."""
    ap.add_argument("--max-groups", type=int, default=default,
                    help=f"plot at most this many problem groups (default {default})")


def first_groups(groups, limit):
    """The first `limit` (group, records) items of `groups`, saying on stderr when some are left out."""
    if len(groups) > limit:
        print(f"note: plotting the first {limit} of {len(groups)} problem groups (--max-groups)", file=sys.stderr)
    return list(groups.items())[:limit]


def load_or_exit(path):
    """load(), printing the error and exiting with 2 on failure (like cpbench)."""
    try:
        return load(path)
    except ResultFileError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


def field(record, *path):
    """The value at a chain of keys, or None when any is missing."""
    cur = record
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur


def number(record, *path):
    """The finite number at a chain of keys, or None."""
    v = field(record, *path)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def time_ms(record):
    """The p50 time [ms] of a PASSing record, or None (SKIPPED, FAILED, no time)."""
    if record.get("status") != "PASS":
        return None
    t = number(record, "time_ms", "p50")
    return t if t is not None and t > 0 else None


def schedule(record):
    return record.get("schedule") if isinstance(record.get("schedule"), str) else "?"


def option_keys(record, reg):
    """The schedule options and levers among a record's params: its "options" (the
    schedule's option names) when it has them, else every param that is not a problem key
    (older result files). `reg`: the file's registry(). In one order for every file, the
    order of labels: options always written before those left out at their default, then
    the how-options, then the levers, each in registry order; unknown names last."""
    params = record.get("params") or {}
    names = record.get("options")
    if isinstance(names, list):
        keys = [k for k in names if k in params] + [k for k in reg.levers if k in params]
    else:
        keys = [k for k in params if k not in PROBLEM_KEYS]
    return sorted(keys, key=reg.label_order)


def variant_keys(record, reg):
    """The options and levers that change how a row moves its bytes (not reg.split_options)."""
    return [k for k in option_keys(record, reg) if k not in reg.split_options]


def problem_group(record, reg):
    """The problem apart from S and the schedule options, as a hashable tuple of items."""
    params = record.get("params") or {}
    options = option_keys(record, reg)
    return tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in params.items()
                        if k != "S" and k not in options))


def variant_group(record, reg):
    """problem_group() plus the options that change how the bytes move (variant_keys()):
    rows of one variant across chunk counts and S."""
    params = record.get("params") or {}
    return problem_group(record, reg) + tuple((k, json.dumps(params[k], sort_keys=True))
                                              for k in variant_keys(record, reg) if params.get(k) is not None)


def head_list(record, reg):
    """The record's explicit head split (a non-empty list), else None."""
    heads = field(record, "params", reg.split_option("head_list"))
    return heads if isinstance(heads, list) and heads else None


def chunk_count(record, reg):
    """The number of chunks: the head list's length when given, else the chunk count param."""
    heads = head_list(record, reg)
    return len(heads) if heads else field(record, "params", reg.split_option("size_or_auto"))


def split_label(record, reg, missing=None):
    """'C=4', 'heads=4,3,3': the chunk split by its tag, the head list when given (it fixes
    the chunk count); `missing` stands in for an absent chunk count (None: leave it out)."""
    heads = head_list(record, reg)
    if heads:
        return f"{reg.split_tag(reg.split_option('head_list'))}=" + ",".join(str(h) for h in heads)
    chunks = reg.split_option("size_or_auto")
    c = field(record, "params", chunks)
    if c is None:
        c = missing
    return None if c is None else f"{reg.split_tag(chunks)}={c}"


def describe_group(group):
    """'P=2 H=40 Hkv=40 D=128 B=1 full bf16 nccl nvlink' for a problem_group()."""
    items = {k: json.loads(v) for k, v in group}
    parts = [f"{k}={items.pop(k)}" for k in ("P", "H", "Hkv", "D", "B") if k in items]
    parts += [str(items.pop(k)) for k in ("mask", "dtype", "transport", "profile") if k in items]
    parts += [f"{k}={v}" for k, v in sorted(items.items())]
    return " ".join(parts)


def variant_label(record, reg):
    """'ulysses', 'hcms C=3', 'hcms heads=3,2,2', 'usp u=2', like the report's columns."""
    params = record.get("params") or {}
    label = schedule(record)
    split = split_label(record, reg)
    if split:
        label += " " + split
    usp_u = reg.split_option("size")
    if params.get(usp_u) is not None:
        label += f" {reg.split_tag(usp_u)}={params[usp_u]}"
    for key in variant_keys(record, reg):
        if params.get(key) is not None:
            label += f" {key}={params[key]}"
    return label


def variant_sort_key(label):
    name = label.split(" ")[0]
    rank = SCHEDULE_ORDER.index(name) if name in SCHEDULE_ORDER else len(SCHEDULE_ORDER)
    # Numbers inside the label sort numerically: hcms C=2 before hcms C=10.
    rest = [(0, int(tok), "") if tok.isdigit() else (1, 0, tok)
            for tok in label[len(name):].replace("=", " ").replace(",", " ").split()]
    return (rank, name, rest)


def title_of(provenance, fallback):
    """A short figure title from the provenance: GPUs, runtime, date."""
    gpus = provenance.get("gpus")
    parts = []
    if isinstance(gpus, list) and gpus:
        names = sorted({str(g) for g in gpus})
        parts.append(", ".join(names) + (f" x{len(gpus)}" if len(names) == 1 and len(gpus) > 1 else ""))
    for key in ("runtime", "date"):
        if isinstance(provenance.get(key), str):
            parts.append(provenance[key])
    return " · ".join(parts) if parts else fallback
