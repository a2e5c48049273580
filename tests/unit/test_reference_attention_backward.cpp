// The double reference of the attention gradients against the fp32 backward kernel run over
// the whole problem as one tile (full, causal, GQA, windowed keys, two batches), against
// central differences of the loss in double (keys in several ranges), and proof that its
// agreement depends on the output gradient dO; bad shapes and ranges are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/attention_backward.hpp"
#include "kernels/cpu/input_fill.hpp"
#include "kernels/cpu/reference_attention.hpp"
#include "kernels/cpu/reference_attention_backward.hpp"
#include "kernels/input_values.hpp"

namespace cpb {
namespace {

struct Problem {
  int64_t B, S, H, Hkv, D;
  TileMask mask;  // the keys; a window is given to the reference as a KeyRanges callback
  Shape4 q() const { return {B, S, H, D}; }
  Shape4 kv() const { return {B, S, Hkv, D}; }
  Shape4 stats() const { return {B, H, S, 1}; }
  float scale() const { return 1.0f / std::sqrt(static_cast<float>(D)); }

  ReferenceShape reference() const {
    ReferenceShape r;
    r.S = S;
    r.H = H;
    r.Hkv = Hkv;
    r.D = D;
    r.scale = scale();
    r.causal = mask.causal;
    if (mask.window > 0) {
      const TileMask m = mask;
      const int64_t n = S;
      r.keys = [m, n](int64_t t, std::vector<std::pair<int64_t, int64_t>>* out) {
        int64_t first = 0, last = 0;
        row_keys(m, t, n, &first, &last);
        out->emplace_back(first, last);
      };
    }
    return r;
  }
};

size_t numel(const Shape4& s) { return static_cast<size_t>(s[0] * s[1] * s[2] * s[3]); }
size_t at(const Shape4& s, int64_t b, int64_t t, int64_t h, int64_t d) {
  return static_cast<size_t>(((b * s[1] + t) * s[2] + h) * s[3] + d);
}

std::vector<float> inputs(Tensor t, const Shape4& shape) {
  std::vector<float> x(numel(shape));
  std::vector<int64_t> tokens(static_cast<size_t>(shape[1]));
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int64_t>(i);
  fill_inputs(t, tokens, dense_tensor(x.data(), shape));
  return x;
}

struct Grads {
  std::vector<double> dq, dk, dv;  // dense [B, S, H or Hkv, D]
};

// The fp32 kernel's gradients of the whole problem as one tile, for the output gradient dO.
Grads kernel_grads(const Problem& n, const std::vector<float>& dO) {
  const std::vector<float> q = inputs(Tensor::Q, n.q()), k = inputs(Tensor::K, n.kv()), v = inputs(Tensor::V, n.kv());
  std::vector<float> o(q.size()), lse(numel(n.stats())), delta(lse.size());
  Tensor4<float> lse_t = dense_tensor(lse.data(), n.stats());
  attention_fp32(dense_tensor(q.data(), n.q()), dense_tensor(k.data(), n.kv()), dense_tensor(v.data(), n.kv()),
                 dense_tensor(o.data(), n.q()), &lse_t, n.mask, n.scale());
  attention_delta_fp32(dense_tensor(dO.data(), n.q()), dense_tensor(o.data(), n.q()),
                       dense_tensor(delta.data(), n.stats()));
  std::vector<float> dq(q.size()), dk(k.size()), dv(v.size());
  attention_backward_fp32(dense_tensor(q.data(), n.q()), dense_tensor(k.data(), n.kv()), dense_tensor(v.data(), n.kv()),
                          dense_tensor(dO.data(), n.q()), dense_tensor<const float>(lse.data(), n.stats()),
                          dense_tensor<const float>(delta.data(), n.stats()), n.mask, n.scale(),
                          dense_tensor(dq.data(), n.q()), dense_tensor(dk.data(), n.kv()),
                          dense_tensor(dv.data(), n.kv()));
  return {{dq.begin(), dq.end()}, {dk.begin(), dk.end()}, {dv.begin(), dv.end()}};
}

// Every row of the reference, visited group by group in reverse order (each group's K/V
// and row caches are rebuilt), dq and dk/dv rows interleaved.
Grads reference_grads(const Problem& n) {
  ReferenceAttentionBackward ref(n.reference());
  Grads g{std::vector<double>(numel(n.q())), std::vector<double>(numel(n.kv())), std::vector<double>(numel(n.kv()))};
  const int64_t group = n.H / n.Hkv;
  for (int64_t b = n.B - 1; b >= 0; --b)
    for (int64_t hk = n.Hkv - 1; hk >= 0; --hk)
      for (int64_t t = 0; t < n.S; ++t) {
        ref.dkv_row(b, t, hk, &g.dk[at(n.kv(), b, t, hk, 0)], &g.dv[at(n.kv(), b, t, hk, 0)]);
        for (int64_t h = hk * group; h < (hk + 1) * group; ++h) ref.dq_row(b, t, h, &g.dq[at(n.q(), b, t, h, 0)]);
      }
  return g;
}

double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (const double x : a) m = std::max(m, std::abs(x));
  return m;
}

// max |a - b| / max |a|.
double relative_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m / max_abs(a);
}

