// Event: one CUDA event. Timing events measure elapsed time between two records; the
// others only order streams (cheaper to record and wait on).
#pragma once

#include <utility>

#include "base/cuda/cuda_check.hpp"

namespace cpb {

class Event {
 public:
  enum class Kind { Sync, Timing };
  explicit Event(Kind kind = Kind::Sync) {
    CPB_CUDA_CHECK(cudaEventCreateWithFlags(&e_, kind == Kind::Timing ? cudaEventDefault : cudaEventDisableTiming));
  }
  ~Event() {
    if (e_) CPB_CUDA_CHECK(cudaEventDestroy(e_));
  }
  Event(Event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  Event& operator=(Event&& o) noexcept {
    if (this != &o) {
      Event old(std::move(*this));
      e_ = std::exchange(o.e_, nullptr);
    }
    return *this;
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  cudaEvent_t get() const { return e_; }
  void record(cudaStream_t s) const { CPB_CUDA_CHECK(cudaEventRecord(e_, s)); }
  // Makes `s` wait for the last record of this event.
  void wait_on(cudaStream_t s) const { CPB_CUDA_CHECK(cudaStreamWaitEvent(s, e_, 0)); }
  void synchronize() const { CPB_CUDA_CHECK(cudaEventSynchronize(e_)); }
  // Milliseconds from `start`'s record to this event's record (both timing events).
  float ms_since(const Event& start) const {
    float ms = 0;
    CPB_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e_, e_));
    return ms;
  }

 private:
  cudaEvent_t e_ = nullptr;
};

}  // namespace cpb
