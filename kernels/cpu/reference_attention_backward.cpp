#include "kernels/cpu/reference_attention_backward.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/input_values.hpp"

namespace cpb {

ReferenceAttentionBackward::ReferenceAttentionBackward(const ReferenceShape& shape) : shape_(shape) {
  if (shape.S < 1 || shape.H < 1 || shape.Hkv < 1 || shape.D < 1 || shape.H % shape.Hkv != 0)
    throw std::invalid_argument("ReferenceAttentionBackward: bad shape");
  group_ = shape.H / shape.Hkv;
  k_.resize(static_cast<size_t>(shape.S * shape.D));
  v_.resize(k_.size());
  for (auto* row : {&q_, &do_, &kj_, &vj_, &o_, &sq_, &sq_v_, &pk_}) row->resize(static_cast<size_t>(shape.D));
  s_.resize(static_cast<size_t>(shape.S));
}

void ReferenceAttentionBackward::load(int64_t b, int64_t kv_head) {
  if (b == b_ && kv_head == kv_head_) return;
  const int64_t D = shape_.D;
  for (int64_t u = 0; u < shape_.S; ++u)
    for (int64_t d = 0; d < D; ++d) {
      k_[static_cast<size_t>(u * D + d)] = input_value(Tensor::K, b, u, kv_head, d, D);
      v_[static_cast<size_t>(u * D + d)] = input_value(Tensor::V, b, u, kv_head, d, D);
    }
  b_ = b;
  kv_head_ = kv_head;
  group_rows_ = false;
}

ReferenceAttentionBackward::RowStats ReferenceAttentionBackward::row_stats(int64_t b, int64_t token, int64_t head) {
  const int64_t D = shape_.D;
  ranges_.clear();
  if (shape_.keys)
    shape_.keys(token, &ranges_);
  else
    ranges_.emplace_back(0, shape_.causal ? token + 1 : shape_.S);
  for (const auto& r : ranges_)
    if (r.first < 0 || r.first > r.second || r.second > shape_.S)
      throw std::out_of_range("ReferenceAttentionBackward: key range [" + std::to_string(r.first) + ", " +
                              std::to_string(r.second) + ") of token " + std::to_string(token) + " outside [0, S)");
  for (int64_t d = 0; d < D; ++d) {
    q_[static_cast<size_t>(d)] = input_value(Tensor::Q, b, token, head, d, D);
    do_[static_cast<size_t>(d)] = input_value(Tensor::DO, b, token, head, d, D);
  }
  double m = -std::numeric_limits<double>::infinity();
  for (const auto& r : ranges_)
    for (int64_t u = r.first; u < r.second; ++u) {
      s_[static_cast<size_t>(u)] = shape_.scale * reference_dot(q_.data(), k_.data() + u * D, D);
      m = std::max(m, s_[static_cast<size_t>(u)]);
    }
  if (m == -std::numeric_limits<double>::infinity()) return {m, 0.0, 0.0};  // no key: no output
  double l = 0;
  for (const auto& r : ranges_)
    for (int64_t u = r.first; u < r.second; ++u) l += std::exp(s_[static_cast<size_t>(u)] - m);
  const double lse = m + std::log(l);
  // delta = dO . O = sum_j P_j (dO . v_j), O = sum_j P_j v_j.
  double delta = 0, r2 = 0;
  std::fill(o_.begin(), o_.end(), 0.0);
  for (const auto& r : ranges_)
    for (int64_t u = r.first; u < r.second; ++u) {
      const double p = std::exp(s_[static_cast<size_t>(u)] - lse);
      const double pdp = p * reference_dot(do_.data(), v_.data() + u * D, D);
      delta += pdp;
      r2 += pdp * pdp;
      for (int64_t d = 0; d < D; ++d)
        o_[static_cast<size_t>(d)] += p * static_cast<double>(v_[static_cast<size_t>(u * D + d)]);
    }
  for (int64_t d = 0; d < D; ++d) {
    const double x = do_[static_cast<size_t>(d)] * o_[static_cast<size_t>(d)];
    r2 += x * x;
  }
  return {lse, delta, std::sqrt(r2)};
}

void ReferenceAttentionBackward::dq_row(int64_t b, int64_t token, int64_t head, double* out, double* mag) {
  if (token < 0 || token >= shape_.S || head < 0 || head >= shape_.H)
    throw std::out_of_range("ReferenceAttentionBackward::dq_row: token or head out of range");
  load(b, head / group_);
  const int64_t D = shape_.D;
  const RowStats st = row_stats(b, token, head);
  std::fill(out, out + D, 0.0);
  std::fill(sq_.begin(), sq_.end(), 0.0);
  std::fill(pk_.begin(), pk_.end(), 0.0);
  for (const auto& r : ranges_)
    for (int64_t u = r.first; u < r.second; ++u) {
      const double p = std::exp(s_[static_cast<size_t>(u)] - st.lse);
      const double ds = p * (reference_dot(do_.data(), v_.data() + u * D, D) - st.delta);
      const float* ku = k_.data() + u * D;
      for (int64_t d = 0; d < D; ++d) {
        const double term = shape_.scale * ds * static_cast<double>(ku[d]);
        out[d] += term;
        sq_[static_cast<size_t>(d)] += term * term;
        pk_[static_cast<size_t>(d)] += p * static_cast<double>(ku[d]);
      }
    }
  if (!mag) return;
  for (int64_t d = 0; d < D; ++d) {
    const double shift = shape_.scale * st.r * pk_[static_cast<size_t>(d)];
    mag[d] = std::sqrt(sq_[static_cast<size_t>(d)] + shift * shift + out[d] * out[d]);
  }
}

void ReferenceAttentionBackward::load_group_rows() {
  const int64_t S = shape_.S, D = shape_.D;
  group_q_.resize(static_cast<size_t>(group_ * S * D));
  group_do_.resize(group_q_.size());
  group_lse_.resize(static_cast<size_t>(group_ * S));
  group_delta_.resize(group_lse_.size());
  group_r_.resize(group_lse_.size());
  group_ranges_.clear();
  group_range_at_.assign(1, 0);
  for (int64_t t = 0; t < S; ++t) {
    for (int64_t g = 0; g < group_; ++g) {
      const RowStats st = row_stats(b_, t, kv_head_ * group_ + g);
      const size_t row = static_cast<size_t>(g * S + t);
      group_lse_[row] = st.lse;
      group_delta_[row] = st.delta;
      group_r_[row] = st.r;
      // Exact: the inputs are bf16 values.
      std::copy(q_.begin(), q_.end(), group_q_.begin() + static_cast<std::ptrdiff_t>(row * D));
      std::copy(do_.begin(), do_.end(), group_do_.begin() + static_cast<std::ptrdiff_t>(row * D));
    }
    group_ranges_.insert(group_ranges_.end(), ranges_.begin(), ranges_.end());  // the keys depend on t only
    group_range_at_.push_back(group_ranges_.size());
  }
  group_rows_ = true;
}

void ReferenceAttentionBackward::dkv_row(int64_t b, int64_t token, int64_t kv_head, double* dk, double* dv,
                                         double* mag_k, double* mag_v) {
  if (token < 0 || token >= shape_.S || kv_head < 0 || kv_head >= shape_.Hkv)
    throw std::out_of_range("ReferenceAttentionBackward::dkv_row: token or key/value head out of range");
  load(b, kv_head);
  if (!group_rows_) load_group_rows();
  const int64_t S = shape_.S, D = shape_.D;
  for (int64_t d = 0; d < D; ++d) {
    kj_[static_cast<size_t>(d)] = k_[static_cast<size_t>(token * D + d)];
    vj_[static_cast<size_t>(d)] = v_[static_cast<size_t>(token * D + d)];
  }
  std::fill(dk, dk + D, 0.0);
  std::fill(dv, dv + D, 0.0);
  std::fill(sq_.begin(), sq_.end(), 0.0);
  std::fill(sq_v_.begin(), sq_v_.end(), 0.0);
  for (int64_t t = 0; t < S; ++t) {
    const auto first = group_ranges_.begin() + static_cast<std::ptrdiff_t>(group_range_at_[static_cast<size_t>(t)]);
    const auto last = group_ranges_.begin() + static_cast<std::ptrdiff_t>(group_range_at_[static_cast<size_t>(t + 1)]);
    if (std::none_of(first, last, [&](const auto& r) { return r.first <= token && token < r.second; })) continue;
    for (int64_t g = 0; g < group_; ++g) {
      const size_t row = static_cast<size_t>(g * S + t);
      const float* qi = group_q_.data() + row * D;
      const float* doi = group_do_.data() + row * D;
      const double p = std::exp(shape_.scale * reference_dot(kj_.data(), qi, D) - group_lse_[row]);
      const double ds = p * (reference_dot(vj_.data(), doi, D) - group_delta_[row]);
      for (int64_t d = 0; d < D; ++d) {
        const double v_term = p * static_cast<double>(doi[d]);
        const double k_term = shape_.scale * ds * static_cast<double>(qi[d]);
        const double shift = shape_.scale * p * group_r_[row] * static_cast<double>(qi[d]);
        dv[d] += v_term;
        dk[d] += k_term;
        sq_[static_cast<size_t>(d)] += k_term * k_term + shift * shift;
        sq_v_[static_cast<size_t>(d)] += v_term * v_term;
      }
    }
  }
  for (int64_t d = 0; d < D; ++d) {
    if (mag_k) mag_k[d] = std::sqrt(sq_[static_cast<size_t>(d)] + dk[d] * dk[d]);
    if (mag_v) mag_v[d] = std::sqrt(sq_v_[static_cast<size_t>(d)] + dv[d] * dv[d]);
  }
}

}  // namespace cpb