void expect_matches_kernel(const Problem& n, const char* name) {
  const Grads want = reference_grads(n);
  const Grads got = kernel_grads(n, inputs(Tensor::DO, n.q()));
  const std::vector<double>* w[] = {&want.dq, &want.dk, &want.dv};
  const std::vector<double>* g[] = {&got.dq, &got.dk, &got.dv};
  for (int i = 0; i < 3; ++i) {
    ASSERT_GT(max_abs(*w[i]), 0.1) << name << " d"
                                   << "qkv"[i];
    EXPECT_LT(relative_diff(*w[i], *g[i]), 1e-4) << name << " d"
                                                 << "qkv"[i];
  }
}

TEST(RefAttnBwd, MatchesKernelFull) { expect_matches_kernel({2, 48, 2, 2, 16, TileMask{}}, "full"); }
TEST(RefAttnBwd, MatchesKernelCausal) { expect_matches_kernel({2, 48, 2, 2, 16, TileMask{true, 0, 0}}, "causal"); }
TEST(RefAttnBwd, MatchesKernelGqaCausal) { expect_matches_kernel({2, 48, 4, 2, 16, TileMask{true, 0, 0}}, "gqa"); }
TEST(RefAttnBwd, MatchesKernelWindowedKeysCallback) {
  expect_matches_kernel({2, 48, 4, 2, 18, TileMask{true, 0, 9}}, "window");  // D = 18: the dot's tail
}

// The output gradient matters: a reference that ignored dO (the loss sum(O)) or read the
// wrong row of it would match these kernel gradients instead.
TEST(RefAttnBwd, DependsOnTheOutputGradient) {
  const Problem n{2, 32, 4, 2, 16, TileMask{true, 0, 0}};
  const Grads want = reference_grads(n);
  std::vector<float> shifted(numel(n.q()));
  for (int64_t b = 0; b < n.B; ++b)
    for (int64_t t = 0; t < n.S; ++t)
      for (int64_t h = 0; h < n.H; ++h)
        for (int64_t d = 0; d < n.D; ++d) shifted[at(n.q(), b, t, h, d)] = input_value(Tensor::DO, b, t + 1, h, d, n.D);
  for (const auto& dO : {std::vector<float>(numel(n.q()), 1.0f), shifted}) {
    const Grads other = kernel_grads(n, dO);
    EXPECT_GT(relative_diff(want.dq, other.dq), 0.05);
    EXPECT_GT(relative_diff(want.dk, other.dk), 0.05);
    EXPECT_GT(relative_diff(want.dv, other.dv), 0.05);
  }
}

// Keys of token t: [0, t] for t < 6, else the sinks [0, 2) and the window [t - 3, t].
void sink_window(int64_t t, std::vector<std::pair<int64_t, int64_t>>* out) {
  if (t < 6) {
    out->emplace_back(0, t + 1);
    return;
  }
  out->emplace_back(0, 2);
  out->emplace_back(t - 3, t + 1);
}

