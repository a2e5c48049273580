// Node-level tiling (tile_node, bench/tiling/tiled_layout.hpp): every tile stays on a rank
// of the node the node-level solve chose, loads stay within tile_balance, the plans pass
// check_plans' symbolic run, and what crosses nodes is compared with device-level tiling.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "bench/plan/plan_check.hpp"
#include "bench/schedule.hpp"
#include "bench/tiling/tiled_layout.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

const Mask kMasks[] = {Mask::Full,      Mask::Causal,   Mask::Strided,     Mask::GlobalLocal,  Mask::Star,
                       Mask::Streaming, Mask::Document, Mask::BlockCausal, Mask::SlidingWindow};

Problem problem(int P, int64_t S, Mask m, int node) {
  Problem p = test::make_problem(P, S, 8, 8, 16, 1, m);
  p.mask_params.window = S / 8;
  p.tile_node = node;
  return p;
}

// At the default 5% balance, node-level tiling keeps every tile on a rank of the node the
// node level chose and every rank under the cap (or no further over it than device-level
// tiling, whose greedy does not always pack these small problems either), or, where two
// levels pack worse, falls back to the device-level assignment and says so.
TEST(TiledNodes, TilesStayInTheirNodeAndLoadsUnderTheCap) {
  int two_levels = 0, fell_back = 0;
  for (const auto& [P, g] : std::vector<std::pair<int, int>>{{4, 2}, {6, 3}, {8, 2}, {8, 4}, {16, 8}})
    for (const Mask m : kMasks) {
      const Problem p = problem(P, 48 * P, m, g);
      const std::string what = std::string(to_string(m)) + " P=" + std::to_string(P) + " g=" + std::to_string(g);
      const TiledLayout& l = tiled_layout(p);
      const nlohmann::json j = tiling_json(l);
      if (l.node == 1) {
        EXPECT_NE(l.solution.status.find("node-level tiling left a rank at"), std::string::npos) << what;
        EXPECT_FALSE(j.contains("node_ranks")) << what;
        ++fell_back;
        continue;
      }
      ++two_levels;
      ASSERT_EQ(l.node, g) << what;
      ASSERT_EQ(l.by_node.rank_of.size(), l.tiles.size()) << what;
      for (size_t t = 0; t < l.tiles.size(); ++t) EXPECT_EQ(l.tiles[t].rank / g, l.by_node.rank_of[t]) << what;
      // Under the cap, or no further over it than the device-level greedy (the fallback's rule).
      Problem device = p;
      device.tile_node = 1;
      const TiledLayout& d = tiled_layout(device);
      const std::vector<double> load = tiling_load(l.problem, l.solution.rank_of);
      const std::vector<double> d_load = tiling_load(d.problem, d.solution.rank_of);
      EXPECT_LE(*std::max_element(load.begin(), load.end()),
                std::max(l.problem.load_cap(), *std::max_element(d_load.begin(), d_load.end())) * (1 + 1e-12))
          << what;
      EXPECT_EQ(j.at("node_ranks"), g) << what;
      // The node problem counts a block once per node: a lower bound of what the plan sends.
      EXPECT_EQ(j.at("node_cross_bytes"), tiling_node_traffic(l.problem, l.solution.rank_of, g).max()) << what;
      EXPECT_LE(j.at("node_objective_bytes").get<double>(), j.at("node_cross_bytes").get<double>() * (1 + 1e-12))
          << what;
    }
  std::printf("[tile_node] %d layouts in two levels, %d fell back to device level\n", two_levels, fell_back);
  EXPECT_GT(two_levels, 30);
}

