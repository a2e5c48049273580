// IpcMapping: another process's cudaMalloc allocation opened in this one through CUDA IPC
// (cudaIpcOpenMemHandle, peer access enabled lazily), closed on destruction.
#pragma once

#include <utility>

#include "base/cuda/cuda_check.hpp"

namespace cpb {

class IpcMapping {
 public:
  IpcMapping() = default;
  explicit IpcMapping(const cudaIpcMemHandle_t& handle) {
    CPB_CUDA_CHECK(cudaIpcOpenMemHandle(&ptr_, handle, cudaIpcMemLazyEnablePeerAccess));
  }
  ~IpcMapping() {
    if (ptr_) CPB_CUDA_CHECK(cudaIpcCloseMemHandle(ptr_));
  }
  IpcMapping(IpcMapping&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)) {}
  IpcMapping& operator=(IpcMapping&& o) noexcept {
    if (this != &o) {
      IpcMapping old(std::move(*this));
      ptr_ = std::exchange(o.ptr_, nullptr);
    }
    return *this;
  }
  IpcMapping(const IpcMapping&) = delete;
  IpcMapping& operator=(const IpcMapping&) = delete;

  char* get() const { return static_cast<char*>(ptr_); }

 private:
  void* ptr_ = nullptr;
};

}  // namespace cpb