// L = sum(dO * O) in double on dense inputs [S, H or Hkv, D] of batch 0.
struct Loss {
  int64_t S, H, Hkv, D;
  double scale;
  std::vector<double> q, k, v, dO;

  double operator()() const {
    double L = 0;
    std::vector<std::pair<int64_t, int64_t>> ranges;
    std::vector<double> s(static_cast<size_t>(S));
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < S; ++t) {
        const int64_t hk = h / (H / Hkv);
        ranges.clear();
        sink_window(t, &ranges);
        double m = -1e300, l = 0;
        for (const auto& r : ranges)
          for (int64_t u = r.first; u < r.second; ++u) {
            double x = 0;
            for (int64_t d = 0; d < D; ++d) x += q[qi(t, h, d)] * k[ki(u, hk, d)];
            s[static_cast<size_t>(u)] = scale * x;
            m = std::max(m, scale * x);
          }
        for (const auto& r : ranges)
          for (int64_t u = r.first; u < r.second; ++u) l += std::exp(s[static_cast<size_t>(u)] - m);
        for (const auto& r : ranges)
          for (int64_t u = r.first; u < r.second; ++u)
            for (int64_t d = 0; d < D; ++d)
              L += std::exp(s[static_cast<size_t>(u)] - m) / l * v[ki(u, hk, d)] * dO[qi(t, h, d)];
      }
    return L;
  }
  size_t qi(int64_t t, int64_t h, int64_t d) const { return static_cast<size_t>((t * H + h) * D + d); }
  size_t ki(int64_t t, int64_t h, int64_t d) const { return static_cast<size_t>((t * Hkv + h) * D + d); }
};

TEST(RefAttnBwd, MatchesCentralDifferences) {
  ReferenceShape shape;
  shape.S = 24;
  shape.H = 4;
  shape.Hkv = 2;
  shape.D = 8;
  shape.scale = 1 / std::sqrt(8.0);
  shape.keys = sink_window;
  Loss loss{shape.S, shape.H, shape.Hkv, shape.D, shape.scale, {}, {}, {}, {}};
  for (auto [t, x, heads] :
       {std::make_tuple(Tensor::Q, &loss.q, shape.H), std::make_tuple(Tensor::K, &loss.k, shape.Hkv),
        std::make_tuple(Tensor::V, &loss.v, shape.Hkv), std::make_tuple(Tensor::DO, &loss.dO, shape.H)})
    for (int64_t u = 0; u < shape.S; ++u)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t d = 0; d < shape.D; ++d) x->push_back(input_value(t, 0, u, h, d, shape.D));

  // The loss above is the forward reference's: sum(dO * O).
  ReferenceAttention fwd(shape);
  double L = 0;
  std::vector<double> o(static_cast<size_t>(shape.D));
  for (int64_t h = 0; h < shape.H; ++h)
    for (int64_t u = 0; u < shape.S; ++u) {
      fwd.row(0, u, h, o.data());
      for (int64_t d = 0; d < shape.D; ++d) L += o[static_cast<size_t>(d)] * loss.dO[loss.qi(u, h, d)];
    }
  ASSERT_NEAR(loss(), L, 1e-12 * std::abs(L));

  ReferenceAttentionBackward ref(shape);
  std::vector<double> dq(o.size()), dk(o.size()), dv(o.size());
  struct Element {
    char which;  // 'q', 'k', 'v'
    int64_t token, head, d;
  };
  // Query rows inside and past the first 6; key 1 (a sink, seen by every row) and a window key.
  for (const Element e : {Element{'q', 3, 1, 2}, Element{'q', 17, 2, 5}, Element{'k', 1, 1, 0}, Element{'k', 14, 0, 7},
                          Element{'v', 0, 1, 3}, Element{'v', 13, 0, 1}}) {
    double got = 0;
    std::vector<double>* x = &loss.q;
    size_t i = loss.qi(e.token, e.head, e.d);
    if (e.which == 'q') {
      ref.dq_row(0, e.token, e.head, dq.data());
      got = dq[static_cast<size_t>(e.d)];
    } else {
      ref.dkv_row(0, e.token, e.head, dk.data(), dv.data());
      got = (e.which == 'k' ? dk : dv)[static_cast<size_t>(e.d)];
      x = e.which == 'k' ? &loss.k : &loss.v;
      i = loss.ki(e.token, e.head, e.d);
    }
    const double keep = (*x)[i], step = 1e-5;
    (*x)[i] = keep + step;
    const double up = loss();
    (*x)[i] = keep - step;
    const double down = loss();
    (*x)[i] = keep;
    const double want = (up - down) / (2 * step);
    ASSERT_GT(std::abs(want), 1e-3) << e.which << " " << e.token;
    EXPECT_NEAR(got, want, 1e-8 * std::max(1.0, std::abs(want))) << e.which << " " << e.token;
  }
}

