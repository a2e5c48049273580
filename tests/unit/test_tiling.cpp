// The tiling problem of the `tiled` schedule: the traffic of an assignment on a hand-worked
// example, the consistency checks, and the MILP against brute-force optima of tiny
// instances (every rank^tile assignment within the load cap enumerated).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "bench/tiling/tiling_bound.hpp"
#include "bench/tiling/tiling_milp.hpp"
#include "bench/tiling/tiling_problem.hpp"
#include "bench/tiling/tiling_search.hpp"

namespace cpb {
namespace {

// Two ranks owning one block each; sizes are distinct powers of ten so that every sum
// below names the transfers it counts.
TilingProblem two_block_problem() {
  TilingProblem p;
  p.ranks = 2;
  p.owner = {0, 1};
  p.q_bytes = {1, 10};
  p.kv_bytes = {100, 1000};
  p.o_bytes = {10000, 100000};
  p.tiles = {{0, 0, 1}, {1, 0, 2}, {1, 1, 3}, {0, 1, 4}};
  p.balance = 0;
  return p;
}

TEST(TilingTraffic, HandWorkedExample) {
  const TilingProblem p = two_block_problem();
  // (0,0) on rank 1: Q0 and KV0 to rank 1, O0 back; (1,0) on rank 0: Q1 to rank 0, O1
  // back; (1,1) on rank 0: Q1 already there, KV1 to rank 0; (0,1) on rank 1: nothing new.
  const TilingTraffic tr = tiling_traffic(p, {1, 0, 0, 1});
  EXPECT_EQ(tr.send, (std::vector<double>{1 + 100 + 100000, 10000 + 10 + 1000}));
  EXPECT_EQ(tr.recv, (std::vector<double>{10000 + 10 + 1000, 1 + 100 + 100000}));
  EXPECT_EQ(tr.max(), 100101);
  EXPECT_EQ(tiling_load(p, {1, 0, 0, 1}), (std::vector<double>{5, 5}));
  // Everything on its query block's owner: only KV crosses, once per (block, rank).
  const TilingTraffic local = tiling_traffic(p, {0, 1, 1, 0});
  EXPECT_EQ(local.send, (std::vector<double>{100, 1000}));
  EXPECT_EQ(local.recv, (std::vector<double>{1000, 100}));
}

TEST(TilingProblem, LoadCapIsTheBalancedShareOrTheLargestTile) {
  TilingProblem p = two_block_problem();
  p.balance = 0.2;
  EXPECT_DOUBLE_EQ(p.load_cap(), 1.2 * 10 / 2);
  p.tiles.push_back({0, 0, 50});
  EXPECT_DOUBLE_EQ(p.load_cap(), 50);
}

TEST(TilingProblem, ErrorsNameTheInconsistency) {
  EXPECT_EQ(tiling_problem_error(two_block_problem()), "");
  TilingProblem p = two_block_problem();
  p.ranks = 0;
  EXPECT_NE(tiling_problem_error(p).find("ranks 0"), std::string::npos);
  p = two_block_problem();
  p.kv_bytes.pop_back();
  EXPECT_NE(tiling_problem_error(p).find("differ in size"), std::string::npos);
  p = two_block_problem();
  p.owner[1] = 2;
  EXPECT_NE(tiling_problem_error(p).find("block 1"), std::string::npos);
  p = two_block_problem();
  p.tiles[2].k_block = 2;
  EXPECT_NE(tiling_problem_error(p).find("tile 2 lies outside"), std::string::npos);
  p = two_block_problem();
  p.tiles[3].work = 0;
  EXPECT_NE(tiling_problem_error(p).find("tile 3 has no work"), std::string::npos);
  p = two_block_problem();
  p.balance = -0.1;
  EXPECT_NE(tiling_problem_error(p).find("balance"), std::string::npos);
  EXPECT_THROW(solve_greedy(p), std::invalid_argument);
}

// The least objective over all assignments within the load cap (+inf: none is).
double brute_force_optimum(const TilingProblem& p) {
  const size_t n = p.tiles.size();
  std::vector<int> rank_of(n, 0);
  double best = std::numeric_limits<double>::infinity();
  while (true) {
    const std::vector<double> load = tiling_load(p, rank_of);
    if (*std::max_element(load.begin(), load.end()) <= p.load_cap() * (1 + 1e-12))
      best = std::min(best, tiling_traffic(p, rank_of).max());
    size_t t = 0;
    while (t < n && ++rank_of[t] == p.ranks) rank_of[t++] = 0;
    if (t == n) return best;
  }
}

// A random instance: owners drawn freely (so some ranks may own nothing), random sizes,
// distinct random tiles.
TilingProblem random_problem(std::mt19937& rng, int ranks, int blocks, int tiles) {
  TilingProblem p;
  p.ranks = ranks;
  std::uniform_int_distribution<int> rank(0, ranks - 1);
  std::uniform_real_distribution<double> bytes(1, 10), work(1, 5), balance(0, 0.5);
  for (int b = 0; b < blocks; ++b) {
    p.owner.push_back(rank(rng));
    p.q_bytes.push_back(bytes(rng));
    p.kv_bytes.push_back(bytes(rng));
    p.o_bytes.push_back(bytes(rng));
  }
  std::vector<std::pair<int, int>> cells;
  for (int i = 0; i < blocks; ++i)
    for (int j = 0; j < blocks; ++j) cells.emplace_back(i, j);
  std::shuffle(cells.begin(), cells.end(), rng);
  for (int t = 0; t < tiles; ++t) {
    const auto [q, k] = cells[static_cast<size_t>(t)];
    p.tiles.push_back({q, k, work(rng)});
  }
  p.balance = balance(rng);
  return p;
}

void expect_within_cap(const TilingProblem& p, const std::vector<int>& rank_of) {
  for (const double l : tiling_load(p, rank_of)) EXPECT_LE(l, p.load_cap() * (1 + 1e-6));
}

// A random instance whose tiles are every pair (dense), the lower triangle (causal-like)
// or a random fifth of the pairs (sparse, at least one), uniform or random sizes.
TilingProblem shaped_problem(std::mt19937& rng, int ranks, int blocks, int shape) {
  TilingProblem p = random_problem(rng, ranks, blocks, 0);
  if (shape % 2 == 0) p.q_bytes = p.kv_bytes = p.o_bytes = std::vector<double>(static_cast<size_t>(blocks), 1.0);
  for (int b = 0; b < blocks && shape % 2 == 0; ++b) p.owner[static_cast<size_t>(b)] = b * ranks / blocks;
  std::uniform_real_distribution<double> work(1, 5), coin(0, 1);
  for (int i = 0; i < blocks; ++i)
    for (int j = 0; j < blocks; ++j) {
      const bool take = shape / 2 == 0 ? true : shape / 2 == 1 ? j <= i : coin(rng) < 0.2;
      if (take || (p.tiles.empty() && i == blocks - 1 && j == blocks - 1)) p.tiles.push_back({i, j, work(rng)});
    }
  return p;
}

TEST(TilingBound, NeverAboveTheBruteForceOptimum) {
  std::mt19937 rng(7);
  int positive = 0, n = 0;
  for (int k = 0; k < 120; ++k) {
    const int ranks = 2 + k % 2, blocks = ranks == 2 ? 3 : 2 + (k / 2) % 2, shape = k % 6;
    TilingProblem p = shaped_problem(rng, ranks, blocks, shape);
    if (p.tiles.size() > 9) p.tiles.resize(9);  // 3^9 assignments at most
    SCOPED_TRACE("instance " + std::to_string(k) + ", shape " + std::to_string(shape));
    // Both kinds of points: the query-block sets enumerated (the default here) and the
    // (a, b) points (0 sets enumerated).
    const double opt = brute_force_optimum(p), bound = tiling_lower_bound(p, p.load_cap()),
                 ab_bound = tiling_lower_bound(p, p.load_cap(), 0);
    EXPECT_GE(bound, 0);
    EXPECT_GE(ab_bound, 0);
    if (std::isinf(opt)) continue;
    EXPECT_LE(bound, opt * (1 + 1e-9));
    EXPECT_LE(ab_bound, opt * (1 + 1e-9));
    positive += bound > 0 && ab_bound > 0;
    ++n;
  }
  // The bound proves something on most instances (a bound of 0 would pass the check above).
  EXPECT_GT(positive, n / 2);
}

// h_r(load) of a pull hull (tiling_bound.hpp).
double hull_at(const PullHull& h, double load) {
  double w = h.base, cost = 0;
  for (const auto& [dw, slope] : h.segs) {
    if (load <= w) break;
    cost += std::min(dw, load - w) * slope;
    w += dw;
  }
  return cost;
}

// Every assignment within the cap pulls, on every rank, at least h_r(its load), for the
// whole pull and for random block costs (the families the MILP's rows use): checked on
// every assignment of small instances, so a hull above any rank's pull fails here.
TEST(TilingBound, PullHullsHoldOnEveryAssignment) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> cost(0, 3);
  int tight = 0;
  for (int k = 0; k < 60; ++k) {
    const int ranks = 2 + k % 2, blocks = 3 + (k / 2) % 2, shape = k % 6;
    TilingProblem p = shaped_problem(rng, ranks, blocks, shape);
    if (p.tiles.size() > (ranks == 2 ? 12u : 8u)) p.tiles.resize(ranks == 2 ? 12 : 8);
    std::vector<double> rc(static_cast<size_t>(blocks)), kc(rc);
    for (double& c : rc) c = cost(rng);
    for (double& c : kc) c = k % 3 == 0 ? 0 : cost(rng);
    std::vector<double> q_o(rc.size());
    for (size_t b = 0; b < q_o.size(); ++b) q_o[b] = p.q_bytes[b] + p.o_bytes[b];
    // Enumerated sets on six instances in turn, (a, b) points on the next six.
    const size_t enumerated = (k / 6) % 2 == 0 ? kPullHullEnumeratedRows : 0;
    const std::vector<PullHull> whole = tiling_pull_hulls(p, p.load_cap(), enumerated),
                                mixed = tiling_pull_hulls(p, p.load_cap(), rc, kc, enumerated);
    SCOPED_TRACE("instance " + std::to_string(k));
    std::vector<int> rank_of(p.tiles.size(), 0);
    while (true) {
      const std::vector<double> load = tiling_load(p, rank_of);
      if (*std::max_element(load.begin(), load.end()) <= p.load_cap() * (1 + 1e-12)) {
        for (int r = 0; r < ranks; ++r) {
          std::vector<char> q(static_cast<size_t>(blocks), 0), kv(q);
          for (size_t t = 0; t < p.tiles.size(); ++t)
            if (rank_of[t] == r)
              q[static_cast<size_t>(p.tiles[t].q_block)] = kv[static_cast<size_t>(p.tiles[t].k_block)] = 1;
          double pull = 0, pull_mixed = 0;
          for (size_t b = 0; b < q.size(); ++b) {
            if (p.owner[b] == r) continue;
            pull += q[b] * q_o[b] + kv[b] * p.kv_bytes[b];
            pull_mixed += q[b] * rc[b] + kv[b] * kc[b];
          }
          const double h = hull_at(whole[static_cast<size_t>(r)], load[static_cast<size_t>(r)]);
          EXPECT_LE(h, pull * (1 + 1e-9) + 1e-9);
          EXPECT_LE(hull_at(mixed[static_cast<size_t>(r)], load[static_cast<size_t>(r)]),
                    pull_mixed * (1 + 1e-9) + 1e-9);
          tight += h > 0 && h >= pull * (1 - 1e-9);
        }
      }
      size_t t = 0;
      while (t < rank_of.size() && ++rank_of[t] == ranks) rank_of[t++] = 0;
      if (t == rank_of.size()) break;
    }
  }
  // The hulls are not trivially low: some rank's pull meets its hull exactly.
  EXPECT_GT(tight, 0);
}

TEST(TilingBound, PullHullsRejectBadBlockCosts) {
  std::mt19937 rng(5);
  const TilingProblem p = shaped_problem(rng, 2, 3, 0);
  const std::vector<double> ok(3, 1.0), short_costs(2, 1.0), negative{1.0, -1.0, 1.0};
  EXPECT_NO_THROW(tiling_pull_hulls(p, p.load_cap(), ok, ok));
  EXPECT_THROW(tiling_pull_hulls(p, p.load_cap(), short_costs, ok), std::invalid_argument);
  EXPECT_THROW(tiling_pull_hulls(p, p.load_cap(), ok, negative), std::invalid_argument);
}

// Full mask, 8 ranks owning 2 consecutive blocks each, 16 blocks, unit tiles and sizes
// q = o = 1, kv = 2: a rank doing w <= 33.6 tiles pulls a + b blocks with (2 + a)(2 + b)
// >= w at 2 bytes each. The 2 x 4 grid (rows of ranks 0-3 or 4-7, columns of ranks
// {j, j + 4}) pulls 6 rows and 2 columns per rank: 16 bytes each way.
TilingProblem full_grid_problem() {
  TilingProblem p;
  p.ranks = 8;
  for (int b = 0; b < 16; ++b) {
    p.owner.push_back(b / 2);
    p.q_bytes.push_back(1);
    p.kv_bytes.push_back(2);
    p.o_bytes.push_back(1);
  }
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) p.tiles.push_back({i, j, 1});
  return p;
}

