// Planted bugs for the mutation tests (docs/METRICS.md, "Mutation tests"): each one
// rewrites one rank's Plan the way a plausible defect in a schedule or kernel would, so
// verification can be shown to FAIL on it. Test-only: nothing in the release path calls
// these.
#pragma once

#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb::test {

// The mutations, by name:
//   equal_weight_merge  every non-initial Merge reads the accumulator's LSE as the
//                       partial's, so the two are averaged with equal weights (1/2, 1/2)
//                       instead of their softmax masses (all ranks);
//   scale_1pct          every Attention uses 1.01 / sqrt(D) as its softmax scale (all ranks);
//   skip_ring_step      the last rank drops the Attention of its second key/value block
//                       and the Merge that consumes it (one ring hop never computed);
//   chunk_head_shift    rank 0's first Attention reads Q, K and V one head further on (one
//                       back where that leaves the buffer): a head range off by one;
//   row_offset          rank 0's last write of O lands one row further on: output row r + 1
//                       gets row r's result (row 0 keeps its own);
// and in the backward pass (run with --pass fwd_bwd):
//   bwd_scale_1pct      every AttentionBackward uses 1.01 / sqrt(D) (all ranks);
//   bwd_drop_partial    rank 0's last Reduce into dQ, dK or dV loses its last pair: one
//                       partial gradient is never summed where it is owned.
const std::vector<std::string>& mutation_names();

// Applies `name` to `plan` (the plan of plan.rank). Returns "" when it changed the plan,
// else why not (e.g. no non-initial Merge, or the mutation is planted on another rank).
// A mutation applies to a point when it changed the plan of at least one rank. Throws
// std::invalid_argument for an unknown name.
std::string apply_mutation(const std::string& name, const Problem& p, Plan& plan);

}  // namespace cpb::test
