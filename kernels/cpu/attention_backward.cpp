#include "kernels/cpu/attention_backward.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernels/cpu/attention.hpp"

namespace cpb {
namespace {

std::string shape_str(const Shape4& s) {
  return "[" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) + ", " +
         std::to_string(s[3]) + "]";
}

void expect_shape(const char* what, const Shape4& got, const Shape4& want) {
  if (got != want)
    throw std::invalid_argument(std::string("attention backward: ") + what + " " + shape_str(got) + " should be " +
                                shape_str(want));
}

float dot(const float* x, const float* y, int64_t n) {
  float s = 0;
  for (int64_t d = 0; d < n; ++d) s += x[d] * y[d];
  return s;
}

// Rows of one (batch, head) of `t` as a dense [rows, D] copy.
std::vector<float> gather(const Tensor4<const float>& t, int64_t b, int64_t h) {
  const int64_t rows = t.shape[1], D = t.shape[3];
  std::vector<float> out(static_cast<size_t>(rows * D));
  for (int64_t j = 0; j < rows; ++j)
    for (int64_t d = 0; d < D; ++d) out[static_cast<size_t>(j * D + d)] = t(b, j, h, d);
  return out;
}

// One (batch, key/value head): the gradients of its group's query heads, dk and dv summed
// over the group in dense [Skv, D] accumulators, then added to the outputs.
struct HeadGroupGrads {
  const Tensor4<const float>&q, &dO, &lse, &delta;
  const TileMask& mask;
  float scale;
  int64_t b, hk, group;

  void run(const Tensor4<const float>& k, const Tensor4<const float>& v, const Tensor4<float>& dq,
           const Tensor4<float>& dk, const Tensor4<float>& dv) const {
    const int64_t Sq = q.shape[1], D = q.shape[3], Skv = k.shape[1];
    const std::vector<float> kr = gather(k, b, hk), vr = gather(v, b, hk);
    std::vector<float> dk_acc(kr.size(), 0.0f), dv_acc(vr.size(), 0.0f);
    std::vector<float> qi(static_cast<size_t>(D)), doi(qi.size()), dqi(qi.size());
    for (int64_t h = hk * group; h < (hk + 1) * group; ++h)
      for (int64_t i = 0; i < Sq; ++i) {
        for (int64_t d = 0; d < D; ++d) {
          qi[d] = q(b, i, h, d);
          doi[d] = dO(b, i, h, d);
          dqi[d] = 0;
        }
        const float row_lse = lse(b, h, i, 0), row_delta = delta(b, h, i, 0);
        int64_t first = 0, last = 0;
        row_keys(mask, i, Skv, &first, &last);
        for (int64_t j = first; j < last; ++j) {
          const float* kj = kr.data() + j * D;
          const float* vj = vr.data() + j * D;
          const float p = std::exp(scale * dot(qi.data(), kj, D) - row_lse);
          const float ds = p * (dot(doi.data(), vj, D) - row_delta);
          for (int64_t d = 0; d < D; ++d) {
            dv_acc[static_cast<size_t>(j * D + d)] += p * doi[d];
            dk_acc[static_cast<size_t>(j * D + d)] += scale * ds * qi[d];
            dqi[d] += scale * ds * kj[d];
          }
        }
        for (int64_t d = 0; d < D; ++d) dq(b, i, h, d) += dqi[d];
      }
    for (int64_t j = 0; j < Skv; ++j)
      for (int64_t d = 0; d < D; ++d) {
        dk(b, j, hk, d) += dk_acc[static_cast<size_t>(j * D + d)];
        dv(b, j, hk, d) += dv_acc[static_cast<size_t>(j * D + d)];
      }
  }
};

}  // namespace

void attention_delta_fp32(const Tensor4<const float>& dO, const Tensor4<const float>& O, const Tensor4<float>& delta) {
  expect_shape("O", O.shape, dO.shape);
  const int64_t B = dO.shape[0], Sq = dO.shape[1], H = dO.shape[2], D = dO.shape[3];
  expect_shape("delta", delta.shape, Shape4{B, H, Sq, 1});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < Sq; ++i) {
        float s = 0;
        for (int64_t d = 0; d < D; ++d) s += dO(b, i, h, d) * O(b, i, h, d);
        delta(b, h, i, 0) = s;
      }
}

void attention_backward_fp32(const Tensor4<const float>& q, const Tensor4<const float>& k,
                             const Tensor4<const float>& v, const Tensor4<const float>& dO,
                             const Tensor4<const float>& lse, const Tensor4<const float>& delta, const TileMask& mask,
                             float scale, const Tensor4<float>& dq, const Tensor4<float>& dk,
                             const Tensor4<float>& dv) {
  const std::string err = attention_shape_error(q.shape, k.shape, v.shape, dO.shape, &lse.shape, mask);
  if (!err.empty()) throw std::invalid_argument(err);
  expect_shape("delta", delta.shape, lse.shape);
  expect_shape("dq", dq.shape, q.shape);
  expect_shape("dk", dk.shape, k.shape);
  expect_shape("dv", dv.shape, v.shape);
  const int64_t group = q.shape[2] / k.shape[2];
  for (int64_t b = 0; b < q.shape[0]; ++b)
    for (int64_t hk = 0; hk < k.shape[2]; ++hk)
      HeadGroupGrads{q, dO, lse, delta, mask, scale, b, hk, group}.run(k, v, dq, dk, dv);
}

}  // namespace cpb
