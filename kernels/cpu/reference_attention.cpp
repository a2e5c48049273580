#include "kernels/cpu/reference_attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/input_values.hpp"

namespace cpb {

ReferenceAttention::ReferenceAttention(const ReferenceShape& shape) : shape_(shape) {
  if (shape.S < 1 || shape.H < 1 || shape.Hkv < 1 || shape.D < 1 || shape.H % shape.Hkv != 0)
    throw std::invalid_argument("ReferenceAttention: bad shape");
  k_.resize(static_cast<size_t>(shape.S * shape.D));
  v_.resize(k_.size());
  q_.resize(static_cast<size_t>(shape.D));
  s_.resize(static_cast<size_t>(shape.S));
}

void ReferenceAttention::load(int64_t b, int64_t kv_head) {
  if (b == b_ && kv_head == kv_head_) return;
  const int64_t D = shape_.D;
  for (int64_t u = 0; u < shape_.S; ++u)
    for (int64_t d = 0; d < D; ++d) {
      k_[static_cast<size_t>(u * D + d)] = input_value(Tensor::K, b, u, kv_head, d, D);
      v_[static_cast<size_t>(u * D + d)] = input_value(Tensor::V, b, u, kv_head, d, D);
    }
  b_ = b;
  kv_head_ = kv_head;
}

void ReferenceAttention::row(int64_t b, int64_t token, int64_t head, double* out) {
  if (token < 0 || token >= shape_.S || head < 0 || head >= shape_.H)
    throw std::out_of_range("ReferenceAttention::row: token or head out of range");
  load(b, head / (shape_.H / shape_.Hkv));
  const int64_t D = shape_.D;
  ranges_.clear();
  if (shape_.keys) shape_.keys(token, &ranges_);
  else ranges_.emplace_back(0, shape_.causal ? token + 1 : shape_.S);
  for (const auto& r : ranges_)
    if (r.first < 0 || r.first > r.second || r.second > shape_.S)
      throw std::out_of_range("ReferenceAttention::row: key range [" + std::to_string(r.first) + ", " +
                              std::to_string(r.second) + ") of token " + std::to_string(token) + " outside [0, S)");
  for (int64_t d = 0; d < D; ++d) q_[static_cast<size_t>(d)] = input_value(Tensor::Q, b, token, head, d, D);

  double m = -std::numeric_limits<double>::infinity();
  for (const auto& r : ranges_)
    for (int64_t u = r.first; u < r.second; ++u) {
      s_[static_cast<size_t>(u)] = shape_.scale * reference_dot(q_.data(), k_.data() + u * D, D);
      m = std::max(m, s_[static_cast<size_t>(u)]);
    }
  std::fill(out, out + D, 0.0);
  double l = 0;
  for (const auto& r : ranges_)
    for (int64_t u = r.first; u < r.second; ++u) {
      const double p = std::exp(s_[static_cast<size_t>(u)] - m);
      l += p;
      const float* vu = v_.data() + u * D;
      for (int64_t d = 0; d < D; ++d) out[d] += p * static_cast<double>(vu[d]);
    }
  for (int64_t d = 0; d < D; ++d) out[d] /= l;
}

}  // namespace cpb
