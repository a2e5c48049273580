// The CUDA runtime's part of the watchdog (comm/watchdog.hpp): NCCL asynchronous errors
// and the name of the step a hung run waits on.
//
// A CudaWatchdog adds a probe to the process's Watchdog that checks, on every wake of its
// thread, that no registered NCCL communicator reports an asynchronous error (a failure:
// the job ends with exit code 1). Its sections are the host watchdog's, with the first
// step whose completion event has not fired added to a timeout's message. fatal() aborts
// every NCCL communicator through its abort hook before MPI_Abort.
#pragma once

#include <nccl.h>

#include <mutex>
#include <string>
#include <vector>

#include "base/cuda/cuda_check.hpp"
#include "comm/watchdog.hpp"

namespace cpb {

// A step's completion event, recorded on its stream after the step.
struct StepProgress {
  std::string label;
  cudaEvent_t done = nullptr;
};

class CudaWatchdog {
 public:
  // Adds the NCCL probe to `host`, which must outlive this; events are queried on `device`.
  CudaWatchdog(Watchdog& host, int device);
  ~CudaWatchdog();  // removes the probe
  CudaWatchdog(const CudaWatchdog&) = delete;
  CudaWatchdog& operator=(const CudaWatchdog&) = delete;

  double timeout_s() const { return host_.timeout_s(); }

  // Polls `comm` for asynchronous errors until remove_comm(comm).
  void add_comm(ncclComm_t comm, const std::string& name);
  void remove_comm(ncclComm_t comm);

  // Arms the host watchdog for `what` (e.g. "ring P=2 S=65536 ... run"); a timeout's
  // message names the first step of `progress` (may be null; must outlive the section)
  // whose event has not fired.
  [[nodiscard]] Watchdog::Section arm(std::string what, const std::vector<StepProgress>* progress);

 private:
  struct Comm {
    ncclComm_t comm;
    std::string name;
  };
  std::string nccl_error();  // the probe
  void bind_thread();        // cudaSetDevice(device_) on the watchdog thread, once

  Watchdog& host_;
  const int device_;
  bool thread_bound_ = false;  // touched by the watchdog thread only
  std::mutex mu_;              // guards comms_
  std::vector<Comm> comms_;
  int probe_id_;
};

}  // namespace cpb
