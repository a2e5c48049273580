#include "kernels/cuda/flag_nonfinite.hpp"

#include <algorithm>

#include "base/cuda/cuda_check.hpp"
#include "kernels/cuda/elem.cuh"

namespace cpb {
namespace {

template <class T>
__global__ void flag_kernel(View4 v, int64_t n, int* flag) {
  bool bad = false;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i3 = i % v.shape[3], i2 = (i / v.shape[3]) % v.shape[2];
    const int64_t i1 = (i / (v.shape[3] * v.shape[2])) % v.shape[1], i0 = i / (v.shape[3] * v.shape[2] * v.shape[1]);
    const T* at =
        reinterpret_cast<const T*>(v.ptr) + i0 * v.stride[0] + i1 * v.stride[1] + i2 * v.stride[2] + i3 * v.stride[3];
    bad = bad || !isfinite(Elem<T>::load(*at));
  }
  if (bad) *flag = 1;  // racing writes of the same value
}

}  // namespace

void flag_nonfinite(const DeviceView& v, int* d_flag, cudaStream_t stream) {
  const int64_t n = v.numel();
  if (n == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + 255) / 256, 4096));
  dispatch_type(v.type,
                [&](auto tag) { flag_kernel<decltype(tag)><<<blocks, 256, 0, stream>>>(to_view4(v), n, d_flag); });
  CPB_CUDA_CHECK_LAUNCH();
}

}  // namespace cpb
