// Stream: one non-blocking CUDA stream (it does not synchronize with the legacy default
// stream), destroyed on destruction. Priority::Greatest lets its kernels' blocks be
// scheduled ahead of those of default-priority streams as SMs free up.
#pragma once

#include "base/cuda/cuda_check.hpp"
#include "base/unique_handle.hpp"

namespace cpb {

class Stream {
 public:
  enum class Priority { Default, Greatest };
  explicit Stream(Priority priority = Priority::Default) {
    int least = 0, greatest = 0;
    CPB_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    cudaStream_t s = nullptr;
    CPB_CUDA_CHECK(
        cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, priority == Priority::Greatest ? greatest : least));
    s_.reset(s);
  }

  cudaStream_t get() const { return s_.get(); }
  void synchronize() const { CPB_CUDA_CHECK(cudaStreamSynchronize(get())); }

 private:
  struct Traits {
    using Handle = cudaStream_t;
    static Handle null() { return nullptr; }
    static void destroy(Handle s) { CPB_CUDA_CHECK(cudaStreamDestroy(s)); }
  };
  UniqueHandle<Traits> s_;
};

}  // namespace cpb
