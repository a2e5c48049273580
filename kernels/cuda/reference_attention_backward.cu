#include "kernels/cuda/reference_attention_backward.hpp"

#include <algorithm>
#include <string>

#include "base/check.hpp"
#include "base/cuda/cuda_check.hpp"

namespace cpb {
namespace {

// Block (r, s) of kWarps warps takes slice s of row r's partners; a warp takes one partner
// at a time, lane l holding dimensions l + 32 c (c < kPer) of every vector.
constexpr int kWarps = 4;
constexpr int kPer = static_cast<int>(kRefMaxD / 32);
constexpr int64_t kBlocksWanted = 2048;  // rows times slices, enough to fill the GPU
constexpr int64_t kMaxSlices = 64;

int64_t slices_of(int64_t n) { return std::clamp<int64_t>(kBlocksWanted / std::max<int64_t>(n, 1), 1, kMaxSlices); }

__device__ float warp_sum(float x) {
  for (int off = 16; off > 0; off /= 2) x += __shfl_xor_sync(0xffffffffu, x, off);
  return x;
}

__device__ void load_row(const float* row, int64_t D, float (&x)[kPer]) {
  const int lane = threadIdx.x % 32;
#pragma unroll
  for (int c = 0; c < kPer; ++c) {
    const int64_t d = lane + 32 * c;
    x[c] = d < D ? row[d] : 0.f;
  }
}

__device__ float dot(const float (&x)[kPer], const float (&y)[kPer]) {
  float acc = 0.f;
#pragma unroll
  for (int c = 0; c < kPer; ++c) acc = fmaf(x[c], y[c], acc);
  return warp_sum(acc);
}

// Calls f(token) for this block's slice of the partners of list row `list` (the ranges'
// tokens in order), each warp every kWarps-th; warp-uniform.
template <class F>
__device__ void for_partners(const int64_t* at, const KeyRange* ranges, int64_t list, F&& f) {
  const int64_t first = at[list], last = at[list + 1];
  int64_t total = 0;
  for (int64_t r = first; r < last; ++r) total += ranges[r].end - ranges[r].begin;
  const int64_t lo = total * blockIdx.y / gridDim.y, hi = total * (blockIdx.y + 1) / gridDim.y;
  const int warp = threadIdx.x / 32;
  int64_t pos = 0;  // partners before range r
  for (int64_t r = first; r < last && pos < hi; ++r) {
    const int64_t len = ranges[r].end - ranges[r].begin;
    const int64_t a = std::max(lo, pos), e = std::min(hi, pos + len);
    for (int64_t x = a + warp; x < e; x += kWarps) f(ranges[r].begin + (x - pos));
    pos += len;
  }
}

// Sums acc over the block's warps into scratch[((slice * n + row) * outs + which) * D + d].
__device__ void write_partial(const float (&acc)[kPer], int which, int outs, int64_t n, int64_t D, float* scratch) {
  __shared__ float red[kWarps][kRefMaxD];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
#pragma unroll
  for (int c = 0; c < kPer; ++c) red[warp][lane + 32 * c] = acc[c];
  __syncthreads();
  float* dst = scratch + ((blockIdx.y * n + blockIdx.x) * outs + which) * D;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) {
    float sum = 0.f;
    for (int w = 0; w < kWarps; ++w) sum += red[w][d];
    dst[d] = sum;
  }
  __syncthreads();  // red is reused by the next call
}

// Outputs of the partner loops: dq, its sum of squares of terms, sum of p k; dk, dv and
// their sums of squares (dK's with its delta shifts).
constexpr int kDqOuts = 3;
constexpr int kDkvOuts = 4;

__global__ void dq_kernel(const GradRow* rows, int64_t n, const int64_t* at, const KeyRange* ranges, const float* q,
                          const float* dout, const float* lse, const float* delta, const float* k, const float* v,
                          int64_t D, float scale, float* scratch) {
  const GradRow row = rows[blockIdx.x];
  float qi[kPer], doi[kPer], acc[kPer] = {}, sq[kPer] = {}, pk[kPer] = {};
  load_row(q + row.src * D, D, qi);
  load_row(dout + row.src * D, D, doi);
  const float lse_i = lse[row.src], delta_i = delta[row.src];
  for_partners(at, ranges, row.list, [&](int64_t j) {
    float kj[kPer], vj[kPer];
    load_row(k + j * D, D, kj);
    load_row(v + j * D, D, vj);
    const float p = expf(scale * dot(qi, kj) - lse_i);
    const float ds = p * (dot(doi, vj) - delta_i);
#pragma unroll
    for (int c = 0; c < kPer; ++c) {
      const float term = scale * ds * kj[c];
      acc[c] = fmaf(scale * ds, kj[c], acc[c]);
      sq[c] = fmaf(term, term, sq[c]);
      pk[c] = fmaf(p, kj[c], pk[c]);
    }
  });
  write_partial(acc, 0, kDqOuts, n, D, scratch);
  write_partial(sq, 1, kDqOuts, n, D, scratch);
  write_partial(pk, 2, kDqOuts, n, D, scratch);
}

__global__ void dkv_kernel(const GradRow* rows, int64_t n, const int64_t* at, const KeyRange* ranges, const float* k,
                           const float* v, const float* q, const float* dout, const float* lse, const float* delta,
                           const float* r, int64_t D, float scale, float* scratch) {
  const GradRow row = rows[blockIdx.x];
  float kj[kPer], vj[kPer], dk[kPer] = {}, dv[kPer] = {}, sqk[kPer] = {}, sqv[kPer] = {};
  load_row(k + row.src * D, D, kj);
  load_row(v + row.src * D, D, vj);
  for_partners(at, ranges, row.list, [&](int64_t i) {
    float qi[kPer], doi[kPer];
    load_row(q + i * D, D, qi);
    load_row(dout + i * D, D, doi);
    const float p = expf(scale * dot(qi, kj) - lse[i]);
    const float ds = p * (dot(doi, vj) - delta[i]);
    const float shift = scale * p * r[i];
#pragma unroll
    for (int c = 0; c < kPer; ++c) {
      const float k_term = scale * ds * qi[c], v_term = p * doi[c], k_shift = shift * qi[c];
      dk[c] = fmaf(scale * ds, qi[c], dk[c]);
      dv[c] = fmaf(p, doi[c], dv[c]);
      sqk[c] = fmaf(k_term, k_term, fmaf(k_shift, k_shift, sqk[c]));
      sqv[c] = fmaf(v_term, v_term, sqv[c]);
    }
  });
  write_partial(dk, 0, kDkvOuts, n, D, scratch);
  write_partial(dv, 1, kDkvOuts, n, D, scratch);
  write_partial(sqk, 2, kDkvOuts, n, D, scratch);
  write_partial(sqv, 3, kDkvOuts, n, D, scratch);
}

// acc[(w * n + row) * D + d] += the sum over slices, in slice order, of output w's partials.
__global__ void add_slices_kernel(const float* scratch, int64_t slices, int64_t n, int outs, int64_t D, float* acc) {
  const int64_t total = n * outs * D;
  for (int64_t e = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; e < total; e += int64_t{gridDim.x} * blockDim.x) {
    float sum = 0.f;
    for (int64_t s = 0; s < slices; ++s) sum += scratch[s * total + e];
    const int64_t d = e % D, which = (e / D) % outs, row = e / (D * outs);
    acc[(which * n + row) * D + d] += sum;
  }
}

// out, mag [n, D] from the dq accumulators [3, n, D].
__global__ void dq_finish_kernel(const float* acc, const GradRow* rows, int64_t n, int64_t D, const float* r,
                                 float scale, float* out, float* mag) {
  for (int64_t e = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; e < n * D; e += int64_t{gridDim.x} * blockDim.x) {
    const float dq = acc[e], sq = acc[n * D + e], shift = scale * r[rows[e / D].src] * acc[2 * n * D + e];
    out[e] = dq;
    mag[e] = sqrtf(sq + shift * shift + dq * dq);
  }
}

__global__ void dkv_finish_kernel(const float* acc, int64_t n, int64_t D, float* dk, float* dv, float* mag_k,
                                  float* mag_v) {
  for (int64_t e = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; e < n * D; e += int64_t{gridDim.x} * blockDim.x) {
    const float k = acc[e], v = acc[n * D + e];
    dk[e] = k;
    dv[e] = v;
    mag_k[e] = sqrtf(acc[2 * n * D + e] + k * k);
    mag_v[e] = sqrtf(acc[3 * n * D + e] + v * v);
  }
}

unsigned elementwise_blocks(int64_t n) { return static_cast<unsigned>(std::min<int64_t>((n + 255) / 256, 1 << 16)); }

void check_d(int64_t D) {
  if (D > kRefMaxD || D % 8 != 0)
    CPB_FATAL("reference gradients: D=" + std::to_string(D) + " is not a multiple of 8 up to " +
              std::to_string(kRefMaxD));
}

void add_slices(const float* partials, int64_t slices, int64_t n, int outs, int64_t D, float* acc,
                cudaStream_t stream) {
  add_slices_kernel<<<elementwise_blocks(n * outs * D), 256, 0, stream>>>(partials, slices, n, outs, D, acc);
  CPB_CUDA_CHECK_LAUNCH();
}

}  // namespace

