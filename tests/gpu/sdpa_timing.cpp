#include "tests/gpu/sdpa_timing.hpp"

#include <algorithm>
#include <vector>

#include "base/cuda/device_buffer.hpp"
#include "base/cuda/event.hpp"
#include "base/cuda/stream.hpp"
#include "kernels/cuda/fill_inputs.hpp"

namespace cpb {
namespace {

// Elements from element (0,0,0,0) to the last element of a strided view, inclusive.
int64_t span(const std::array<int64_t, 4>& shape, const std::array<int64_t, 4>& stride) {
  int64_t last = 0;
  for (int i = 0; i < 4; ++i) last += (shape[i] - 1) * stride[i];
  return last + 1;
}

}  // namespace

SdpaTiming time_sdpa_standalone(CudnnSdpa& sdpa, const SdpaDesc& desc, int warmup, int iterations) {
  int64_t ws_bytes = 0;
  const std::string why = sdpa.prepare(desc, &ws_bytes);
  if (!why.empty()) CPB_FATAL(why);
  const int eb = dtype_bytes(desc.dtype);
  const int64_t nq = span(desc.q.shape, desc.q.stride), nk = span(desc.k.shape, desc.k.stride);
  const int64_t nv = span(desc.v.shape, desc.v.stride), no = span(desc.o.shape, desc.o.stride);
  const std::array<int64_t, 4> lse_shape{desc.q.shape[0], desc.q.shape[2], desc.q.shape[1], 1};
  DeviceBuffer q(static_cast<size_t>(nq * eb)), k(static_cast<size_t>(nk * eb)), v(static_cast<size_t>(nv * eb));
  DeviceBuffer o(static_cast<size_t>(no * eb));
  DeviceBuffer lse(desc.stats ? static_cast<size_t>(span(lse_shape, desc.lse_stride)) * sizeof(float) : 0);
  DeviceBuffer ws(static_cast<size_t>(ws_bytes));
  Stream stream;
  fill_linear(Tensor::Q, desc.dtype, q.get(), nq, stream.get());
  fill_linear(Tensor::K, desc.dtype, k.get(), nk, stream.get());
  fill_linear(Tensor::V, desc.dtype, v.get(), nv, stream.get());
  const SdpaArgs args{q.get(), k.get(), v.get(), o.get(), lse.as<float>()};
  for (int i = 0; i < warmup; ++i) sdpa.run(desc, args, ws.get(), stream.get());

  const int n = std::max(1, iterations);
  std::vector<Event> marks;
  marks.reserve(static_cast<size_t>(n) + 1);
  for (int i = 0; i <= n; ++i) marks.emplace_back(Event::Kind::Timing);
  marks[0].record(stream.get());
  for (int i = 0; i < n; ++i) {
    sdpa.run(desc, args, ws.get(), stream.get());
    marks[static_cast<size_t>(i) + 1].record(stream.get());
  }
  stream.synchronize();
  std::vector<double> ms(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ms[static_cast<size_t>(i)] = marks[static_cast<size_t>(i) + 1].ms_since(marks[static_cast<size_t>(i)]);
  std::sort(ms.begin(), ms.end());
  SdpaTiming t;
  t.iterations = n;
  t.median_ms = n % 2 ? ms[static_cast<size_t>(n / 2)] : 0.5 * (ms[static_cast<size_t>(n / 2 - 1)] + ms[static_cast<size_t>(n / 2)]);
  t.tflops = t.median_ms > 0 ? sdpa_flops(desc) / (t.median_ms * 1e-3) / 1e12 : 0;
  return t;
}

}  // namespace cpb
