// Runs one sweep point on a runtime: plan, verify, measure, time the compute-only and
// comm-only parts, and return the point's result record (DESIGN.md shape, without the
// metrics that need other rows: see metrics.hpp).
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/sweep/comp_time_cache.hpp"
#include "bench/config/config.hpp"
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

// How many runs with per-step times follow a timed loop of `timed_runs` runs: half of
// them, from 1 to 5. The record's attention efficiency inside the plan (attn_tflops)
// and the trace come from the run with the median attention time (of the slowest rank,
// so the same run on every rank): one run alone varied
// from 85% to 100% of the kernel's speed alone between runs at S=56160 H=24 on 2x H200.
size_t step_timed_runs(size_t timed_runs);

// A record for a point that does not run (status SKIPPED, with the reason).
nlohmann::json skipped_record(const Point& point, const std::string& runtime, const std::string& reason);

}  // namespace cpb
