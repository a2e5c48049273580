// CudnnHandle: one cuDNN handle on the current device, destroyed on destruction.
#pragma once

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/cudnn_check.hpp"
#include "base/unique_handle.hpp"

namespace cpb {

class CudnnHandle {
 public:
  CudnnHandle() {
    cudnnHandle_t h = nullptr;
    CPB_CUDNN_CHECK(cudnnCreate(&h));
    h_.reset(h);
  }

  cudnnHandle_t get() const { return h_.get(); }

 private:
  struct Traits {
    using Handle = cudnnHandle_t;
    static Handle null() { return nullptr; }
    static void destroy(Handle h) { CPB_CUDNN_CHECK(cudnnDestroy(h)); }
  };
  UniqueHandle<Traits> h_;
};

}  // namespace cpb
