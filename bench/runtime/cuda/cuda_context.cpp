#include "bench/runtime/cuda/cuda_context.hpp"

#include <string>

#include "bench/runtime/cuda/cuda_device_info.hpp"

namespace cpb {
namespace {

int bind_device(int device) {
  CPB_CUDA_CHECK(cudaSetDevice(device));
  set_process_device(device);
  return device;
}

}  // namespace

CudaContext::CudaContext(const MpiSession& mpi, int device, int ranks_per_node)
    : mpi_(mpi),
      device_(bind_device(device)),
      nodes_(mpi.world(), mpi.node(), ranks_per_node),
      gpu_sampler_(nvml_, cuda_rank_gpu(device).at("uuid").get<std::string>(), NvmlSampler::kPeriod),
      watchdog_(std::make_unique<CudaWatchdog>(mpi.watchdog(), device)) {}

void CudaContext::ensure_comms(const std::vector<bool>& exchange_lanes, int ctas) {
  for (size_t l = 0; l < exchange_lanes.size(); ++l) {
    const auto key = std::make_pair(static_cast<int>(l), ctas);
    if (!exchange_lanes[l] || comms_.count(key)) continue;
    const std::string name = "lane " + std::to_string(l) + (ctas > 0 ? " (" + std::to_string(ctas) + " CTAs)" : "");
    Watchdog::Section armed = watchdog_->arm("NCCL communicator set-up for " + name, nullptr);
    auto it = comms_.emplace(key, NcclComm(mpi_.world(), name, ctas)).first;
    watchdog_->add_comm(it->second.get(), name);
  }
}

void CudaContext::ensure_start_barrier() {
  if (barrier_comm_ || mpi_.size() == 1) return;
  const std::string name = "start barrier";
  Watchdog::Section armed = watchdog_->arm("NCCL communicator set-up for the " + name, nullptr);
  barrier_comm_.emplace(mpi_.world(), name);
  barrier_word_ = DeviceBuffer(sizeof(int));
  CPB_CUDA_CHECK(cudaMemset(barrier_word_.get(), 0, sizeof(int)));
  watchdog_->add_comm(barrier_comm_->get(), name);
}

void CudaContext::start_barrier(cudaStream_t stream) const {
  if (mpi_.size() == 1) return;
  if (!barrier_comm_) CPB_FATAL("start barrier used before ensure_start_barrier()");
  barrier_comm_->barrier(barrier_word_.as<int>(), stream);
}

const NcclComm& CudaContext::comm(int lane, int ctas) const {
  auto it = comms_.find(std::make_pair(lane, ctas));
  if (it == comms_.end()) CPB_FATAL("no NCCL communicator for lane " + std::to_string(lane));
  return it->second;
}

}  // namespace cpb
