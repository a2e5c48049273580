// What cpbench calibrate measures: its grids, its one-rank plans (valid plans every
// runtime runs), and the measurements on the CPU runtime (the cap on predicted times).
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "bench/plan/plan_check.hpp"
#include "bench/runtime/cpu_runtime.hpp"
#include "bench/sim/calibrate_grid.hpp"
#include "bench/sim/calibrate_measure.hpp"
#include "bench/sim/calibrate_plans.hpp"
#include "tests/unit/mpi_test_session.hpp"

namespace cpb {
namespace {

using Key = std::tuple<int64_t, int, int, int, bool, DType>;

Key key(const KernelSample& s) { return {s.q_tokens, s.heads, s.kv_heads, s.head_dim, s.causal, s.dtype}; }

TEST(CalibrateGrid, TheCudaGridIsTheStatedOne) {
  const CalibrateGrid g = calibrate_grid("cuda", false);
  // 7 token counts x (1, 8, 8/2, 32, 32/8) heads x 2 head dims x 2 masks x 2 dtypes.
  EXPECT_EQ(g.attention.size(), 7u * 5 * 2 * 2 * 2);
  std::set<Key> distinct;
  for (const KernelSample& s : g.attention) {
    distinct.insert(key(s));
    EXPECT_EQ(s.q_tokens, s.k_tokens);
    EXPECT_EQ(s.heads % s.kv_heads, 0);
    EXPECT_NE(s.dtype, DType::FP32);
  }
  EXPECT_EQ(distinct.size(), g.attention.size());
  EXPECT_EQ(g.attention.front().q_tokens, 1024);
  EXPECT_EQ(g.attention.back().q_tokens, 65536);
  EXPECT_EQ(calibrate_grid("cuda", true).attention.size(), 12u);
  EXPECT_EQ(calibrate_grid("cpu", false).attention.size(), 48u);
  EXPECT_EQ(calibrate_grid("cpu", true).attention.size(), 12u);
  EXPECT_EQ(grid_kv_heads(32), (std::vector<int>{32, 8}));
  EXPECT_EQ(grid_kv_heads(1), (std::vector<int>{1}));
  EXPECT_EQ(grid_kv_heads(6), (std::vector<int>{6}));
}

TEST(CalibrateGrid, TokensAscendWithinEachCurve) {
  const CalibrateGrid g = calibrate_grid("cuda", false);
  for (size_t i = 1; i < g.attention.size(); ++i) {
    const KernelSample& a = g.attention[i - 1];
    const KernelSample& b = g.attention[i];
    const bool same = a.heads == b.heads && a.kv_heads == b.kv_heads && a.head_dim == b.head_dim &&
                      a.causal == b.causal && a.dtype == b.dtype;
    if (same) EXPECT_EQ(b.q_tokens, 2 * a.q_tokens) << i;
    else EXPECT_EQ(b.q_tokens, 1024) << i;
  }
}

TEST(CalibratePlans, PassThePlanChecks) {
  for (const auto& [S, H, Hkv, mask] : {std::make_tuple(64, 1, 1, Mask::Full), std::make_tuple(128, 8, 2, Mask::Causal),
                                        std::make_tuple(96, 3, 3, Mask::Full)}) {
    const Problem p = calibrate_problem(S, H, Hkv, 32, mask, DType::BF16);
    EXPECT_EQ(check_plan(attention_plan(p), p), std::vector<std::string>{}) << S << " " << H;
    const BandwidthPlan b = bandwidth_plan(p);
    EXPECT_EQ(check_plan(b.plan, p), std::vector<std::string>{}) << S << " " << H;
    EXPECT_EQ(b.plan.steps[static_cast<size_t>(b.merge_step)].kind(), OpKind::Merge);
    EXPECT_FALSE(std::get<MergeOp>(b.plan.steps[static_cast<size_t>(b.merge_step)].op).init);
    const CopyOp& pack = std::get<CopyOp>(b.plan.steps[static_cast<size_t>(b.copy_step)].op);
    int64_t copied = 0;
    for (const CopyOp::Pair& pair : pack.pairs) copied += pair.src.numel();
    EXPECT_EQ(copied, p.S * p.H * p.D);  // every element of Q once
  }
}

TEST(CalibrateMeasure, TimesEveryShapeOnTheCpuRuntime) {
  const MpiSession& mpi = test::mpi_session();
  const std::unique_ptr<Runtime> runtime = make_cpu_runtime(mpi);
  CalibrateContext ctx{*runtime, mpi.world(), nullptr};
  CalibrateGrid g = calibrate_grid("cpu", true);
  const std::vector<KernelSample> got = measure_attention(ctx, g);
  ASSERT_EQ(got.size(), g.attention.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(key(got[i]), key(g.attention[i]));
    EXPECT_GT(got[i].ms, 0);
  }
  const BandwidthFits bw = measure_bandwidth(ctx, g);
  EXPECT_GT(bw.copy.gbps, 0);
  EXPECT_GT(bw.merge.gbps, 0);
  EXPECT_GE(bw.copy.launch_us, 0);
}

TEST(CalibrateMeasure, SkipsShapesPredictedOverTheCap) {
  const MpiSession& mpi = test::mpi_session();
  const std::unique_ptr<Runtime> runtime = make_cpu_runtime(mpi);
  CalibrateContext ctx{*runtime, mpi.world(), nullptr};
  CalibrateGrid g = calibrate_grid("cpu", true);
  g.cap_ms = 0;  // every prediction exceeds it: only the first shape of each curve is timed
  const std::vector<KernelSample> got = measure_attention(ctx, g);
  std::vector<Key> firsts;
  for (size_t i = 0; i < g.attention.size(); ++i)
    if (g.attention[i].q_tokens == g.attention.front().q_tokens) firsts.push_back(key(g.attention[i]));
  ASSERT_EQ(got.size(), firsts.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(key(got[i]), firsts[i]);
}

}  // namespace
}  // namespace cpb
