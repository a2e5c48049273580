// The simulator's engine on hand-made plans whose makespan is known exactly: compute
// chains and fork-joins, exchanges alone, contended and capped flows, the attention
// slowdown, inside and between nodes, self transfers; and the plans it must refuse.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/sim/calibrate_fit.hpp"
#include "bench/sim/sim_engine.hpp"

namespace cpb {
namespace {

// One rank's plan under construction: lanes "compute", "comm", "comm2"; buffer 0 holds
// Act elements, buffer 1 F32 elements. Views do not matter to the engine.
class RankPlan {
 public:
  RankPlan(int rank, int world, std::vector<std::vector<int>> groups) {
    plan_.schedule = "hand";
    plan_.rank = rank;
    plan_.world = world;
    plan_.groups = std::move(groups);
    plan_.lanes = {"compute", "comm", "comm2"};
    plan_.add_buffer("act", Storage::Act, BufferRole::Scratch, int64_t{1} << 40);
    plan_.add_buffer("f32", Storage::F32, BufferRole::Scratch, int64_t{1} << 40);
  }
  int copy(const std::string& label, std::vector<int> deps = {}, int lane = 0) {
    return plan_.add_step(lane, label, CopyOp{}, std::move(deps));
  }
  int attention(const std::string& label, std::vector<int> deps = {}, int lane = 0) {
    return plan_.add_step(lane, label, AttentionOp{}, std::move(deps));
  }
  // sends/recvs: (peer, elements) of buffer `buf`.
  int exchange(const std::string& label, int lane, int group, std::vector<std::pair<int, int64_t>> sends,
               std::vector<std::pair<int, int64_t>> recvs, std::vector<int> deps = {}, int buf = 0) {
    ExchangeOp ex;
    ex.group = group;
    for (auto [peer, n] : sends) ex.sends.push_back(Transfer{peer, Slice{buf, 0, n}});
    for (auto [peer, n] : recvs) ex.recvs.push_back(Transfer{peer, Slice{buf, 0, n}});
    return plan_.add_step(lane, label, ex, std::move(deps));
  }
  Plan& plan() { return plan_; }

