// LSE merge: partial results over key blocks merge to the attention over all keys.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/lse_merge.hpp"
#include "kernels/input_values.hpp"

namespace cpb {
namespace {

constexpr int64_t B = 2, S = 16, H = 4, HK = 2, D = 16;
constexpr float kScale = 0.25f;

std::vector<float> input(Tensor t, int64_t heads) {
  std::vector<float> x(static_cast<size_t>(B * S * heads * D));
  const Tensor4<float> xt = dense_tensor(x.data(), {B, S, heads, D});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t d = 0; d < D; ++d) xt(b, s, h, d) = input_value(t, b, s, h, d, D);
  return x;
}

// Rows [r0, r0 + rows) of a dense [B, S, heads, D] tensor.
template <typename T>
Tensor4<T> rows_of(std::vector<float>& x, int64_t heads, int64_t r0, int64_t rows) {
  const Tensor4<float> t = dense_tensor(x.data(), {B, S, heads, D});
  return Tensor4<T>(&t(0, r0, 0, 0), {B, rows, heads, D}, t.stride);
}

struct Partial {
  std::vector<float> o, lse;  // [B, rows, H, D], [B, H, rows, 1]
  explicit Partial(int64_t rows)
      : o(static_cast<size_t>(B * rows * H * D)), lse(static_cast<size_t>(B * H * rows)) {}
  Tensor4<float> ot(int64_t rows) { return dense_tensor(o.data(), {B, rows, H, D}); }
  Tensor4<float> lt(int64_t rows) { return dense_tensor(lse.data(), {B, H, rows, 1}); }
};

class LseMerge : public ::testing::Test {
 protected:
  std::vector<float> q = input(Tensor::Q, H), k = input(Tensor::K, HK), v = input(Tensor::V, HK);

  // Attention of query rows [q0, q0 + rows) against key rows [k0, k0 + keys).
  Partial attend(int64_t q0, int64_t rows, int64_t k0, int64_t keys, bool causal) {
    Partial p(rows);
    const Tensor4<float> lse = p.lt(rows);
    attention_fp32(rows_of<const float>(q, H, q0, rows), rows_of<const float>(k, HK, k0, keys),
                   rows_of<const float>(v, HK, k0, keys), p.ot(rows), &lse, TileMask{causal}, kScale);
    return p;
  }
};

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

TEST_F(LseMerge, TwoKeyHalvesEqualFullAttention) {
  const Partial full = attend(0, S, 0, S, false);
  Partial lo = attend(0, S, 0, S / 2, false), hi = attend(0, S, S / 2, S / 2, false);
  Partial acc(S);
  lse_merge(lo.ot(S), lo.lt(S), acc.ot(S), acc.lt(S), true);
  EXPECT_EQ(acc.o, lo.o);  // init copies
  EXPECT_EQ(acc.lse, lo.lse);
  lse_merge(hi.ot(S), hi.lt(S), acc.ot(S), acc.lt(S), false);
  EXPECT_LT(max_diff(acc.o, full.o), 1e-5);
  EXPECT_LT(max_diff(acc.lse, full.lse), 1e-5);
}

// Causal attention of the second half of the queries = merge of the full tile against the
// first half of the keys and the causal tile against the second half.
TEST_F(LseMerge, CausalSplitEqualsCausalAttention) {
  const Partial full = attend(0, S, 0, S, true);
  Partial past = attend(S / 2, S / 2, 0, S / 2, false), diag = attend(S / 2, S / 2, S / 2, S / 2, true);
  Partial acc(S / 2);
  lse_merge(diag.ot(S / 2), diag.lt(S / 2), acc.ot(S / 2), acc.lt(S / 2), true);
  lse_merge(past.ot(S / 2), past.lt(S / 2), acc.ot(S / 2), acc.lt(S / 2), false);
  const Tensor4<const float> want = dense_tensor(full.o.data(), {B, S, H, D});
  const Tensor4<const float> want_lse = dense_tensor(full.lse.data(), {B, H, S, 1});
  const Tensor4<float> got = acc.ot(S / 2), got_lse = acc.lt(S / 2);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S / 2; ++s)
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t d = 0; d < D; ++d) EXPECT_NEAR(got(b, s, h, d), want(b, S / 2 + s, h, d), 1e-5);
        EXPECT_NEAR(got_lse(b, h, s, 0), want_lse(b, h, S / 2 + s, 0), 1e-5);
      }
}

TEST_F(LseMerge, EmptyPartialChangesNothing) {
  Partial acc = attend(0, S, 0, S, false);
  const std::vector<float> before_o = acc.o, before_lse = acc.lse;
  Partial none(S);
  for (float& x : none.lse) x = -std::numeric_limits<float>::infinity();
  for (float& x : none.o) x = 123.0f;
  lse_merge(none.ot(S), none.lt(S), acc.ot(S), acc.lt(S), false);
  EXPECT_EQ(acc.o, before_o);
  EXPECT_EQ(acc.lse, before_lse);
  // ... and an empty accumulator takes the partial as it is.
  Partial empty(S);
  for (float& x : empty.lse) x = -std::numeric_limits<float>::infinity();
  lse_merge(acc.ot(S), acc.lt(S), empty.ot(S), empty.lt(S), false);
  EXPECT_EQ(empty.o, before_o);
  EXPECT_EQ(empty.lse, before_lse);
}

TEST(LseMergeShapes, RejectsMismatch) {
  const Shape4 o{1, 8, 2, 4}, lse{1, 2, 8, 1};
  EXPECT_EQ(merge_shape_error(o, lse, o, lse), "");
  EXPECT_NE(merge_shape_error(o, lse, {1, 8, 2, 5}, lse), "");
  EXPECT_NE(merge_shape_error(o, {1, 8, 2, 1}, o, lse), "");
  EXPECT_NE(merge_shape_error(o, lse, o, {1, 2, 7, 1}), "");
}

}  // namespace
}  // namespace cpb
