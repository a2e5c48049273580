// Local search on a tile assignment (tiling_problem.hpp): single-tile moves to another
// rank and exchanges of two tiles between ranks, each kept when it lowers the objective
// (the largest per-rank send or receive volume) or, at the same objective, the sum of
// squares of every send and receive volume (which spreads traffic off the busiest ranks,
// so later steps can lower the largest). Also the repair of an assignment over the load
// cap, which the structured starting points (tiling_candidates.hpp) need.
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

// rank_of improved by swaps: tiles t < u on different ranks exchange ranks when both
// ranks' work stays within p.load_cap() and the order above improves; passes over the
// pairs (t, u) in order until a pass keeps none or `max_swaps_tried` swaps have been
// evaluated. The objective never rises; deterministic; rank_of as for improve_by_moves.
std::vector<int> improve_by_swaps(const TilingProblem& p, std::vector<int> rank_of, int64_t max_swaps_tried);

// Passes of moves until none improves, then passes of swaps, repeated while a swap is
// kept; `max_tried` moves and swaps evaluated in all bound the whole search. The objective
// never rises; deterministic; rank_of as for improve_by_moves.
std::vector<int> improve_by_moves_and_swaps(const TilingProblem& p, std::vector<int> rank_of, int64_t max_tried);

// While the most loaded rank is over p.load_cap(), the move of one of its tiles to a rank
// with room that raises the objective least (ties: the lower tile, then the lower rank);
// ends within the cap or when none of that rank's tiles fits elsewhere (then some rank
// stays over the cap). Deterministic.
std::vector<int> rebalance_to_cap(const TilingProblem& p, std::vector<int> rank_of);

}  // namespace cpb
