// Plans to JSON and back (exactly), errors naming the bad field, and the text dump.
#include <gtest/gtest.h>

#include <cstring>

#include "bench/config/config.hpp"
#include "bench/plan/plan_check.hpp"
#include "bench/plan/plan_io.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using nlohmann::json;
using test::all_plans;
using test::make_problem;

// Every field of two plans, compared directly (not through JSON).
void expect_same(const Plan& a, const Plan& b) {
  auto same_view = [](const View& x, const View& y) {
    return x.buf == y.buf && x.offset == y.offset && x.shape == y.shape && x.stride == y.stride;
  };
  auto same_range = [](Range x, Range y) { return x.begin == y.begin && x.size == y.size; };
  auto same_transfers = [](const std::vector<Transfer>& x, const std::vector<Transfer>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i].peer != y[i].peer || x[i].slice.buf != y[i].slice.buf || x[i].slice.offset != y[i].slice.offset ||
          x[i].slice.count != y[i].slice.count)
        return false;
    return true;
  };
  ASSERT_EQ(a.schedule, b.schedule);
  ASSERT_EQ(a.rank, b.rank);
  ASSERT_EQ(a.world, b.world);
  ASSERT_EQ(a.lanes, b.lanes);
  ASSERT_EQ(a.groups, b.groups);
  ASSERT_EQ(a.tokens.size(), b.tokens.size());
  for (size_t i = 0; i < a.tokens.size(); ++i) ASSERT_TRUE(same_range(a.tokens[i], b.tokens[i]));
  ASSERT_EQ(a.buffers.size(), b.buffers.size());
  for (size_t i = 0; i < a.buffers.size(); ++i) {
    ASSERT_EQ(a.buffers[i].name, b.buffers[i].name);
    ASSERT_EQ(a.buffers[i].storage, b.buffers[i].storage);
    ASSERT_EQ(a.buffers[i].role, b.buffers[i].role);
    ASSERT_EQ(a.buffers[i].elems, b.buffers[i].elems);
  }
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) {
    const Step &x = a.steps[i], &y = b.steps[i];
    ASSERT_EQ(x.id, y.id);
    ASSERT_EQ(x.lane, y.lane);
    ASSERT_EQ(x.label, y.label);
    ASSERT_EQ(x.deps, y.deps);
    ASSERT_EQ(x.kind(), y.kind());
    switch (x.kind()) {
      case OpKind::Copy: {
        const auto &p = std::get<CopyOp>(x.op).pairs, &q = std::get<CopyOp>(y.op).pairs;
        ASSERT_EQ(p.size(), q.size());
        for (size_t k = 0; k < p.size(); ++k)
          ASSERT_TRUE(same_view(p[k].src, q[k].src) && same_view(p[k].dst, q[k].dst));
        break;
      }
      case OpKind::Exchange: {
        const ExchangeOp &p = std::get<ExchangeOp>(x.op), &q = std::get<ExchangeOp>(y.op);
        ASSERT_EQ(p.pattern, q.pattern);
        ASSERT_EQ(p.group, q.group);
        ASSERT_TRUE(same_transfers(p.sends, q.sends) && same_transfers(p.recvs, q.recvs));
        break;
      }
      case OpKind::Attention: {
        const AttentionOp &p = std::get<AttentionOp>(x.op), &q = std::get<AttentionOp>(y.op);
        ASSERT_TRUE(same_view(p.q, q.q) && same_view(p.k, q.k) && same_view(p.v, q.v) && same_view(p.o, q.o) &&
                    same_view(p.lse, q.lse));
        ASSERT_EQ(p.has_lse, q.has_lse);
        ASSERT_EQ(p.causal, q.causal);
        ASSERT_EQ(std::memcmp(&p.scale, &q.scale, sizeof p.scale), 0);  // bit for bit
        ASSERT_TRUE(same_range(p.heads, q.heads) && same_range(p.q_tokens, q.q_tokens) &&
                    same_range(p.k_tokens, q.k_tokens));
        break;
      }
      case OpKind::Merge: {
        const MergeOp &p = std::get<MergeOp>(x.op), &q = std::get<MergeOp>(y.op);
        ASSERT_TRUE(same_view(p.part_o, q.part_o) && same_view(p.part_lse, q.part_lse) && same_view(p.acc_o, q.acc_o) &&
                    same_view(p.acc_lse, q.acc_lse));
        ASSERT_EQ(p.init, q.init);
        break;
      }
      case OpKind::AttentionBackward: {
        const AttentionBackwardOp &p = std::get<AttentionBackwardOp>(x.op), &q = std::get<AttentionBackwardOp>(y.op);
        ASSERT_TRUE(same_view(p.q, q.q) && same_view(p.k, q.k) && same_view(p.v, q.v) && same_view(p.o, q.o) &&
                    same_view(p.dout, q.dout) && same_view(p.lse, q.lse) && same_view(p.dq, q.dq) &&
                    same_view(p.dk, q.dk) && same_view(p.dv, q.dv));
        ASSERT_EQ(p.causal, q.causal);
        ASSERT_EQ(p.diag, q.diag);
        ASSERT_EQ(p.window, q.window);
        ASSERT_EQ(std::memcmp(&p.scale, &q.scale, sizeof p.scale), 0);
        ASSERT_TRUE(same_range(p.heads, q.heads) && same_range(p.q_tokens, q.q_tokens) &&
                    same_range(p.k_tokens, q.k_tokens));
        break;
      }
      case OpKind::Reduce: {
        const auto &p = std::get<ReduceOp>(x.op).pairs, &q = std::get<ReduceOp>(y.op).pairs;
        ASSERT_EQ(p.size(), q.size());
        for (size_t k = 0; k < p.size(); ++k)
          ASSERT_TRUE(same_view(p[k].src, q[k].src) && same_view(p[k].dst, q[k].dst));
        break;
      }
      case OpKind::Zero: {
        const auto &p = std::get<ZeroOp>(x.op).slices, &q = std::get<ZeroOp>(y.op).slices;
        ASSERT_EQ(p.size(), q.size());
        for (size_t k = 0; k < p.size(); ++k)
          ASSERT_TRUE(p[k].buf == q[k].buf && p[k].offset == q[k].offset && p[k].count == q[k].count);
        break;
      }
    }
  }
  ASSERT_EQ(a.timed_from, b.timed_from);
}

