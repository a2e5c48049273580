// Deterministic, never-zero input values, the same on the host and the device.
//
// Every element of the global Q, K and V tensors is a pure function of (tensor, b, token,
// head, d), so any rank (or a reference) can regenerate any part of the inputs without
// communication. Values are rounded to bf16-representable numbers, so bf16, fp16 and fp32
// runs see exactly the same inputs. Q lies in +-[0.25, 2), K and V in +-[0.125, 1): the
// wider Q makes attention rows peaked enough that wrong indexing shows in the output.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define CPB_HD __host__ __device__ __forceinline__
#else
#define CPB_HD inline
#endif

namespace cpb {

enum class Tensor : uint32_t { Q = 1, K = 2, V = 3 };

CPB_HD uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Rounds to the nearest bf16 value (round to nearest even), returned as float.
CPB_HD float round_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  float r;
  memcpy(&r, &u, 4);
  return r;
}

// `head` is a query head for Q and a key/value head for K and V; `token` is global.
CPB_HD float input_value(Tensor t, int64_t b, int64_t token, int64_t head, int64_t d) {
  uint64_t key = static_cast<uint64_t>(t);
  key = mix64(key * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(b));
  key = mix64(key ^ static_cast<uint64_t>(token));
  key = mix64(key ^ (static_cast<uint64_t>(head) << 20) ^ static_cast<uint64_t>(d));
  // 24 random bits -> magnitude in [0.125, 1) (log-uniform-ish), sign from another bit.
  const float u = static_cast<float>(key & 0xffffffu) * (1.0f / 16777216.0f);
  float mag = 0.125f + 0.875f * u;
  if (t == Tensor::Q) mag *= 2.0f;
  const float v = ((key >> 32) & 1u) ? -mag : mag;
  return round_to_bf16(v);
}

}  // namespace cpb
