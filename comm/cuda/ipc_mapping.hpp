// IpcMapping: another process's cudaMalloc allocation opened in this one through CUDA IPC
// (cudaIpcOpenMemHandle, peer access enabled lazily), closed on destruction.
#pragma once

#include "base/cuda/cuda_check.hpp"
#include "base/unique_handle.hpp"

namespace cpb {

class IpcMapping {
 public:
  IpcMapping() = default;
  explicit IpcMapping(const cudaIpcMemHandle_t& handle) {
    void* ptr = nullptr;
    CPB_CUDA_CHECK(cudaIpcOpenMemHandle(&ptr, handle, cudaIpcMemLazyEnablePeerAccess));
    ptr_.reset(ptr);
  }

  char* get() const { return static_cast<char*>(ptr_.get()); }

 private:
  struct Traits {
    using Handle = void*;
    static Handle null() { return nullptr; }
    static void destroy(Handle ptr) { CPB_CUDA_CHECK(cudaIpcCloseMemHandle(ptr)); }
  };
  UniqueHandle<Traits> ptr_;
};

}  // namespace cpb
