// Checks, before a runtime (CPU or CUDA) runs a plan, everything that would otherwise make
// it index outside a buffer, wait for a step that comes later, or hand a kernel shapes it
// cannot take.
#pragma once

#include <string>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb {

// The first problem found, naming the step and view (e.g. `step 3 "attn[0]": q spans
// elements [0, 1200] of buffer "qh" (1024 elements)`), or "" when the plan is runnable:
//  - Q, K, V and O buffers hold at least B * local_tokens * heads * D elements, and the
//    plan's tokens lie in [0, S);
//  - every step's lane exists (the lane is the MPI tag of its exchanges, the stream on
//    the GPU) and its dependencies are earlier steps;
//  - every view lies inside its buffer with extents >= 1, and op shapes agree
//    (attention_shape_error, merge_shape_error, equal copy shapes);
//  - exchange peers are ranks of the plan's world, slices lie inside their buffers and
//    hold at most `max_transfer_elems` elements (an MPI count is an int), and transfers
//    to this rank pair up, in order, with equal sizes.
std::string runnable_plan_error(const Problem& p, const Plan& plan, int64_t max_transfer_elems);

}  // namespace cpb
