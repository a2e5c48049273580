// What the CUDA runtime keeps across the points of a sweep: the bound device, the node
// groups of the copy-engine transports, the cuDNN graph cache, one NCCL communicator per
// comm lane, the start barrier, the watchdog, and NVML with the device's GPU state sampler.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "base/cuda/device_buffer.hpp"
#include "bench/runtime/cuda/nvml_library.hpp"
#include "bench/runtime/cuda/nvml_sampler.hpp"
#include "comm/cuda/nccl_comm.hpp"
#include "comm/cuda/watchdog.hpp"
#include "comm/mpi_session.hpp"
#include "comm/node_groups.hpp"
#include "kernels/cuda/cudnn_sdpa.hpp"
#include "kernels/cuda/cudnn_sdpa_backward.hpp"

namespace cpb {

class CudaContext {
 public:
  // Collective. Binds this process to `device` (cudaSetDevice), groups the ranks into
  // nodes of `ranks_per_node` (0: the real nodes; NodeComm, a UsageError on every rank
  // when it does not fit) and adds the NCCL checks to the process's watchdog
  // (mpi.watchdog()).
  CudaContext(const MpiSession& mpi, int device, int ranks_per_node);
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  const MpiSession& mpi() const { return mpi_; }
  int device() const { return device_; }
  const NodeComm& nodes() const { return nodes_; }
  CudnnSdpa& sdpa() { return sdpa_; }
  CudnnSdpaBackward& sdpa_backward() { return sdpa_backward_; }
  CudaWatchdog& watchdog() { return *watchdog_; }
  double watchdog_timeout_s() const { return watchdog_->timeout_s(); }
  const NvmlLibrary& nvml() const { return nvml_; }
  NvmlSampler& gpu_sampler() { return gpu_sampler_; }

  // Collective over the world: `exchange_lanes[l]` says whether lane l has an Exchange
  // step on any rank (every rank passes the same flags). Creates the missing
  // communicators of those lanes with `ctas` (NcclComm; 0 = NCCL's choice), over the
  // whole world, in lane order; they live as long as the context, so the many executors
  // of a sweep share them.
  void ensure_comms(const std::vector<bool>& exchange_lanes, int ctas);
  const NcclComm& comm(int lane, int ctas) const;

  // Collective over the world the first time (a no-op on one rank): creates the
  // communicator of the start barrier and its device word.
  void ensure_start_barrier();
  // Enqueues the start barrier on `stream` (NcclComm::barrier), after
  // ensure_start_barrier(); nothing on one rank.
  void start_barrier(cudaStream_t stream) const;

 private:
  const MpiSession& mpi_;
  int device_;
  NodeComm nodes_;
  NvmlLibrary nvml_;
  NvmlSampler gpu_sampler_;  // of device_, through nvml_
  CudnnSdpa sdpa_;
  CudnnSdpaBackward sdpa_backward_;
  std::map<std::pair<int, int>, NcclComm> comms_;  // (lane, ctas) -> communicator
  std::optional<NcclComm> barrier_comm_;           // the start barrier's own communicator
  DeviceBuffer barrier_word_;                      // its all-reduced int32
  // Declared after comms_: stops polling them before they are destroyed.
  std::unique_ptr<CudaWatchdog> watchdog_;
};

}  // namespace cpb
