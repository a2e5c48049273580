// Event: one CUDA event. Timing events measure elapsed time between two records; the
// others only order streams (cheaper to record and wait on).
#pragma once

#include "base/cuda/cuda_check.hpp"
#include "base/unique_handle.hpp"

namespace cpb {

class Event {
 public:
  enum class Kind { Sync, Timing };
  explicit Event(Kind kind = Kind::Sync) {
    cudaEvent_t e = nullptr;
    CPB_CUDA_CHECK(cudaEventCreateWithFlags(&e, kind == Kind::Timing ? cudaEventDefault : cudaEventDisableTiming));
    e_.reset(e);
  }

  cudaEvent_t get() const { return e_.get(); }
  void record(cudaStream_t s) const { CPB_CUDA_CHECK(cudaEventRecord(get(), s)); }
  // Makes `s` wait for the last record of this event.
  void wait_on(cudaStream_t s) const { CPB_CUDA_CHECK(cudaStreamWaitEvent(s, get(), 0)); }
  void synchronize() const { CPB_CUDA_CHECK(cudaEventSynchronize(get())); }
  // Milliseconds from `start`'s record to this event's record (both timing events).
  float ms_since(const Event& start) const {
    float ms = 0;
    CPB_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), get()));
    return ms;
  }

 private:
  struct Traits {
    using Handle = cudaEvent_t;
    static Handle null() { return nullptr; }
    static void destroy(Handle e) { CPB_CUDA_CHECK(cudaEventDestroy(e)); }
  };
  UniqueHandle<Traits> e_;
};

}  // namespace cpb
