// Attention of the global problem in double precision, computed from the deterministic
// inputs (kernels/input_values.hpp): the reference that verification compares with.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace cpb {

// The key tokens query token t sees, as half-open ranges [first, last) in increasing order
// and disjoint, appended to `out` (which the caller clears).
using KeyRanges = std::function<void(int64_t t, std::vector<std::pair<int64_t, int64_t>>* out)>;

struct ReferenceShape {
  int64_t S = 0;        // global sequence length [tokens]
  int64_t H = 0;        // query heads
  int64_t Hkv = 0;      // key/value heads; H % Hkv == 0
  int64_t D = 0;        // head dimension
  bool causal = false;  // query token t sees key token u iff u <= t (global positions)
  KeyRanges keys;       // when set, the keys each query sees (and `causal` is ignored)
  double scale = 1.0;   // softmax scale
};

// sum_d x[d] y[d] in double over n elements, in four partial sums so the loop vectorizes
// (the order does not matter at double precision): the references' dot product.
inline double reference_dot(const double* x, const float* y, int64_t n) {
  double a[4] = {0, 0, 0, 0};
  int64_t d = 0;
  for (; d + 4 <= n; d += 4)
    for (int u = 0; u < 4; ++u) a[u] += x[d + u] * static_cast<double>(y[d + u]);
  for (; d < n; ++d) a[0] += x[d] * static_cast<double>(y[d]);
  return (a[0] + a[1]) + (a[2] + a[3]);
}

// Computes single output rows on demand. Caches the global K and V of the last
// (batch, key/value head) it used, so callers should visit rows grouped that way.
class ReferenceAttention {
 public:
  // Throws std::invalid_argument for a non-positive size or H % Hkv != 0.
  explicit ReferenceAttention(const ReferenceShape& shape);

  // out[0, D): the output of query head `head` at global token `token` of batch `b`.
  void row(int64_t b, int64_t token, int64_t head, double* out);

 private:
  void load(int64_t b, int64_t kv_head);

  ReferenceShape shape_;
  int64_t b_ = -1, kv_head_ = -1;  // whose K and V are cached
  std::vector<float> k_, v_;       // [S, D]; the inputs are bf16 values, exact in float
  std::vector<double> q_, s_;      // [D] query row; [S] scores, then weights
  std::vector<std::pair<int64_t, int64_t>> ranges_;  // the keys of the current row
};

}  // namespace cpb
