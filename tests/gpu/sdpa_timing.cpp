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

// Runs `call` warmup times untimed, then `iterations` times between events; the median.
template <class F>
SdpaTiming median_of_calls(const Stream& stream, int warmup, int iterations, double flops, F&& call) {
  for (int i = 0; i < warmup; ++i) call();
  const int n = std::max(1, iterations);
  std::vector<Event> marks;
  marks.reserve(static_cast<size_t>(n) + 1);
  for (int i = 0; i <= n; ++i) marks.emplace_back(Event::Kind::Timing);
  marks[0].record(stream.get());
  for (int i = 0; i < n; ++i) {
    call();
    marks[static_cast<size_t>(i) + 1].record(stream.get());
  }
  stream.synchronize();
  std::vector<double> ms(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    ms[static_cast<size_t>(i)] = marks[static_cast<size_t>(i) + 1].ms_since(marks[static_cast<size_t>(i)]);
  std::sort(ms.begin(), ms.end());
  SdpaTiming t;
  t.iterations = n;
  t.median_ms = n % 2 ? ms[static_cast<size_t>(n / 2)]
                      : 0.5 * (ms[static_cast<size_t>(n / 2 - 1)] + ms[static_cast<size_t>(n / 2)]);
  t.tflops = t.median_ms > 0 ? flops / (t.median_ms * 1e-3) / 1e12 : 0;
  return t;
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
  return median_of_calls(stream, warmup, iterations, sdpa_flops(desc),
                         [&] { sdpa.run(desc, args, ws.get(), stream.get()); });
}

SdpaTiming time_sdpa_backward_standalone(CudnnSdpa& sdpa, CudnnSdpaBackward& backward, const SdpaBackwardDesc& desc,
                                         int warmup, int iterations) {
  const int64_t B = desc.q.shape[0], Sq = desc.q.shape[1], Skv = desc.k.shape[1];
  const int64_t Hq = desc.q.shape[2], Hk = desc.k.shape[2], D = desc.q.shape[3];
  const SdpaDesc fwd = dense_sdpa_desc(desc.dtype, B, Sq, Skv, Hq, Hk, D, desc.mask.causal, true, desc.scale);
  if (!(fwd.q.stride == desc.q.stride && fwd.k.stride == desc.k.stride && desc.mask.diag == 0 && desc.mask.window == 0))
    CPB_FATAL("time_sdpa_backward_standalone: only dense_sdpa_backward_desc shapes");
  int64_t fwd_ws = 0, bwd_ws = 0;
  std::string why = sdpa.prepare(fwd, &fwd_ws);
  if (why.empty()) why = backward.prepare(desc, &bwd_ws);
  if (!why.empty()) CPB_FATAL(why);
  const int eb = dtype_bytes(desc.dtype);
  const size_t nq = static_cast<size_t>(B * Sq * Hq * D) * static_cast<size_t>(eb);
  const size_t nk = static_cast<size_t>(B * Skv * Hk * D) * static_cast<size_t>(eb);
  DeviceBuffer q(nq), k(nk), v(nk), o(nq), dout(nq), dq(nq), dk(nk), dv(nk);
  DeviceBuffer lse(static_cast<size_t>(B * Hq * Sq) * sizeof(float));
  DeviceBuffer ws(static_cast<size_t>(std::max(fwd_ws, bwd_ws)));
  Stream stream;
  fill_linear(Tensor::Q, desc.dtype, q.get(), B * Sq * Hq * D, stream.get());
  fill_linear(Tensor::K, desc.dtype, k.get(), B * Skv * Hk * D, stream.get());
  fill_linear(Tensor::V, desc.dtype, v.get(), B * Skv * Hk * D, stream.get());
  fill_linear(Tensor::DO, desc.dtype, dout.get(), B * Sq * Hq * D, stream.get());
  sdpa.run(fwd, SdpaArgs{q.get(), k.get(), v.get(), o.get(), lse.as<float>()}, ws.get(), stream.get());
  SdpaBackwardArgs args;
  args.q = q.get();
  args.k = k.get();
  args.v = v.get();
  args.o = o.get();
  args.dout = dout.get();
  args.lse = lse.as<float>();
  args.dq = dq.get();
  args.dk = dk.get();
  args.dv = dv.get();
  return median_of_calls(stream, warmup, iterations, sdpa_backward_flops(desc),
                         [&] { backward.run(desc, args, ws.get(), stream.get()); });
}

}  // namespace cpb
