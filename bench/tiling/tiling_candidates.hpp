// Structured assignments of the tiling problem (tiling_problem.hpp), the starting points
// beside solve_greedy's: grids.
//
// A grid lays the ranks on an a x b array (P = a b). Row group u is the blocks owned by
// the b ranks of array row u, column group v those owned by the a ranks of array column
// v, and the rank at (u, v) computes every tile (of the mask: empty cells have none) with
// its query block in row group u and its key block in column group v. A block lies in one
// row group and one column group, so each tile gets exactly one rank; a rank's own blocks
// lie in both of its groups, so its diagonal tiles stay home. Under the full mask with m
// blocks per rank, a rank pulls Q (returning partials) of (b - 1) m blocks and K, V of
// (a - 1) m: at P = 8, 2 x 4 moves 6 q + 6 o + 2 kv per rank, against 14 (q + o) when each
// query block's owner computes its row (8 x 1).
#pragma once

#include <cstdint>
#include <vector>

#include "bench/tiling/tiling_problem.hpp"

namespace cpb {

// The ranks up to which every distinct grid is tried: P! / (a! b!) layouts of the ranks
// per factorisation (840 for 2 x 4 at P = 8). Beyond, two per factorisation: rank r at
// (r / b, r % b) (row groups of consecutive ranks) and at (r % a, r / a).
constexpr int kGridEnumerateRanks = 8;

struct GridAssignment {
  int a = 1, b = 1;          // the array: a rows (row groups) of b ranks
  std::vector<int> rank_of;  // [tile]
};

// The grid assignments of every factorisation P = a x b, a = 1 .. P, and every layout
// above; distinct layouts may give the same assignment. Deterministic order: by a, then
// layout in lexicographic order of the ranks read along the array's rows.
std::vector<GridAssignment> grid_assignments(const TilingProblem& p);

// The starting point of the search: the best (within the load cap first, then by
// objective, then the earlier) of solve_greedy's assignment and the `keep` best grids,
// each grid first repaired to the cap (rebalance_to_cap, which ranks them), every one of
// them then improved by moves and swaps (improve_by_moves_and_swaps, `max_tried` each).
// solver "greedy" or "grid a x b", status "heuristic", bound 0, gap 1 (0 at objective 0),
// solve_s the whole call. Deterministic. Throws std::invalid_argument for an inconsistent
// problem.
TilingSolution solve_structured(const TilingProblem& p, int keep, int64_t max_tried);

}  // namespace cpb
