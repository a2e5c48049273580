// The simulator's engine on the real schedules' plans at 2 and 4 ranks with constant
// costs: the invariants of every simulated step (times ordered, deps and lanes respected,
// one compute step at a time per rank, an instance's members start and end together),
// and Ulysses' serial plan against its makespan worked out by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <variant>

#include "bench/sim/sim_engine.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::all_plans;
using test::make_problem;

constexpr double kCopyMs = 0.25, kAttentionMs = 2.0, kMergeMs = 0.125;

ComputeCost constant_costs() {
  return [](const Plan&, const Step& s) {
    switch (s.kind()) {
      case OpKind::Attention:
        return kAttentionMs;
      case OpKind::Merge:
        return kMergeMs;
      default:
        return kCopyMs;
    }
  };
}

SimLinks test_links(int gpus_per_node) {
  SimLinks l;
  l.gpus_per_node = gpus_per_node;
  l.intra_gbps = 0.5;  // 5e5 bytes/ms: exchanges of these small problems take ms
  l.inter_gbps = 0.125;
  l.latency_us = 20;
  l.inter_latency_us = 7;
  l.per_message_us = 3;
  l.comm_rate_beside_attention = 0.5;
  l.inter_rate_beside_attention = 0.25;
  l.attention_slowdown = 1.25;
  l.act_bytes = 2;
  return l;
}

bool near_or_after(double later, double earlier) { return later >= earlier - 1e-9 * std::max(1.0, earlier); }

void check_invariants(const std::vector<Plan>& plans, const SimResult& res, const std::string& what) {
  double makespan = 0;
  for (size_t r = 0; r < plans.size(); ++r) {
    std::vector<int> last(plans[r].lanes.size(), -1);
    std::vector<std::pair<double, double>> compute;  // (start, end)
    for (const Step& s : plans[r].steps) {
      const SimStepTime& t = res.steps[r][s.id];
      const std::string where = what + " rank " + std::to_string(r) + " " + s.label;
      EXPECT_GE(t.ready_ms, 0) << where;
      EXPECT_TRUE(near_or_after(t.start_ms, t.ready_ms)) << where;
      EXPECT_TRUE(near_or_after(t.end_ms, t.start_ms)) << where;
      for (int d : s.deps) EXPECT_TRUE(near_or_after(t.ready_ms, res.steps[r][d].end_ms)) << where << " dep " << d;
      if (last[s.lane] >= 0) {
        EXPECT_TRUE(near_or_after(t.ready_ms, res.steps[r][last[s.lane]].end_ms)) << where;
      }
      last[s.lane] = s.id;
      if (!s.is_comm()) compute.emplace_back(t.start_ms, t.end_ms);
      makespan = std::max(makespan, t.end_ms);
    }
    std::sort(compute.begin(), compute.end());
    for (size_t i = 1; i < compute.size(); ++i)
      EXPECT_TRUE(near_or_after(compute[i].first, compute[i - 1].second)) << what << " rank " << r << ": SMs shared";
  }
  EXPECT_EQ(res.makespan_ms, makespan) << what;
  EXPECT_GT(res.makespan_ms, 0) << what;
}

// The k-th exchange of each lane starts and ends at one time on every rank (these plans
// have one group per lane and every rank in it).
void check_instances_together(const std::vector<Plan>& plans, const SimResult& res, const std::string& what) {
  std::vector<std::vector<SimStepTime>> first;  // [lane][k] on the first rank
  for (size_t r = 0; r < plans.size(); ++r) {
    std::vector<int> k(plans[r].lanes.size(), 0);
    if (r == 0) first.resize(plans[r].lanes.size());
    for (const Step& s : plans[r].steps) {
      if (!s.is_comm()) continue;
      const SimStepTime& t = res.steps[r][s.id];
      const int n = k[s.lane]++;
      if (r == 0) {
        first[s.lane].push_back(t);
        continue;
      }
      EXPECT_EQ(t.start_ms, first[s.lane][n].start_ms) << what << " rank " << r << " " << s.label;
      EXPECT_EQ(t.end_ms, first[s.lane][n].end_ms) << what << " rank " << r << " " << s.label;
    }
  }
}

