// The one-rank plans `cpbench calibrate` times (schedule "calibrate"): one attention tile,
// and the copies and merges of a [1, S, H, D] tensor. Each passes check_plan for its
// problem, so every runtime runs it.
#pragma once

#include <cstdint>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb {

// P = 1, S tokens, H query heads over Hkv, head dim D, B = 1.
Problem calibrate_problem(int64_t S, int H, int Hkv, int D, Mask mask, DType dtype);

// Step 0, "attn" on lane "compute": softmax(Q K^T / sqrt(D)) V -> O over all heads and
// tokens of `p`, under its mask, no lse.
Plan attention_plan(const Problem& p);

// Buffers q, k, v, o (the roles), lse_part, acc_o, acc_lse (F32) and packed (Act); steps
// on lane "compute":
//   0 "fill_lse": the first H S elements of Q into lse_part [1, H, S, 1] (finite LSEs);
//   1 "merge_init": Q as part_o with lse_part into acc_o, acc_lse (init);
//   2 "merge": the same again, not init (read and written): the merge timed;
//   3 "pack": Q's heads in two halves (one when H = 1) into packed, as Ulysses packs a
//      head slice per peer: the copy timed.
struct BandwidthPlan {
  Plan plan;
  int merge_step = 2;
  int copy_step = 3;
};
BandwidthPlan bandwidth_plan(const Problem& p);

}  // namespace cpb
