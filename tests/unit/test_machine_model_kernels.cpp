// The kernel table's interpolation (bench/sim/kernel_table.hpp): exact at measured
// shapes, linear in ln(work per head) between samples of a curve, constant throughput
// beyond its ends, linear in ln(heads) between curves, the nearest GQA group, and an
// error for a class the table lacks.
#include <gtest/gtest.h>

#include <cmath>

#include "bench/sim/kernel_table.hpp"
#include "kernels/attention_flops.hpp"
#include "tests/plan_builder.hpp"
#include "tests/unit/test_config_util.hpp"
#include "tests/unit/test_machine_model_util.hpp"

namespace cpb {
namespace {

using test::kernel_sample;

// Class (128, full, bf16): heads 8 and 32 of group 1 at 1024 and 4096 tokens, heads 8 of
// group 4 at 1024; one causal sample.
std::vector<KernelSample> samples() {
  return {kernel_sample(1024, 8, 8, 128, false, 0.10),  kernel_sample(4096, 8, 8, 128, false, 1.00),
          kernel_sample(1024, 32, 32, 128, false, 0.25), kernel_sample(4096, 32, 32, 128, false, 3.00),
          kernel_sample(1024, 8, 2, 128, false, 0.12),  kernel_sample(2048, 4, 4, 128, true, 0.2)};
}

TileShape tile(int64_t tokens, int64_t heads, int64_t kv_heads, bool causal = false, int64_t batch = 1) {
  return TileShape{batch, tokens, tokens, heads, kv_heads, 128, causal, DType::BF16};
}

double flops(const TileShape& t) {
  return attention_tile_flops(t.batch, t.q_tokens, t.k_tokens, t.heads, t.head_dim, t.causal);
}

double thr(const KernelSample& s) {  // [FLOP/ms]
  return attention_tile_flops(1, s.q_tokens, s.k_tokens, s.heads, s.head_dim, s.causal) / s.ms;
}

TEST(KernelTable, IsExactAtEveryMeasuredShape) {
  const KernelTable table(samples());
  for (const KernelSample& s : samples())
    EXPECT_DOUBLE_EQ(table.ms(TileShape{1, s.q_tokens, s.k_tokens, s.heads, s.kv_heads, s.head_dim, s.causal, s.dtype}),
                     s.ms)
        << s.q_tokens << " tokens, " << s.heads << "/" << s.kv_heads << " heads";
}

TEST(KernelTable, InterpolatesThroughputLinearlyInLogWorkBetweenSamples) {
  const KernelTable table(samples());
  const std::vector<KernelSample> s = samples();
  // 2048 tokens: ln(2048^2) is halfway between ln(1024^2) and ln(4096^2).
  const double want = thr(s[0]) + 0.5 * (thr(s[1]) - thr(s[0]));
  EXPECT_DOUBLE_EQ(table.ms(tile(2048, 8, 8)), flops(tile(2048, 8, 8)) / want);
  // Monotone: every size between the samples has a throughput between theirs, rising.
  double last = thr(s[0]);
  for (int64_t t = 1100; t < 4096; t += 250) {
    const double got = flops(tile(t, 8, 8)) / table.ms(tile(t, 8, 8));
    EXPECT_GE(got, last * (1 - 1e-12)) << t;
    EXPECT_LE(got, thr(s[1]) * (1 + 1e-12)) << t;
    last = got;
  }
}

TEST(KernelTable, KeepsTheEndThroughputBeyondTheTable) {
  const KernelTable table(samples());
  const std::vector<KernelSample> s = samples();
  EXPECT_DOUBLE_EQ(table.ms(tile(256, 8, 8)), flops(tile(256, 8, 8)) / thr(s[0]));
  EXPECT_DOUBLE_EQ(table.ms(tile(65536, 8, 8)), flops(tile(65536, 8, 8)) / thr(s[1]));
}

TEST(KernelTable, InterpolatesBetweenHeadCountsInLogHeads) {
  const KernelTable table(samples());
  const std::vector<KernelSample> s = samples();
  // 16 heads: halfway between 8 and 32 in ln(heads), at 1024 tokens.
  EXPECT_DOUBLE_EQ(table.ms(tile(1024, 16, 16)), flops(tile(1024, 16, 16)) / (0.5 * (thr(s[0]) + thr(s[2]))));
  // Outside the measured heads: the nearest curve.
  EXPECT_DOUBLE_EQ(table.ms(tile(1024, 64, 64)), flops(tile(1024, 64, 64)) / thr(s[2]));
  EXPECT_DOUBLE_EQ(table.ms(tile(1024, 2, 2)), flops(tile(1024, 2, 2)) / thr(s[0]));
  // The batch counts as heads: B = 2 of 8 heads is 16 heads.
  EXPECT_DOUBLE_EQ(table.ms(tile(1024, 8, 8, false, 2)), table.ms(tile(1024, 16, 16)));
}

TEST(KernelTable, TakesTheNearestGqaGroup) {
  const KernelTable table(samples());
  const std::vector<KernelSample> s = samples();
  EXPECT_DOUBLE_EQ(table.ms(tile(1024, 8, 2)), s[4].ms);                         // group 4: its own curve
  EXPECT_DOUBLE_EQ(table.ms(tile(1024, 8, 1)), flops(tile(1024, 8, 1)) / thr(s[4]));  // group 8: nearest is 4
  EXPECT_DOUBLE_EQ(table.ms(tile(1024, 8, 4)), s[0].ms);                        // group 2: tie, the smaller (1)
}

TEST(KernelTable, AveragesSamplesOfEqualWork) {
  KernelSample wide = kernel_sample(1024, 8, 8, 128, false, 0.4);
  wide.k_tokens = 4096;  // 1024 x 4096 pairs, as many as 2048 x 2048
  const KernelSample square = kernel_sample(2048, 8, 8, 128, false, 0.2);
  const KernelTable table({wide, square});
  EXPECT_DOUBLE_EQ(table.ms(tile(2048, 8, 8)), flops(tile(2048, 8, 8)) / (0.5 * (thr(wide) + thr(square))));
}

TEST(KernelTable, CountsCausalPairs) {
  const KernelTable table(samples());
  // The causal class has one sample: constant throughput at every size.
  const double t = thr(samples()[5]);
  EXPECT_DOUBLE_EQ(table.ms(tile(8192, 4, 4, true)), flops(tile(8192, 4, 4, true)) / t);
  EXPECT_DOUBLE_EQ(flops(tile(3, 1, 1, true)), 4.0 * 128 * 6);  // 3 * 4 / 2 pairs
}

TEST(KernelTable, NamesTheMissingClassAndTheOnesItHas) {
  const KernelTable table(samples());
  TileShape t = tile(1024, 8, 8);
  t.head_dim = 64;
  const std::string e = test::usage_error([&] { table.ms(t); });
  EXPECT_TRUE(test::contains(e, "no attention sample of head_dim 64 full bf16"));
  EXPECT_TRUE(test::contains(e, "it has: head_dim 128 full bf16; head_dim 128 causal bf16"));
  t = tile(1024, 8, 8);
  t.dtype = DType::FP16;
  EXPECT_TRUE(test::contains(test::usage_error([&] { table.ms(t); }), "head_dim 128 full fp16"));
  EXPECT_TRUE(test::contains(test::usage_error([&] { KernelTable({}).ms(tile(1024, 8, 8)); }), "it has: none"));
}

TEST(KernelTable, AttentionMsReadsTheTileFromThePlanViews) {
  MachineModel m;
  m.attention = samples();
  // A head slice of larger buffers: [1, 4096, 8 of 16, 128] queries over 8 of 16 kv heads.
  const View q = test::strided(0, 0, {1, 4096, 8, 128}, {4096 * 16 * 128, 16 * 128, 128, 1});
  const View k = test::strided(1, 0, {1, 4096, 8, 128}, {4096 * 16 * 128, 16 * 128, 128, 1});
  const AttentionOp a = test::Tile(q, k, k, q).op();
  EXPECT_DOUBLE_EQ(attention_ms(m, a, DType::BF16), 1.00);
  EXPECT_THROW(attention_ms(m, a, DType::FP32), UsageError);
}

}  // namespace
}  // namespace cpb