TEST(SimEngineSchedules, InvariantsOfEverySchedule) {
  int checked = 0;
  for (int P : {2, 4})
    for (Mask mask : {Mask::Full, Mask::Causal})
      for (const char* name : {"ulysses", "hcms", "ring", "zigzag_ring", "usp"})
        for (int gpus_per_node : {1, 2, 8}) {
          Problem p = make_problem(P, 64, 8, 4, 16, 1, mask);
          p.chunks = 2;
          p.usp_u = 2;
          const std::string what = std::string(name) + " P=" + std::to_string(P) + " " + to_string(mask) +
                                   " gpus_per_node=" + std::to_string(gpus_per_node);
          ASSERT_FALSE(find_schedule(name)->unsupported(p)) << what;
          const std::vector<Plan> plans = all_plans(name, p);
          const SimResult res = simulate(plans, test_links(gpus_per_node), constant_costs());
          check_invariants(plans, res, what);
          if (std::string(name) != "usp") check_instances_together(plans, res, what);
          ++checked;
        }
  EXPECT_EQ(checked, 2 * 2 * 5 * 3);
}

// Ulysses is serial: pack, input all-to-all, attention, output all-to-all, unpack. Every
// rank sends 3 (P - 1) flows of s h D elements in and P - 1 out (s = S / P tokens, h = H / P
// heads; MHA, B = 1), all of one size, so each all-to-all takes latency + per-message +
// the rank's bytes over its egress inside a node; between nodes the NIC's flows run beside
// the node's, and the all-to-all ends with the slower of the two.
TEST(SimEngineSchedules, UlyssesMakespanIsItsSerialSum) {
  for (int gpus_per_node : {4, 2}) {
    const int P = 4;
    const Problem p = make_problem(P, 256, 8, 8, 32, 1, Mask::Full);
    const SimLinks l = test_links(gpus_per_node);
    const double flow = 2.0 * (p.S / P) * (p.H / P) * p.D;  // bytes
    const int inside = gpus_per_node - 1, outside = P - gpus_per_node;
    auto a2a = [&](int per_peer) {
      const double intra = l.per_message_us * 1e-3 + per_peer * inside * flow / (l.intra_gbps * 1e6);
      const double inter = outside == 0 ? 0
                                         : (l.per_message_us + l.inter_latency_us) * 1e-3 +
                                               per_peer * outside * flow / (l.inter_gbps * 1e6);
      return l.latency_us * 1e-3 + std::max(intra, inter);
    };
    const double want = kCopyMs + a2a(3) + kAttentionMs + a2a(1) + kCopyMs;
    const SimResult res = simulate(all_plans("ulysses", p), l, constant_costs());
    EXPECT_NEAR(res.makespan_ms, want, 1e-9 * want) << "gpus_per_node=" << gpus_per_node;
  }
}

// HCMS with 2 chunks overlaps chunk 1's input exchange with chunk 0's attention: with
// attention proportional to its FLOPs, free copies and an input exchange about as long
// as attention, it beats Ulysses.
TEST(SimEngineSchedules, HcmsOverlapBeatsUlysses) {
  Problem p = make_problem(4, 256, 8, 8, 32, 1, Mask::Full);
  const double rank_flops = 4.0 * p.S * p.S * p.D * (p.H / p.P);
  const ComputeCost by_flops = [&](const Plan&, const Step& s) {
    return s.kind() == OpKind::Attention ? attention_flops(std::get<AttentionOp>(s.op)) / rank_flops : 0.0;
  };
  SimLinks l = test_links(4);
  l.intra_gbps = 0.1;  // the input all-to-all: 3 * 3 * 16384 bytes / 1e5 bytes/ms = 1.47 ms
  l.comm_rate_beside_attention = 1;
  l.attention_slowdown = 1;
  const double ulysses = simulate(all_plans("ulysses", p), l, by_flops).makespan_ms;
  p.chunks = 2;
  const double hcms = simulate(all_plans("hcms", p), l, by_flops).makespan_ms;
  EXPECT_LT(hcms, ulysses - 0.4);
}

}  // namespace
}  // namespace cpb
