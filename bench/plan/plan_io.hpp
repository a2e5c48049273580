// Plans as JSON (to save, load and run plans made elsewhere) and as text (to read).
//
// JSON of one plan (all offsets, counts, shapes and strides in elements):
//   { "schedule": "hcms", "rank": 0, "world": 2, "lanes": ["compute", "comm"],
//     "buffers": [ {"name": "q", "storage": "act"|"f32", "role": "q"|"k"|"v"|"o"|"scratch",
//                   "elems": 4096}, ... ],
//     "groups": [[0, 1]], "tokens": [[begin, size], ...],
//     "steps": [ {"id": 0, "lane": 0, "label": "pack", "deps": [], "op": OP}, ... ] }
// where a view is {"buf", "offset", "shape": [4], "stride": [4]} and OP is one of
//   {"kind": "copy", "pairs": [{"src": view, "dst": view}, ...]}
//   {"kind": "exchange", "pattern": "all_to_all"|"send_recv", "group": 0,
//    "sends": [{"peer", "buf", "offset", "count"}, ...], "recvs": [...]}
//   {"kind": "attention", "q", "k", "v", "o": view, "has_lse": bool, "lse": view,
//    "causal": bool, "diag": int, "window": int (both optional, 0 when absent), "scale": number,
//    "heads", "q_tokens", "k_tokens": [begin, size]}
//   {"kind": "merge", "part_o", "part_lse", "acc_o", "acc_lse": view, "init": bool}
// plan_from_json(plan_to_json(p)) == p field for field (the float scale included).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb {

nlohmann::json plan_to_json(const Plan& plan);
// Throws UsageError (bench/config/config.hpp) naming the path of the first missing or mistyped
// field, e.g. `plan.steps[3].op.kind: "copyy" is not an op kind; allowed: copy, exchange,
// attention, merge`. Does not check the plan's contracts (plan_check.hpp does).
Plan plan_from_json(const nlohmann::json& j);

// All ranks' plans: {"format": "cpbench-plans", "version": 1, "plans": [plan, ...]}.
nlohmann::json plans_to_json(const std::vector<Plan>& plans);
std::vector<Plan> plans_from_json(const nlohmann::json& j);

// A human-readable dump: a header (schedule, rank, tokens, lanes, groups, buffers), then
// one line per step (id, lane, label, op summary with shapes and bytes, deps), then the
// rank's totals (bytes sent and received, attention FLOPs). Act elements count
// dtype_bytes(p.dtype) bytes.
std::string plan_to_text(const Plan& plan, const Problem& p);

}  // namespace cpb
