#include "kernels/cuda/fill_inputs.hpp"

#include <algorithm>

#include "base/cuda/cuda_check.hpp"
#include "kernels/cuda/elem.cuh"

namespace cpb {
namespace {

constexpr int kThreads = 256;

unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, 1 << 16)));
}

template <class T>
__global__ void fill_inputs_kernel(Tensor t, T* dst, int64_t s_local, int64_t heads, int64_t D,
                                   const int64_t* tokens, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t d = i % D;
    const int64_t h = (i / D) % heads;
    const int64_t s = (i / (D * heads)) % s_local;
    const int64_t b = i / (D * heads * s_local);
    dst[i] = Elem<T>::store(input_value(t, b, tokens[s], h, d, D));
  }
}

template <class T>
__global__ void fill_linear_kernel(Tensor t, T* dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = Elem<T>::store(input_value(t, 0, i, 0, 0, 1));
}

}  // namespace

void fill_inputs(Tensor t, DType type, void* dst, int64_t B, int64_t s_local, int64_t heads, int64_t D,
                 const int64_t* d_tokens, cudaStream_t stream) {
  const int64_t n = B * s_local * heads * D;
  if (n == 0) return;
  dispatch_type(type, [&](auto tag) {
    using T = decltype(tag);
    fill_inputs_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(t, static_cast<T*>(dst), s_local, heads, D,
                                                                 d_tokens, n);
  });
  CPB_CUDA_CHECK_LAUNCH();
}

void fill_linear(Tensor t, DType type, void* dst, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  dispatch_type(type, [&](auto tag) {
    using T = decltype(tag);
    fill_linear_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(t, static_cast<T*>(dst), n);
  });
  CPB_CUDA_CHECK_LAUNCH();
}

}  // namespace cpb