TEST(TilingBound, FullMaskGridIsWithinTheBound) {
  const TilingProblem p = full_grid_problem();
  std::vector<int> grid;
  for (const TilingTile& t : p.tiles)
    grid.push_back(4 * (p.owner[static_cast<size_t>(t.q_block)] / 4) + p.owner[static_cast<size_t>(t.k_block)] % 4);
  expect_within_cap(p, grid);
  EXPECT_EQ(tiling_traffic(p, grid).max(), 16);
  const double bound = tiling_lower_bound(p, p.load_cap());
  EXPECT_LE(bound, 16);
  // Each rank's hull runs through (25 tiles, 12 bytes: a + b = 6), (30, 14: a + b = 7) and
  // (33.6, 16: the cap, a + b = 8); at the mean, 32 tiles, it is 14 + 2 * 2 / 3.6.
  EXPECT_NEAR(bound, 14 + 2 * 2 / 3.6, 1e-9);
  // A cap too small for the work: no assignment fits.
  EXPECT_TRUE(std::isinf(tiling_lower_bound(p, 31)));
}

TEST(TilingSearch, MovesNeverRaiseTheObjectiveOrBreakTheCap) {
  std::mt19937 rng(11);
  int better = 0;
  for (int k = 0; k < 60; ++k) {
    const TilingProblem p = shaped_problem(rng, 2 + k % 4, 4 + k % 5, k % 6);
    SCOPED_TRACE("instance " + std::to_string(k));
    const TilingSolution greedy = solve_greedy(p);
    const std::vector<int> moved = improve_by_moves(p, greedy.rank_of, 1000000);
    const double obj = tiling_traffic(p, moved).max();
    EXPECT_LE(obj, greedy.objective);
    const std::vector<double> load = tiling_load(p, greedy.rank_of);
    if (*std::max_element(load.begin(), load.end()) <= p.load_cap() * (1 + 1e-12)) expect_within_cap(p, moved);
    EXPECT_EQ(improve_by_moves(p, greedy.rank_of, 1000000), moved);  // deterministic
    EXPECT_EQ(improve_by_moves(p, greedy.rank_of, 0), greedy.rank_of);
    better += obj < greedy.objective;
  }
  EXPECT_GT(better, 0);  // the moves improve some greedy assignment
}

