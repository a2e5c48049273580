// The plan of ulysses and hcms: every rank's heads in C chunks (C = 1 for Ulysses), each
// chunk exchanged, attended and returned on its own, the comm lane running one chunk's
// exchanges while the compute lane attends another. The algorithm is described in
// hcms.cpp; the exchange in head_exchange.hpp.
#pragma once

#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedule.hpp"

namespace cpb {

// How the exchanges of the pipeline are laid on lanes.
struct PipelineLanes {
  // The comm lane runs all input exchanges, then all output exchanges; otherwise in0, in1,
  // out0, in2, out1, ..., out_{C-1}.
  bool inputs_first = false;
  // Output exchanges and their unpacks on a third lane "comm_out" (a stream, and on GPUs a
  // communicator, of their own), so an output never queues behind the next input;
  // otherwise on the comm lane.
  bool output_lane = false;
};

// Preconditions: S % P == 0; q_heads[i][c] are the query heads of rank i in chunk c, every
// rank with the same chunk count, the chunks of all ranks covering [0, H) once.
Plan head_pipeline_plan(const Problem& p, int rank, const std::string& schedule,
                        std::vector<std::vector<Range>> q_heads, PipelineLanes lanes);

// Attention FLOPs of a rank that attends `heads` query heads over all S tokens.
double head_sharded_flops(const Problem& p, int64_t heads);

// The model of head_pipeline_plan for rank `rank` with q_heads (its argument), for the
// problem's pass: the forward's exchanges and FLOPs, the backward's (head_gradients.hpp,
// 2.5x the FLOPs), or both.
Model head_pipeline_model(const Problem& p, int rank, const std::vector<std::vector<Range>>& q_heads);

}  // namespace cpb