// A hand-made case of tiling_node_traffic: two nodes of two ranks, blocks 0..3 on ranks
// 0..3; tile (0, 2) on rank 1 brings K, V of block 2 across (from node 1 to node 0), tile
// (3, 3) on rank 0 brings Q of block 3 across and sends its partial back, tile (1, 0) on
// rank 0 stays inside node 0.
TEST(TiledNodes, NodeTrafficCountsTheTransfersBetweenNodes) {
  TilingProblem tp;
  tp.ranks = 4;
  tp.owner = {0, 1, 2, 3};
  tp.q_bytes = {1, 1, 1, 1};
  tp.kv_bytes = {10, 10, 10, 10};
  tp.o_bytes = {100, 100, 100, 100};
  tp.tiles = {{0, 2, 1}, {3, 3, 1}, {1, 0, 1}};
  const TilingTraffic t = tiling_node_traffic(tp, {1, 0, 0}, 2);
  // Node 0 receives K, V of block 2, Q of 3 and K, V of 3; node 1 the partial of block 3.
  EXPECT_EQ(t.recv, std::vector<double>({10 + 1 + 10, 100}));
  EXPECT_EQ(t.send, std::vector<double>({100, 10 + 1 + 10}));
}

TEST(TiledNodes, OptionErrors) {
  Problem p = problem(8, 384, Mask::Strided, 3);
  EXPECT_EQ(find_schedule("tiled")->unsupported(p).value_or(""), "tile_node=3 does not divide P=8 (tiled)");
  p = problem(12, 576, Mask::Strided, 3);
  p.tile_u = 2;
  EXPECT_EQ(find_schedule("tiled")->unsupported(p).value_or(""),
            "tile_node=3 and tile_u=2 must divide one another: a Ulysses group lies inside a node or spans whole "
            "nodes (tiled)");
}

// With and without a Ulysses degree: u = 2 inside nodes of 4 (each slice's world has
// nodes of 2), and u = 4 over nodes of 2 (each slice's world rank on a node of its own).
TEST(TiledNodes, PlansPassTheChecks) {
  for (const auto& [P, g, u] : std::vector<std::tuple<int, int, int>>{
           {4, 2, 1}, {6, 2, 1}, {6, 3, 1}, {8, 4, 1}, {8, 4, 2}, {8, 2, 4}})
    for (const Mask m : kMasks) {
      Problem p = problem(P, 48 * P, m, g);
      p.tile_u = u;
      const std::string what = std::string(to_string(m)) + " P=" + std::to_string(P) + " g=" + std::to_string(g) +
                               " u=" + std::to_string(u);
      const Reason why = find_schedule("tiled")->unsupported(p);
      ASSERT_FALSE(why) << what << ": " << *why;
      ASSERT_TRUE(plan_checks_are_exhaustive(p)) << what;
      const std::vector<std::string> errors = check_plans(test::all_plans("tiled", p), p);
      EXPECT_TRUE(errors.empty()) << what << ": " << (errors.empty() ? "" : errors.front());
    }
}

// What crosses nodes and what each rank moves, device-level against node-level tiling,
// at P = 16 (2 nodes of 8) and 64 (8 of 8), S = 512K, H = 32, D = 128 (MHA, bf16),
// 2 blocks per rank, greedy. Printed for docs/REPRODUCING.md; node-level must move no more
// across nodes in all (summed over the masks).
TEST(TiledNodes, CrossNodeBytesAgainstDeviceLevel) {
  for (const int P : {16, 64}) {
    double device_sum = 0, node_sum = 0;
    for (const Mask m : kMasks) {
      Problem p = test::make_problem(P, 524288, 32, 32, 128, 1, m);
      p.mask_params.window = 65536;
      const TiledLayout& device = tiled_layout(p);
      p.tile_node = 8;
      const TiledLayout& node = tiled_layout(p);
      const double d_cross = tiling_node_traffic(device.problem, device.solution.rank_of, 8).max();
      const double n_cross = tiling_node_traffic(node.problem, node.solution.rank_of, 8).max();
      device_sum += d_cross;
      node_sum += n_cross;
      std::printf("[tile_node] P=%-3d %-14s across nodes (max per node) %8.1f -> %8.1f MiB (%.2fx); per rank %8.1f -> "
                  "%8.1f MiB\n",
                  P, to_string(m), d_cross / (1 << 20), n_cross / (1 << 20), d_cross > 0 ? n_cross / d_cross : 1.0,
                  device.solution.objective / (1 << 20), node.solution.objective / (1 << 20));
    }
    EXPECT_LE(node_sum, device_sum) << "P=" << P;
  }
}

}  // namespace
}  // namespace cpb
