// The measurements of `cpbench calibrate` on one rank's runtime: the attention kernel
// table and the copy and merge bandwidth models (docs/SIMULATOR.md, "Calibration").
#pragma once

#include <mpi.h>

#include <ostream>
#include <vector>

#include "bench/runtime.hpp"
#include "bench/sim/calibrate_grid.hpp"
#include "bench/sim/machine_model.hpp"

namespace cpb {

struct CalibrateContext {
  Runtime& runtime;  // of a one-rank job
  MPI_Comm comm;     // its world (one rank)
  std::ostream* log = nullptr;  // one line per shape; nullptr: quiet
};

// [ms] the median of step `step` of `exec` run alone (Executor::step_alone_ms): one
// untimed run, more until settle_ms of wall time has passed, then runs until they add up
// to about budget_ms (3 to 20). Call after one run() of the plan.
double time_step(Executor& exec, int step, double budget_ms, double settle_ms = 0);

// Every shape of grid.attention timed as a one-rank attention plan, in order; a shape
// is left out (and the log says why) when its predicted time exceeds grid.cap_ms, the
// runtime refuses it (unsupported, unsupported_plan, out of memory) or it times at 0.
std::vector<KernelSample> measure_attention(CalibrateContext& ctx, const CalibrateGrid& grid);

struct BandwidthFits {
  BandwidthModel copy;   // pack copies
  BandwidthModel merge;  // LSE merges (not init)
};
// The bandwidth plan (calibrate_plans.hpp) of every grid.bandwidth_tokens timed, the
// bytes counted as machine_cost counts them (copy_bytes, merge_bytes, act elements of
// the grid's dtype), and fitted (fit_bandwidth). Throws std::runtime_error when the
// runtime refuses a size (the sizes are small enough for any machine the grid is for).
BandwidthFits measure_bandwidth(CalibrateContext& ctx, const CalibrateGrid& grid);

}  // namespace cpb