// Solves p and compares with its brute-force optimum: the objective within HiGHS's
// relative gap, the bound below the optimum, the greedy never better, the cap kept.
void expect_milp_optimal(const TilingProblem& p) {
  const double opt = brute_force_optimum(p);
  const TilingSolution greedy = solve_greedy(p);
  const TilingSolution milp = solve_milp(p, MilpOptions{}, greedy);
  if (std::isinf(opt)) {
    EXPECT_EQ(milp.status, "infeasible");
    EXPECT_EQ(milp.rank_of, greedy.rank_of);
    return;
  }
  EXPECT_EQ(milp.solver, "highs");
  EXPECT_EQ(milp.status, "optimal");
  EXPECT_NEAR(milp.objective, opt, 1e-4 * opt + 1e-9);
  EXPECT_DOUBLE_EQ(milp.objective, tiling_traffic(p, milp.rank_of).max());
  EXPECT_LE(milp.bound, opt * (1 + 1e-6));
  EXPECT_LE(milp.gap, 1e-4 + 1e-9);
  expect_within_cap(p, milp.rank_of);
  const std::vector<double> greedy_load = tiling_load(p, greedy.rank_of);
  if (*std::max_element(greedy_load.begin(), greedy_load.end()) <= p.load_cap() * (1 + 1e-12)) {
    EXPECT_GE(greedy.objective, opt * (1 - 1e-12));
  }
}

