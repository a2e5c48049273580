// The sweep runner: runs the points of a config on one runtime, one comparison group at a
// time (the points of one problem: every schedule, transport, option and lever; metrics.hpp
// problem_key), each group in measure.rounds rounds (docs/METRICS.md, "Rounds"); prints a
// group's rows and rewrites the result file once its last round is done.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bench/config/config.hpp"
#include "bench/sweep/point_runner.hpp"
#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

struct SweepOptions {
  std::string out;        // result JSON path; "" = none
  std::string trace_dir;  // "" = no traces
  bool quiet = false;     // no progress lines
  std::vector<std::string> argv;
  // --resume: point index -> the record kept from the earlier file (resume.hpp's
  // share_kept: the records on rank 0, null elsewhere); these points are not run.
  std::map<int, nlohmann::json> kept;
  // --machine (rank 0): the simulator's prediction of each point by index [ms], made before
  // the sweep runs, goes into its record as predicted_ms unless the record has one (a kept
  // record keeps its own); `machine` ({path, name, provenance} of the machine file) goes
  // into the provenance. Empty / null: none.
  std::map<int, double> predicted;
  nlohmann::json machine;
  // Every rank: orders the plans of the points with step_order "list" (run --machine);
  // empty when no point has it.
  StepOrderer order_steps;
};

// Collective. The groups run in the order of their first points, a group's points in
// sweep order; the result file lists the records by point index. Returns the process exit
// code: 0 when every point passed or was skipped, 1 when any point FAILED verification
// (kept points included). The result file is "complete" once the last point is in
// (result_file.hpp).
int run_sweep(const SweepConfig& cfg, const std::vector<Point>& points, Runtime& runtime,
              const MpiSession& mpi, const SweepOptions& opt);

}  // namespace cpb
