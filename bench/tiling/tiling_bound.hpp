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
#pragma once

#include "bench/tiling/tiling_problem.hpp"

namespace cpb {

// A lower bound [bytes] of the objective of every assignment whose work per rank is at
// most `cap` [work] (p.load_cap() for the problem's own constraint); +infinity when it
// proves that no assignment keeps every rank within `cap`, 0 when it proves nothing. Deterministic;
// O(ranks * blocks^2 log blocks) time. Throws std::invalid_argument for an inconsistent problem.
double tiling_lower_bound(const TilingProblem& p, double cap);

}  // namespace cpb
