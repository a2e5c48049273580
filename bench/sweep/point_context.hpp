// What every phase of running a sweep point shares: the runtime, the measure settings, the
// MPI session, the trace folder, the comparison group's compute-only times and the step
// orderer (point_runner.hpp runs a point with it, isolated_parts.hpp times its parts).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/config/config.hpp"
#include "bench/plan/plan.hpp"
#include "bench/runtime.hpp"
#include "bench/sweep/comp_time_cache.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// Every rank's plan of a point in the order it runs, and what chose that order (the
// record's planner.step_order: {"order": "plan" | "list", "plan_ms", "list_ms",
// "list_yields_to_exchanges"}, the two orders' predictions).
struct OrderedPlans {
  std::vector<Plan> plans;  // [rank]
  nlohmann::json step_order;
};
// The plans of `point` (its problem with chunks resolved, its transport named) in the list
// scheduler's order where it predicts them shorter (the step_order lever's "list"). Made by
// `run` from its --machine file with the simulator's list scheduler, which the sweep does
// not depend on (docs/ARCHITECTURE.md); the same on every rank.
using StepOrderer = std::function<OrderedPlans(const Point& point)>;

struct PointContext {
  Runtime& runtime;
  const MeasureSettings& measure;
  const MpiSession& mpi;
  std::string trace_dir;  // "" = no trace; else one Chrome trace JSON per point there
  CompTimeCache* comp_times;  // the current comparison group's compute-only times, by round; null = time every point
  StepOrderer order_steps;    // set on every rank when a point has step_order "list"
  // step_order "list": this rank's plan of each point by index, as its first round
  // ordered it; the later rounds run the same plan without ordering again.
  std::map<int, Plan> list_plans;
};

}  // namespace cpb
