// The exact tile assignment of the `tiled` schedule: the tiling problem
// (bench/tiling/tiling_problem.hpp) as a mixed-integer linear program solved by HiGHS.
//
// The model, with R ranks, tiles t of query block q(t) and key block k(t), owner(b):
//   x[t][r] in {0, 1}        tile t is computed on rank r;  sum_r x[t][r] = 1
//   yq[i][r] >= x[t][r]      for every tile t of query block i and r != owner(i): r needs
//                            Q_i and returns a partial O_i
//   ykv[j][r] >= x[t][r]     for every tile t of key block j and r != owner(j): r needs K_j, V_j
//   send_r = sum_{i owned by r, s != r} q_i yq[i][s] + sum_{j owned by r, s != r} kv_j ykv[j][s]
//          + sum_{i not owned by r} o_i yq[i][r]
//   recv_r = sum_{i owned by r, s != r} o_i yq[i][s]
//          + sum_{i not owned by r} q_i yq[i][r] + sum_{j not owned by r} kv_j ykv[j][r]
//   send_r <= T, recv_r <= T;  sum_t work_t x[t][r] <= load_cap();  minimise T.
//   and, valid but not implied by the LP relaxation, the pull hulls' rows of tiling_bound.hpp
//   (each rank's pull is at least a convex function of its load; tiling_milp.cpp proves them)
//   for three costs: the whole pull (q_i + o_i, kv_j), the part r receives (q_i, kv_j) and
//   the part it sends (o_i, 0).
// The y are continuous in [0, 1]: they appear in the need rows (bounded below by x), with
// nonnegative coefficients in rows bounded above by T, and on the left of the pull hulls'
// rows; so for integral x, lowering each y to max_t x[t][r], which is 0 or 1, keeps the
// need rows and T, and the hull rows too (at the least y their left side is the pull,
// which is at least the hull), and the optimum equals that of binary y. The returned objective is recomputed from x by
// tiling_traffic(), never read from T. Bytes are scaled by the largest block size and work
// by the load cap, so the coefficients lie in (0, 1].
//
// Symmetry: a rank's role is fixed by the blocks it owns, so two ranks are interchangeable
// only when both own no block; the model orders such ranks by decreasing load (one row per
// consecutive pair: any solution permuted among them sorts that way, so the row cuts no
// optimum). Tiles whose query and key blocks are both owned by rank r cost no traffic on
// r, and moving one there never raises any rank's traffic; they are not pinned to r,
// because the load cap can force such work off its owner (e.g. a rank owning both blocks
// of a dense region larger than the cap); the warm start places them home when the cap
// allows. Symmetries of a particular mask are left to HiGHS's own detection.
#pragma once

#include <cstdint>
#include <string>

#include "bench/tiling/tiling_problem.hpp"

namespace cpb {

struct MilpOptions {
  double time_limit_s = 10;  // wall limit of HiGHS's solve [s] (>= 0)
  int threads = 1;           // HiGHS's threads (>= 1); 1 makes the search deterministic
  int64_t max_nodes = -1;    // branch-and-bound nodes HiGHS may explore (-1: no limit);
                             // unlike the time limit, the same on every machine
};

// The MILP's best assignment within the time limit, relative gap 1e-4, warm-started from
// warm_start.rank_of (one rank per tile, e.g. solve_greedy's). Returns rank_of (HiGHS's
// best, or the warm start where HiGHS has none or the warm start is better and within the
// load cap), objective = tiling_traffic(p, rank_of).max(), bound = the larger of HiGHS's
// dual bound and the pull bound of tiling_bound.hpp (0 when HiGHS has none), gap, solve_s (the whole call), solver "highs" and status
// "optimal", "time limit", "node limit", "infeasible" (no assignment meets the load cap:
// the warm start is returned) or HiGHS's own words for any other end. The load cap holds to HiGHS's
// feasibility tolerance (1e-6 of the cap). Without HiGHS in the build: the warm start
// (its solver, bound 0) with status "no MILP solver in this build". Throws std::invalid_argument for an inconsistent
// problem, a warm start of the wrong size or ranks, or options out of range.
TilingSolution solve_milp(const TilingProblem& p, const MilpOptions& opt, const TilingSolution& warm_start);

// The MILP solver of this build and its version, e.g. "HiGHS 1.15.1"; "none" without one.
std::string milp_solver_version();

}  // namespace cpb
