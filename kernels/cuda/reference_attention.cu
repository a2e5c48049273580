#include "kernels/cuda/reference_attention.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/cuda/cuda_check.hpp"
#include "kernels/cuda/elem.cuh"
#include "kernels/cuda/softmax_partial.cuh"

namespace cpb {
namespace {

constexpr int kThreads = 256;  // one block per row; kThreads >= kRefMaxD

__global__ void generate_kernel(Tensor t, int64_t kv_head, int64_t S, int64_t D, __nv_bfloat16* dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t d = i % D;
    const int64_t s = (i / D) % S;
    const int64_t b = i / (D * S);
    dst[i] = __float2bfloat16_rn(input_value(t, b, s, kv_head, d, D));
  }
}

// q (shared, fp32) . k (global bf16, D % 8 == 0), 16-byte loads.
__device__ float dot_row(const float* q, const __nv_bfloat16* k, int64_t D) {
  float acc = 0.f;
  for (int64_t d = 0; d < D; d += 8) {
    const uint4 raw = *reinterpret_cast<const uint4*>(k + d);
    const __nv_bfloat162* k2 = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float2 kf = __bfloat1622float2(k2[j]);
      acc = fmaf(q[d + 2 * j], kf.x, acc);
      acc = fmaf(q[d + 2 * j + 1], kf.y, acc);
    }
  }
  return acc;
}

__global__ void reference_kernel(const RefRow* rows, const KeyRange* ranges, const __nv_bfloat16* K,
                                 const __nv_bfloat16* V, int64_t S, int64_t D, float scale, float* out,
                                 float* lse_out) {
  __shared__ float q[kRefMaxD];
  __shared__ float p[kThreads];
  __shared__ float red_m[kThreads];
  __shared__ float red_l[kThreads];
  const RefRow row = rows[blockIdx.x];
  const KeyRange* row_ranges = ranges + row.first_range;
  const int tid = threadIdx.x;
  for (int64_t d = tid; d < D; d += kThreads) q[d] = input_value(Tensor::Q, row.b, row.token, row.head, d, D);
  __syncthreads();
  const __nv_bfloat16* Kb = K + row.b * S * D;
  const __nv_bfloat16* Vb = V + row.b * S * D;

  // Pass 1: the row's log-sum-exp, each thread over a strided subset of each key range.
  float m = -INFINITY, l = 0.f;
  for (int r = 0; r < row.num_ranges; ++r)
    for (int64_t j = row_ranges[r].begin + tid; j < row_ranges[r].end; j += kThreads)
      combine(m, l, scale * dot_row(q, Kb + j * D, D), 1.f);
  red_m[tid] = m;
  red_l[tid] = l;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (tid < half) combine(red_m[tid], red_l[tid], red_m[tid + half], red_l[tid + half]);
    __syncthreads();
  }
  const float lse = red_m[0] + logf(red_l[0]);
  __syncthreads();

  // Pass 2: out[d] = sum_j exp(s_j - lse) v_j[d]. A tile of kThreads probabilities of one
  // range goes to shared memory; then G = kThreads / D groups of D threads each sum a share.
  const int64_t groups = kThreads / D;
  const int64_t d = tid % D;
  const int64_t g = tid / D;
  float acc = 0.f;
  for (int r = 0; r < row.num_ranges; ++r) {
    const int64_t first = row_ranges[r].begin, last = row_ranges[r].end;
    for (int64_t base = first; base < last; base += kThreads) {
      const int64_t j = base + tid;
      p[tid] = j < last ? expf(scale * dot_row(q, Kb + j * D, D) - lse) : 0.f;
      __syncthreads();
      const int64_t tile = min(int64_t{kThreads}, last - base);
      if (g < groups)
        for (int64_t jj = g; jj < tile; jj += groups) acc = fmaf(p[jj], __bfloat162float(Vb[(base + jj) * D + d]), acc);
      __syncthreads();
    }
  }
  p[tid] = g < groups ? acc : 0.f;
  __syncthreads();
  if (tid < D) {
    float sum = 0.f;
    for (int64_t k = 0; k < groups; ++k) sum += p[k * D + tid];
    out[blockIdx.x * D + tid] = sum;
  }
  if (tid == 0) lse_out[blockIdx.x] = lse;
}