size_t grad_rows_scratch_bytes(int64_t n, int64_t D) {
  // The partner loops' partials of every slice, then dq's accumulators.
  return static_cast<size_t>((slices_of(n) * kDkvOuts + kDqOuts) * n * D) * sizeof(float);
}

size_t dkv_accumulator_bytes(int64_t n, int64_t D) { return static_cast<size_t>(kDkvOuts * n * D) * sizeof(float); }

void reference_dq_rows(const GradRow* d_rows, int64_t n, const DeviceRangeLists& keys, const float* q,
                       const float* dout, const float* lse, const float* delta, const float* r, const float* k,
                       const float* v, int64_t D, float scale, void* scratch, float* out, float* mag,
                       cudaStream_t stream) {
  check_d(D);
  if (n == 0) return;
  const int64_t slices = slices_of(n);
  float* partials = static_cast<float*>(scratch);
  float* acc = partials + slices * kDkvOuts * n * D;
  CPB_CUDA_CHECK(cudaMemsetAsync(acc, 0, static_cast<size_t>(kDqOuts * n * D) * sizeof(float), stream));
  dq_kernel<<<dim3(static_cast<unsigned>(n), static_cast<unsigned>(slices)), kWarps * 32, 0, stream>>>(
      d_rows, n, keys.at(), keys.ranges(), q, dout, lse, delta, k, v, D, scale, partials);
  CPB_CUDA_CHECK_LAUNCH();
  add_slices(partials, slices, n, kDqOuts, D, acc, stream);
  dq_finish_kernel<<<elementwise_blocks(n * D), 256, 0, stream>>>(acc, d_rows, n, D, r, scale, out, mag);
  CPB_CUDA_CHECK_LAUNCH();
}

