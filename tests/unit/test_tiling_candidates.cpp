// The structured starting points of the tiling problem (tiling_candidates.hpp) and the
// search steps they rely on (tiling_search.hpp): grids, swaps, the repair to the load cap.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "bench/tiling/tiling_candidates.hpp"
#include "bench/tiling/tiling_problem.hpp"
#include "bench/tiling/tiling_search.hpp"

namespace cpb {
namespace {

// `ranks` ranks owning `per_rank` consecutive blocks each, unit sizes q = o = 1, kv = 2;
// the tiles of every pair (dense), the lower triangle (causal) or a random quarter (at
// least the diagonal), work 1 (dense) or random in [1, 5].
TilingProblem block_problem(std::mt19937& rng, int ranks, int per_rank, int shape) {
  TilingProblem p;
  p.ranks = ranks;
  const int n = ranks * per_rank;
  for (int b = 0; b < n; ++b) {
    p.owner.push_back(b / per_rank);
    p.q_bytes.push_back(1);
    p.kv_bytes.push_back(2);
    p.o_bytes.push_back(1);
  }
  std::uniform_real_distribution<double> work(1, 5), coin(0, 1);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const bool take = shape == 0 ? true : shape == 1 ? j <= i : (i == j || coin(rng) < 0.25);
      if (take) p.tiles.push_back({i, j, shape == 0 ? 1.0 : work(rng)});
    }
  p.balance = 0.05;
  return p;
}

bool within_cap(const TilingProblem& p, const std::vector<int>& rank_of) {
  const std::vector<double> load = tiling_load(p, rank_of);
  return *std::max_element(load.begin(), load.end()) <= p.load_cap() * (1 + 1e-12);
}

TEST(TilingGrids, FullMaskAtEightRanksHasTheTwoByFourGrid) {
  std::mt19937 rng(1);
  const TilingProblem p = block_problem(rng, 8, 2, 0);
  const std::vector<GridAssignment> grids = grid_assignments(p);
  // 8! / (a! b!) layouts for a = 2, 4 (840 each), one for a = 1, 8.
  EXPECT_EQ(grids.size(), 1682u);
  double best = 1e30;
  for (const GridAssignment& g : grids) {
    EXPECT_EQ(g.a * g.b, 8);
    if (within_cap(p, g.rank_of)) best = std::min(best, tiling_traffic(p, g.rank_of).max());
  }
  // Rows of 4 ranks (6 q and 6 o pulled) by columns of 2 (2 kv): 16 per rank each way.
  EXPECT_EQ(best, 16);
  // The owner-computes-rows grid (8 x 1) pulls 14 kv per rank: 28.
  EXPECT_EQ(tiling_traffic(p, grids.back().rank_of).max(), 28);
  const TilingSolution s = solve_structured(p, 4, 1000000);
  EXPECT_TRUE(within_cap(p, s.rank_of));
  EXPECT_LE(s.objective, 16);
  EXPECT_EQ(s.solver.rfind("grid ", 0), 0u);
  EXPECT_LT(s.objective, solve_greedy(p).objective);
}

// Every grid keeps a rank's own diagonal tiles home and gives the tiles of one pair of
// owners one rank, under any mask, at enumerated (6) and listed (12) rank counts.
TEST(TilingGrids, OwnTilesStayHomeAndOwnerPairsShareARank) {
  std::mt19937 rng(3);
  for (const int ranks : {6, 12})
    for (int shape = 0; shape < 3; ++shape) {
      const TilingProblem p = block_problem(rng, ranks, 2, shape);
      const std::vector<GridAssignment> grids = grid_assignments(p);
      EXPECT_EQ(grids.size(), ranks == 6 ? 1u + 60 + 60 + 1 : 12u);  // 6! / (2! 3!) = 60
      for (const GridAssignment& g : grids) {
        std::map<std::pair<int, int>, int> rank_of_pair;
        for (size_t t = 0; t < p.tiles.size(); ++t) {
          const int qo = p.owner[static_cast<size_t>(p.tiles[t].q_block)];
          const int ko = p.owner[static_cast<size_t>(p.tiles[t].k_block)];
          if (qo == ko) {
            EXPECT_EQ(g.rank_of[t], qo);
          }
          const auto [it, fresh] = rank_of_pair.emplace(std::make_pair(qo, ko), g.rank_of[t]);
          if (!fresh) {
            EXPECT_EQ(it->second, g.rank_of[t]);
          }
        }
        // A full array: every rank computes the pairs of b query owners by a key owners.
        if (shape == 0) {
          EXPECT_EQ(rank_of_pair.size(), static_cast<size_t>(ranks * ranks));
        }
      }
    }
}

TEST(TilingSearch, SwapsNeverRaiseTheObjectiveOrBreakTheCap) {
  std::mt19937 rng(5);
  int better = 0;
  for (int k = 0; k < 30; ++k) {
    const TilingProblem p = block_problem(rng, 2 + k % 4, 2, k % 3);
    SCOPED_TRACE("instance " + std::to_string(k));
    const std::vector<int> moved = improve_by_moves(p, solve_greedy(p).rank_of, 1000000);
    if (!within_cap(p, moved)) continue;
    const std::vector<int> swapped = improve_by_swaps(p, moved, 1000000);
    EXPECT_TRUE(within_cap(p, swapped));
    EXPECT_LE(tiling_traffic(p, swapped).max(), tiling_traffic(p, moved).max());
    EXPECT_EQ(improve_by_swaps(p, moved, 1000000), swapped);  // deterministic
    EXPECT_EQ(improve_by_swaps(p, moved, 0), moved);
    const std::vector<int> both = improve_by_moves_and_swaps(p, moved, 1000000);
    EXPECT_TRUE(within_cap(p, both));
    EXPECT_LE(tiling_traffic(p, both).max(), tiling_traffic(p, moved).max());
    better += tiling_traffic(p, swapped).max() < tiling_traffic(p, moved).max();
  }
  EXPECT_GT(better, 0);  // swaps lower some assignment where no single move does
}

TEST(TilingSearch, RebalanceReachesTheCapAndKeepsWhatFits) {
  std::mt19937 rng(9);
  for (int k = 0; k < 12; ++k) {
    TilingProblem p = block_problem(rng, 2 + k % 4, 2, k % 3);
    p.balance = 0.5;  // room for the repair's greedy packing
    SCOPED_TRACE("instance " + std::to_string(k));
    const std::vector<int> all_on_zero(p.tiles.size(), 0);
    const std::vector<int> fixed = rebalance_to_cap(p, all_on_zero);
    EXPECT_TRUE(within_cap(p, fixed));
    EXPECT_EQ(rebalance_to_cap(p, fixed), fixed);  // nothing over the cap: unchanged
  }
}

TEST(TilingGrids, StructuredStartIsDeterministicAndNoWorseThanTheGreedy) {
  std::mt19937 rng(13);
  for (int k = 0; k < 9; ++k) {
    const TilingProblem p = block_problem(rng, 2 + k % 3 * 2, 2, k % 3);
    SCOPED_TRACE("instance " + std::to_string(k));
    const TilingSolution greedy = solve_greedy(p), s = solve_structured(p, 3, 200000);
    EXPECT_EQ(solve_structured(p, 3, 200000).rank_of, s.rank_of);
    EXPECT_DOUBLE_EQ(s.objective, tiling_traffic(p, s.rank_of).max());
    if (!within_cap(p, greedy.rank_of)) continue;
    EXPECT_TRUE(within_cap(p, s.rank_of));
    EXPECT_LE(s.objective, greedy.objective);
  }
}

}  // namespace
}  // namespace cpb
