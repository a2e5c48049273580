// One sweep point simulated (`cpbench simulate`, `advise`, `run --machine`): the plans
// of all P ranks built by the point's schedule and the whole plan and its comm-only part
// (filter_steps, as `run` times it) run through the engine with a machine's costs; the
// compute-only part's makespan is each rank's sum of compute costs, which is what the
// engine gives it. Written as the record `run` writes, with runtime "sim".
#pragma once

#include <string>
#include <vector>

#include "bench/config/config.hpp"
#include "bench/report/point_record.hpp"
#include "bench/report/trace.hpp"
#include "bench/sim/machine_model.hpp"
#include "bench/sweep/point_runner.hpp"

namespace cpb {

// The node size a simulation uses when none is given: the machine file's.
struct SimPointOptions {
  int gpus_per_node = 0;                 // 0: the machine file's inter_node.gpus_per_node
  std::vector<std::vector<TraceStep>>* trace = nullptr;  // filled with the whole plan's timeline when set
  // The steps in the list scheduler's order (bench/sim/list_order.hpp) when it predicts a
  // shorter plan; the record's planner.step_order gives both predictions.
  bool list_order = false;
};

// The record of `point` simulated on `machine`: PASS with time_ms (n = 1, every
// statistic the predicted time), comp_ms, comm_ms, the model figures (FLOPs, bytes per
// rank) and plan_steps; SKIPPED with the reason when the point has a skip reason or its
// transport is "auto" (the machine file then gives no single transport: the record says
// so). Throws UsageError when the machine file lacks the point's (transport, profile) or
// attention class.
PointRecord simulate_point(const Point& point, const MachineModel& machine, const SimPointOptions& opt = {});

// Throws the UsageError simulate_point would throw for `point` (the machine file lacks
// its transport under its profile, or an attention class its tiles use), without
// simulating: a sweep checks every point before it writes anything.
void check_costable(const Point& point, const MachineModel& machine, int gpus_per_node = 0);

// The predicted time of `point` [ms]: simulate_point's time_ms.p50, without simulating the
// parts; 0 for a point simulate_point SKIPs. For `run --machine`.
double predicted_ms(const Point& point, const MachineModel& machine, int gpus_per_node = 0);

// `run`'s step_order "list": the plans of every rank of `point` (its problem with chunks
// resolved, its transport named), whole (simulate's priced copies drop the Copy steps'
// views), in the list scheduler's order (bench/sim/list_order.hpp) when the engine
// predicts it shorter on `machine`, else the schedule's; step_order as the record's
// planner.step_order. The same on every rank. Throws UsageError as check_costable does.
OrderedPlans list_ordered_plans(const Point& point, const MachineModel& machine, int gpus_per_node = 0);

}  // namespace cpb
