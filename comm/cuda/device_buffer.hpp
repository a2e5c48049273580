// DeviceBuffer: one cudaMalloc allocation on the current device, freed on destruction.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "comm/cuda/cuda_check.hpp"

namespace cpb {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // Allocates `bytes` [bytes] on the current device; 0 bytes gives a null buffer.
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes_ == 0) return;
    const cudaError_t rc = cudaMalloc(&ptr_, bytes_);
    if (rc != cudaSuccess)
      CPB_FATAL("cudaMalloc(" + std::to_string(bytes_) + " bytes) failed: " + cudaGetErrorString(rc));
  }
  ~DeviceBuffer() {
    if (ptr_) CUDA_CHECK(cudaFree(ptr_));
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      DeviceBuffer old(std::move(*this));
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return ptr_; }
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace cpb
