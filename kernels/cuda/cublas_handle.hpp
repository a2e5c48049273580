// CublasHandle: one cuBLAS handle on the current device, destroyed on destruction, in
// pedantic math mode: fp32 GEMMs are computed in fp32 (no TF32 or other reduced-precision
// tensor-core path, whatever NVIDIA_TF32_OVERRIDE or the defaults say), as the references
// that use it need.
#pragma once

#include <cuda_runtime_api.h>

#include "base/cuda/cublas_check.hpp"
#include "base/unique_handle.hpp"

namespace cpb {

class CublasHandle {
 public:
  // Binds the handle to `stream`: its calls run there.
  explicit CublasHandle(cudaStream_t stream) {
    cublasHandle_t h = nullptr;
    CPB_CUBLAS_CHECK(cublasCreate(&h));
    h_.reset(h);
    CPB_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_PEDANTIC_MATH));
    CPB_CUBLAS_CHECK(cublasSetStream(h, stream));
  }

  cublasHandle_t get() const { return h_.get(); }

 private:
  struct Traits {
    using Handle = cublasHandle_t;
    static Handle null() { return nullptr; }
    static void destroy(Handle h) { CPB_CUBLAS_CHECK(cublasDestroy(h)); }
  };
  UniqueHandle<Traits> h_;
};

}  // namespace cpb
