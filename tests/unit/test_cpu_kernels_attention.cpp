// The fp32 CPU attention kernel and the double reference against a naive double
// implementation: full, causal, GQA, strided views, LSE, tile independence.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/reference_attention.hpp"
#include "kernels/input_values.hpp"

namespace cpb {
namespace {

struct Dims {
  int64_t B, Sq, Skv, Hq, Hk, D;
};

// Dense [B, S, H, D] inputs from the deterministic generator.
std::vector<float> make_input(Tensor t, int64_t B, int64_t S, int64_t H, int64_t D) {
  std::vector<float> x(static_cast<size_t>(B * S * H * D));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t d = 0; d < D; ++d)
          x[static_cast<size_t>(((b * S + s) * H + h) * D + d)] = input_value(t, b, s, h, d, D);
  return x;
}

// Textbook attention in double on dense [B, S, H, D] arrays; lse is [B, Hq, Sq].
void naive_attention(const Dims& n, const std::vector<float>& q, const std::vector<float>& k,
                     const std::vector<float>& v, const TileMask& mask, double scale, std::vector<double>* o,
                     std::vector<double>* lse) {
  o->assign(static_cast<size_t>(n.B * n.Sq * n.Hq * n.D), 0.0);
  lse->assign(static_cast<size_t>(n.B * n.Hq * n.Sq), 0.0);
  auto qi = [&](int64_t b, int64_t s, int64_t h, int64_t d) { return ((b * n.Sq + s) * n.Hq + h) * n.D + d; };
  auto ki = [&](int64_t b, int64_t s, int64_t h, int64_t d) {
    return ((b * n.Skv + s) * n.Hk + h) * n.D + d;
  };
  for (int64_t b = 0; b < n.B; ++b)
    for (int64_t h = 0; h < n.Hq; ++h) {
      const int64_t hk = h / (n.Hq / n.Hk);
      for (int64_t i = 0; i < n.Sq; ++i) {
        std::vector<double> s;
        std::vector<int64_t> keys;
        for (int64_t j = 0; j < n.Skv; ++j) {
          if (mask.causal && (j > i + mask.diag || (mask.window > 0 && j <= i + mask.diag - mask.window))) continue;
          double dot = 0;
          for (int64_t d = 0; d < n.D; ++d) dot += double(q[qi(b, i, h, d)]) * double(k[ki(b, j, hk, d)]);
          s.push_back(scale * dot);
          keys.push_back(j);
        }
        double sum = 0;
        for (double x : s) sum += std::exp(x);
        (*lse)[static_cast<size_t>((b * n.Hq + h) * n.Sq + i)] = std::log(sum);
        for (size_t j = 0; j < s.size(); ++j)
          for (int64_t d = 0; d < n.D; ++d)
            (*o)[qi(b, i, h, d)] += std::exp(s[j]) / sum * double(v[ki(b, keys[j], hk, d)]);
      }
    }
}

double max_diff(const std::vector<float>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

void check_against_naive(const Dims& n, const TileMask& mask) {
  const auto q = make_input(Tensor::Q, n.B, n.Sq, n.Hq, n.D);
  const auto k = make_input(Tensor::K, n.B, n.Skv, n.Hk, n.D);
  const auto v = make_input(Tensor::V, n.B, n.Skv, n.Hk, n.D);
  std::vector<float> o(q.size()), lse(static_cast<size_t>(n.B * n.Hq * n.Sq));
  const float scale = 1.0f / std::sqrt(float(n.D));
  const Tensor4<float> lse_t = dense_tensor(lse.data(), {n.B, n.Hq, n.Sq, 1});
  attention_fp32(dense_tensor(q.data(), {n.B, n.Sq, n.Hq, n.D}),
                 dense_tensor(k.data(), {n.B, n.Skv, n.Hk, n.D}),
                 dense_tensor(v.data(), {n.B, n.Skv, n.Hk, n.D}),
                 dense_tensor(o.data(), {n.B, n.Sq, n.Hq, n.D}), &lse_t, mask, scale);
  std::vector<double> want_o, want_lse;
  naive_attention(n, q, k, v, mask, scale, &want_o, &want_lse);
  EXPECT_LT(max_diff(o, want_o), 1e-5);
  EXPECT_LT(max_diff(lse, want_lse), 1e-5);
}

TEST(CpuAttention, FullMatchesNaive) { check_against_naive({2, 7, 11, 3, 3, 16}, TileMask{}); }
TEST(CpuAttention, CausalMatchesNaive) { check_against_naive({1, 13, 13, 2, 2, 19}, TileMask{true}); }
TEST(CpuAttention, GqaMatchesNaive) { check_against_naive({1, 9, 9, 6, 2, 8}, TileMask{}); }
TEST(CpuAttention, CausalGqaMatchesNaive) { check_against_naive({2, 33, 33, 4, 1, 64}, TileMask{true}); }
// Tiles cut out of a mask: causal with a diagonal offset on a wide tile, with a window,
// and a window wider than the offset on a tall one.
TEST(CpuAttention, OffsetCausalMatchesNaive) { check_against_naive({1, 9, 20, 2, 1, 16}, TileMask{true, 7, 0}); }
TEST(CpuAttention, WindowMatchesNaive) { check_against_naive({1, 17, 17, 2, 2, 8}, TileMask{true, 0, 5}); }
TEST(CpuAttention, OffsetWindowMatchesNaive) { check_against_naive({2, 12, 15, 4, 2, 8}, TileMask{true, 3, 6}); }

// q stored head-major [B, H, S, D] at an offset, k and v interleaved in one buffer with
// D stride 2, o with padded rows: same values as the dense call, bit for bit.
TEST(CpuAttention, StridedViewsEqualDenseBitwise) {
  const Dims n{1, 10, 10, 4, 2, 12};
  const auto q = make_input(Tensor::Q, n.B, n.Sq, n.Hq, n.D);
  const auto k = make_input(Tensor::K, n.B, n.Skv, n.Hk, n.D);
  const auto v = make_input(Tensor::V, n.B, n.Skv, n.Hk, n.D);
  std::vector<float> o(q.size()), lse(static_cast<size_t>(n.Hq * n.Sq));
  const Tensor4<float> lse_t = dense_tensor(lse.data(), {1, n.Hq, n.Sq, 1});
  attention_fp32(dense_tensor(q.data(), {1, n.Sq, n.Hq, n.D}), dense_tensor(k.data(), {1, n.Skv, n.Hk, n.D}),
                 dense_tensor(v.data(), {1, n.Skv, n.Hk, n.D}), dense_tensor(o.data(), {1, n.Sq, n.Hq, n.D}),
                 &lse_t, TileMask{true}, 0.3f);

  const int64_t off = 5;
  std::vector<float> qh(static_cast<size_t>(off + q.size()));
  const Tensor4<float> qv(qh.data() + off, {1, n.Sq, n.Hq, n.D}, {0, n.D, n.Sq * n.D, 1});
  std::vector<float> kv(2 * k.size());
  const Tensor4<float> kt(kv.data(), {1, n.Skv, n.Hk, n.D}, {0, n.Hk * n.D * 2, n.D * 2, 2});
  const Tensor4<float> vt(kv.data() + 1, kt.shape, kt.stride);
  for (int64_t s = 0; s < n.Sq; ++s)
    for (int64_t h = 0; h < n.Hq; ++h)
      for (int64_t d = 0; d < n.D; ++d) qv(0, s, h, d) = q[static_cast<size_t>((s * n.Hq + h) * n.D + d)];
  for (int64_t s = 0; s < n.Skv; ++s)
    for (int64_t h = 0; h < n.Hk; ++h)
      for (int64_t d = 0; d < n.D; ++d) {
        kt(0, s, h, d) = k[static_cast<size_t>((s * n.Hk + h) * n.D + d)];
        vt(0, s, h, d) = v[static_cast<size_t>((s * n.Hk + h) * n.D + d)];
      }
  const int64_t row = n.Hq * n.D + 3;  // padded row pitch
  std::vector<float> op(static_cast<size_t>(n.Sq * row), -7.0f);
  std::vector<float> lse2(static_cast<size_t>(2 * n.Hq * n.Sq));
  const Tensor4<float> ot(op.data(), {1, n.Sq, n.Hq, n.D}, {0, row, n.D, 1});
  const Tensor4<float> lt(lse2.data(), {1, n.Hq, n.Sq, 1}, {0, 2 * n.Sq, 2, 1});
  attention_fp32(qv, kt, vt, ot, &lt, TileMask{true}, 0.3f);

  for (int64_t s = 0; s < n.Sq; ++s)
    for (int64_t h = 0; h < n.Hq; ++h) {
      for (int64_t d = 0; d < n.D; ++d)
        ASSERT_EQ(ot(0, s, h, d), o[static_cast<size_t>((s * n.Hq + h) * n.D + d)]);
      ASSERT_EQ(lt(0, h, s, 0), lse[static_cast<size_t>(h * n.Sq + s)]);
    }
  for (int64_t s = 0; s < n.Sq; ++s)
    for (int64_t pad = n.Hq * n.D; pad < row; ++pad) EXPECT_EQ(op[static_cast<size_t>(s * row + pad)], -7.0f);
}

// Heads 2..3 computed as their own tile (as an HCMS chunk would) equal the same heads of
// the whole-head tile (as Ulysses would), bit for bit.
TEST(CpuAttention, SubTileOfHeadsIsBitwiseEqual) {
  const Dims n{2, 24, 24, 4, 2, 40};
  const auto q = make_input(Tensor::Q, n.B, n.Sq, n.Hq, n.D);
  const auto k = make_input(Tensor::K, n.B, n.Skv, n.Hk, n.D);
  const auto v = make_input(Tensor::V, n.B, n.Skv, n.Hk, n.D);
  const Shape4 qs{n.B, n.Sq, n.Hq, n.D}, ks{n.B, n.Skv, n.Hk, n.D};
  std::vector<float> o(q.size()), o2(q.size(), 0.0f);
  attention_fp32(dense_tensor(q.data(), qs), dense_tensor(k.data(), ks), dense_tensor(v.data(), ks),
                 dense_tensor(o.data(), qs), nullptr, TileMask{true}, 0.125f);
  const Tensor4<const float> qd = dense_tensor(q.data(), qs), kd = dense_tensor(k.data(), ks),
                             vd = dense_tensor(v.data(), ks);
  const Tensor4<float> od = dense_tensor(o2.data(), qs);
  // Heads [2, 4) use key/value head 1.
  attention_fp32(Tensor4<const float>(&qd(0, 0, 2, 0), {n.B, n.Sq, 2, n.D}, qd.stride),
                 Tensor4<const float>(&kd(0, 0, 1, 0), {n.B, n.Skv, 1, n.D}, kd.stride),
                 Tensor4<const float>(&vd(0, 0, 1, 0), {n.B, n.Skv, 1, n.D}, vd.stride),
                 Tensor4<float>(&od(0, 0, 2, 0), {n.B, n.Sq, 2, n.D}, od.stride), nullptr, TileMask{true}, 0.125f);
  const Tensor4<const float> full = dense_tensor(o.data(), qs);
  for (int64_t b = 0; b < n.B; ++b)
    for (int64_t s = 0; s < n.Sq; ++s)
      for (int64_t h = 0; h < n.Hq; ++h)
        for (int64_t d = 0; d < n.D; ++d) {
          if (h >= 2) {
            ASSERT_EQ(od(b, s, h, d), full(b, s, h, d));
          } else {
            ASSERT_EQ(od(b, s, h, d), 0.0f);
          }
        }
}

TEST(CpuAttention, RejectsBadShapes) {
  const Shape4 q{1, 4, 4, 8}, k{1, 4, 2, 8}, lse{1, 4, 4, 1};
  EXPECT_EQ(attention_shape_error(q, k, k, q, &lse, TileMask{true}), "");
  EXPECT_NE(attention_shape_error(q, {1, 4, 3, 8}, {1, 4, 3, 8}, q, nullptr, TileMask{}), "");  // 4 % 3
  EXPECT_NE(attention_shape_error(q, k, k, q, nullptr, TileMask{true, -1, 0}), "");      // row 0 sees no key
  EXPECT_NE(attention_shape_error(q, k, k, q, nullptr, TileMask{true, 3, 1}), "");       // last row's window past Skv
  EXPECT_EQ(attention_shape_error(q, {1, 5, 2, 8}, {1, 5, 2, 8}, q, nullptr, TileMask{true, 1, 2}), "");
  EXPECT_NE(attention_shape_error(q, k, {1, 4, 2, 4}, q, nullptr, TileMask{}), "");             // v != k
  EXPECT_NE(attention_shape_error(q, k, k, {1, 4, 4, 4}, nullptr, TileMask{}), "");             // o != q
  const Shape4 bad_lse{1, 4, 4, 2};
  EXPECT_NE(attention_shape_error(q, k, k, q, &bad_lse, TileMask{}), "");
  std::vector<float> x(1024);
  EXPECT_THROW(
      attention_fp32(dense_tensor(x.data(), q), dense_tensor(x.data(), {1, 4, 3, 8}),
                     dense_tensor(x.data(), {1, 4, 3, 8}), dense_tensor(x.data(), q), nullptr, TileMask{}, 1.0f),
      std::invalid_argument);
}

// The verification reference (global inputs, double) against the naive implementation.
TEST(ReferenceAttention, MatchesNaiveOnGlobalInputs) {
  for (bool causal : {false, true}) {
    const Dims n{2, 21, 21, 6, 3, 10};
    const auto q = make_input(Tensor::Q, n.B, n.Sq, n.Hq, n.D);
    const auto k = make_input(Tensor::K, n.B, n.Skv, n.Hk, n.D);
    const auto v = make_input(Tensor::V, n.B, n.Skv, n.Hk, n.D);
    std::vector<double> want_o, want_lse;
    const double scale = 1.0 / std::sqrt(10.0);
    naive_attention(n, q, k, v, TileMask{causal}, scale, &want_o, &want_lse);
    ReferenceShape shape;
    shape.S = n.Sq;
    shape.H = n.Hq;
    shape.Hkv = n.Hk;
    shape.D = n.D;
    shape.causal = causal;
    shape.scale = scale;
    ReferenceAttention ref(shape);
    std::vector<double> row(static_cast<size_t>(n.D));
    for (int64_t b = 0; b < n.B; ++b)
      for (int64_t h = n.Hq - 1; h >= 0; --h)  // reverse order: exercises the K/V cache reload
        for (int64_t s = 0; s < n.Sq; ++s) {
          ref.row(b, s, h, row.data());
          for (int64_t d = 0; d < n.D; ++d)
            ASSERT_NEAR(row[static_cast<size_t>(d)],
                        want_o[static_cast<size_t>(((b * n.Sq + s) * n.Hq + h) * n.D + d)], 1e-12);
        }
  }
}

}  // namespace
}  // namespace cpb
