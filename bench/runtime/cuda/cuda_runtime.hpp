// The CUDA runtime: one CUDA stream per plan lane, events for dependencies, cuDNN SDPA
// for attention, NCCL (and later copy-engine) transports.
#pragma once

#include <memory>

#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// Number of CUDA devices visible to this process; 0 when there is no driver or GPU.
int cuda_device_count();

// Collective. Binds this rank to GPU local_rank. Throws UsageError when a node runs more
// ranks than it has GPUs (NCCL cannot share a GPU between ranks), or when
// `ranks_per_node` (the copy-engine transports' node size, 0 = the real node;
// comm/node_groups.hpp) does not fit the job. Its transports are cuda_transports(),
// TransportKind::Nccl first (the default).
std::unique_ptr<Runtime> make_cuda_runtime(const MpiSession& mpi, int ranks_per_node = 0);

}  // namespace cpb
