// The timed loop: warm-up runs, then timed runs; each sample is the maximum of the
// ranks' times for that run (the job is as slow as its slowest rank).
#pragma once

#include <mpi.h>

#include <optional>
#include <vector>

#include "bench/config/config.hpp"
#include "bench/report/gpu_state.hpp"
#include "bench/runtime.hpp"
#include "bench/report/stats.hpp"

namespace cpb {

struct Measurement {
  Stats stats;                  // over the samples [ms]
  std::vector<double> samples;  // per-run max over ranks [ms]
  int warmup = 0;               // warm-up runs done
  // The GPUs during the timed runs, every rank's combined (combine_gpu_states); nullopt
  // when the executor has no GPU state sampler.
  std::optional<GpuState> gpu_state;
};

// The most warm-up runs settings.warmup_ms adds (a run of a few microseconds would
// otherwise need tens of thousands).
constexpr int kMaxTimedWarmupRuns = 1000;

// Collective over `comm`. First settings.warmup untimed runs, continued until they add up
// to settings.warmup_ms (at most kMaxTimedWarmupRuns in all unless settings.warmup is
// larger). The number of timed runs is settings.iterations, cut so that
// they take about settings.max_seconds (estimated from the slowest warm-up run), but
// never fewer than settings.min_iterations. Every rank takes the same decision. The
// executor's GPU state sampler, where it has one, is armed around the timed runs only.
Measurement measure(Executor& exec, const MeasureSettings& settings, MPI_Comm comm);

// Collective: prepares `plan` on `runtime` and measures it as above, for the plans timed
// on their own (compute-only and comm-only parts, chunk calibration, the probe's parts).
Measurement measure_plan(Runtime& runtime, const Problem& p, const Plan& plan, const RunOptions& opt,
                         const MeasureSettings& settings, MPI_Comm comm);

}  // namespace cpb
