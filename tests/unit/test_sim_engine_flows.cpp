// The simulator's max-min fair shares (bench/sim/sim_flows.hpp) on a case worked out by
// hand with three fill levels, weighted bundles and a bundle that does not move yet.
#include <gtest/gtest.h>

#include <vector>

#include "bench/sim/sim_flows.hpp"

namespace cpb {
namespace {

sim::FlowBundle bundle(int egress, int ingress, int flows, bool moving = true) {
  sim::FlowBundle b;
  b.egress = egress;
  b.ingress = ingress;
  b.next = 0;
  b.end = flows;
  b.moving = moving;
  b.share = -1;
  return b;
}

// Resources 0..4 with capacities 10, 6, 10, 3, 100. Level 1: resource 3 (3 over 2 flows)
// freezes b1, b3 at 1.5. Level 2: resource 1 (6 over 3 flows) freezes b0 and the two flows
// of b2 at 2. Level 3: resource 0 has 10 - 1.5 - 2 = 6.5 left for b5 alone.
TEST(SimFlows, FairShareFillsLevelByLevel) {
  std::vector<sim::FlowBundle> b{bundle(0, 1, 1), bundle(0, 3, 1), bundle(2, 1, 2),
                                 bundle(2, 3, 1), bundle(2, 4, 5, false), bundle(0, 4, 1)};
  sim::FairShare fair;
  fair.solve(b, {10, 6, 10, 3, 100});
  EXPECT_DOUBLE_EQ(b[0].share, 2);
  EXPECT_DOUBLE_EQ(b[1].share, 1.5);
  EXPECT_DOUBLE_EQ(b[2].share, 2);
  EXPECT_DOUBLE_EQ(b[3].share, 1.5);
  EXPECT_DOUBLE_EQ(b[4].share, -1);  // not moving: untouched
  EXPECT_DOUBLE_EQ(b[5].share, 6.5);
  // Solving again with the same scratch gives the same shares.
  fair.solve(b, {10, 6, 10, 3, 100});
  EXPECT_DOUBLE_EQ(b[5].share, 6.5);
}

TEST(SimFlows, CompactDropsEndedBundlesAndKeepsTheirSizes) {
  sim::FlowSet set;
  for (int i = 0; i < 3000; ++i) {
    sim::FlowBundle b = bundle(0, 1, 0);
    b.next = static_cast<int>(set.sizes.size());
    set.sizes.push_back(i);
    set.sizes.push_back(i + 0.5);
    b.end = b.next + 2;
    b.ended = i % 3 != 0;
    set.bundles.push_back(b);
  }
  set.compact();
  ASSERT_EQ(set.bundles.size(), 1000u);
  EXPECT_EQ(set.sizes.size(), 2000u);  // rewritten: the ended held two thirds
  for (int k = 0; k < 1000; ++k) {
    EXPECT_EQ(set.sizes[set.bundles[k].next], 3.0 * k);
    EXPECT_EQ(set.sizes[set.bundles[k].next + 1], 3.0 * k + 0.5);
  }
}

}  // namespace
}  // namespace cpb
