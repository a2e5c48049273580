// Deterministic, never-zero, peaked input values, the same on the host and the device.
//
// Every element of the global Q, K and V tensors is a pure function of (tensor, b, token,
// head, d, D), so any rank (or a reference) can regenerate any part of the inputs without
// communication. Values are rounded to bf16-representable numbers, so bf16, fp16 and fp32
// runs see exactly the same inputs.
//
// The structure makes verification able to fail (docs/METRICS.md, "Inputs"):
//  - Query row (b, t, h) belongs to class c = (t + 3h + b) mod 8; its Q row is the Walsh
//    sign pattern of c (sign of d: (-1)^popcount(c & d)) times magnitudes in [0.75, 1).
//    Neighbouring rows and neighbouring heads differ in class, so they attend to
//    different keys: a row or head off by one moves the output by O(|V|).
//  - Every 4th key (t % 4 == 1) is an anchor of class ((t / 4) + 5 hk + b) mod 8: its K
//    row is the class's sign pattern, scaled so that a query of that class scores about
//    kAnchorBase + kLevelStep * L (after the 1/sqrt(D) softmax scale), with L the anchor's
//    level, the number of trailing zero bits of a hash capped at kMaxLevel (half the
//    anchors have L = 0, a quarter L = 1, ...). Each class has an anchor every 32 keys,
//    so every shard of at least 32 consecutive keys holds anchors of every class; the
//    few highest-level anchors a row sees dominate its softmax (kLevelStep > ln 2), and
//    which they are differs from shard to shard, so every shard's partial result and its
//    LSE weight matter to the output. Other keys score about 0 +- 0.6.
//  - V = noise in +-[0.5, 1) plus a trend: 7 components of +-1/16, each constant over
//    aligned blocks of 2^5, 2^7, ..., 2^17 tokens, so the mean of V over any shard differs
//    from shard to shard and a wrongly weighted merge shows even where attention is flat.
//  - dO (the output gradient of the backward pass) = noise in +-[0.5, 1) plus a per-row
//    offset of +-0.25 that differs from row to row and head to head, so delta_i =
//    sum_d dO_i,d O_i,d, and with it every gradient, depends on the row's own output.
// Ranges: |Q| in [0.75, 1]; |K| in [0.125, 1] off the anchors, below 20 / sqrt(D) on them;
// |V| in [0.0625, 1.4375]; |dO| in [0.25, 1.25].
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define CPB_HD __host__ __device__ __forceinline__
#else
#define CPB_HD inline
#endif

namespace cpb {

// DO: the gradient of the loss with respect to the output O (the backward pass's input).
enum class Tensor : uint32_t { Q = 1, K = 2, V = 3, DO = 4 };

constexpr int kInputClasses = 8;   // query-row classes (Walsh patterns)
constexpr int kAnchorEvery = 4;    // one key in 4 is an anchor
constexpr float kAnchorBase = 2.0f;  // score of a level-0 anchor for its class
constexpr float kLevelStep = 1.0f;   // score added per anchor level
constexpr int kMaxLevel = 15;

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

CPB_HD uint64_t input_hash(Tensor t, int64_t b, int64_t token, int64_t head, int64_t d) {
  uint64_t key = static_cast<uint64_t>(t);
  key = mix64(key * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(b));
  key = mix64(key ^ static_cast<uint64_t>(token));
  return mix64(key ^ (static_cast<uint64_t>(head) << 20) ^ static_cast<uint64_t>(d));
}

// 24 hash bits as a fraction in [0, 1).
CPB_HD float unit_fraction(uint64_t h) { return static_cast<float>(h & 0xffffffu) * (1.0f / 16777216.0f); }

// +1 or -1: the Walsh pattern of class c at dimension d.
CPB_HD float walsh_sign(int64_t c, int64_t d) {
  uint64_t x = static_cast<uint64_t>(c & d);
  int parity = 0;
  for (; x != 0; x &= x - 1) parity ^= 1;
  return parity ? -1.0f : 1.0f;
}

CPB_HD int64_t query_class(int64_t b, int64_t token, int64_t head) { return (token + 3 * head + b) % kInputClasses; }

// The class of an anchor key, or -1 when `token` is not an anchor.
CPB_HD int64_t anchor_class(int64_t b, int64_t token, int64_t kv_head) {
  if (token % kAnchorEvery != 1) return -1;
  return (token / kAnchorEvery + 5 * kv_head + b) % kInputClasses;
}

// Trailing zero bits of a hash of the anchor, at most kMaxLevel.
CPB_HD int anchor_level(int64_t b, int64_t token, int64_t kv_head) {
  const uint64_t h = input_hash(Tensor::K, b, token, kv_head, -1);
  int level = 0;
  while (level < kMaxLevel && ((h >> level) & 1u) == 0) ++level;
  return level;
}

// The V trend at (b, token, kv_head, d): 7 block-constant components of +-1/16.
CPB_HD float value_trend(int64_t b, int64_t token, int64_t kv_head, int64_t d) {
  float sum = 0;
  for (int k = 5; k <= 17; k += 2) {
    const uint64_t h = input_hash(Tensor::V, b, (token >> k) * 32 + k, kv_head, d + (int64_t{1} << 40));
    sum += (h >> 40) & 1u ? -0.0625f : 0.0625f;
  }
  return sum;
}

// `head` is a query head for Q and dO and a key/value head for K and V; `token` is global; D is
// the head dimension (the anchors' K magnitude depends on it so that their scores do not).
CPB_HD float input_value(Tensor t, int64_t b, int64_t token, int64_t head, int64_t d, int64_t D) {
  const uint64_t h = input_hash(t, b, token, head, d);
  const float u = unit_fraction(h);
  if (t == Tensor::Q) return round_to_bf16(walsh_sign(query_class(b, token, head), d) * (0.75f + 0.25f * u));
  if (t == Tensor::K) {
    const int64_t c = anchor_class(b, token, head);
    if (c >= 0) {
      // A query of class c scores sum_d |q_d| amp / sqrt(D), |q_d| averaging 0.875.
      const float score = kAnchorBase + kLevelStep * static_cast<float>(anchor_level(b, token, head));
      const float amp = score / (0.875f * sqrtf(static_cast<float>(D)));
      return round_to_bf16(walsh_sign(c, d) * amp);
    }
    const float mag = 0.125f + 0.875f * u;
    return round_to_bf16((h >> 32) & 1u ? -mag : mag);
  }
  const float noise = (h >> 32) & 1u ? -(0.5f + 0.5f * u) : 0.5f + 0.5f * u;
  if (t == Tensor::DO) {
    const uint64_t row = input_hash(Tensor::DO, b, token, head, -1);
    return round_to_bf16(noise + ((row >> 40) & 1u ? -0.25f : 0.25f));
  }
  return round_to_bf16(noise + value_trend(b, token, head, d));
}

}  // namespace cpb
