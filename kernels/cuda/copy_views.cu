#include "kernels/cuda/copy_views.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/cuda/cuda_check.hpp"
#include "kernels/cuda/elem.cuh"

namespace cpb {
namespace {

constexpr int kThreads = 256;
constexpr int kVec = 8;           // elements per thread on the vector path
constexpr int kMaxBatch = 8;      // pairs per launch

struct CopyBatch {
  View4 src[kMaxBatch];
  View4 dst[kMaxBatch];
};

template <class T, int N>
struct alignas(sizeof(T) * N) Vec {
  T v[N];
};

// dst = src, or dst += src (in fp32) when kAdd.
template <class S, class D, int N, bool kAdd>
__global__ void copy_kernel(CopyBatch batch) {
  const View4 src = batch.src[blockIdx.y];
  const View4 dst = batch.dst[blockIdx.y];
  const int64_t n3 = src.shape[3] / N;
  const int64_t n = src.shape[0] * src.shape[1] * src.shape[2] * n3;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i3 = (i % n3) * N;
    int64_t r = i / n3;
    const int64_t i2 = r % src.shape[2];
    r /= src.shape[2];
    const int64_t i1 = r % src.shape[1];
    const int64_t i0 = r / src.shape[1];
    const S* sp = reinterpret_cast<const S*>(src.ptr) + i0 * src.stride[0] + i1 * src.stride[1] +
                  i2 * src.stride[2] + i3 * src.stride[3];
    D* dp = reinterpret_cast<D*>(dst.ptr) + i0 * dst.stride[0] + i1 * dst.stride[1] + i2 * dst.stride[2] +
            i3 * dst.stride[3];
    if constexpr (N == 1) {
      *dp = Elem<D>::store(Elem<S>::load(*sp) + (kAdd ? Elem<D>::load(*dp) : 0.0f));
    } else {
      const Vec<S, N> in = *reinterpret_cast<const Vec<S, N>*>(sp);
      Vec<D, N> out;
      if constexpr (kAdd) out = *reinterpret_cast<const Vec<D, N>*>(dp);
#pragma unroll
      for (int k = 0; k < N; ++k)
        out.v[k] = Elem<D>::store(Elem<S>::load(in.v[k]) + (kAdd ? Elem<D>::load(out.v[k]) : 0.0f));
      *reinterpret_cast<Vec<D, N>*>(dp) = out;
    }
  }
}

int type_bytes(DType t) { return t == DType::FP32 ? 4 : 2; }

bool vector_ok(const DeviceView& v) {
  const auto addr = reinterpret_cast<uintptr_t>(v.ptr);
  return v.stride[3] == 1 && v.shape[3] % kVec == 0 && v.stride[0] % kVec == 0 && v.stride[1] % kVec == 0 &&
         v.stride[2] % kVec == 0 && addr % (static_cast<uintptr_t>(kVec) * type_bytes(v.type)) == 0;
}

template <int N, bool kAdd>
void launch(DType st, DType dt, const CopyBatch& batch, int count, int64_t most, cudaStream_t stream) {
  const int64_t blocks = std::min<int64_t>((most / N + kThreads - 1) / kThreads, 8192);
  const dim3 grid(static_cast<unsigned>(std::max<int64_t>(blocks, 1)), static_cast<unsigned>(count));
  dispatch_type(st, [&](auto s) {
    dispatch_type(dt, [&](auto d) {
      copy_kernel<decltype(s), decltype(d), N, kAdd><<<grid, kThreads, 0, stream>>>(batch);
    });
  });
  CPB_CUDA_CHECK_LAUNCH();
}

// [first, last) bytes a view's elements lie in.
std::pair<uintptr_t, uintptr_t> byte_span(const DeviceView& v) {
  int64_t last = 0;
  for (int i = 0; i < 4; ++i) last += (v.shape[i] - 1) * v.stride[i];
  const uintptr_t first = reinterpret_cast<uintptr_t>(v.ptr);
  return {first, first + static_cast<uintptr_t>((last + 1) * type_bytes(v.type))};
}

template <bool kAdd>
void copy_or_add(const std::vector<CopyPair>& pairs, cudaStream_t stream) {
  size_t i = 0;
  while (i < pairs.size()) {
    const CopyPair& first = pairs[i];
    const bool vec = vector_ok(first.src) && vector_ok(first.dst);
    CopyBatch batch{};
    int count = 0;
    int64_t most = 0;
    std::vector<std::pair<uintptr_t, uintptr_t>> dst_spans;  // kAdd: of the batch's destinations
    while (i < pairs.size() && count < kMaxBatch) {
      const CopyPair& p = pairs[i];
      if (p.src.shape != p.dst.shape)
        CPB_FATAL(std::string(kAdd ? "add_views" : "copy_views") + ": source and destination shapes differ");
      if (p.src.type != first.src.type || p.dst.type != first.dst.type ||
          (vector_ok(p.src) && vector_ok(p.dst)) != vec)
        break;
      if (kAdd && p.src.numel() > 0) {
        // Pairs of one launch run concurrently: one that adds into a destination of the
        // batch goes in the next launch, after it on the stream.
        const auto span = byte_span(p.dst);
        if (std::any_of(dst_spans.begin(), dst_spans.end(),
                        [&](const auto& o) { return span.first < o.second && o.first < span.second; }))
          break;
        dst_spans.push_back(span);
      }
      ++i;
      if (p.src.numel() == 0) continue;
      batch.src[count] = to_view4(p.src);
      batch.dst[count] = to_view4(p.dst);
      most = std::max(most, p.src.numel());
      ++count;
    }
    if (count == 0) continue;
    if (vec) {
      launch<kVec, kAdd>(first.src.type, first.dst.type, batch, count, most, stream);
    } else {
      launch<1, kAdd>(first.src.type, first.dst.type, batch, count, most, stream);
    }
  }
}

}  // namespace

void copy_views(const std::vector<CopyPair>& pairs, cudaStream_t stream) { copy_or_add<false>(pairs, stream); }

void add_views(const std::vector<CopyPair>& pairs, cudaStream_t stream) { copy_or_add<true>(pairs, stream); }

}  // namespace cpb
