// PinnedBuffer: page-locked host memory (cudaMallocHost), the staging area for
// device-to-host copies that must not go through a pageable bounce buffer.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "comm/cuda/cuda_check.hpp"

namespace cpb {

class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  // Allocates `bytes` [bytes] of pinned host memory; 0 bytes gives a null buffer.
  explicit PinnedBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes_ == 0) return;
    const cudaError_t rc = cudaMallocHost(&ptr_, bytes_);
    if (rc != cudaSuccess)
      CPB_FATAL("cudaMallocHost(" + std::to_string(bytes_) + " bytes) failed: " + cudaGetErrorString(rc));
  }
  ~PinnedBuffer() {
    if (ptr_) CUDA_CHECK(cudaFreeHost(ptr_));
  }
  PinnedBuffer(PinnedBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      PinnedBuffer old(std::move(*this));
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void* get() const { return ptr_; }
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace cpb
