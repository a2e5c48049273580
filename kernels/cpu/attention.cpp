#include "kernels/cpu/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace cpb {
namespace {

std::string shape_str(const Shape4& s) {
  return "[" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) + ", " +
         std::to_string(s[3]) + "]";
}

// Dot product with eight fixed partial sums combined in a fixed order: vectorizes without
// -ffast-math and depends only on the two vectors (and n), never on where they came from.
float dot(const float* x, const float* y, int64_t n) {
  float a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t d = 0;
  for (; d + 8 <= n; d += 8)
    for (int u = 0; u < 8; ++u) a[u] += x[d + u] * y[d + u];
  for (int u = 0; d < n; ++d, ++u) a[u] += x[d] * y[d];
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

// Contiguous copies of one tile's operands, so the inner loops run over dense rows.
struct RowScratch {
  std::vector<float> k, v;  // [Skv, D] of one (batch, key/value head)
  std::vector<float> q;     // [D]
  std::vector<float> s;     // [Skv] scaled scores, then probabilities
  std::vector<float> acc;   // [D]
  std::vector<float> block; // [D] the current key block's share of acc
};

void gather_rows(const Tensor4<const float>& t, int64_t b, int64_t h, std::vector<float>* out) {
  const int64_t rows = t.shape[1], D = t.shape[3];
  for (int64_t j = 0; j < rows; ++j) {
    const float* src = t.data + t.index(b, j, h, 0);
    float* dst = out->data() + j * D;
    for (int64_t d = 0; d < D; ++d) dst[d] = src[d * t.stride[3]];
  }
}

// Keys per block of the softmax sums over n keys: ceil(sqrt(n)). Each block is summed on
// its own, then added to the row's total, so no fp32 sum runs longer than about 2 sqrt(n)
// terms (a running sum over a row whose few dominant keys come first would drop the many
// small terms that follow, an error growing like n 2^-24).
int64_t sum_block(int64_t n) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n)))));
}

// One query row against key rows [first, last) of r.k / r.v; leaves the normalized output
// in r.acc and returns the row's LSE. The blocks of the sums start at `first`, so a row's
// result depends only on the keys it sees.
float attend_row(RowScratch& r, int64_t first, int64_t last, int64_t D, float scale) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = first; j < last; ++j) {
    r.s[j] = scale * dot(r.q.data(), r.k.data() + j * D, D);
    m = std::max(m, r.s[j]);
  }
  std::fill(r.acc.begin(), r.acc.end(), 0.0f);
  float l = 0;
  const int64_t block = sum_block(last - first);
  for (int64_t j0 = first; j0 < last; j0 += block) {
    std::fill(r.block.begin(), r.block.end(), 0.0f);
    float block_l = 0;
    for (int64_t j = j0; j < std::min(last, j0 + block); ++j) {
      const float p = std::exp(r.s[j] - m);
      block_l += p;
      const float* vj = r.v.data() + j * D;
      for (int64_t d = 0; d < D; ++d) r.block[d] += p * vj[d];
    }
    l += block_l;
    for (int64_t d = 0; d < D; ++d) r.acc[d] += r.block[d];
  }
  for (int64_t d = 0; d < D; ++d) r.acc[d] /= l;
  return m + std::log(l);
}

}  // namespace

std::string attention_shape_error(const Shape4& q, const Shape4& k, const Shape4& v, const Shape4& o,
                                  const Shape4* lse, const TileMask& mask) {
  for (const Shape4* s : {&q, &k, &v, &o})
    for (int64_t e : *s)
      if (e < 1) return "attention: empty extent in " + shape_str(*s);
  if (o != q) return "attention: o " + shape_str(o) + " differs from q " + shape_str(q);
  if (v != k) return "attention: v " + shape_str(v) + " differs from k " + shape_str(k);
  if (k[0] != q[0] || k[3] != q[3])
    return "attention: k " + shape_str(k) + " does not match q " + shape_str(q) + " in B or D";
  if (q[2] % k[2] != 0)
    return "attention: query heads " + std::to_string(q[2]) + " are not a multiple of key heads " +
           std::to_string(k[2]);
  const std::string mask_err = tile_mask_error(mask, q[1], k[1]);
  if (!mask_err.empty()) return "attention: " + mask_err;
  if (lse) {
    const Shape4 want{q[0], q[2], q[1], 1};
    if (*lse != want) return "attention: lse " + shape_str(*lse) + " should be " + shape_str(want);
  }
  return "";
}

void attention_fp32(const Tensor4<const float>& q, const Tensor4<const float>& k,
                    const Tensor4<const float>& v, const Tensor4<float>& o, const Tensor4<float>* lse,
                    const TileMask& mask, float scale) {
  const std::string err =
      attention_shape_error(q.shape, k.shape, v.shape, o.shape, lse ? &lse->shape : nullptr, mask);
  if (!err.empty()) throw std::invalid_argument(err);
  const int64_t B = q.shape[0], Sq = q.shape[1], Hq = q.shape[2], D = q.shape[3];
  const int64_t Skv = k.shape[1], Hk = k.shape[2], group = Hq / Hk;

  RowScratch r;
  r.k.resize(static_cast<size_t>(Skv * D));
  r.v.resize(static_cast<size_t>(Skv * D));
  r.q.resize(static_cast<size_t>(D));
  r.s.resize(static_cast<size_t>(Skv));
  r.acc.resize(static_cast<size_t>(D));
  r.block.resize(static_cast<size_t>(D));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t hk = 0; hk < Hk; ++hk) {
      gather_rows(k, b, hk, &r.k);
      gather_rows(v, b, hk, &r.v);
      for (int64_t h = hk * group; h < (hk + 1) * group; ++h)
        for (int64_t i = 0; i < Sq; ++i) {
          const float* qi = q.data + q.index(b, i, h, 0);
          for (int64_t d = 0; d < D; ++d) r.q[d] = qi[d * q.stride[3]];
          int64_t first = 0, last = 0;
          row_keys(mask, i, Skv, &first, &last);
          const float row_lse = attend_row(r, first, last, D, scale);
          float* oi = o.data + o.index(b, i, h, 0);
          for (int64_t d = 0; d < D; ++d) oi[d * o.stride[3]] = r.acc[d];
          if (lse) (*lse)(b, h, i, 0) = row_lse;
        }
    }
}

}  // namespace cpb
