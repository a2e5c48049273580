#include "bench/runtime/verify_reference.hpp"

#include <algorithm>
#include <cmath>

#include "bench/mask/mask_regions.hpp"
#include "bench/runtime/row_tokens.hpp"
#include "bench/runtime/tolerance.hpp"
#include "kernels/cpu/error_stats.hpp"
#include "kernels/cpu/reference_attention.hpp"

namespace cpb {

std::vector<int64_t> sample_indices(int64_t n, int64_t max_count) {
  std::vector<int64_t> idx;
  const int64_t m = std::min(n, max_count);
  if (m <= 0) return idx;
  if (m == 1) return {0};
  // Consecutive indices differ by at least (n - 1) / (m - 1) >= 1, so they are distinct.
  for (int64_t k = 0; k < m; ++k) idx.push_back(k * (n - 1) / (m - 1));
  return idx;
}

VerifyResult verify_output(const Problem& p, const std::vector<Range>& tokens, const float* out,
                           VerifyMode mode, DType storage) {
  VerifyResult res;
  if (mode == VerifyMode::Off) return res;

  const std::vector<int64_t> tok = row_tokens(tokens);
  const int64_t rows = static_cast<int64_t>(tok.size());
  const int64_t H = p.H, D = p.D;
  const int64_t total = static_cast<int64_t>(p.B) * rows * H * D;
  for (int64_t i = 0; i < total; ++i)
    if (!std::isfinite(out[i])) res.nonfinite = true;

  std::vector<int64_t> batches, row_idx, heads;
  if (mode == VerifyMode::Full) {
    batches = sample_indices(p.B, p.B);
    row_idx = sample_indices(rows, rows);
    heads = sample_indices(H, H);
  } else {
    batches = sample_indices(p.B, 2);
    row_idx = sample_indices(rows, kSampledRows);
    heads = sample_indices(H, kSampledHeads);
  }

  ReferenceShape shape;
  shape.S = p.S;
  shape.H = H;
  shape.Hkv = p.Hkv;
  shape.D = D;
  const std::vector<MaskRegion> regions = mask_regions(p);
  shape.keys = [&regions](int64_t t, std::vector<std::pair<int64_t, int64_t>>* ranges) {
    mask_row_keys(regions, t, ranges);
  };
  shape.scale = p.softmax_scale();
  ReferenceAttention ref(shape);
  std::vector<double> want(static_cast<size_t>(D));
  ErrorStats stats;
  // Heads ascend, so rows of one key/value head come together and its K/V load once.
  for (int64_t b : batches)
    for (int64_t h : heads)
      for (int64_t r : row_idx) {
        ref.row(b, tok[static_cast<size_t>(r)], h, want.data());
        const float* got = out + ((b * rows + r) * H + h) * D;
        for (int64_t d = 0; d < D; ++d) stats.add(got[d], want[static_cast<size_t>(d)]);
      }
  res.max_abs_err = stats.max_abs_err;
  res.checked = stats.checked;
  res.nonfinite = res.nonfinite || stats.nonfinite;
  res.tolerance = verify_tolerance(storage, p.S, D, stats.max_abs_ref);
  return res;
}

}  // namespace cpb
