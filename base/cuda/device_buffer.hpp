// DeviceBuffer: one cudaMalloc allocation on the current device, freed on destruction.
#pragma once

#include <cstddef>

#include "base/cuda/cuda_allocation.hpp"
#include "base/cuda/cuda_check.hpp"

namespace cpb {

struct DeviceAllocator {
  static constexpr const char* kName = "cudaMalloc";
  static cudaError_t allocate(void** ptr, size_t bytes) { return cudaMalloc(ptr, bytes); }
  static void release(void* ptr) { CPB_CUDA_CHECK(cudaFree(ptr)); }
};

// DeviceBuffer(bytes) allocates `bytes` [bytes] on the current device; 0 bytes gives a
// null buffer.
using DeviceBuffer = CudaAllocation<DeviceAllocator>;

}  // namespace cpb
