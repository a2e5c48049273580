// runnable_plan_error: what the runtimes refuse before they run a plan.
#include <climits>
#include <gtest/gtest.h>

#include "bench/runtime/runnable_plan.hpp"

namespace cpb {
namespace {

class CpuPlanCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    p.P = 2;
    p.S = 8;
    p.H = 2;
    p.Hkv = 1;
    p.D = 4;
    plan.rank = 0;
    plan.world = 2;
    plan.tokens = {Range{0, 4}};
    plan.add_lane("compute");
    q = plan.add_buffer("q", Storage::Act, BufferRole::Q, 4 * 2 * 4);
    k = plan.add_buffer("k", Storage::Act, BufferRole::K, 4 * 1 * 4);
    plan.add_buffer("v", Storage::Act, BufferRole::V, 4 * 1 * 4);
    o = plan.add_buffer("o", Storage::Act, BufferRole::O, 4 * 2 * 4);
  }
  std::string exchange(Transfer send, Transfer recv) {
    ExchangeOp e;
    e.sends.push_back(send);
    e.recvs.push_back(recv);
    plan.add_step(0, "x", e, {});
    return runnable_plan_error(p, plan, INT_MAX);
  }
  Problem p;
  Plan plan;
  int q = -1, k = -1, o = -1;
};

TEST_F(CpuPlanCheck, AcceptsAValidPlan) {
  CopyOp c;
  c.pairs.push_back({dense_view(q, 0, {1, 4, 2, 4}), dense_view(o, 0, {1, 4, 2, 4})});
  plan.add_step(0, "copy", c, {});
  EXPECT_EQ(runnable_plan_error(p, plan, INT_MAX), "");
  EXPECT_EQ(exchange({1, Slice{k, 0, 16}}, {1, Slice{k, 0, 16}}), "");
}

TEST_F(CpuPlanCheck, ViewOutsideBufferNamesStepAndBuffer) {
  CopyOp c;
  c.pairs.push_back({dense_view(q, 1, {1, 4, 2, 4}), dense_view(o, 0, {1, 4, 2, 4})});
  plan.add_step(0, "pack", c, {});
  const std::string err = runnable_plan_error(p, plan, INT_MAX);
  EXPECT_NE(err.find("step 0 \"pack\""), std::string::npos) << err;
  EXPECT_NE(err.find("\"q\""), std::string::npos) << err;
}

TEST_F(CpuPlanCheck, CopyShapesMustMatch) {
  CopyOp c;
  c.pairs.push_back({dense_view(q, 0, {1, 4, 2, 4}), dense_view(o, 0, {1, 2, 4, 4})});
  plan.add_step(0, "copy", c, {});
  EXPECT_NE(runnable_plan_error(p, plan, INT_MAX), "");
}

TEST_F(CpuPlanCheck, ExchangeErrors) {
  EXPECT_NE(exchange({2, Slice{k, 0, 16}}, {1, Slice{k, 0, 16}}), "");  // no rank 2
  plan.steps.clear();
  EXPECT_NE(exchange({1, Slice{k, 8, 16}}, {1, Slice{k, 0, 16}}), "");  // slice past the end
  plan.steps.clear();
  EXPECT_NE(exchange({0, Slice{k, 0, 16}}, {1, Slice{k, 0, 16}}), "");  // self send, no self receive
  plan.steps.clear();
  EXPECT_NE(exchange({0, Slice{k, 0, 16}}, {0, Slice{q, 0, 8}}), "");  // self sizes differ
}

TEST_F(CpuPlanCheck, LaneTokensAndShardSizes) {
  plan.add_step(3, "nowhere", CopyOp{}, {});
  EXPECT_NE(runnable_plan_error(p, plan, INT_MAX).find("lane 3"), std::string::npos);
  plan.steps.clear();
  plan.tokens = {Range{6, 4}};
  EXPECT_NE(runnable_plan_error(p, plan, INT_MAX), "");  // tokens past S
  plan.tokens = {Range{0, 5}};
  EXPECT_NE(runnable_plan_error(p, plan, INT_MAX), "");  // Q buffer too small for 5 tokens
}

TEST_F(CpuPlanCheck, AttentionShapesChecked) {
  AttentionOp a;
  a.q = dense_view(q, 0, {1, 4, 2, 4});
  a.k = dense_view(k, 0, {1, 4, 1, 4});
  a.v = a.k;
  a.o = dense_view(o, 0, {1, 4, 2, 4});
  a.causal = true;
  plan.add_step(0, "attn", a, {});
  EXPECT_EQ(runnable_plan_error(p, plan, INT_MAX), "");
  std::get<AttentionOp>(plan.steps[0].op).k.shape[1] = 3;
  std::get<AttentionOp>(plan.steps[0].op).v.shape[1] = 3;
  EXPECT_NE(runnable_plan_error(p, plan, INT_MAX).find("causal"), std::string::npos);
}

}  // namespace
}  // namespace cpb