 private:
  Plan plan_;
};

// Compute costs by step label [ms]; a label not listed costs 0.
ComputeCost costs(std::map<std::string, double> ms) {
  return [ms](const Plan&, const Step& s) {
    auto it = ms.find(s.label);
    return it == ms.end() ? 0.0 : it->second;
  };
}

// 10 GB/s = 1e7 bytes/ms inside a node, 1 GB/s between nodes; 10 us latency per
// instance, 2 us per message, 5 us more for a message between nodes.
SimLinks links() {
  SimLinks l;
  l.gpus_per_node = 8;
  l.intra_gbps = 10;
  l.inter_gbps = 1;
  l.latency_us = 10;
  l.inter_latency_us = 5;
  l.per_message_us = 2;
  l.act_bytes = 2;
  return l;
}
constexpr double kLat = 0.010, kMsg = 0.002, kInterLat = 0.005;  // [ms]
constexpr double kIntra = 1e7, kInter = 1e6;                      // [bytes/ms]

std::vector<Plan> plans_of(std::vector<RankPlan>& ranks) {
  std::vector<Plan> out;
  for (RankPlan& r : ranks) out.push_back(r.plan());
  return out;
}

void expect_ms(double got, double want) { EXPECT_NEAR(got, want, 1e-9 * std::max(1.0, std::abs(want))); }

// The message of the std::invalid_argument simulate() throws.
std::string error_of(const std::vector<Plan>& plans, const SimLinks& l, const ComputeCost& c) {
  try {
    simulate(plans, l, c);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "simulate did not throw";
  return "";
}

TEST(SimEngine, ComputeChainIsTheSumOfItsSteps) {
  RankPlan r(0, 1, {});
  const int a = r.copy("a");
  const int b = r.attention("b", {a});
  r.copy("c", {b});
  std::vector<RankPlan> ranks{r};
  const SimResult res = simulate(plans_of(ranks), links(), costs({{"a", 1.5}, {"b", 2.25}, {"c", 0.125}}));
  expect_ms(res.makespan_ms, 3.875);
  expect_ms(res.steps[0][1].start_ms, 1.5);
  expect_ms(res.steps[0][2].start_ms, 3.75);
  expect_ms(res.steps[0][2].end_ms, 3.875);
}

TEST(SimEngine, ComputeOnTwoLanesSharesTheSmsInListOrder) {
  RankPlan r(0, 1, {});
  const int a = r.attention("a", {}, 0);
  const int b = r.copy("b", {}, 1);
  r.copy("join", {a, b});
  std::vector<RankPlan> ranks{r};
  const SimResult res = simulate(plans_of(ranks), links(), costs({{"a", 3}, {"b", 2}, {"join", 0.5}}));
  expect_ms(res.makespan_ms, 5.5);  // the sum: one SM resource
  expect_ms(res.steps[0][0].start_ms, 0);
  expect_ms(res.steps[0][1].ready_ms, 0);
  expect_ms(res.steps[0][1].start_ms, 3);  // ready together: list order
}

// Rank 0's SMs are busy for 5 ms while two exchanges to rank 1 end (sharing its egress:
// the shorter at 2.012 ms, the longer at 3.012 ms), each making one compute step ready.
// At 5 ms they run in the order they became ready, not in list order.
TEST(SimEngine, QueuedComputeRunsInTheOrderItBecameReady) {
  std::vector<RankPlan> ranks{RankPlan(0, 2, {{0, 1}}), RankPlan(1, 2, {{0, 1}})};
  ranks[0].copy("busy");
  const int long0 = ranks[0].exchange("long", 1, 0, {{1, 10'000'000}}, {});
  const int after_long = ranks[0].copy("after_long", {long0}, 1);
  const int short0 = ranks[0].exchange("short", 2, 0, {{1, 5'000'000}}, {});
  const int after_short = ranks[0].copy("after_short", {short0}, 2);
  ranks[1].exchange("long", 1, 0, {}, {{0, 10'000'000}});
  ranks[1].exchange("short", 2, 0, {}, {{0, 5'000'000}});
  const SimResult res =
      simulate(plans_of(ranks), links(), costs({{"busy", 5}, {"after_long", 0.5}, {"after_short", 1}}));
  expect_ms(res.steps[0][short0].end_ms, kLat + kMsg + 2e7 / kIntra);        // 1e7 bytes at half rate
  expect_ms(res.steps[0][long0].end_ms, kLat + kMsg + 3e7 / kIntra);         // then 1e7 at full rate
  expect_ms(res.steps[0][after_short].start_ms, 5);
  expect_ms(res.steps[0][after_long].start_ms, 6);
  expect_ms(res.makespan_ms, 6.5);
}

// Two ranks, each sending n Act elements (2 bytes) to the other.
std::vector<RankPlan> pair_exchange(int64_t n) {
  std::vector<RankPlan> ranks{RankPlan(0, 2, {{0, 1}}), RankPlan(1, 2, {{0, 1}})};
  for (int r = 0; r < 2; ++r) ranks[r].exchange("x", 1, 0, {{1 - r, n}}, {{1 - r, n}});
  return ranks;
}

TEST(SimEngine, ExchangeIsLatencyPlusMessagePlusBytesOverBandwidth) {
  std::vector<RankPlan> ranks = pair_exchange(5'000'000);
  const SimResult res = simulate(plans_of(ranks), links(), costs({}));
  expect_ms(res.makespan_ms, kLat + kMsg + 1e7 / kIntra);
  expect_ms(res.steps[1][0].end_ms, res.makespan_ms);
  expect_ms(res.steps[1][0].start_ms, 0);
}

TEST(SimEngine, F32ElementsAreFourBytes) {
  std::vector<RankPlan> ranks{RankPlan(0, 2, {{0, 1}}), RankPlan(1, 2, {{0, 1}})};
  ranks[0].exchange("x", 1, 0, {{1, 1'000'000}}, {}, {}, 1);
  ranks[1].exchange("x", 1, 0, {}, {{0, 1'000'000}}, {}, 1);
  expect_ms(simulate(plans_of(ranks), links(), costs({})).makespan_ms, kLat + kMsg + 4e6 / kIntra);
}

TEST(SimEngine, ExchangeBesideComputeTakesTheLonger) {
  for (double compute : {0.5, 3.0}) {
    std::vector<RankPlan> ranks = pair_exchange(5'000'000);  // 1.012 ms
    for (RankPlan& r : ranks) {
      const int c = r.copy("c", {}, 0);
      r.copy("join", {0, c});
    }
    const SimResult res = simulate(plans_of(ranks), links(), costs({{"c", compute}, {"join", 0.25}}));
    expect_ms(res.makespan_ms, std::max(compute, kLat + kMsg + 1.0) + 0.25);
  }
}

TEST(SimEngine, InstanceStartsWhenEveryMemberIsReady) {
  std::vector<RankPlan> ranks{RankPlan(0, 2, {{0, 1}}), RankPlan(1, 2, {{0, 1}})};
  ranks[0].exchange("x", 1, 0, {{1, 5'000'000}}, {{1, 5'000'000}});
  const int late = ranks[1].copy("late");
  ranks[1].exchange("x", 1, 0, {{0, 5'000'000}}, {{0, 5'000'000}}, {late});
  const SimResult res = simulate(plans_of(ranks), links(), costs({{"late", 2}}));
  expect_ms(res.steps[0][0].ready_ms, 0);
  expect_ms(res.steps[0][0].start_ms, 2);
  expect_ms(res.steps[1][1].ready_ms, 2);
  expect_ms(res.makespan_ms, 2 + kLat + kMsg + 1.0);
}

// Ranks 0 and 1 send b0 and b1 bytes to rank 2 in one instance: the receiver's ingress is
// shared, half each, until the smaller flow ends.
TEST(SimEngine, TwoFlowsIntoOneReceiverGetHalfEach) {
  const std::vector<std::vector<int>> g{{0, 1, 2}};
  std::vector<RankPlan> ranks{RankPlan(0, 3, g), RankPlan(1, 3, g), RankPlan(2, 3, g)};
  ranks[0].exchange("x", 1, 0, {{2, 1'000'000}}, {});
  ranks[1].exchange("x", 1, 0, {{2, 3'000'000}}, {});
  ranks[2].exchange("x", 1, 0, {}, {{0, 1'000'000}, {1, 3'000'000}});
  const SimResult res = simulate(plans_of(ranks), links(), costs({}));
  // 2e6 bytes at half rate (4e6 moved), then 4e6 bytes left of the larger at full rate.
  expect_ms(res.makespan_ms, kLat + kMsg + 4e6 / kIntra + 4e6 / kIntra);
  expect_ms(res.steps[2][0].end_ms, res.makespan_ms);  // a member without sends ends with it
}

// Max-min: A: 0->1 (own instance); B: 0->2, C: 3->2, D: 4->2 (one instance). Rank 2's
// ingress gives B, C, D a third each; A gets what rank 0's egress has left: two thirds.
TEST(SimEngine, MaxMinFairGivesTheRestToTheFlowNotAtTheBottleneck) {
  const std::vector<std::vector<int>> g{{0, 1}, {0, 2, 3, 4}};
  std::vector<RankPlan> ranks;
  for (int r = 0; r < 5; ++r) ranks.emplace_back(r, 5, g);
  const int64_t n = 3'000'000;  // 6e6 bytes
  ranks[0].exchange("a", 1, 0, {{1, n}}, {});
  ranks[1].exchange("a", 1, 0, {}, {{0, n}});
  ranks[0].exchange("b", 2, 1, {{2, n}}, {});
  ranks[2].exchange("b", 2, 1, {}, {{0, n}, {3, n}, {4, n}});
  ranks[3].exchange("b", 2, 1, {{2, n}}, {});
  ranks[4].exchange("b", 2, 1, {{2, n}}, {});
  const SimResult res = simulate(plans_of(ranks), links(), costs({}));
  expect_ms(res.steps[0][0].end_ms, kLat + kMsg + 6e6 / (kIntra * 2 / 3));
  expect_ms(res.steps[0][1].end_ms, kLat + kMsg + 6e6 / (kIntra / 3));
}

// Rank 0 runs a 10 ms attention beside a 2 ms flow to rank 1.
std::vector<RankPlan> flow_beside_attention(bool receiver_attends) {
  std::vector<RankPlan> ranks = pair_exchange(10'000'000);  // 2e7 bytes: 2 ms alone
  ranks[0].plan().steps[0].op = ExchangeOp{ExchangeOp::Pattern::SendRecv, 0, {{1, Slice{0, 0, 10'000'000}}}, {}};
  ranks[1].plan().steps[0].op = ExchangeOp{ExchangeOp::Pattern::SendRecv, 0, {}, {{0, Slice{0, 0, 10'000'000}}}};
  ranks[receiver_attends ? 1 : 0].attention("attn");
  return ranks;
}

TEST(SimEngine, FlowBesideAttentionRunsAtItsRate) {
  for (bool receiver : {false, true}) {
    std::vector<RankPlan> ranks = flow_beside_attention(receiver);
    SimLinks l = links();
    l.comm_rate_beside_attention = 0.5;
    const SimResult res = simulate(plans_of(ranks), l, costs({{"attn", 10}}));
    expect_ms(res.steps[0][0].end_ms, kLat + kMsg + 4.0);  // half rate
    expect_ms(res.makespan_ms, 10);
  }
}

// A stalled flow takes no SMs: attention beside it is not slowed down.
TEST(SimEngine, FlowBesideAttentionAtRateZeroWaitsForItsEnd) {
  std::vector<RankPlan> ranks = flow_beside_attention(false);
  SimLinks l = links();
  l.comm_rate_beside_attention = 0;
  l.attention_slowdown = 1.5;
  const SimResult res = simulate(plans_of(ranks), l, costs({{"attn", 10}}));
  expect_ms(res.steps[0][1].end_ms, 10);
  expect_ms(res.steps[0][0].end_ms, 12);
  expect_ms(res.makespan_ms, 12);
}

TEST(SimEngine, AttentionBesideAFlowIsSlowedDown) {
  std::vector<RankPlan> ranks = flow_beside_attention(false);
  SimLinks l = links();
  l.attention_slowdown = 1.5;
  const SimResult res = simulate(plans_of(ranks), l, costs({{"attn", 10}}));
  const double moving = kLat + kMsg, flow_end = moving + 2.0;  // its bytes move from `moving` on
  expect_ms(res.steps[0][0].end_ms, flow_end);
  // Work: `moving` ms at full speed, (flow_end - moving) / 1.5 beside the flow, the rest after.
  expect_ms(res.steps[0][1].end_ms, flow_end + 10 - moving - (flow_end - moving) / 1.5);
}

// The probe's readings, put back into the engine, end a probe-like pair (attention A
// beside a C = 2 ms flow, no latency) at the probe's T (bench/sim/calibrate_fit.hpp): an
// SM transport, and copy engines with the copy the shorter and the longer, where the
// reading explains T.
TEST(SimEngine, ProbeReadingsReproduceTheProbesTime) {
  const auto both_ms = [](double attn_ms, const Interference& i) {
    std::vector<RankPlan> ranks = flow_beside_attention(false);
    SimLinks l = links();
    l.latency_us = 0;
    l.per_message_us = 0;
    l.comm_rate_beside_attention = i.rate_beside_attention;
    l.attention_slowdown = i.attention_slowdown;
    return simulate(plans_of(ranks), l, costs({{"attn", attn_ms}})).makespan_ms;
  };
  expect_ms(both_ms(10, fit_interference(10, 2, 13, 1.3)), 13);
  for (auto [a, t] : std::vector<std::pair<double, double>>{{10, 11}, {10, 10}, {1.5, 2.5}, {1.5, 3.0}, {1.5, 2}})
    expect_ms(both_ms(a, fit_copy_engine_interference(a, 2, t)), t);
}

// Rank 0 sends n elements to rank 1 and to rank 2 in two instances at once.
std::vector<RankPlan> two_destinations(int64_t n) {
  const std::vector<std::vector<int>> g{{0, 1}, {0, 2}};
  std::vector<RankPlan> ranks{RankPlan(0, 3, g), RankPlan(1, 3, g), RankPlan(2, 3, g)};
  ranks[0].exchange("to1", 1, 0, {{1, n}}, {});
  ranks[0].exchange("to2", 2, 1, {{2, n}}, {});
  ranks[1].exchange("to1", 1, 0, {}, {{0, n}});
  ranks[2].exchange("to2", 2, 1, {}, {{0, n}});
  return ranks;
}

TEST(SimEngine, NodesDecideBetweenIntraLinksAndNics) {
  std::vector<RankPlan> ranks = two_destinations(500'000);  // 1e6 bytes
  SimLinks l = links();
  l.gpus_per_node = 2;  // ranks 0, 1 share a node; rank 2 is on the next: separate resources
  SimResult res = simulate(plans_of(ranks), l, costs({}));
  expect_ms(res.steps[0][0].end_ms, kLat + kMsg + 1e6 / kIntra);
  expect_ms(res.steps[0][1].end_ms, kLat + kMsg + kInterLat + 1e6 / kInter);
  l.gpus_per_node = 3;  // one node: both flows share rank 0's egress
  res = simulate(plans_of(ranks), l, costs({}));
  expect_ms(res.steps[0][0].end_ms, kLat + kMsg + 2e6 / kIntra);
  expect_ms(res.steps[0][1].end_ms, kLat + kMsg + 2e6 / kIntra);
}

TEST(SimEngine, InterNodeFlowBesideAttentionUsesTheInterRate) {
  std::vector<RankPlan> ranks = flow_beside_attention(false);
  SimLinks l = links();
  l.gpus_per_node = 1;
  l.comm_rate_beside_attention = 1;
  l.inter_rate_beside_attention = 0.25;
  const SimResult res = simulate(plans_of(ranks), l, costs({{"attn", 100}}));
  expect_ms(res.steps[0][0].end_ms, kLat + kMsg + kInterLat + 2e7 / (kInter * 0.25));
}

TEST(SimEngine, SelfTransferCostsTheLocalCopy) {
  RankPlan r(0, 1, {{0}});
  r.exchange("self", 1, 0, {{0, 1000}}, {{0, 1000}});
  std::vector<RankPlan> ranks{r};
  SimLinks l = links();
  int64_t seen = 0;
  l.local_copy_ms = [&](int64_t bytes) {
    seen = bytes;
    return 0.5 + 1e-6 * static_cast<double>(bytes);
  };
  const SimResult res = simulate(plans_of(ranks), l, costs({}));
  EXPECT_EQ(seen, 2000);
  expect_ms(res.makespan_ms, kLat + 0.5 + 2e-3);
}

TEST(SimEngine, MismatchedTransferSizesThrowNamingBothSteps) {
  std::vector<RankPlan> ranks = pair_exchange(100);
  ranks[1].plan().steps[0].op = ExchangeOp{ExchangeOp::Pattern::SendRecv, 0, {{0, Slice{0, 0, 100}}},
                                           {{0, Slice{0, 0, 60}}}};
  const std::string e = error_of(plans_of(ranks), links(), costs({}));
  EXPECT_NE(e.find("rank 0 step 0 \"x\": sends 100 elements to rank 1"), std::string::npos) << e;
  EXPECT_NE(e.find("rank 1 step 0 \"x\" receives 60"), std::string::npos) << e;
}

TEST(SimEngine, SendWithoutReceiveThrows) {
  std::vector<RankPlan> ranks = pair_exchange(100);
  ranks[1].plan().steps[0].op = ExchangeOp{ExchangeOp::Pattern::SendRecv, 0, {{0, Slice{0, 0, 100}}}, {}};
  const std::string e = error_of(plans_of(ranks), links(), costs({}));
  EXPECT_NE(e.find("rank 0 step 0 \"x\": its send of 100 elements to rank 1 has no matching receive in rank 1 step 0"),
            std::string::npos)
      << e;
}

TEST(SimEngine, MissingExchangeOnAMemberThrows) {
  std::vector<RankPlan> ranks = pair_exchange(100);
  ranks[0].exchange("y", 1, 0, {}, {});
  const std::string e = error_of(plans_of(ranks), links(), costs({}));
  EXPECT_NE(e.find("rank 0 step 1 \"y\": exchange 1 of lane 1 and group 0 has no counterpart on rank 1"),
            std::string::npos)
      << e;
}

// Rank 0 posts "a" (lane 1) before "b" (lane 2, after a); rank 1 posts "b" before "a".
TEST(SimEngine, DeadlockThrowsNamingTheWaitingSteps) {
  std::vector<RankPlan> ranks{RankPlan(0, 2, {{0, 1}}), RankPlan(1, 2, {{0, 1}})};
  const int a0 = ranks[0].exchange("a", 1, 0, {{1, 10}}, {{1, 10}});
  ranks[0].exchange("b", 2, 0, {{1, 10}}, {{1, 10}}, {a0});
  const int b1 = ranks[1].exchange("b", 2, 0, {{0, 10}}, {{0, 10}});
  ranks[1].exchange("a", 1, 0, {{0, 10}}, {{0, 10}}, {b1});
  const std::string e = error_of(plans_of(ranks), links(), costs({}));
  EXPECT_NE(e.find("deadlock: rank 0 step 0 \"a\" waits for its exchange partner rank 1 step 1 \"a\""),
            std::string::npos)
      << e;
}

TEST(SimEngine, BadLinksAndCostsThrow) {
  std::vector<RankPlan> ranks = pair_exchange(100);
  SimLinks l = links();
  l.intra_gbps = 0;
  EXPECT_NE(error_of(plans_of(ranks), l, costs({})).find("links.intra_gbps"), std::string::npos);
  l = links();
  l.comm_rate_beside_attention = 1.5;
  EXPECT_NE(error_of(plans_of(ranks), l, costs({})).find("links.comm_rate_beside_attention"), std::string::npos);
  ranks[0].copy("c");
  EXPECT_NE(error_of(plans_of(ranks), links(), costs({{"c", -1}})).find("rank 0 step 1 \"c\": compute cost"),
            std::string::npos);
}

}  // namespace
}  // namespace cpb
