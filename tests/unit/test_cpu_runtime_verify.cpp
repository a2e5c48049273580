// Verification of an output shard against the double reference: sampling rules, the
// mapping of local rows to global tokens, NaN detection.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "bench/runtime/row_tokens.hpp"
#include "bench/runtime/verify_reference.hpp"
#include "kernels/cpu/reference_attention.hpp"

namespace cpb {
namespace {

TEST(SampleIndices, EvenlySpacedWithFirstAndLast) {
  EXPECT_EQ(sample_indices(10, 4), (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(sample_indices(3, 64), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(sample_indices(6, 4), (std::vector<int64_t>{0, 1, 3, 5}));
  EXPECT_EQ(sample_indices(1, 4), (std::vector<int64_t>{0}));
  EXPECT_EQ(sample_indices(9, 1), (std::vector<int64_t>{0}));
  EXPECT_TRUE(sample_indices(0, 4).empty());
  for (int64_t n : {64, 65, 100, 127, 1000, 131072}) {
    const std::vector<int64_t> idx = sample_indices(n, 64);
    ASSERT_EQ(idx.size(), 64u);
    EXPECT_EQ(idx.front(), 0);
    EXPECT_EQ(idx.back(), n - 1);
    for (size_t i = 1; i < idx.size(); ++i) EXPECT_LT(idx[i - 1], idx[i]);
  }
}

class VerifyOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    p.P = 2;
    p.S = 12;
    p.H = 6;
    p.Hkv = 2;
    p.D = 4;
    p.B = 2;
    p.mask = Mask::Causal;
    // A zigzag-like shard: global tokens 6..11 then 0..2.
    tokens = {Range{6, 6}, Range{0, 3}};
    rows = 9;
    ReferenceShape shape;
    shape.S = p.S;
    shape.H = p.H;
    shape.Hkv = p.Hkv;
    shape.D = p.D;
    shape.causal = true;
    shape.scale = p.softmax_scale();
    ReferenceAttention ref(shape);
    const std::vector<int64_t> tok = row_tokens(tokens);
    out.resize(static_cast<size_t>(p.B * rows * p.H * p.D));
    std::vector<double> row(static_cast<size_t>(p.D));
    for (int64_t b = 0; b < p.B; ++b)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t h = 0; h < p.H; ++h) {
          ref.row(b, tok[static_cast<size_t>(r)], h, row.data());
          for (int64_t d = 0; d < p.D; ++d)
            out[static_cast<size_t>(((b * rows + r) * p.H + h) * p.D + d)] =
                static_cast<float>(row[static_cast<size_t>(d)]);
        }
  }
  Problem p;
  std::vector<Range> tokens;
  int64_t rows = 0;
  std::vector<float> out;  // the exact answer rounded to fp32
};

TEST_F(VerifyOutput, ExactShardPassesFullAndSampled) {
  const VerifyResult full = verify_output(p, tokens, out.data(), VerifyMode::Full, DType::FP32);
  EXPECT_EQ(full.checked, p.B * rows * p.H * p.D);
  EXPECT_LT(full.max_abs_err, 1e-7);
  EXPECT_FALSE(full.nonfinite);
  EXPECT_GT(full.tolerance, 0.0);
  EXPECT_LT(full.tolerance, 1e-5);  // fp32 outputs: a few units of 2^-24 times sqrt(S)
  const VerifyResult sampled = verify_output(p, tokens, out.data(), VerifyMode::Sampled, DType::FP32);
  EXPECT_EQ(sampled.checked, 2 * rows * 4 * p.D);  // batches {0, 1}, all 9 rows, heads {0, 1, 3, 5}
  EXPECT_LT(sampled.max_abs_err, 1e-7);
  const VerifyResult off = verify_output(p, tokens, out.data(), VerifyMode::Off, DType::FP32);
  EXPECT_EQ(off.checked, 0);
  EXPECT_EQ(off.tolerance, 0.0);
}

TEST_F(VerifyOutput, WrongTokenOrderFails) {
  const std::vector<Range> swapped{Range{0, 3}, Range{6, 6}};
  EXPECT_GT(verify_output(p, swapped, out.data(), VerifyMode::Full, DType::FP32).max_abs_err, 1e-2);
  EXPECT_GT(verify_output(p, swapped, out.data(), VerifyMode::Sampled, DType::FP32).max_abs_err, 1e-2);
}

TEST_F(VerifyOutput, FullMaskOnCausalOutputFails) {
  Problem full_mask = p;
  full_mask.mask = Mask::Full;
  EXPECT_GT(verify_output(full_mask, tokens, out.data(), VerifyMode::Full, DType::FP32).max_abs_err, 1e-2);
}

// A NaN in a head that Sampled mode does not compare is still reported.
TEST_F(VerifyOutput, NanOutsideTheSampleIsNonfinite) {
  out[static_cast<size_t>((1 * rows + 4) * p.H * p.D + 2 * p.D + 1)] =
      std::numeric_limits<float>::quiet_NaN();
  const VerifyResult r = verify_output(p, tokens, out.data(), VerifyMode::Sampled, DType::FP32);
  EXPECT_TRUE(r.nonfinite);
  EXPECT_LT(r.max_abs_err, 1e-7);
  EXPECT_TRUE(verify_output(p, tokens, out.data(), VerifyMode::Full, DType::FP32).nonfinite);
}

}  // namespace
}  // namespace cpb