void reference_dkv_rows(const GradRow* d_rows, int64_t n, const DeviceRangeLists& queries, const float* k,
                        const float* v, const float* q, const float* dout, const float* lse, const float* delta,
                        const float* r, int64_t D, float scale, void* scratch, float* acc, cudaStream_t stream) {
  check_d(D);
  if (n == 0) return;
  const int64_t slices = slices_of(n);
  dkv_kernel<<<dim3(static_cast<unsigned>(n), static_cast<unsigned>(slices)), kWarps * 32, 0, stream>>>(
      d_rows, n, queries.at(), queries.ranges(), k, v, q, dout, lse, delta, r, D, scale, static_cast<float*>(scratch));
  CPB_CUDA_CHECK_LAUNCH();
  add_slices(static_cast<const float*>(scratch), slices, n, kDkvOuts, D, acc, stream);
}

void reference_dkv_finish(const float* acc, int64_t n, int64_t D, float* dk, float* dv, float* mag_k, float* mag_v,
                          cudaStream_t stream) {
  if (n == 0) return;
  dkv_finish_kernel<<<elementwise_blocks(n * D), 256, 0, stream>>>(acc, n, D, dk, dv, mag_k, mag_v);
  CPB_CUDA_CHECK_LAUNCH();
}

}  // namespace cpb
