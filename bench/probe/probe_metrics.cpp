#include "bench/probe/probe_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cpb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool positive(double x) { return std::isfinite(x) && x > 0; }

nlohmann::json number_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

}  // namespace

double hidden_fraction(double attn_ms, double comm_ms, double both_ms) {
  if (!positive(comm_ms) || !std::isfinite(attn_ms) || !std::isfinite(both_ms)) return kNaN;
  return std::clamp((attn_ms + comm_ms - both_ms) / comm_ms, 0.0, 1.0);
}

double comm_gbps(double bytes, double comm_ms) {
  if (!positive(comm_ms)) return kNaN;
  return bytes / (comm_ms * 1e-3) / 1e9;
}

double attn_slowdown(double attn_ms, double both_ms) {
  if (!positive(attn_ms)) return kNaN;
  return both_ms / attn_ms;
}

nlohmann::json probe_row(const std::string& transport, const ProbeMeasurement& m) {
  const double attn = m.attn.p50, comm = m.comm.p50, both = m.both.p50;
  nlohmann::json r;
  r["transport"] = transport;
  r["status"] = "OK";
  r["attn_ms"] = number_or_null(attn);
  r["comm_ms"] = number_or_null(comm);
  r["both_ms"] = number_or_null(both);
  r["hidden"] = number_or_null(hidden_fraction(attn, comm, both));
  r["comm_gbps"] = number_or_null(comm_gbps(m.bytes_per_rank, comm));
  r["attn_slowdown"] = number_or_null(attn_slowdown(attn, both));
  r["bytes_per_rank"] = m.bytes_per_rank;
  r["time_ms"] = {{"attn", to_json(m.attn)}, {"comm", to_json(m.comm)}, {"both", to_json(m.both)}};
  return r;
}

nlohmann::json probe_skipped_row(const std::string& transport, const std::string& reason) {
  return {{"transport", transport}, {"status", "SKIPPED"}, {"reason", reason}};
}

}  // namespace cpb