template <class T>
__global__ void compare_kernel(const RefRow* rows, int64_t n, View4 o, const float* ref, const float* mag,
                               RowCheck* out) {
  const int64_t D = o.shape[3];
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * int64_t{blockDim.x / 32} + threadIdx.x / 32; r < n;
       r += int64_t{gridDim.x} * (blockDim.x / 32)) {
    const RefRow row = rows[r];
    const T* orow = reinterpret_cast<const T*>(o.ptr) + row.b * o.stride[0] + row.local * o.stride[1] +
                    row.head * o.stride[2];
    float err = 0.f, mref = 0.f, mmag = 0.f;
    int bad = 0;
    for (int64_t d = lane; d < D; d += 32) {
      const float v = Elem<T>::load(orow[d * o.stride[3]]);
      const float rv = ref[r * D + d];
      if (!isfinite(v)) bad = 1;
      err = fmaxf(err, fabsf(v - rv));
      mref = fmaxf(mref, fabsf(rv));
      if (mag) mmag = fmaxf(mmag, mag[r * D + d]);
    }
    for (int off = 16; off > 0; off /= 2) {
      err = fmaxf(err, __shfl_xor_sync(0xffffffffu, err, off));
      mref = fmaxf(mref, __shfl_xor_sync(0xffffffffu, mref, off));
      mmag = fmaxf(mmag, __shfl_xor_sync(0xffffffffu, mmag, off));
      bad |= __shfl_xor_sync(0xffffffffu, bad, off);
    }
    if (lane == 0) out[r] = RowCheck{err, mref, mmag, bad};
  }
}

}  // namespace

void generate_kv_head(Tensor t, int64_t kv_head, int64_t B, int64_t S, int64_t D, void* dst_bf16,
                      cudaStream_t stream) {
  const int64_t n = B * S * D;
  if (n == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + 255) / 256, 1 << 16));
  generate_kernel<<<blocks, 256, 0, stream>>>(t, kv_head, S, D, static_cast<__nv_bfloat16*>(dst_bf16), n);
  CPB_CUDA_CHECK_LAUNCH();
}

void reference_attention(const RefRow* d_rows, int64_t n, const KeyRange* d_ranges, const void* k_bf16,
                         const void* v_bf16, int64_t S, int64_t D, float scale, float* out, float* lse,
                         cudaStream_t stream) {
  if (D > kRefMaxD || D % 8 != 0)
    CPB_FATAL("reference_attention: D=" + std::to_string(D) + " is not a multiple of 8 up to " +
              std::to_string(kRefMaxD));
  // Rows go in launches of at most 65535 blocks (grid.x has no such limit, but keeping
  // each launch short keeps the device responsive).
  for (int64_t first = 0; first < n; first += 65535) {
    const int64_t count = std::min<int64_t>(65535, n - first);
    reference_kernel<<<static_cast<unsigned>(count), kThreads, 0, stream>>>(
        d_rows + first, d_ranges, static_cast<const __nv_bfloat16*>(k_bf16),
        static_cast<const __nv_bfloat16*>(v_bf16), S, D, scale, out + first * D, lse + first);
    CPB_CUDA_CHECK_LAUNCH();
  }
}

void compare_rows(const RefRow* d_rows, int64_t n, const DeviceView& o, const float* ref, const float* mag,
                  RowCheck* out, cudaStream_t stream) {
  if (n == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + 7) / 8, 1 << 16));
  dispatch_type(o.type, [&](auto tag) {
    compare_kernel<decltype(tag)><<<blocks, 256, 0, stream>>>(d_rows, n, to_view4(o), ref, mag, out);
  });
  CPB_CUDA_CHECK_LAUNCH();
}

}  // namespace cpb