TEST(RefAttnBwd, RefusesBadShapesAndRanges) {
  ReferenceShape shape;
  shape.S = 8;
  shape.H = 3;
  shape.Hkv = 2;
  shape.D = 4;
  EXPECT_THROW(ReferenceAttentionBackward{shape}, std::invalid_argument);
  shape.H = 4;
  shape.S = 0;
  EXPECT_THROW(ReferenceAttentionBackward{shape}, std::invalid_argument);
  shape.S = 8;
  ReferenceAttentionBackward ok(shape);
  std::vector<double> x(4), y(4);
  EXPECT_THROW(ok.dq_row(0, 8, 0, x.data()), std::out_of_range);
  EXPECT_THROW(ok.dq_row(0, 0, 4, x.data()), std::out_of_range);
  EXPECT_THROW(ok.dkv_row(0, 0, 2, x.data(), y.data()), std::out_of_range);
  shape.keys = [](int64_t t, std::vector<std::pair<int64_t, int64_t>>* out) { out->emplace_back(t, t + 2); };
  ReferenceAttentionBackward past_end(shape);
  EXPECT_NO_THROW(past_end.dq_row(0, 6, 0, x.data()));
  EXPECT_THROW(past_end.dq_row(0, 7, 0, x.data()), std::out_of_range);
  EXPECT_THROW(past_end.dkv_row(0, 0, 0, x.data(), y.data()), std::out_of_range);  // reads every row's keys
}

// A query row that sees no key has no output: its dq is 0 and it adds nothing to dk, dv.
TEST(RefAttnBwd, RowWithoutKeysContributesNothing) {
  ReferenceShape shape;
  shape.S = 6;
  shape.H = 2;
  shape.Hkv = 1;
  shape.D = 4;
  shape.keys = [](int64_t t, std::vector<std::pair<int64_t, int64_t>>* out) {
    if (t != 2) out->emplace_back(0, 6);
  };
  ReferenceAttentionBackward ref(shape);
  std::vector<double> dq(4), dk(4), dv(4);
  ref.dq_row(0, 2, 1, dq.data());
  for (const double x : dq) EXPECT_EQ(x, 0.0);
  for (int64_t t = 0; t < 6; ++t) {
    ref.dkv_row(0, t, 0, dk.data(), dv.data());
    for (int64_t d = 0; d < 4; ++d) EXPECT_TRUE(std::isfinite(dk[static_cast<size_t>(d)] + dv[static_cast<size_t>(d)]));
  }
}

