#include "bench/runtime/verify_gradients.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "bench/mask/mask_regions.hpp"
#include "bench/runtime/row_tokens.hpp"
#include "bench/runtime/tolerance.hpp"
#include "bench/runtime/verify_reference.hpp"
#include "kernels/cpu/error_stats.hpp"
#include "kernels/cpu/reference_attention_backward.hpp"

namespace cpb {
namespace {

TensorVerify finish(const char* name, const ErrorStats& stats, double magnitude, bool nonfinite, DType storage,
                    int64_t terms, int64_t D) {
  TensorVerify t;
  t.tensor = name;
  t.max_abs_err = stats.max_abs_err;
  t.checked = stats.checked;
  t.nonfinite = nonfinite || stats.nonfinite;
  t.tolerance = verify_tolerance(storage, terms, D, magnitude);
  return t;
}

bool any_nonfinite(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return true;
  return false;
}

}  // namespace

GradientSample gradient_sample(const Problem& p, int64_t rows, int64_t heads, VerifyMode mode) {
  if (mode == VerifyMode::Full)
    return {sample_indices(p.B, p.B), sample_indices(rows, rows), sample_indices(heads, heads)};
  return {sample_indices(p.B, 2), sample_indices(rows, kSampledRows), sample_indices(heads, kSampledHeads)};
}

std::vector<TensorVerify> verify_gradients(const Problem& p, const std::vector<Range>& tokens, const float* dq,
                                           const float* dk, const float* dv, VerifyMode mode, DType storage) {
  if (mode == VerifyMode::Off) return {};
  const std::vector<int64_t> tok = row_tokens(tokens);
  const int64_t rows = static_cast<int64_t>(tok.size()), D = p.D;
  ReferenceShape shape;
  shape.S = p.S;
  shape.H = p.H;
  shape.Hkv = p.Hkv;
  shape.D = D;
  const std::vector<MaskRegion> regions = mask_regions(p);
  shape.keys = [&regions](int64_t t, std::vector<std::pair<int64_t, int64_t>>* ranges) {
    mask_row_keys(regions, t, ranges);
  };
  shape.scale = p.softmax_scale();
  ReferenceAttentionBackward ref(shape);
  std::vector<double> want(static_cast<size_t>(D)), want_v(want.size()), mag(want.size()), mag_v(want.size());

  ErrorStats q_stats, k_stats, v_stats;
  double q_mag = 0, k_mag = 0, v_mag = 0;  // the largest rounding magnitude M checked
  const GradientSample qs = gradient_sample(p, rows, p.H, mode);
  // Heads ascend, so rows of one key/value head come together (the reference caches per head).
  for (int64_t b : qs.batches)
    for (int64_t h : qs.heads)
      for (int64_t r : qs.rows) {
        ref.dq_row(b, tok[static_cast<size_t>(r)], h, want.data(), mag.data());
        const float* got = dq + ((b * rows + r) * p.H + h) * D;
        for (int64_t d = 0; d < D; ++d) {
          q_stats.add(got[d], want[static_cast<size_t>(d)]);
          q_mag = std::max(q_mag, mag[static_cast<size_t>(d)]);
        }
      }
  const GradientSample ks = gradient_sample(p, rows, p.Hkv, mode);
  for (int64_t b : ks.batches)
    for (int64_t h : ks.heads)
      for (int64_t r : ks.rows) {
        ref.dkv_row(b, tok[static_cast<size_t>(r)], h, want.data(), want_v.data(), mag.data(), mag_v.data());
        const int64_t at = ((b * rows + r) * p.Hkv + h) * D;
        for (int64_t d = 0; d < D; ++d) {
          k_stats.add(dk[at + d], want[static_cast<size_t>(d)]);
          v_stats.add(dv[at + d], want_v[static_cast<size_t>(d)]);
          k_mag = std::max(k_mag, mag[static_cast<size_t>(d)]);
          v_mag = std::max(v_mag, mag_v[static_cast<size_t>(d)]);
        }
      }
  const int64_t q_elems = p.B * rows * p.H * D, kv_elems = p.B * rows * p.Hkv * D;
  const int64_t kv_terms = p.S * p.group_size();
  return {finish("dq", q_stats, q_mag, any_nonfinite(dq, q_elems), storage, p.S, D),
          finish("dk", k_stats, k_mag, any_nonfinite(dk, kv_elems), storage, kv_terms, D),
          finish("dv", v_stats, v_mag, any_nonfinite(dv, kv_elems), storage, kv_terms, D)};
}

}  // namespace cpb
