// CudaAllocation<Allocator>: the move-only owner shared by DeviceBuffer and PinnedBuffer.
// Each buffer type is this template over its own allocator policy, so the two stay
// distinct types (one RAII type per resource) with one implementation of ownership.
// An Allocator provides
//   static constexpr const char* kName;               // the allocating call, for errors
//   static constexpr const char* kMemory;             // what it allocates, for OutOfMemory
//   static cudaError_t allocate(void** ptr, size_t bytes);
//   static void release(void* ptr);                   // frees, CPB_CUDA_CHECKed
//   static size_t free_bytes();                       // [bytes] of that memory free now
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "base/cuda/cuda_check.hpp"
#include "base/out_of_memory.hpp"

namespace cpb {

template <class Allocator>
class CudaAllocation {
 public:
  CudaAllocation() = default;
  // Allocates `bytes` [bytes] with Allocator; 0 bytes gives a null buffer. Throws
  // OutOfMemory when the memory is short (cudaErrorMemoryAllocation, an error that leaves
  // the context usable: it is cleared here); any other failure ends the job.
  explicit CudaAllocation(size_t bytes) : bytes_(bytes) {
    if (bytes_ == 0) return;
    const cudaError_t rc = Allocator::allocate(&ptr_, bytes_);
    if (rc == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear it, so that the next checked call does not report it
      ptr_ = nullptr;
      throw OutOfMemory(Allocator::kMemory, bytes_, Allocator::free_bytes());
    }
    if (rc != cudaSuccess)
      CPB_FATAL(std::string(Allocator::kName) + "(" + std::to_string(bytes_) + " bytes) failed: " +
                cudaGetErrorString(rc));
  }
  ~CudaAllocation() {
    if (ptr_) Allocator::release(ptr_);
  }
  CudaAllocation(CudaAllocation&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  CudaAllocation& operator=(CudaAllocation&& o) noexcept {
    if (this != &o) {
      CudaAllocation old(std::move(*this));
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  CudaAllocation(const CudaAllocation&) = delete;
  CudaAllocation& operator=(const CudaAllocation&) = delete;

  void* get() const { return ptr_; }
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace cpb
