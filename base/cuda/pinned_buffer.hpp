// PinnedBuffer: page-locked host memory (cudaMallocHost), the staging area for
// device-to-host copies that must not go through a pageable bounce buffer.
#pragma once

#include <cstddef>

#include "base/cuda/cuda_allocation.hpp"
#include "base/cuda/cuda_check.hpp"

namespace cpb {

struct PinnedAllocator {
  static constexpr const char* kName = "cudaMallocHost";
  static cudaError_t allocate(void** ptr, size_t bytes) { return cudaMallocHost(ptr, bytes); }
  static void release(void* ptr) { CPB_CUDA_CHECK(cudaFreeHost(ptr)); }
};

// PinnedBuffer(bytes) allocates `bytes` [bytes] of pinned host memory; 0 bytes gives a
// null buffer.
using PinnedBuffer = CudaAllocation<PinnedAllocator>;

}  // namespace cpb
