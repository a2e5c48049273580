// Runs one sweep point on a runtime: plan, verify, measure, time the compute-only and
// comm-only parts, and return the point's result record (DESIGN.md shape, without the
// metrics that need other rows: see metrics.hpp).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bench/comp_time_cache.hpp"
#include "bench/config.hpp"
#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

struct PointContext {
  Runtime& runtime;
  const MeasureSettings& measure;
  const MpiSession& mpi;
  std::string trace_dir;  // "" = no trace; else one Chrome trace JSON per point there
  CompTimeCache* comp_times;  // the sweep's compute-only times so far; null = time every point
};

// Collective: every rank calls it with the same point. Returns the record on every rank.
nlohmann::json run_point(const Point& point, PointContext& ctx);

// A record for a point that does not run (status SKIPPED, with the reason).
nlohmann::json skipped_record(const Point& point, const std::string& runtime, const std::string& reason);

}  // namespace cpb
