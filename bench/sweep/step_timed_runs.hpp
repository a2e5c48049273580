// The runs with per-step times that follow a point's timed loop: the attention rate
// inside the plan, the rate of its largest attention step alone, and the timeline of
// the trace.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/runtime.hpp"

namespace cpb {

// How many runs with per-step times follow a timed loop of `timed_runs` runs: half of
// them, from 1 to 5. The record's attention efficiency inside the plan (attn_tflops)
// and the trace come from the run with the median attention time (of the slowest rank,
// so the same run on every rank): one run alone varied
// from 85% to 100% of the kernel's speed alone between runs at S=56160 H=24 on 2x H200.
size_t step_timed_runs(size_t timed_runs);

// Attention steps are the forward's and, in the backward pass, the backward's tiles
// (AttentionBackward, at their FLOPs of docs/METRICS.md); pass bwd times only the latter.
struct AttentionTime {
  double ms = 0;              // summed durations of the attention steps of one run [ms]
  double flops = 0;           // their FLOPs
  double largest_flops = 0;   // of the tile with the most FLOPs
  int largest_step = -1;      // its step (the first such), -1 when the plan has no attention
};

// The attention steps of one step-timed run of `plan`.
AttentionTime attention_time(const Plan& plan, const std::vector<StepTime>& steps);

struct StepTimedResult {
  std::vector<StepTime> steps;  // this rank's steps of the run with the median attention time
  AttentionTime attention;      // of that run
  double alone_ms = 0;  // [ms] median of the largest attention step run alone; 0 when none
};

// Collective over `comm`: step_timed_runs(timed_runs) runs of `exec` with per-step times.
// The median run is the one with the median attention time of the slowest rank, the same
// run on every rank, so that the ranks' timelines line up. After each run the largest
// attention step runs once more alone, on the same buffers: the kernel's speed outside the
// plan, measured in the same stretch of time (the GPUs of DEVICE.md run attention at
// their power limit, where the SM clock moves by 10% within seconds).
StepTimedResult run_step_timed(Executor& exec, const Plan& plan, size_t timed_runs, MPI_Comm comm);

}  // namespace cpb