// The rounding magnitudes M of dq_row and dkv_row against the header's formulas evaluated
// directly, from whole matrices, on a small causal GQA problem of batch 1.
TEST(RefAttnBwd, MagnitudesMatchTheirFormulas) {
  const Problem n{2, 9, 4, 2, 8, TileMask{true, 0, 0}};
  const int64_t S = n.S, D = n.D, group = n.H / n.Hkv, b = 1;
  const double scale = n.scale();
  ReferenceAttentionBackward ref(n.reference());
  const auto in = [&](Tensor t, int64_t token, int64_t head, int64_t d) {
    return static_cast<double>(input_value(t, b, token, head, d, D));
  };
  const auto dot = [&](Tensor a, int64_t ta, int64_t ha, Tensor c, int64_t tc, int64_t hc) {
    double x = 0;
    for (int64_t d = 0; d < D; ++d) x += in(a, ta, ha, d) * in(c, tc, hc, d);
    return x;
  };
  std::vector<double> got(static_cast<size_t>(D)), got_v(got.size()), mk(got.size()), mv(got.size());
  for (int64_t g = 0; g < n.Hkv; ++g) {
    // P, dP, delta, r of every query row of the group's heads (causal: keys 0 .. i).
    std::vector<std::vector<double>> P(static_cast<size_t>(group * S)), dP(P.size());
    std::vector<double> delta(P.size()), r(P.size());
    for (int64_t h = g * group; h < (g + 1) * group; ++h)
      for (int64_t i = 0; i < S; ++i) {
        const size_t row = static_cast<size_t>((h - g * group) * S + i);
        double l = 0;
        for (int64_t j = 0; j <= i; ++j) l += std::exp(scale * dot(Tensor::Q, i, h, Tensor::K, j, g));
        std::vector<double> o(static_cast<size_t>(D));
        double r2 = 0;
        for (int64_t j = 0; j <= i; ++j) {
          P[row].push_back(std::exp(scale * dot(Tensor::Q, i, h, Tensor::K, j, g)) / l);
          dP[row].push_back(dot(Tensor::DO, i, h, Tensor::V, j, g));
          r2 += std::pow(P[row].back() * dP[row].back(), 2);
          for (int64_t d = 0; d < D; ++d) o[static_cast<size_t>(d)] += P[row].back() * in(Tensor::V, j, g, d);
        }
        for (int64_t d = 0; d < D; ++d) {
          delta[row] += in(Tensor::DO, i, h, d) * o[static_cast<size_t>(d)];
          r2 += std::pow(in(Tensor::DO, i, h, d) * o[static_cast<size_t>(d)], 2);
        }
        r[row] = std::sqrt(r2);
      }
    const auto ds = [&](size_t row, int64_t j) {
      return P[row][static_cast<size_t>(j)] * (dP[row][static_cast<size_t>(j)] - delta[row]);
    };
    for (int64_t h = g * group; h < (g + 1) * group; ++h)
      for (int64_t i = 0; i < S; ++i) {
        const size_t row = static_cast<size_t>((h - g * group) * S + i);
        ref.dq_row(b, i, h, got.data(), mk.data());
        for (int64_t d = 0; d < D; ++d) {
          double dq = 0, sq = 0, pk = 0;
          for (int64_t j = 0; j <= i; ++j) {
            const double term = scale * ds(row, j) * in(Tensor::K, j, g, d);
            dq += term;
            sq += term * term;
            pk += P[row][static_cast<size_t>(j)] * in(Tensor::K, j, g, d);
          }
          const double want = std::sqrt(sq + std::pow(scale * r[row] * pk, 2) + dq * dq);
          EXPECT_NEAR(mk[static_cast<size_t>(d)], want, 1e-12 * want) << "dq h " << h << " i " << i << " d " << d;
        }
      }
    for (int64_t j = 0; j < S; ++j) {
      ref.dkv_row(b, j, g, got.data(), got_v.data(), mk.data(), mv.data());
      for (int64_t d = 0; d < D; ++d) {
        double dk = 0, dv = 0, sqk = 0, sqv = 0;
        for (int64_t h = g * group; h < (g + 1) * group; ++h)
          for (int64_t i = j; i < S; ++i) {
            const size_t row = static_cast<size_t>((h - g * group) * S + i);
            const double p = P[row][static_cast<size_t>(j)];
            const double k_term = scale * ds(row, j) * in(Tensor::Q, i, h, d);
            const double v_term = p * in(Tensor::DO, i, h, d);
            dk += k_term;
            dv += v_term;
            sqk += k_term * k_term + std::pow(scale * p * r[row] * in(Tensor::Q, i, h, d), 2);
            sqv += v_term * v_term;
          }
        const double want_k = std::sqrt(sqk + dk * dk), want_v = std::sqrt(sqv + dv * dv);
        EXPECT_NEAR(mk[static_cast<size_t>(d)], want_k, 1e-12 * want_k) << "dk j " << j << " d " << d;
        EXPECT_NEAR(mv[static_cast<size_t>(d)], want_v, 1e-12 * want_v) << "dv j " << j << " d " << d;
      }
    }
  }
}

}  // namespace
}  // namespace cpb
