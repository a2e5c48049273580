// CudnnHandle: one cuDNN handle on the current device, destroyed on destruction.
#pragma once

#include <utility>

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/cudnn_check.hpp"

namespace cpb {

class CudnnHandle {
 public:
  CudnnHandle() { CPB_CUDNN_CHECK(cudnnCreate(&h_)); }
  ~CudnnHandle() {
    if (h_) CPB_CUDNN_CHECK(cudnnDestroy(h_));
  }
  CudnnHandle(CudnnHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  CudnnHandle& operator=(CudnnHandle&& o) noexcept {
    if (this != &o) {
      CudnnHandle old(std::move(*this));
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  CudnnHandle(const CudnnHandle&) = delete;
  CudnnHandle& operator=(const CudnnHandle&) = delete;

  cudnnHandle_t get() const { return h_; }

 private:
  cudnnHandle_t h_ = nullptr;
};

}  // namespace cpb
