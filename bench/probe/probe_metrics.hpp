// The figures of one row of `cpbench probe` (docs/METRICS.md, "probe") and the row's JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bench/report/stats.hpp"

namespace cpb {

// The three plans of one transport, each timed alone (bench/probe/probe_plan.hpp), and the bytes
// each rank sends in the exchange.
struct ProbeMeasurement {
  Stats attn;  // attention alone [ms]
  Stats comm;  // the all-to-all alone [ms]
  Stats both;  // both on their two lanes [ms]
  double bytes_per_rank = 0;  // [bytes]
};

// The share of the exchange's time hidden under attention, from the p50 times [ms]:
//   clamp((attn_ms + comm_ms - both_ms) / comm_ms, 0, 1)
// 1: the exchange costs nothing beside attention; 0: no overlap (or worse). NaN when
// comm_ms <= 0 or any time is not finite.
double hidden_fraction(double attn_ms, double comm_ms, double both_ms);

// bytes / (comm_ms * 1e-3) / 1e9 [GB/s]; NaN when comm_ms <= 0 or not finite.
double comm_gbps(double bytes, double comm_ms);

// both_ms / attn_ms: how much longer attention takes with the exchange beside it (1 = not
// at all); NaN when attn_ms <= 0 or not finite.
double attn_slowdown(double attn_ms, double both_ms);

// A measured row: {"transport", "status": "OK", "attn_ms", "comm_ms", "both_ms" (p50s),
// "hidden", "comm_gbps", "attn_slowdown", "bytes_per_rank", "time_ms": {"attn", "comm",
// "both"} (Stats)}. A figure that is NaN is written as null.
nlohmann::json probe_row(const std::string& transport, const ProbeMeasurement& m);

// A row that was not measured: {"transport", "status": "SKIPPED", "reason"}.
nlohmann::json probe_skipped_row(const std::string& transport, const std::string& reason);

}  // namespace cpb
