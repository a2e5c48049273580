// Local search on a tile assignment (tiling_problem.hpp): single-tile moves to another
// rank, each kept when it lowers the objective (the largest per-rank send or receive
// volume) or, at the same objective, the sum of squares of every send and receive volume
// (which spreads traffic off the busiest ranks, so later moves can lower the largest).
#pragma once

#include <cstdint>
#include <vector>

#include "bench/tiling/tiling_problem.hpp"

namespace cpb {

// rank_of improved by moves, in passes over the tiles in order and the ranks in order,
// each move into a rank only while its work stays within p.load_cap() (so an assignment
// within the cap stays within it), until a pass keeps no move or `max_moves_tried` moves
// have been evaluated. The objective never rises. Deterministic: the same input gives the
// same output on every machine. rank_of must be one valid rank per tile.
std::vector<int> improve_by_moves(const TilingProblem& p, std::vector<int> rank_of, int64_t max_moves_tried);

}  // namespace cpb
