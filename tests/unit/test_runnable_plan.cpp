// check_runnable: what the runtimes refuse before they run a plan, a subset of check_plan.
#include <algorithm>
#include <climits>
#include <gtest/gtest.h>

#include "bench/plan/plan_check.hpp"

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
    return runnable(INT_MAX);
  }
  // check_runnable's first sentence, "" when it accepts the plan (as the runtimes read it).
  std::string runnable(int64_t max_transfer_elems) {
    const std::vector<std::string> errors = check_runnable(plan, p, max_transfer_elems);
    return errors.empty() ? "" : errors[0];
  }
  Problem p;
  Plan plan;
  int q = -1, k = -1, o = -1;
};

TEST_F(CpuPlanCheck, AcceptsAValidPlan) {
  CopyOp c;
  c.pairs.push_back({dense_view(q, 0, {1, 4, 2, 4}), dense_view(o, 0, {1, 4, 2, 4})});
  plan.add_step(0, "copy", c, {});
  EXPECT_EQ(runnable(INT_MAX), "");
  EXPECT_EQ(exchange({1, Slice{k, 0, 16}}, {1, Slice{k, 0, 16}}), "");
}

TEST_F(CpuPlanCheck, ViewOutsideBufferNamesStepAndBuffer) {
  CopyOp c;
  c.pairs.push_back({dense_view(q, 1, {1, 4, 2, 4}), dense_view(o, 0, {1, 4, 2, 4})});
  plan.add_step(0, "pack", c, {});
  const std::string err = runnable(INT_MAX);
  EXPECT_NE(err.find("step 0 \"pack\""), std::string::npos) << err;
  EXPECT_NE(err.find("\"q\""), std::string::npos) << err;
}

TEST_F(CpuPlanCheck, CopyShapesMustMatch) {
  CopyOp c;
  c.pairs.push_back({dense_view(q, 0, {1, 4, 2, 4}), dense_view(o, 0, {1, 2, 4, 4})});
  plan.add_step(0, "copy", c, {});
  EXPECT_EQ(runnable(INT_MAX),
            "step 0 \"copy\": pair 0 copies @0 [1,4,2,4]/[32,8,4,1] to the differently shaped @0 "
            "[1,2,4,4]/[32,16,4,1]");
}

TEST_F(CpuPlanCheck, ExchangeErrors) {
  EXPECT_EQ(exchange({2, Slice{k, 0, 16}}, {1, Slice{k, 0, 16}}),
            "step 0 \"x\": send to rank 2: no such rank in a world of 2");
  plan.steps.clear();
  EXPECT_EQ(exchange({1, Slice{k, 8, 16}}, {1, Slice{k, 0, 16}}),
            "step 0 \"x\": send to rank 1: slice [8, +16) is outside buffer \"k\" (16 elements)");
  plan.steps.clear();
  EXPECT_EQ(exchange({0, Slice{k, 0, 16}}, {1, Slice{k, 0, 16}}),  // a self send, no self receive
            "step 0 \"x\": sends to this rank (1) and receives from it (0) do not pair up, in order, "
            "with equal sizes");
  plan.steps.clear();
  EXPECT_EQ(exchange({0, Slice{k, 0, 16}}, {0, Slice{q, 0, 8}}),  // self sizes differ
            "step 0 \"x\": sends to this rank (1) and receives from it (1) do not pair up, in order, "
            "with equal sizes");
}

TEST_F(CpuPlanCheck, LaneTokensAndShardSizes) {
  plan.add_step(3, "nowhere", CopyOp{}, {});
  EXPECT_NE(runnable(INT_MAX).find("lane 3"), std::string::npos);
  plan.steps.clear();
  plan.tokens = {Range{6, 4}};
  EXPECT_EQ(runnable(INT_MAX), "token range [6, 10) is outside [0, S=8)");
  plan.tokens = {Range{0, 5}};
  EXPECT_EQ(runnable(INT_MAX), "q buffer \"q\" has 32 elements; the shard [B, local tokens, heads, D] has 40");
}

TEST_F(CpuPlanCheck, AttentionShapesChecked) {
  AttentionOp a;
  a.q = dense_view(q, 0, {1, 4, 2, 4});
  a.k = dense_view(k, 0, {1, 4, 1, 4});
  a.v = a.k;
  a.o = dense_view(o, 0, {1, 4, 2, 4});
  a.causal = true;
  plan.add_step(0, "attn", a, {});
  EXPECT_EQ(runnable(INT_MAX), "");
  std::get<AttentionOp>(plan.steps[0].op).window = 2;
  std::get<AttentionOp>(plan.steps[0].op).diag = 3;  // the last row's window starts past the keys
  EXPECT_NE(runnable(INT_MAX).find("causal"), std::string::npos);
}

TEST_F(CpuPlanCheck, TransferLimit) {
  EXPECT_EQ(exchange({1, Slice{k, 0, 16}}, {1, Slice{k, 0, 16}}), "");
  EXPECT_NE(runnable(15).find("16 elements exceed the transport's limit of 15"), std::string::npos) << runnable(15);
}

TEST_F(CpuPlanCheck, DependenciesPointBackwards) {
  plan.add_step(0, "first", CopyOp{}, {});
  plan.add_step(0, "second", CopyOp{}, {1});
  EXPECT_NE(runnable(INT_MAX).find("step 1 \"second\": depends on step 1"), std::string::npos) << runnable(INT_MAX);
}

// The stride rule is one rule of both checks: a negative stride is refused by the
// runtimes' check and by check_plan alike, in the same sentence, even where every element
// of the view lies inside its buffer.
TEST_F(CpuPlanCheck, NegativeStrideRefusedByBothChecks) {
  CopyOp c;
  View reversed = dense_view(q, 0, {1, 4, 2, 4});
  reversed.offset = 24;
  reversed.stride[1] = -8;  // tokens in reverse order: elements [0, 32) of "q"
  c.pairs.push_back({reversed, dense_view(o, 0, {1, 4, 2, 4})});
  plan.add_step(0, "reverse", c, {});
  const std::string sentence =
      "step 0 \"reverse\": pair 0 src @24 [1,4,2,4]/[32,-8,4,1] has an extent below 1 or a negative stride";
  EXPECT_EQ(runnable(INT_MAX), sentence);
  const std::vector<std::string> contract = check_plan(plan, p);
  EXPECT_NE(std::find(contract.begin(), contract.end(), sentence), contract.end());
}

// Every sentence check_runnable gives, check_plan gives too.
TEST_F(CpuPlanCheck, RunnableIsASubsetOfCheckPlan) {
  AttentionOp a;
  a.q = dense_view(q, 0, {1, 4, 2, 4});
  a.k = dense_view(k, 0, {1, 3, 1, 4});
  a.v = dense_view(k, 0, {1, 4, 1, 4});  // k and v differ
  a.o = dense_view(o, 0, {1, 4, 2, 4});
  a.causal = true;
  a.diag = -1;                           // query row 0 sees no key
  plan.add_step(2, "attn", a, {0});      // no lane 2, a forward dependency
  ExchangeOp e;
  e.sends.push_back({0, Slice{k, 0, 16}});
  plan.add_step(0, "x", e, {});  // a send to self without a receive
  const std::vector<std::string> runnable_errors = check_runnable(plan, p, INT_MAX);
  const std::vector<std::string> contract = check_plan(plan, p);
  EXPECT_GE(runnable_errors.size(), 5u);
  for (const std::string& err : runnable_errors)
    EXPECT_NE(std::find(contract.begin(), contract.end(), err), contract.end()) << err;
}

}  // namespace
}  // namespace cpb
