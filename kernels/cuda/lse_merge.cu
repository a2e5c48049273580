#include "kernels/cuda/lse_merge.hpp"

#include <algorithm>
#include <cmath>

#include "base/cuda/cuda_check.hpp"
#include "kernels/cuda/elem.cuh"

namespace cpb {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

// P: the partial's element type; A: the accumulator's (float, or P when the accumulator is
// the output itself).
template <class P, class A>
__global__ void merge_kernel(View4 part_o, View4 part_lse, View4 acc_o, View4 acc_lse, bool init) {
  const int64_t S = acc_o.shape[1], H = acc_o.shape[2], D = acc_o.shape[3];
  const int64_t rows = acc_o.shape[0] * S * H;
  const int lane = threadIdx.x % 32;
  for (int64_t row = blockIdx.x * int64_t{kWarps} + threadIdx.x / 32; row < rows;
       row += int64_t{gridDim.x} * kWarps) {
    const int64_t h = row % H;
    const int64_t s = (row / H) % S;
    const int64_t b = row / (H * S);
    const P* po = reinterpret_cast<const P*>(part_o.ptr) + b * part_o.stride[0] + s * part_o.stride[1] +
                  h * part_o.stride[2];
    A* ao = reinterpret_cast<A*>(acc_o.ptr) + b * acc_o.stride[0] + s * acc_o.stride[1] + h * acc_o.stride[2];
    const float lp = *(reinterpret_cast<const float*>(part_lse.ptr) + b * part_lse.stride[0] +
                       h * part_lse.stride[1] + s * part_lse.stride[2]);
    float* al = reinterpret_cast<float*>(acc_lse.ptr) + b * acc_lse.stride[0] + h * acc_lse.stride[1] +
                s * acc_lse.stride[2];
    if (init) {
      for (int64_t d = lane; d < D; d += 32)
        ao[d * acc_o.stride[3]] = Elem<A>::store(Elem<P>::load(po[d * part_o.stride[3]]));
      if (lane == 0) *al = lp;
      continue;
    }
    if (lp == -INFINITY) continue;
    const float la = *al;
    const float m = fmaxf(la, lp);
    const float wa = la == -INFINITY ? 0.f : expf(la - m);
    const float wp = expf(lp - m);
    const float inv = 1.f / (wa + wp);
    for (int64_t d = lane; d < D; d += 32) {
      A* a = ao + d * acc_o.stride[3];
      *a = Elem<A>::store((wa * Elem<A>::load(*a) + wp * Elem<P>::load(po[d * part_o.stride[3]])) * inv);
    }
    __syncwarp();  // every lane has read *al before lane 0 replaces it
    if (lane == 0) *al = m + logf(wa + wp);
  }
}

}  // namespace

void lse_merge(const DeviceView& part_o, const DeviceView& part_lse, const DeviceView& acc_o,
               const DeviceView& acc_lse, bool init, cudaStream_t stream) {
  if ((acc_o.type != DType::FP32 && acc_o.type != part_o.type) || part_lse.type != DType::FP32 ||
      acc_lse.type != DType::FP32)
    CPB_FATAL("lse_merge: the accumulator must be fp32 or of the partial's type, the LSE views fp32");
  if (part_o.shape != acc_o.shape) CPB_FATAL("lse_merge: partial and accumulator shapes differ");
  const int64_t rows = acc_o.shape[0] * acc_o.shape[1] * acc_o.shape[2];
  if (rows == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((rows + kWarps - 1) / kWarps, 1 << 16));
  const bool fp32_acc = acc_o.type == DType::FP32;
  dispatch_type(part_o.type, [&](auto tag) {
    using P = decltype(tag);
    if (fp32_acc)
      merge_kernel<P, float><<<blocks, kThreads, 0, stream>>>(to_view4(part_o), to_view4(part_lse), to_view4(acc_o),
                                                              to_view4(acc_lse), init);
    else
      merge_kernel<P, P><<<blocks, kThreads, 0, stream>>>(to_view4(part_o), to_view4(part_lse), to_view4(acc_o),
                                                          to_view4(acc_lse), init);
  });
  CPB_CUDA_CHECK_LAUNCH();
}

}  // namespace cpb
