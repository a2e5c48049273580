#include "comm/cuda/watchdog.hpp"

#include <algorithm>
#include <utility>

namespace cpb {
namespace {

// The first step of `progress` whose completion event has not fired, for a timeout's message.
std::string first_unfinished(const std::vector<StepProgress>* progress) {
  if (!progress || progress->empty()) return "no per-step events (CUDA graph replay or a host-side wait)";
  for (const StepProgress& p : *progress) {
    if (cudaEventQuery(p.done) == cudaErrorNotReady) return "first unfinished step: '" + p.label + "'";
  }
  return "every step event has fired (the hang is on the host side)";
}

}  // namespace

CudaWatchdog::CudaWatchdog(Watchdog& host, int device) : host_(host), device_(device) {
  probe_id_ = host_.add_probe([this] { return nccl_error(); });
}

CudaWatchdog::~CudaWatchdog() { host_.remove_probe(probe_id_); }

void CudaWatchdog::add_comm(ncclComm_t comm, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  comms_.push_back(Comm{comm, name});
}

void CudaWatchdog::remove_comm(ncclComm_t comm) {
  std::lock_guard<std::mutex> lock(mu_);
  comms_.erase(std::remove_if(comms_.begin(), comms_.end(), [&](const Comm& c) { return c.comm == comm; }),
               comms_.end());
}

Watchdog::Section CudaWatchdog::arm(std::string what, const std::vector<StepProgress>* progress) {
  return host_.arm(std::move(what), [this, progress] {
    bind_thread();
    return first_unfinished(progress);
  });
}

void CudaWatchdog::bind_thread() {
  if (thread_bound_) return;
  // Without it the thread's first CUDA call would create a context on device 0.
  CPB_CUDA_CHECK(cudaSetDevice(device_));
  thread_bound_ = true;
}

std::string CudaWatchdog::nccl_error() {
  std::lock_guard<std::mutex> lock(mu_);
  if (comms_.empty()) return "";
  bind_thread();
  for (const Comm& c : comms_) {
    ncclResult_t async = ncclSuccess;
    const ncclResult_t rc = ncclCommGetAsyncError(c.comm, &async);
    if (rc != ncclSuccess) async = rc;
    if (async != ncclSuccess && async != ncclInProgress)
      return "NCCL communicator " + c.name + " reports an asynchronous error: " + ncclGetErrorString(async);
  }
  return "";
}

}  // namespace cpb