// Dense and causal-like instances, where the pull hulls' rows are tightest, solved from a
// warm start over the cap (so the answer is HiGHS's own): a row that cut off every optimum
// would leave a worse objective.
TEST(TilingMilp, PullHullRowsKeepTheOptimum) {
#ifndef CPB_HAVE_HIGHS
  GTEST_SKIP() << "built without HiGHS";
#endif
  std::mt19937 rng(23);
  for (int k = 0; k < 24; ++k) {
    const int ranks = 2 + k % 2, blocks = ranks == 2 ? 4 : 3, shape = k % 4;
    TilingProblem p = shaped_problem(rng, ranks, blocks, shape);
    if (p.tiles.size() > (ranks == 2 ? 12u : 8u)) p.tiles.resize(ranks == 2 ? 12 : 8);
    p.balance = 0.1;
    SCOPED_TRACE("instance " + std::to_string(k));
    const double opt = brute_force_optimum(p);
    if (std::isinf(opt)) continue;
    TilingSolution over = solve_greedy(p);
    over.rank_of.assign(p.tiles.size(), 0);
    const TilingSolution milp = solve_milp(p, MilpOptions{}, over);
    EXPECT_EQ(milp.status, "optimal");
    EXPECT_NEAR(milp.objective, opt, 1e-4 * opt + 1e-9);
    EXPECT_LE(milp.bound, opt * (1 + 1e-6));
  }
}

