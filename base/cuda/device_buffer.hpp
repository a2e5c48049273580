// DeviceBuffer: one cudaMalloc allocation on the current device, freed on destruction.
#pragma once

#include <cstddef>

#include "base/cuda/cuda_allocation.hpp"
#include "base/cuda/cuda_check.hpp"

namespace cpb {

struct DeviceAllocator {
  static constexpr const char* kName = "cudaMalloc";
  static constexpr const char* kMemory = "device memory";
  static cudaError_t allocate(void** ptr, size_t bytes) { return cudaMalloc(ptr, bytes); }
  static void release(void* ptr) { CPB_CUDA_CHECK(cudaFree(ptr)); }
  static size_t free_bytes() {
    size_t free_b = 0, total_b = 0;
    CPB_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    return free_b;
  }
};

// DeviceBuffer(bytes) allocates `bytes` [bytes] on the current device; 0 bytes gives a
// null buffer; OutOfMemory when the device memory is short.
using DeviceBuffer = CudaAllocation<DeviceAllocator>;

}  // namespace cpb
