// The move search of tiling_search.hpp on the incremental traffic of traffic_state.hpp.
#include "bench/tiling/tiling_search.hpp"

#include <algorithm>

#include "bench/tiling/traffic_state.hpp"

namespace cpb {
namespace {

// The search's order: the objective first, then the sum of squared volumes.
struct Score {
  double max = 0, squares = 0;
  bool better_than(const Score& o) const {
    if (max != o.max) return max < o.max;
    return squares < o.squares * (1 - 1e-12);  // rounding is no improvement
  }
};

Score score_of(const TrafficState& s) {
  Score sc;
  for (const std::vector<double>* v : {&s.send(), &s.recv()})
    for (const double x : *v) sc.max = std::max(sc.max, x), sc.squares += x * x;
  return sc;
}

}  // namespace

std::vector<int> improve_by_moves(const TilingProblem& p, std::vector<int> rank_of, int64_t max_moves_tried) {
  const double cap = p.load_cap() * (1 + 1e-12);
  TrafficState state(p);
  for (size_t t = 0; t < p.tiles.size(); ++t) state.add(p.tiles[t], rank_of[t]);
  std::vector<double> load = tiling_load(p, rank_of);
  Score current = score_of(state);
  int64_t tried = 0;
  for (bool moved = true; moved && tried < max_moves_tried;) {
    moved = false;
    for (size_t t = 0; t < p.tiles.size() && tried < max_moves_tried; ++t) {
      const TilingTile& tile = p.tiles[t];
      for (int to = 0; to < p.ranks && tried < max_moves_tried; ++to) {
        const int from = rank_of[t];
        if (to == from || load[static_cast<size_t>(to)] + tile.work > cap) continue;
        ++tried;
        state.remove(tile, from);
        state.add(tile, to);
        const Score s = score_of(state);
        if (!s.better_than(current)) {
          state.remove(tile, to);
          state.add(tile, from);
          continue;
        }
        current = s;
        load[static_cast<size_t>(from)] -= tile.work;
        load[static_cast<size_t>(to)] += tile.work;
        rank_of[t] = to;
        moved = true;
      }
    }
  }
  return rank_of;
}

}  // namespace cpb
