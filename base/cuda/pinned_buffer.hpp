// PinnedBuffer: page-locked host memory (cudaMallocHost), the staging area for
// device-to-host copies that must not go through a pageable bounce buffer.
#pragma once

#include <unistd.h>

#include <cstddef>

#include "base/cuda/cuda_allocation.hpp"
#include "base/cuda/cuda_check.hpp"

namespace cpb {

struct PinnedAllocator {
  static constexpr const char* kName = "cudaMallocHost";
  static constexpr const char* kMemory = "pinned host memory";
  static cudaError_t allocate(void** ptr, size_t bytes) { return cudaMallocHost(ptr, bytes); }
  static void release(void* ptr) { CPB_CUDA_CHECK(cudaFreeHost(ptr)); }
  // The host's available physical memory: what page-locking can take at most.
  static size_t free_bytes() {
    return static_cast<size_t>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
  }
};

// PinnedBuffer(bytes) allocates `bytes` [bytes] of pinned host memory; 0 bytes gives a
// null buffer; OutOfMemory when the host cannot page-lock that much.
using PinnedBuffer = CudaAllocation<PinnedAllocator>;

}  // namespace cpb