TEST(PlanIo, RoundTripIsExactForEverySchedule) {
  Problem p = make_problem(4, 128, 12, 4, 24, 2, Mask::Causal);  // D=24: scale 1/sqrt(24) is not a short decimal
  p.chunks = 3;
  p.usp_u = 2;
  for (Pass pass : {Pass::Fwd, Pass::Bwd, Pass::FwdBwd})
    for (const char* name : {"ulysses", "hcms", "ring", "zigzag_ring", "usp", "tiled"})
      for (const Plan& plan : all_plans(name, [&] {
             Problem q = p;
             q.pass = pass;
             return q;
           }())) {
        SCOPED_TRACE(std::string(name) + " " + to_string(pass) + " rank " + std::to_string(plan.rank));
        const json j = plan_to_json(plan);
        const Plan back = plan_from_json(json::parse(j.dump()));  // through text, as a file would
        expect_same(plan, back);
        EXPECT_EQ(plan_to_json(back), j);
      }
}

TEST(PlanIo, AllRanksRoundTripAndStillPassTheChecks) {
  Problem p = make_problem(3, 96, 6, 3, 16, 1, Mask::Full);
  p.chunks = 2;
  const std::vector<Plan> plans = all_plans("hcms", p);
  const json j = plans_to_json(plans);
  EXPECT_EQ(j["format"], "cpbench-plans");
  EXPECT_EQ(j["version"], 1);
  const std::vector<Plan> back = plans_from_json(json::parse(j.dump()));
  ASSERT_EQ(back.size(), 3u);
  for (int r = 0; r < 3; ++r) expect_same(plans[r], back[r]);
  EXPECT_TRUE(check_plans(back, p).empty());
}

// The UsageError message plan_from_json throws for `j`.
std::string load_error(const json& j) {
  try {
    plan_from_json(j);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PlanIo, ErrorsNameTheField) {
  const json good = plan_to_json(find_schedule("ulysses")->plan(make_problem(2, 64, 2, 2, 16, 1, Mask::Full), 0));
  json j = good;
  j["steps"][2]["op"]["kind"] = "attentoin";
  EXPECT_EQ(load_error(j),
            "plan.steps[2].op.kind: \"attentoin\" is not an op kind; allowed: copy, exchange, attention, merge, "
            "attention_backward, reduce, zero");
  j = good;
  j["steps"][1]["op"].erase("group");
  EXPECT_EQ(load_error(j), "plan.steps[1].op.group: missing");
  j = good;
  j["buffers"][0]["elems"] = "many";
  EXPECT_EQ(load_error(j), "plan.buffers[0].elems: must be an integer");
  j = good;
  j["steps"][2]["op"]["q"]["shape"] = json::array({1, 2, 3});
  EXPECT_EQ(load_error(j), "plan.steps[2].op.q.shape: must have 4 elements");
  j = good;
  j["buffers"][1]["storage"] = "fp8";
  EXPECT_EQ(load_error(j), "plan.buffers[1].storage: \"fp8\" is not a storage; allowed: act, f32");
  EXPECT_EQ(load_error(json::array()), "plan: must be an object");
  json file = {{"format", "something"}, {"version", 1}, {"plans", json::array()}};
  EXPECT_THROW(plans_from_json(file), UsageError);
}

TEST(PlanIo, TextDumpHasOneLinePerStep) {
  Problem p = make_problem(2, 128, 4, 2, 16, 1, Mask::Causal);
  p.chunks = 2;
  const Plan plan = find_schedule("hcms")->plan(p, 1);
  const std::string text = plan_to_text(plan, p);
  EXPECT_NE(text.find("plan hcms: rank 1 of 2, tokens [64,128) (64 local)"), std::string::npos) << text;
  EXPECT_NE(text.find("lanes: 0 compute, 1 comm"), std::string::npos) << text;
  EXPECT_NE(text.find("groups: 0 {0,1}"), std::string::npos) << text;
  EXPECT_NE(text.find("   1 compute  pack[c=1]                copy 6 pairs"), std::string::npos) << text;
  EXPECT_NE(
      text.find("a2a_in[c=0]              all_to_all group 0: send 3 to {0} 6.0 KiB; recv 3 from {0} 6.0 KiB  deps 0"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("attention causal q q_heads[1,128,1,16]"), std::string::npos) << text;
  EXPECT_NE(text.find("totals: sent 16.0 KiB, received 16.0 KiB, attention"), std::string::npos) << text;
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  // Header (3 lines), "buffers:" + one per buffer, "steps:" + one per step, totals.
  EXPECT_EQ(lines, 3 + 1 + plan.buffers.size() + 1 + plan.steps.size() + 1);
}

}  // namespace
}  // namespace cpb
