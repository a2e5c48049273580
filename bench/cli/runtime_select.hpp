// Picking the runtime of a job from --device. Compiled into the driver, where
// CPBENCH_HAVE_CUDA is known.
#pragma once

#include <memory>
#include <string>

#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// Collective: every rank must pick the same runtime. `device`: "cpu"; "cuda" (UsageError
// when this build has no CUDA runtime or a rank sees no GPU); "auto": CUDA when this build
// has it and every rank sees a GPU, else the CPU runtime. The CUDA runtime's own set-up
// errors (ranks sharing a GPU, a `ranks_per_node` that does not fit the job) are
// UsageErrors too. `ranks_per_node` > 0 (emulated nodes, comm/node_groups.hpp) needs the
// CUDA runtime: a UsageError on the CPU.
std::unique_ptr<Runtime> make_runtime(const std::string& device, const MpiSession& mpi, int ranks_per_node = 0);

}  // namespace cpb
