// Strided copy with element conversion, and the deterministic input fill.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>
#include <vector>

#include "kernels/cpu/input_fill.hpp"
#include "kernels/cpu/strided_copy.hpp"
#include "kernels/input_values.hpp"

namespace cpb {
namespace {

// [B, S, H, D] -> head-major [B, H, S, D] through a permuted destination view, with float
// -> double conversion, and back.
TEST(StridedCopy, PermutesAndConverts) {
  const Shape4 shape{2, 5, 3, 4};
  std::vector<float> src(120);
  for (size_t i = 0; i < src.size(); ++i) src[i] = 0.5f + static_cast<float>(i);
  std::vector<double> head_major(120 + 7, -1.0);
  const Tensor4<double> dst(head_major.data() + 7, shape, {60, 4, 20, 1});  // [B, H, S, D] in memory
  copy_strided(dense_tensor<const float>(src.data(), shape), dst);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t s = 0; s < 5; ++s)
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t d = 0; d < 4; ++d)
          ASSERT_EQ(head_major[static_cast<size_t>(7 + ((b * 3 + h) * 5 + s) * 4 + d)],
                    double(src[static_cast<size_t>(((b * 5 + s) * 3 + h) * 4 + d)]));
  for (int i = 0; i < 7; ++i) EXPECT_EQ(head_major[static_cast<size_t>(i)], -1.0);

  std::vector<float> back(120);
  copy_strided(Tensor4<const double>(dst), dense_tensor(back.data(), shape));
  EXPECT_EQ(back, src);
}

TEST(StridedCopy, StridedSourceDimension3AndShapeMismatch) {
  std::vector<float> src{1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<float> dst(4);
  copy_strided(Tensor4<const float>(src.data() + 1, {1, 1, 1, 4}, {0, 0, 0, 2}),
               dense_tensor(dst.data(), {1, 1, 1, 4}));
  EXPECT_EQ(dst, (std::vector<float>{2, 4, 6, 8}));
  EXPECT_THROW(copy_strided(dense_tensor<const float>(src.data(), {1, 1, 2, 4}),
                            dense_tensor(dst.data(), {1, 1, 1, 4})),
               std::invalid_argument);
}

bool is_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return (u & 0xffffu) == 0;
}

TEST(InputValues, DeterministicNonZeroBf16AndInRange) {
  constexpr int64_t D = 64;
  std::set<float> distinct;
  for (Tensor t : {Tensor::Q, Tensor::K, Tensor::V})
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t tok : {int64_t{0}, int64_t{1}, int64_t{77}, int64_t{524287}})
        for (int64_t h = 0; h < 8; ++h)
          for (int64_t d = 0; d < D; ++d) {
            const float x = input_value(t, b, tok, h, d, D);
            ASSERT_EQ(x, input_value(t, b, tok, h, d, D));
            ASSERT_NE(x, 0.0f);
            ASSERT_TRUE(is_bf16(x));
            const bool anchor = t == Tensor::K && anchor_class(b, tok, h) >= 0;
            const float lo = t == Tensor::Q ? 0.75f : t == Tensor::K ? 0.125f : 0.0625f;
            const float hi = t == Tensor::Q ? 1.0f : t == Tensor::K ? (anchor ? 20.0f / 8 : 1.0f) : 1.4375f;
            ASSERT_GE(std::fabs(x), lo);
            ASSERT_LE(std::fabs(x), hi);  // bf16 rounding may reach the upper bound
            distinct.insert(x);
          }
  EXPECT_GT(distinct.size(), 200u);  // values vary, not a constant pattern
  EXPECT_NE(input_value(Tensor::K, 0, 5, 1, 2, D), input_value(Tensor::V, 0, 5, 1, 2, D));
}

TEST(InputFill, RowsFollowGlobalTokens) {
  const std::vector<int64_t> tokens{12, 13, 4, 5};
  const Shape4 shape{2, 4, 3, 5};
  std::vector<float> x(120);
  fill_inputs(Tensor::K, tokens, dense_tensor(x.data(), shape));
  const Tensor4<float> t = dense_tensor(x.data(), shape);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t d = 0; d < 5; ++d)
          ASSERT_EQ(t(b, r, h, d), input_value(Tensor::K, b, tokens[static_cast<size_t>(r)], h, d, shape[3]));
  EXPECT_THROW(fill_inputs(Tensor::K, {1, 2}, dense_tensor(x.data(), shape)), std::invalid_argument);
}

}  // namespace
}  // namespace cpb
