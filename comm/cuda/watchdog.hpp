// Watchdog: a thread that turns a hung or failed NCCL job into a clean abort.
//
// While a section is armed (the host code that enqueues a run and waits for it), the
// thread checks every 50 ms that
//   1. no registered NCCL communicator reports an asynchronous error, and
//   2. the section ends within `timeout_s` [s] (CPB_WATCHDOG_S, default 300).
// On a failure it calls cpb::fatal() with the rank (from the process tag), the section's
// label (the point) and the first step whose completion event has not fired; fatal()
// aborts every NCCL communicator through its abort hook and MPI_Aborts the job. It
// calls MPI_Abort from the watchdog thread: MPI_THREAD_FUNNELED does not promise that,
// but Open MPI and MPICH honour it, and the alternative is a job that hangs forever.
#pragma once

#include <nccl.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/cuda/cuda_check.hpp"

namespace cpb {

// A step's completion event, recorded on its stream after the step.
struct StepProgress {
  std::string label;
  cudaEvent_t done = nullptr;
};

class Watchdog {
 public:
  static constexpr double kDefaultTimeoutS = 300;

  // Starts the thread; it queries events on `device`.
  Watchdog(int device, double timeout_s);
  ~Watchdog();  // stops and joins the thread
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  double timeout_s() const { return timeout_s_; }

  // Polls `comm` for asynchronous errors until remove_comm(comm).
  void add_comm(ncclComm_t comm, const std::string& name);
  void remove_comm(ncclComm_t comm);

  // An armed section; disarms when destroyed. `progress` (may be null) must outlive it.
  class Section {
   public:
    Section(Section&& o) noexcept;
    Section& operator=(Section&&) = delete;
    Section(const Section&) = delete;
    Section& operator=(const Section&) = delete;
    ~Section();

   private:
    friend class Watchdog;
    explicit Section(Watchdog* w) : w_(w) {}
    Watchdog* w_;
  };
  // Arms the watchdog for `what` (e.g. "ring S=65536 H=32 ... run"). One section at a time.
  [[nodiscard]] Section arm(std::string what, const std::vector<StepProgress>* progress);

 private:
  struct Comm {
    ncclComm_t comm;
    std::string name;
  };
  void loop();
  void disarm();
  [[noreturn]] void fail(const std::string& why);
  std::string first_unfinished() const;

  const int device_;
  const double timeout_s_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool armed_ = false;
  std::string what_;
  const std::vector<StepProgress>* progress_ = nullptr;
  std::chrono::steady_clock::time_point since_;
  std::vector<Comm> comms_;
  std::thread thread_;
};

}  // namespace cpb
