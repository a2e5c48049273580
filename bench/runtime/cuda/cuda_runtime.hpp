// The CUDA runtime: one CUDA stream per plan lane, events for dependencies, cuDNN SDPA
// for attention, NCCL (and later copy-engine) transports.
#pragma once

#include <memory>

#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// Number of CUDA devices visible to this process; 0 when there is no driver or GPU.
int cuda_device_count();

// Binds this rank to GPU local_rank. Throws UsageError when a node runs more ranks than it
// has GPUs (NCCL cannot share a GPU between ranks). Its transports are cuda_transports(),
// TransportKind::Nccl first (the default).
std::unique_ptr<Runtime> make_cuda_runtime(const MpiSession& mpi);

}  // namespace cpb
