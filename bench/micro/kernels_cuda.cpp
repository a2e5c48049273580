// Micro-benchmarks of the CUDA data-movement kernels, in bytes/s (bytes read + bytes
// written), against a cudaMemcpy device-to-device ceiling counted the same way. Times
// come from CUDA events around each call (manual time), not from the host clock.
//   pack:   [1, S, H, D] -> P dense blocks of H/P heads (Ulysses before the all-to-all)
//   unpack: P dense blocks -> head slices of [1, S, H, D] (after the output all-to-all)
//   merge:  LSE merge of a bf16 partial into an fp32 accumulator (ring steps)
#include <benchmark/benchmark.h>

#include <vector>

#include "base/cuda/device_buffer.hpp"
#include "base/cuda/event.hpp"
#include "base/cuda/stream.hpp"
#include "kernels/cuda/copy_views.hpp"
#include "kernels/cuda/fill_inputs.hpp"
#include "kernels/cuda/lse_merge.hpp"

namespace cpb {
namespace {

bool have_gpu(benchmark::State& state) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    state.SkipWithError("no CUDA device");
    return false;
  }
  CPB_CUDA_CHECK(cudaSetDevice(0));
  return true;
}

// Runs `enqueue` once per iteration between two events; reports its time and bytes.
template <class F>
void timed_loop(benchmark::State& state, const Stream& stream, double bytes_per_call, F&& enqueue) {
  Event start(Event::Kind::Timing), end(Event::Kind::Timing);
  enqueue();  // warm-up
  stream.synchronize();
  for (auto _ : state) {
    start.record(stream.get());
    enqueue();
    end.record(stream.get());
    end.synchronize();
    state.SetIterationTime(end.ms_since(start) * 1e-3);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes_per_call * static_cast<double>(state.iterations())));
}

std::vector<CopyPair> head_blocks(void* full, void* blocks, int64_t S, int64_t H, int64_t D, int64_t P, bool pack) {
  std::vector<CopyPair> pairs;
  const int64_t hp = H / P;
  for (int64_t p = 0; p < P; ++p) {
    DeviceView slice;
    slice.ptr = static_cast<char*>(full) + p * hp * D * 2;
    slice.type = DType::BF16;
    slice.shape = {1, S, hp, D};
    slice.stride = {S * H * D, H * D, D, 1};
    const DeviceView block = dense_device_view(static_cast<char*>(blocks) + p * S * hp * D * 2, DType::BF16, {1, S, hp, D});
    pairs.push_back(pack ? CopyPair{slice, block} : CopyPair{block, slice});
  }
  return pairs;
}

// Args: S (local tokens), H, D, P.
void copy_bench(benchmark::State& state, bool pack) {
  if (!have_gpu(state)) return;
  const int64_t S = state.range(0), H = state.range(1), D = state.range(2), P = state.range(3);
  const size_t bytes = static_cast<size_t>(S * H * D) * 2;
  DeviceBuffer full(bytes), blocks(bytes);
  Stream stream;
  fill_linear(Tensor::Q, DType::BF16, full.get(), S * H * D, stream.get());
  fill_linear(Tensor::K, DType::BF16, blocks.get(), S * H * D, stream.get());
  const std::vector<CopyPair> pairs = head_blocks(full.get(), blocks.get(), S, H, D, P, pack);
  timed_loop(state, stream, 2.0 * static_cast<double>(bytes), [&] { copy_views(pairs, stream.get()); });
}

void BM_pack_heads_cuda(benchmark::State& state) { copy_bench(state, true); }
void BM_unpack_heads_cuda(benchmark::State& state) { copy_bench(state, false); }

// Args: S, H, D.
void BM_lse_merge_cuda(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int64_t S = state.range(0), H = state.range(1), D = state.range(2), n = S * H * D;
  DeviceBuffer part(static_cast<size_t>(n) * 2), acc(static_cast<size_t>(n) * 4);
  DeviceBuffer part_lse(static_cast<size_t>(S * H) * 4), acc_lse(static_cast<size_t>(S * H) * 4);
  Stream stream;
  fill_linear(Tensor::V, DType::BF16, part.get(), n, stream.get());
  fill_linear(Tensor::V, DType::FP32, acc.get(), n, stream.get());
  fill_linear(Tensor::Q, DType::FP32, part_lse.get(), S * H, stream.get());
  fill_linear(Tensor::K, DType::FP32, acc_lse.get(), S * H, stream.get());
  const DeviceView po = dense_device_view(part.get(), DType::BF16, {1, S, H, D});
  const DeviceView ao = dense_device_view(acc.get(), DType::FP32, {1, S, H, D});
  const DeviceView pl = dense_device_view(part_lse.get(), DType::FP32, {1, H, S, 1});
  const DeviceView al = dense_device_view(acc_lse.get(), DType::FP32, {1, H, S, 1});
  // Per element: read the bf16 partial and the fp32 accumulator, write the accumulator.
  timed_loop(state, stream, static_cast<double>(n) * (2 + 4 + 4),
             [&] { lse_merge(po, pl, ao, al, false, stream.get()); });
}

// Args: bytes [MiB]. The ceiling: read + write of a plain device-to-device copy.
void BM_memcpy_d2d_cuda(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const size_t bytes = static_cast<size_t>(state.range(0)) << 20;
  DeviceBuffer a(bytes), b(bytes);
  Stream stream;
  CPB_CUDA_CHECK(cudaMemsetAsync(a.get(), 1, bytes, stream.get()));
  timed_loop(state, stream, 2.0 * static_cast<double>(bytes), [&] {
    CPB_CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice, stream.get()));
  });
}

// Local shards of Wan2.2-like shapes: S/P = 16K and 64K tokens, 40 heads, D = 128, P = 2
// and 8 (8 needs H % 8 == 0: 40 heads).
BENCHMARK(BM_pack_heads_cuda)->Args({16384, 40, 128, 2})->Args({65536, 40, 128, 8})->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_unpack_heads_cuda)->Args({16384, 40, 128, 2})->Args({65536, 40, 128, 8})->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_lse_merge_cuda)->Args({16384, 40, 128})->Args({65536, 40, 128})->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_memcpy_d2d_cuda)->Arg(160)->Arg(640)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cpb
