// Helpers of the GPU tests: device set-up, dense deterministic inputs, host copies.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/device_buffer.hpp"
#include "kernels/cuda/fill_inputs.hpp"

namespace cpb::test {

// Skips the test when there is no GPU; otherwise binds device 0.
#define CPB_REQUIRE_GPU()                                        \
  do {                                                           \
    int cpb_n_ = 0;                                              \
    if (cudaGetDeviceCount(&cpb_n_) != cudaSuccess || cpb_n_ == 0) \
      GTEST_SKIP() << "no CUDA device";                          \
    CPB_CUDA_CHECK(cudaSetDevice(0));                                \
  } while (0)

inline size_t elem_bytes(DType t) { return t == DType::FP32 ? 4 : 2; }

// A dense [B, S, heads, D] tensor of `type` holding tensor t's inputs for tokens 0..S-1.
inline DeviceBuffer dense_inputs(Tensor t, DType type, int64_t B, int64_t S, int64_t heads, int64_t D) {
  DeviceBuffer buf(static_cast<size_t>(B * S * heads * D) * elem_bytes(type));
  std::vector<int64_t> tokens(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s) tokens[static_cast<size_t>(s)] = s;
  DeviceBuffer d_tokens(tokens.size() * sizeof(int64_t));
  CPB_CUDA_CHECK(cudaMemcpy(d_tokens.get(), tokens.data(), d_tokens.bytes(), cudaMemcpyHostToDevice));
  fill_inputs(t, type, buf.get(), B, S, heads, D, d_tokens.as<int64_t>(), nullptr);
  CPB_CUDA_CHECK(cudaDeviceSynchronize());
  return buf;
}

// The first n elements of `buf` (of `type`) as floats.
inline std::vector<float> to_host_floats(const DeviceBuffer& buf, DType type, size_t n) {
  std::vector<unsigned char> raw(n * elem_bytes(type));
  CPB_CUDA_CHECK(cudaMemcpy(raw.data(), buf.get(), raw.size(), cudaMemcpyDeviceToHost));
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (type == DType::FP32) {
      std::memcpy(&out[i], &raw[4 * i], 4);
    } else {
      uint16_t h;
      std::memcpy(&h, &raw[2 * i], 2);
      if (type == DType::BF16) {
        const uint32_t u = static_cast<uint32_t>(h) << 16;
        std::memcpy(&out[i], &u, 4);
      } else {
        __half_raw hr;
        hr.x = h;
        out[i] = __half2float(__half(hr));
      }
    }
  }
  return out;
}

inline std::vector<unsigned char> to_host_bytes(const DeviceBuffer& buf) {
  std::vector<unsigned char> out(buf.bytes());
  CPB_CUDA_CHECK(cudaMemcpy(out.data(), buf.get(), out.size(), cudaMemcpyDeviceToHost));
  return out;
}

}  // namespace cpb::test