TEST(TilingMilp, MatchesBruteForceOptimaOfRandomInstances) {
#ifndef CPB_HAVE_HIGHS
  GTEST_SKIP() << "built without HiGHS";
#endif
  std::mt19937 rng(19);
  for (int k = 0; k < 24; ++k) {
    const int ranks = 2 + k % 2, blocks = 3 + k % 2, tiles = 4 + k % 3;
    const TilingProblem p = random_problem(rng, ranks, blocks, tiles);
    SCOPED_TRACE("instance " + std::to_string(k));
    expect_milp_optimal(p);
  }
}

TEST(TilingMilp, RanksOwningNothingKeepTheOptimum) {
#ifndef CPB_HAVE_HIGHS
  GTEST_SKIP() << "built without HiGHS";
#endif
  // Ranks 2 and 3 own no block (the symmetry the model orders by load); the load cap
  // (3.3) forces work onto them.
  TilingProblem p;
  p.ranks = 4;
  p.owner = {0, 1, 1};
  p.q_bytes = {2, 3, 1};
  p.kv_bytes = {5, 4, 2};
  p.o_bytes = {1, 6, 3};
  p.tiles = {{0, 0, 3}, {0, 1, 2}, {1, 2, 2}, {2, 1, 3}, {2, 2, 1}};
  p.balance = 0.2;
  expect_milp_optimal(p);
}

TEST(TilingMilp, InfeasibleCapReturnsTheWarmStart) {
#ifndef CPB_HAVE_HIGHS
  GTEST_SKIP() << "built without HiGHS";
#endif
  // Three equal tiles, two ranks, no slack: each rank can take one tile.
  TilingProblem p;
  p.ranks = 2;
  p.owner = {0, 1};
  p.q_bytes = p.kv_bytes = p.o_bytes = {1, 1};
  p.tiles = {{0, 0, 1}, {0, 1, 1}, {1, 1, 1}};
  p.balance = 0;
  expect_milp_optimal(p);
}

