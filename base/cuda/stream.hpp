// Stream: one non-blocking CUDA stream (it does not synchronize with the legacy default
// stream), destroyed on destruction. Priority::Greatest lets its kernels' blocks be
// scheduled ahead of those of default-priority streams as SMs free up.
#pragma once

#include <utility>

#include "base/cuda/cuda_check.hpp"

namespace cpb {

class Stream {
 public:
  enum class Priority { Default, Greatest };
  explicit Stream(Priority priority = Priority::Default) {
    int least = 0, greatest = 0;
    CPB_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    CPB_CUDA_CHECK(cudaStreamCreateWithPriority(&s_, cudaStreamNonBlocking,
                                            priority == Priority::Greatest ? greatest : least));
  }
  ~Stream() {
    if (s_) CPB_CUDA_CHECK(cudaStreamDestroy(s_));
  }
  Stream(Stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stream& operator=(Stream&& o) noexcept {
    if (this != &o) {
      Stream old(std::move(*this));
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  cudaStream_t get() const { return s_; }
  void synchronize() const { CPB_CUDA_CHECK(cudaStreamSynchronize(s_)); }

 private:
  cudaStream_t s_ = nullptr;
};

}  // namespace cpb
