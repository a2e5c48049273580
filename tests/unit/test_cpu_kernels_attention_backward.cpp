// The fp32 CPU attention backward against central differences of a double forward, for
// full, causal, offset, windowed and GQA tiles; a row split over key tiles gets the
// whole tile's gradients as the sum of the parts; bad shapes are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/attention_backward.hpp"

namespace cpb {
namespace {

struct Dims {
  int64_t B, Sq, Skv, Hq, Hk, D;
  Shape4 q() const { return {B, Sq, Hq, D}; }
  Shape4 kv() const { return {B, Skv, Hk, D}; }
  Shape4 stats() const { return {B, Hq, Sq, 1}; }
};

int64_t numel(const Shape4& s) { return s[0] * s[1] * s[2] * s[3]; }

// Values in [-1, 1) from a fixed linear congruential sequence.
std::vector<float> values(int64_t n, uint32_t seed) {
  std::vector<float> x(static_cast<size_t>(n));
  for (float& e : x) {
    seed = seed * 1664525u + 1013904223u;
    e = static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f;
  }
  return x;
}

bool sees(const TileMask& m, int64_t i, int64_t j, int64_t Skv) {
  int64_t first = 0, last = 0;
  row_keys(m, i, Skv, &first, &last);
  return j >= first && j < last;
}

// L = sum(dO * O) in double, O = attention(q, k, v) on dense [B, S, H, D] arrays.
double loss(const Dims& n, const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
            const std::vector<float>& dO, const TileMask& mask, double scale) {
  auto at_q = [&](int64_t b, int64_t s, int64_t h, int64_t d) {
    return static_cast<size_t>(((b * n.Sq + s) * n.Hq + h) * n.D + d);
  };
  auto at_k = [&](int64_t b, int64_t s, int64_t h, int64_t d) {
    return static_cast<size_t>(((b * n.Skv + s) * n.Hk + h) * n.D + d);
  };
  double L = 0;
  for (int64_t b = 0; b < n.B; ++b)
    for (int64_t h = 0; h < n.Hq; ++h)
      for (int64_t i = 0; i < n.Sq; ++i) {
        const int64_t hk = h / (n.Hq / n.Hk);
        std::vector<double> w(static_cast<size_t>(n.Skv), 0.0);
        double m = -1e300, sum = 0;
        for (int64_t j = 0; j < n.Skv; ++j) {
          if (!sees(mask, i, j, n.Skv)) continue;
          double s = 0;
          for (int64_t d = 0; d < n.D; ++d) s += q[at_q(b, i, h, d)] * k[at_k(b, j, hk, d)];
          w[static_cast<size_t>(j)] = scale * s;
          m = std::max(m, scale * s);
        }
        for (int64_t j = 0; j < n.Skv; ++j)
          if (sees(mask, i, j, n.Skv)) sum += std::exp(w[static_cast<size_t>(j)] - m);
        for (int64_t d = 0; d < n.D; ++d) {
          double o = 0;
          for (int64_t j = 0; j < n.Skv; ++j)
            if (sees(mask, i, j, n.Skv)) o += std::exp(w[static_cast<size_t>(j)] - m) / sum * v[at_k(b, j, hk, d)];
          L += o * dO[at_q(b, i, h, d)];
        }
      }
  return L;
}

struct Grads {
  std::vector<float> dq, dk, dv;
};

// The kernel's gradients of the whole tile: forward for O and lse, then delta, then backward.
Grads kernel_grads(const Dims& n, const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                   const std::vector<float>& dO, const TileMask& mask, float scale) {
  std::vector<float> o(q.size()), lse(static_cast<size_t>(numel(n.stats()))), delta(lse.size());
  Tensor4<float> lse_t = dense_tensor(lse.data(), n.stats());
  attention_fp32(dense_tensor(q.data(), n.q()), dense_tensor(k.data(), n.kv()), dense_tensor(v.data(), n.kv()),
                 dense_tensor(o.data(), n.q()), &lse_t, mask, scale);
  attention_delta_fp32(dense_tensor(dO.data(), n.q()), dense_tensor(o.data(), n.q()),
                       dense_tensor(delta.data(), n.stats()));
  Grads g{std::vector<float>(q.size()), std::vector<float>(k.size()), std::vector<float>(v.size())};
  attention_backward_fp32(dense_tensor(q.data(), n.q()), dense_tensor(k.data(), n.kv()), dense_tensor(v.data(), n.kv()),
                          dense_tensor(dO.data(), n.q()), dense_tensor<const float>(lse.data(), n.stats()),
                          dense_tensor<const float>(delta.data(), n.stats()), mask, scale,
                          dense_tensor(g.dq.data(), n.q()), dense_tensor(g.dk.data(), n.kv()),
                          dense_tensor(g.dv.data(), n.kv()));
  return g;
}

// Central differences of `loss` in each element of x (one of q, k, v), step h.
std::vector<double> numeric(const Dims& n, std::vector<double> q, std::vector<double> k, std::vector<double> v,
                            const std::vector<float>& dO, const TileMask& mask, double scale, int which) {
  std::vector<double>& x = which == 0 ? q : which == 1 ? k : v;
  std::vector<double> g(x.size());
  const double h = 1e-4;
  for (size_t e = 0; e < x.size(); ++e) {
    const double keep = x[e];
    x[e] = keep + h;
    const double up = loss(n, q, k, v, dO, mask, scale);
    x[e] = keep - h;
    const double down = loss(n, q, k, v, dO, mask, scale);
    x[e] = keep;
    g[e] = (up - down) / (2 * h);
  }
  return g;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
  double worst = 0;
  for (size_t e = 0; e < a.size(); ++e) worst = std::max(worst, std::abs(double(a[e]) - b[e]));
  return worst;
}

double max_abs(const std::vector<double>& a) {
  double worst = 0;
  for (const double x : a) worst = std::max(worst, std::abs(x));
  return worst;
}

TEST(CpuAttentionBackward, MatchesCentralDifferences) {
  const Dims n{2, 5, 7, 4, 2, 3};  // GQA: two query heads per key head
  const TileMask masks[] = {TileMask{}, TileMask{true, 0, 0}, TileMask{true, 2, 0}, TileMask{true, 3, 3}};
  const std::vector<float> q = values(numel(n.q()), 1), k = values(numel(n.kv()), 2), v = values(numel(n.kv()), 3),
                           dO = values(numel(n.q()), 4);
  const std::vector<double> qd(q.begin(), q.end()), kd(k.begin(), k.end()), vd(v.begin(), v.end());
  const float scale = 0.7f;
  for (const TileMask& m : masks) {
    const Grads g = kernel_grads(n, q, k, v, dO, m, scale);
    const std::vector<float>* got[] = {&g.dq, &g.dk, &g.dv};
    for (int which = 0; which < 3; ++which) {
      const std::vector<double> want = numeric(n, qd, kd, vd, dO, m, scale, which);
      ASSERT_GT(max_abs(want), 1e-2) << to_string(m) << " " << which;
      EXPECT_LT(max_abs_diff(*got[which], want), 1e-4 * std::max(1.0, max_abs(want))) << to_string(m) << " gradient "
                                                                                      << "qkv"[which];
    }
  }
}

// One row split over two key tiles [0, 3) and [3, 7), each tile's backward given the
// row's final lse and delta, adds up to the whole tile's gradients.
TEST(CpuAttentionBackward, KeyTilesOfARowSumToTheWholeTile) {
  const Dims n{2, 4, 7, 4, 2, 5};  // the key tiles are strided views: batches and heads apart
  const std::vector<float> q = values(numel(n.q()), 5), k = values(numel(n.kv()), 6), v = values(numel(n.kv()), 7),
                           dO = values(numel(n.q()), 8);
  const float scale = 0.5f;
  const Grads whole = kernel_grads(n, q, k, v, dO, TileMask{}, scale);

  std::vector<float> o(q.size()), lse(static_cast<size_t>(numel(n.stats()))), delta(lse.size());
  Tensor4<float> lse_t = dense_tensor(lse.data(), n.stats());
  attention_fp32(dense_tensor(q.data(), n.q()), dense_tensor(k.data(), n.kv()), dense_tensor(v.data(), n.kv()),
                 dense_tensor(o.data(), n.q()), &lse_t, TileMask{}, scale);
  attention_delta_fp32(dense_tensor(dO.data(), n.q()), dense_tensor(o.data(), n.q()),
                       dense_tensor(delta.data(), n.stats()));
  Grads split{std::vector<float>(q.size()), std::vector<float>(k.size()), std::vector<float>(v.size())};
  for (const int64_t first : {int64_t{0}, int64_t{3}}) {
    const int64_t rows = first == 0 ? 3 : 4;
    const Shape4 part{n.B, rows, n.Hk, n.D};
    const Shape4 st = dense_strides(n.kv());
    const size_t at = static_cast<size_t>(first * n.Hk * n.D);
    attention_backward_fp32(dense_tensor(q.data(), n.q()), Tensor4<const float>(k.data() + at, part, st),
                            Tensor4<const float>(v.data() + at, part, st), dense_tensor(dO.data(), n.q()),
                            dense_tensor<const float>(lse.data(), n.stats()),
                            dense_tensor<const float>(delta.data(), n.stats()), TileMask{}, scale,
                            dense_tensor(split.dq.data(), n.q()), Tensor4<float>(split.dk.data() + at, part, st),
                            Tensor4<float>(split.dv.data() + at, part, st));
  }
  for (size_t e = 0; e < q.size(); ++e) EXPECT_NEAR(split.dq[e], whole.dq[e], 1e-5) << e;
  for (size_t e = 0; e < k.size(); ++e) {
    EXPECT_NEAR(split.dk[e], whole.dk[e], 1e-5) << e;
    EXPECT_NEAR(split.dv[e], whole.dv[e], 1e-5) << e;
  }
}

TEST(CpuAttentionBackward, RefusesShapesThatDoNotFormATile) {
  const Dims n{1, 2, 3, 2, 1, 4};
  std::vector<float> q(static_cast<size_t>(numel(n.q()))), k(static_cast<size_t>(numel(n.kv()))), s(4);
  const auto qt = dense_tensor<const float>(q.data(), n.q()), kt = dense_tensor<const float>(k.data(), n.kv());
  const auto st = dense_tensor<const float>(s.data(), n.stats());
  std::vector<float> dq(q.size()), dk(k.size()), dv(k.size());
  const auto dqt = dense_tensor(dq.data(), n.q()), dkt = dense_tensor(dk.data(), n.kv()),
             dvt = dense_tensor(dv.data(), n.kv());
  EXPECT_NO_THROW(attention_backward_fp32(qt, kt, kt, qt, st, st, TileMask{}, 1, dqt, dkt, dvt));
  const auto wrong = dense_tensor(dq.data(), Shape4{1, 1, 2, 4});
  EXPECT_THROW(attention_backward_fp32(qt, kt, kt, qt, st, st, TileMask{}, 1, wrong, dkt, dvt), std::invalid_argument);
  EXPECT_THROW(attention_backward_fp32(qt, kt, kt, qt, st, st, TileMask{true, -1, 0}, 1, dqt, dkt, dvt),
               std::invalid_argument);
}

}  // namespace
}  // namespace cpb
