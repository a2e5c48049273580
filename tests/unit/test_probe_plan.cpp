// cpbench probe: the three plans of a transport (bench/probe/probe_plan.hpp) pass the plan checks
// and the runnable-plan check, their exchanges pair up across ranks, and the default
// exchange is the Ulysses input all-to-all.
#include <gtest/gtest.h>

#include <climits>
#include <vector>

#include "bench/plan/plan_check.hpp"
#include "bench/probe/probe_plan.hpp"
#include "bench/schedule.hpp"
#include "test_plan_util.hpp"

namespace cpb {
namespace {

const ProbePart kParts[] = {ProbePart::Attention, ProbePart::Exchange, ProbePart::Both};

ProbeShape shape(int P, int64_t S, int H, int D) {
  ProbeShape s;
  s.P = P;
  s.S = S;
  s.H = H;
  s.D = D;
  return s;
}

// The transfers of `from`'s exchange with `peer`, as element counts.
std::vector<int64_t> counts(const Plan& from, int peer, bool sends) {
  std::vector<int64_t> out;
  for (const Step& s : from.steps) {
    if (!s.is_comm()) continue;
    const ExchangeOp& e = std::get<ExchangeOp>(s.op);
    for (const Transfer& t : sends ? e.sends : e.recvs)
      if (t.peer == peer) out.push_back(t.slice.count);
  }
  return out;
}

TEST(ProbePlan, EveryPartPassesThePlanChecks) {
  for (int P : {2, 3, 4}) {
    const ProbeShape sh = shape(P, 24, 12, 8);
    const Problem p = probe_problem(sh);
    const int64_t peer = probe_peer_elems(ulysses_input_bytes(sh), P);
    ASSERT_GE(peer, 1);
    for (ProbePart part : kParts)
      for (int r = 0; r < P; ++r) {
        const Plan plan = probe_plan(p, peer, r, part);
        const std::string where = std::string(to_string(part)) + " P=" + std::to_string(P) + " rank " + std::to_string(r);
        EXPECT_EQ(test::join(check_plan(plan, p)), "") << where;
        EXPECT_EQ(test::join(check_runnable(plan, p, INT_MAX)), "") << where;
      }
  }
}

TEST(ProbePlan, PartsDifferOnlyInTheirSteps) {
  const Problem p = probe_problem(shape(2, 16, 4, 8));
  const Plan attn = probe_plan(p, 10, 1, ProbePart::Attention);
  const Plan comm = probe_plan(p, 10, 1, ProbePart::Exchange);
  const Plan both = probe_plan(p, 10, 1, ProbePart::Both);
  for (const Plan* plan : {&attn, &comm, &both}) {
    EXPECT_EQ(plan->lanes, (std::vector<std::string>{"compute", "comm"}));
    EXPECT_EQ(plan->buffers.size(), both.buffers.size());
    for (size_t i = 0; i < both.buffers.size(); ++i) EXPECT_EQ(plan->buffers[i].elems, both.buffers[i].elems);
  }
  ASSERT_EQ(attn.steps.size(), 1u);
  ASSERT_EQ(comm.steps.size(), 1u);
  ASSERT_EQ(both.steps.size(), 2u);
  EXPECT_EQ(attn.steps[0].kind(), OpKind::Attention);
  EXPECT_EQ(comm.steps[0].kind(), OpKind::Exchange);
  // Both: attention first, on its own lane, and no dependency between the two.
  EXPECT_EQ(both.steps[0].kind(), OpKind::Attention);
  EXPECT_EQ(both.steps[1].kind(), OpKind::Exchange);
  EXPECT_NE(both.steps[0].lane, both.steps[1].lane);
  EXPECT_TRUE(both.steps[0].deps.empty());
  EXPECT_TRUE(both.steps[1].deps.empty());
}

// --first exchange posts the exchange first: the same two steps, the other way round,
// still passing the plan checks; the parts alone do not change.
TEST(ProbePlan, FirstExchangePostsTheExchangeFirst) {
  const ProbeShape sh = shape(3, 24, 12, 8);
  const Problem p = probe_problem(sh);
  const int64_t peer = probe_peer_elems(ulysses_input_bytes(sh), 3);
  const Plan both = probe_plan(p, peer, 1, ProbePart::Both, ProbeFirst::Exchange);
  ASSERT_EQ(both.steps.size(), 2u);
  EXPECT_EQ(both.steps[0].kind(), OpKind::Exchange);
  EXPECT_EQ(both.steps[1].kind(), OpKind::Attention);
  EXPECT_EQ(both.lanes[static_cast<size_t>(both.steps[0].lane)], "comm");
  EXPECT_TRUE(both.steps[0].deps.empty() && both.steps[1].deps.empty());
  EXPECT_EQ(test::join(check_plan(both, p)), "");
  EXPECT_EQ(test::join(check_runnable(both, p, INT_MAX)), "");
  for (ProbePart part : {ProbePart::Attention, ProbePart::Exchange}) {
    const Plan a = probe_plan(p, peer, 1, part, ProbeFirst::Exchange);
    const Plan b = probe_plan(p, peer, 1, part, ProbeFirst::Attention);
    ASSERT_EQ(a.steps.size(), 1u);
    EXPECT_EQ(a.steps[0].kind(), b.steps[0].kind());
  }
  EXPECT_EQ(probe_first_names(), (std::vector<std::string>{"attention", "exchange"}));
  EXPECT_STREQ(to_string(ProbeFirst::Exchange), "exchange");
}

TEST(ProbePlan, AttentionIsTheUlyssesAttentionOfOneRank) {
  const ProbeShape sh = shape(4, 32, 8, 16);  // 2 heads per rank
  const Problem p = probe_problem(sh);
  EXPECT_EQ(p.H, 2);
  EXPECT_EQ(p.Hkv, 2);
  EXPECT_EQ(p.B, 1);
  EXPECT_EQ(p.mask, Mask::Full);
  const Plan plan = probe_plan(p, 1, 3, ProbePart::Attention);
  const AttentionOp& a = std::get<AttentionOp>(plan.steps[0].op);
  EXPECT_EQ(a.q.shape, (std::array<int64_t, 4>{1, 32, 2, 16}));
  EXPECT_FALSE(a.has_lse);
  EXPECT_FALSE(a.causal);
  // The FLOPs of one rank of Ulysses on the whole problem (H = 8 over 4 ranks).
  Problem global = test::make_problem(4, 32, 8, 8, 16, 1, Mask::Full);
  EXPECT_DOUBLE_EQ(plan_flops(plan), find_schedule("ulysses")->model(global, 3).flops);
}

TEST(ProbePlan, ExchangesPairUpAcrossRanks) {
  for (int P : {2, 3, 4}) {
    const Problem p = probe_problem(shape(P, 8, P, 8));
    const int64_t peer = 7;
    std::vector<Plan> plans;
    for (int r = 0; r < P; ++r) plans.push_back(probe_plan(p, peer, r, ProbePart::Both));
    for (int s = 0; s < P; ++s)
      for (int d = 0; d < P; ++d) {
        const std::vector<int64_t> want = s == d ? std::vector<int64_t>{} : std::vector<int64_t>{peer};
        EXPECT_EQ(counts(plans[s], d, true), want) << "P=" << P << " " << s << " -> " << d;
        EXPECT_EQ(counts(plans[d], s, false), want) << "P=" << P << " " << d << " <- " << s;
      }
    for (const Plan& plan : plans) {
      EXPECT_DOUBLE_EQ(plan_send_bytes(plan, 2), 4.0 * peer * (P - 1));  // fp32 whatever the dtype
      EXPECT_DOUBLE_EQ(plan_recv_bytes(plan, 2), 4.0 * peer * (P - 1));
    }
  }
}

TEST(ProbePlan, DefaultBytesAreTheUlyssesInputAllToAll) {
  // Ulysses sends Q, K, V in and O out: with H = Hkv, the inputs are 3/4 of its bytes.
  for (int P : {2, 4}) {
    const ProbeShape sh = shape(P, 64, 8, 16);
    const Problem global = test::make_problem(P, 64, 8, 8, 16, 1, Mask::Full);
    const double ulysses = find_schedule("ulysses")->model(global, 0).send_bytes;
    EXPECT_DOUBLE_EQ(static_cast<double>(ulysses_input_bytes(sh)), 0.75 * ulysses) << "P=" << P;
  }
  // The shape: S=56160, H=40, D=128, bf16 at P=2: 3 * 28080 * 20 * 128 * 2 bytes.
  EXPECT_EQ(ulysses_input_bytes(shape(2, 56160, 40, 128)), int64_t{431308800});
}

TEST(ProbePlan, PeerElementsRoundDown) {
  EXPECT_EQ(probe_peer_elems(400, 2), 100);
  EXPECT_EQ(probe_peer_elems(401, 2), 100);
  EXPECT_EQ(probe_peer_elems(400, 3), 50);
  EXPECT_EQ(probe_peer_elems(7, 3), 0);
}

}  // namespace
}  // namespace cpb
