#include "comm/cuda/watchdog.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace cpb {

Watchdog::Watchdog(int device, double timeout_s) : device_(device), timeout_s_(timeout_s) {
  thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::add_comm(ncclComm_t comm, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  comms_.push_back(Comm{comm, name});
}

void Watchdog::remove_comm(ncclComm_t comm) {
  std::lock_guard<std::mutex> lock(mu_);
  comms_.erase(std::remove_if(comms_.begin(), comms_.end(), [&](const Comm& c) { return c.comm == comm; }),
               comms_.end());
}

Watchdog::Section Watchdog::arm(std::string what, const std::vector<StepProgress>* progress) {
  std::lock_guard<std::mutex> lock(mu_);
  if (armed_) CPB_FATAL("watchdog: arming '" + what + "' while '" + what_ + "' is still armed");
  armed_ = true;
  what_ = std::move(what);
  progress_ = progress;
  since_ = std::chrono::steady_clock::now();
  return Section(this);
}

void Watchdog::disarm() {
  std::lock_guard<std::mutex> lock(mu_);
  armed_ = false;
  progress_ = nullptr;
}

Watchdog::Section::Section(Section&& o) noexcept : w_(std::exchange(o.w_, nullptr)) {}

Watchdog::Section::~Section() {
  if (w_) w_->disarm();
}

std::string Watchdog::first_unfinished() const {
  if (!progress_ || progress_->empty()) return "no per-step events (CUDA graph replay or a host-side wait)";
  for (const StepProgress& p : *progress_) {
    if (cudaEventQuery(p.done) == cudaErrorNotReady) return "first unfinished step: '" + p.label + "'";
  }
  return "every step event has fired (the hang is on the host side)";
}

void Watchdog::fail(const std::string& why) {
  // fatal() prints, aborts the NCCL communicators (abort hooks) and MPI_Aborts.
  fatal("watchdog: " + why, __FILE__, __LINE__);
}

void Watchdog::loop() {
  CPB_CUDA_CHECK(cudaSetDevice(device_));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(50));
    if (stop_) break;
    for (const Comm& c : comms_) {
      ncclResult_t async = ncclSuccess;
      const ncclResult_t rc = ncclCommGetAsyncError(c.comm, &async);
      if (rc != ncclSuccess) async = rc;
      if (async != ncclSuccess && async != ncclInProgress)
        fail("NCCL communicator " + c.name + " reports an asynchronous error: " + ncclGetErrorString(async) +
             (armed_ ? " during " + what_ : std::string()) + "; " + first_unfinished());
    }
    if (!armed_) continue;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
    if (elapsed > timeout_s_) {
      char secs[32];
      std::snprintf(secs, sizeof(secs), "%.0f", timeout_s_);
      fail(what_ + " did not finish within " + secs + " s (CPB_WATCHDOG_S); " + first_unfinished() +
           "; aborting the NCCL communicators");
    }
  }
}

}  // namespace cpb