// The strided pattern's 16 blocks at 8 ranks (UltraAttn): groups of 4 blocks, a band of 3.
TilingProblem strided_problem() {
  TilingProblem p;
  p.ranks = 8;
  for (int b = 0; b < 16; ++b) {
    p.owner.push_back(b * p.ranks / 16);
    p.q_bytes.push_back(1);
    p.kv_bytes.push_back(2);
    p.o_bytes.push_back(1.03);
  }
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j)
      if (i / 4 == j / 4 && std::abs(i % 4 - j % 4) < 3) p.tiles.push_back({i, j, 1});
  return p;
}

TEST(TilingMilp, NoTimeReturnsTheWarmStart) {
#ifndef CPB_HAVE_HIGHS
  GTEST_SKIP() << "built without HiGHS";
#endif
  const TilingProblem p = strided_problem();
  const TilingSolution greedy = solve_greedy(p);
  MilpOptions opt;
  opt.time_limit_s = 0;
  const TilingSolution milp = solve_milp(p, opt, greedy);
  EXPECT_EQ(milp.status, "time limit");
  EXPECT_EQ(milp.rank_of, greedy.rank_of);
  EXPECT_DOUBLE_EQ(milp.objective, greedy.objective);
  EXPECT_LE(milp.bound, milp.objective);
}

TEST(TilingMilp, NeverWorseThanItsWarmStart) {
#ifndef CPB_HAVE_HIGHS
  GTEST_SKIP() << "built without HiGHS";
#endif
  const TilingProblem p = strided_problem();
  const TilingSolution greedy = solve_greedy(p);
  MilpOptions opt;
  opt.time_limit_s = 0.5;
  const TilingSolution milp = solve_milp(p, opt, greedy);
  EXPECT_LE(milp.objective, greedy.objective);
  EXPECT_LE(milp.bound, milp.objective);
  EXPECT_DOUBLE_EQ(milp.objective, tiling_traffic(p, milp.rank_of).max());
  expect_within_cap(p, milp.rank_of);
}

TEST(TilingMilp, NoTilesCostNothing) {
#ifndef CPB_HAVE_HIGHS
  GTEST_SKIP() << "built without HiGHS";
#endif
  TilingProblem p = two_block_problem();
  p.tiles.clear();
  const TilingSolution milp = solve_milp(p, MilpOptions{}, solve_greedy(p));
  EXPECT_EQ(milp.status, "optimal");
  EXPECT_TRUE(milp.rank_of.empty());
  EXPECT_EQ(milp.objective, 0);
  EXPECT_EQ(milp.gap, 0);
}

TEST(TilingMilp, WithoutSolverReturnsTheWarmStart) {
#ifdef CPB_HAVE_HIGHS
  GTEST_SKIP() << "built with HiGHS";
#endif
  const TilingProblem p = two_block_problem();
  const TilingSolution greedy = solve_greedy(p);
  const TilingSolution milp = solve_milp(p, MilpOptions{}, greedy);
  EXPECT_EQ(milp.status, "no MILP solver in this build");
  EXPECT_EQ(milp.rank_of, greedy.rank_of);
  EXPECT_EQ(milp.bound, 0);
}

TEST(TilingMilp, RejectsBadInput) {
  const TilingProblem p = two_block_problem();
  TilingSolution warm = solve_greedy(p);
  MilpOptions opt;
  opt.threads = 0;
  EXPECT_THROW(solve_milp(p, opt, warm), std::invalid_argument);
  opt = MilpOptions{};
  opt.time_limit_s = -1;
  EXPECT_THROW(solve_milp(p, opt, warm), std::invalid_argument);
  opt = MilpOptions{};
  warm.rank_of.back() = 2;
  EXPECT_THROW(solve_milp(p, opt, warm), std::invalid_argument);
  warm.rank_of.pop_back();
  EXPECT_THROW(solve_milp(p, opt, warm), std::invalid_argument);
  TilingProblem bad = p;
  bad.owner[0] = -1;
  EXPECT_THROW(solve_milp(bad, opt, solve_greedy(p)), std::invalid_argument);
}

}  // namespace
}  // namespace cpb
