// A lower bound of the tiling problem's optimum (bench/tiling/tiling_problem.hpp) that
// needs no solver: what the ranks must fetch to do all the work within the load cap.
//
// Every transfer follows from a rank computing a tile of a block it does not own: rank r
// "pulls" q_i + o_i (Q_i in, the partial O_i out) for each such query block i and kv_j for
// each such key block j, and each pulled byte is received once by some rank (Q and K, V by
// r, the partial by i's owner). So sum_r recv_r = sum_r pull_r, and the objective, at least
// the largest recv_r, is at least (sum_r pull_r) / ranks.
//
// The least sum_r pull_r: a rank that pulls a query blocks and b key blocks computes only
// tiles inside X x Y, X its own blocks plus the a, Y its own plus the b. Its work is then
// at most U_r(a, b), the least of: per row of X, the sum of that row's |Y| largest tiles
// (the a rows with the largest such sums taken); the same by columns; the load cap. Its
// pull is at least C_r(a, b), the a cheapest q + o plus the b cheapest kv among blocks it
// does not own that have a tile in that row or column. Choosing one (a, b) per rank with
// sum_r U_r(a_r, b_r) >= the total work, at least sum_r C_r is pulled; the bound is the LP
// relaxation of that choice (each rank's points replaced by their lower convex hull, the
// cheapest slopes taken first), divided by ranks.
// Where a rank has at most kPullHullEnumeratedRows (16) query blocks it does not own (up to
// 8 ranks of 2 blocks), and their sets times its foreign key blocks stay within
// 2^kPullHullEnumeratedPointsLog2 points, its points are instead one per set A of them and
// b: the work of X = own + A against its own key blocks and the b others with the most
// work in X (the most any b key blocks reach with exactly X), the pull the cost of A and
// the b cheapest kv. Each such point bounds every assignment pulling exactly A and b key
// blocks, so the same proof holds; it is tighter for masks like causal, where the rows'
// and columns' largest tiles do not meet.
#pragma once

#include <utility>
#include <vector>

#include "bench/tiling/tiling_problem.hpp"

namespace cpb {

// The most foreign query blocks whose sets are enumerated, and the most points that makes
// per rank (2^rows x (foreign key blocks + 1)); beyond either, the (a, b) points above.
constexpr size_t kPullHullEnumeratedRows = 16;
constexpr size_t kPullHullEnumeratedPointsLog2 = 22;

// A lower bound [bytes] of the objective of every assignment whose work per rank is at
// most `cap` [work] (p.load_cap() for the problem's own constraint); +infinity when it
// proves that no assignment keeps every rank within `cap`, 0 when it proves nothing.
// Deterministic; O(ranks * blocks^2 log blocks) time with the (a, b) points, O(ranks * 2^k *
// blocks^2) with k <= max_enumerated_rows foreign query blocks enumerated (0: never).
// Throws std::invalid_argument for an inconsistent problem.
double tiling_lower_bound(const TilingProblem& p, double cap, size_t max_enumerated_rows = kPullHullEnumeratedRows);

// Rank r's pull hull: every assignment whose work per rank is at most `cap` has, on each
// rank r, pull_r >= h_r(load_r), where pull_r is the bytes of the blocks r does not own
// that it needs (q_i + o_i per query block, kv_j per key block) and h_r the convex,
// nondecreasing piecewise-linear function 0 up to `base` [work], then rising by
// segs[k].second [bytes per work] over segs[k].first [work]. Proof: a rank that pulls the
// query blocks A and key blocks B computes work at most U_r(|A|, |B|) and pulls at least
// C_r(|A|, |B|) (tiling_bound.hpp); every such point lies on or above the lower convex hull
// that h_r traces, and h_r is nondecreasing, so pull_r >= C_r >= h_r(U_r) >= h_r(load_r).
struct PullHull {
  double base = 0;
  std::vector<std::pair<double, double>> segs;  // (work gained, bytes per work), slopes increasing
};
std::vector<PullHull> tiling_pull_hulls(const TilingProblem& p, double cap,
                                        size_t max_enumerated_rows = kPullHullEnumeratedRows);
// The same with other costs of a pulled query block (row_cost[i], for q_i + o_i above) and
// key block (col_cost[j], for kv_j), one per block and nonnegative (else
// std::invalid_argument); the proof is unchanged.
std::vector<PullHull> tiling_pull_hulls(const TilingProblem& p, double cap, const std::vector<double>& row_cost,
                                        const std::vector<double>& col_cost,
                                        size_t max_enumerated_rows = kPullHullEnumeratedRows);

}  // namespace cpb
