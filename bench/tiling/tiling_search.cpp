// The local search of tiling_search.hpp on the incremental traffic of traffic_state.hpp.
#include "bench/tiling/tiling_search.hpp"

#include <algorithm>
#include <utility>

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

// An assignment with its traffic, loads and score, changed one step at a time; a step is
// kept only when it improves the score.
class Search {
 public:
  Search(const TilingProblem& p, std::vector<int> rank_of)
      : p_(p), cap_(p.load_cap() * (1 + 1e-12)), state_(p), rank_of_(std::move(rank_of)) {
    for (size_t t = 0; t < p.tiles.size(); ++t) state_.add(p.tiles[t], rank_of_[t]);
    load_ = tiling_load(p, rank_of_);
    current_ = score_of(state_);
  }

  // Tile t to rank `to`, when that keeps `to` within the cap and improves the score. Counts
  // the evaluation in *tried (none when the cap rules it out).
  bool try_move(size_t t, int to, int64_t* tried) {
    const TilingTile& tile = p_.tiles[t];
    const int from = rank_of_[t];
    if (to == from || load(to) + tile.work > cap_) return false;
    ++*tried;
    state_.remove(tile, from);
    state_.add(tile, to);
    const Score s = score_of(state_);
    if (!s.better_than(current_)) {
      state_.remove(tile, to);
      state_.add(tile, from);
      return false;
    }
    current_ = s;
    load(from) -= tile.work;
    load(to) += tile.work;
    rank_of_[t] = to;
    return true;
  }

  // Tiles t and u exchanged, when both ranks stay within the cap and the score improves.
  bool try_swap(size_t t, size_t u, int64_t* tried) {
    const TilingTile &a = p_.tiles[t], &b = p_.tiles[u];
    const int ra = rank_of_[t], rb = rank_of_[u];
    if (ra == rb || load(ra) - a.work + b.work > cap_ || load(rb) - b.work + a.work > cap_) return false;
    ++*tried;
    state_.remove(a, ra), state_.remove(b, rb);
    state_.add(a, rb), state_.add(b, ra);
    const Score s = score_of(state_);
    if (!s.better_than(current_)) {
      state_.remove(a, rb), state_.remove(b, ra);
      state_.add(a, ra), state_.add(b, rb);
      return false;
    }
    current_ = s;
    load(ra) += b.work - a.work;
    load(rb) += a.work - b.work;
    rank_of_[t] = rb;
    rank_of_[u] = ra;
    return true;
  }

  std::vector<int> take() { return std::move(rank_of_); }

 private:
  double& load(int r) { return load_[static_cast<size_t>(r)]; }

  const TilingProblem& p_;
  const double cap_;
  TrafficState state_;
  std::vector<int> rank_of_;
  std::vector<double> load_;
  Score current_;
};

// Passes of `one_pass` (which says whether it kept a step) until one keeps none or `limit`
// evaluations are counted in *tried; whether any step was kept.
template <class Pass>
bool repeat_passes(int64_t limit, const int64_t* tried, Pass one_pass) {
  bool any = false;
  for (bool kept = true; kept && *tried < limit;) {
    kept = one_pass();
    any |= kept;
  }
  return any;
}

// Passes of moves: every tile in order to every rank in order.
bool move_passes(const TilingProblem& p, Search& search, int64_t limit, int64_t* tried) {
  return repeat_passes(limit, tried, [&] {
    bool moved = false;
    for (size_t t = 0; t < p.tiles.size() && *tried < limit; ++t)
      for (int to = 0; to < p.ranks && *tried < limit; ++to) moved |= search.try_move(t, to, tried);
    return moved;
  });
}

// Passes of swaps: every pair of tiles t < u in order.
bool swap_passes(const TilingProblem& p, Search& search, int64_t limit, int64_t* tried) {
  return repeat_passes(limit, tried, [&] {
    bool swapped = false;
    for (size_t t = 0; t < p.tiles.size() && *tried < limit; ++t)
      for (size_t u = t + 1; u < p.tiles.size() && *tried < limit; ++u) swapped |= search.try_swap(t, u, tried);
    return swapped;
  });
}

}  // namespace

std::vector<int> improve_by_moves(const TilingProblem& p, std::vector<int> rank_of, int64_t max_moves_tried) {
  Search search(p, std::move(rank_of));
  int64_t tried = 0;
  move_passes(p, search, max_moves_tried, &tried);
  return search.take();
}

std::vector<int> improve_by_swaps(const TilingProblem& p, std::vector<int> rank_of, int64_t max_swaps_tried) {
  Search search(p, std::move(rank_of));
  int64_t tried = 0;
  swap_passes(p, search, max_swaps_tried, &tried);
  return search.take();
}

std::vector<int> improve_by_moves_and_swaps(const TilingProblem& p, std::vector<int> rank_of, int64_t max_tried) {
  Search search(p, std::move(rank_of));
  int64_t tried = 0;
  // Move passes end where no move improves; swaps kept there can open moves again.
  while (tried < max_tried) {
    move_passes(p, search, max_tried, &tried);
    if (!swap_passes(p, search, max_tried, &tried)) break;
  }
  return search.take();
}

std::vector<int> rebalance_to_cap(const TilingProblem& p, std::vector<int> rank_of) {
  const double cap = p.load_cap() * (1 + 1e-12);
  TrafficState state(p);
  for (size_t t = 0; t < p.tiles.size(); ++t) state.add(p.tiles[t], rank_of[t]);
  std::vector<double> load = tiling_load(p, rank_of);
  for (;;) {
    const int over = static_cast<int>(std::max_element(load.begin(), load.end()) - load.begin());
    if (load[static_cast<size_t>(over)] <= cap) break;
    size_t best_t = 0;
    int best_to = -1;
    double best_obj = 0;
    for (size_t t = 0; t < p.tiles.size(); ++t) {
      if (rank_of[t] != over) continue;
      for (int to = 0; to < p.ranks; ++to) {
        if (to == over || load[static_cast<size_t>(to)] + p.tiles[t].work > cap) continue;
        const double obj = state.objective_if(p.tiles[t], over, to);
        if (best_to < 0 || obj < best_obj) best_t = t, best_to = to, best_obj = obj;
      }
    }
    if (best_to < 0) break;  // nothing fits anywhere: leave the rest over the cap
    state.remove(p.tiles[best_t], over);
    state.add(p.tiles[best_t], best_to);
    load[static_cast<size_t>(over)] -= p.tiles[best_t].work;
    load[static_cast<size_t>(best_to)] += p.tiles[best_t].work;
    rank_of[best_t] = best_to;
  }
  return rank_of;
}

}  // namespace cpb
