// The CPU runtime: fp32 reference kernels and MPI point-to-point communication. Runs on
// any machine; it is what CI uses to catch a wrong plan.
#pragma once

#include <memory>

#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// Transports: mpi. Steps run one after another in plan order (lanes do not overlap).
std::unique_ptr<Runtime> make_cpu_runtime(const MpiSession& mpi);

}  // namespace cpb
