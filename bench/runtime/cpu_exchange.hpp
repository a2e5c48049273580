// One Exchange step of a plan over MPI point-to-point, for the CPU runtime.
#pragma once

#include <mpi.h>

#include <vector>

#include "bench/plan/plan.hpp"

namespace cpb {

// Posts an MPI_Irecv for every receive and an MPI_Isend for every send of `op` (elements
// of float, message tag `tag`), copies transfers between this rank and itself locally
// (memmove of the k-th send to self into the k-th receive from self), then waits for all. Ranks are
// those of `comm`. Preconditions: check_runnable() accepted the plan; `buffers[i]` holds
// plan buffer i.
void run_exchange(const ExchangeOp& op, int rank, int tag, MPI_Comm comm,
                  std::vector<std::vector<float>>& buffers);

}  // namespace cpb
