#include "bench/tiling/tiling_problem.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>

#include "bench/tiling/tiling_search.hpp"
#include "bench/tiling/traffic_state.hpp"

namespace cpb {
namespace {

// Largest tiles first, each to the rank (under the cap when any fits, else the least
// loaded) that raises the objective least; ties to the query block's owner, then the key
// block's, then the least loaded.
std::vector<int> largest_first(const TilingProblem& p) {
  std::vector<size_t> order(p.tiles.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p.tiles[a].work > p.tiles[b].work; });
  const double cap = p.load_cap() * (1 + 1e-12);
  TrafficState state(p);
  std::vector<double> load(static_cast<size_t>(p.ranks), 0.0);
  std::vector<int> rank_of(p.tiles.size(), 0);
  double current = 0;  // the objective of the tiles placed so far
  for (const size_t t : order) {
    const TilingTile& tile = p.tiles[t];
    const bool any_fits = std::any_of(load.begin(), load.end(), [&](double l) { return l + tile.work <= cap; });
    std::vector<int> cands{p.owner[static_cast<size_t>(tile.q_block)], p.owner[static_cast<size_t>(tile.k_block)]};
    for (int r = 0; r < p.ranks; ++r) cands.push_back(r);
    int best = -1;
    size_t best_ci = 0;
    double best_obj = 0;
    const double least = *std::min_element(load.begin(), load.end());
    for (size_t ci = 0; ci < cands.size(); ++ci) {
      const int r = cands[ci];
      if (any_fits ? load[static_cast<size_t>(r)] + tile.work > cap : load[static_cast<size_t>(r)] != least) continue;
      const double obj = state.objective_if_added(tile, r, current);
      // On a tie an owner (the first two candidates) stays; otherwise the less loaded wins.
      const bool tie_break =
          obj == best_obj && best_ci >= 2 && load[static_cast<size_t>(r)] < load[static_cast<size_t>(best)];
      if (best < 0 || obj < best_obj || tie_break) best = r, best_ci = ci, best_obj = obj;
    }
    state.add(tile, best);
    current = best_obj;
    load[static_cast<size_t>(best)] += tile.work;
    rank_of[t] = best;
  }
  return rank_of;
}

// Every tile on its query block's owner (only K and V move), then, while a rank is over
// the cap, the move of one of its tiles to a rank with room that raises the objective least
// (rebalance_to_cap).
std::vector<int> owner_then_rebalance(const TilingProblem& p) {
  std::vector<int> rank_of(p.tiles.size());
  for (size_t t = 0; t < p.tiles.size(); ++t) rank_of[t] = p.owner[static_cast<size_t>(p.tiles[t].q_block)];
  return rebalance_to_cap(p, std::move(rank_of));
}

double max_load(const TilingProblem& p, const std::vector<int>& rank_of) {
  const std::vector<double> load = tiling_load(p, rank_of);
  return *std::max_element(load.begin(), load.end());
}

}  // namespace

double TilingProblem::total_work() const {
  double w = 0;
  for (const TilingTile& t : tiles) w += t.work;
  return w;
}

double TilingProblem::load_cap() const {
  double biggest = 0;
  for (const TilingTile& t : tiles) biggest = std::max(biggest, t.work);
  return std::max((1 + balance) * total_work() / ranks, biggest);
}

double TilingTraffic::max() const {
  double m = 0;
  for (const std::vector<double>* v : {&send, &recv})
    for (const double x : *v) m = std::max(m, x);
  return m;
}

std::string tiling_problem_error(const TilingProblem& p) {
  const size_t n = p.owner.size();
  if (p.ranks < 1) return "ranks " + std::to_string(p.ranks) + " < 1";
  if (p.q_bytes.size() != n || p.kv_bytes.size() != n || p.o_bytes.size() != n)
    return "the block arrays differ in size";
  for (size_t b = 0; b < n; ++b)
    if (p.owner[b] < 0 || p.owner[b] >= p.ranks) return "block " + std::to_string(b) + " has no valid owner";
  for (size_t t = 0; t < p.tiles.size(); ++t) {
    const TilingTile& x = p.tiles[t];
    if (x.q_block < 0 || x.k_block < 0 || static_cast<size_t>(x.q_block) >= n || static_cast<size_t>(x.k_block) >= n)
      return "tile " + std::to_string(t) + " lies outside the blocks";
    if (!(x.work > 0)) return "tile " + std::to_string(t) + " has no work";
  }
  if (p.balance < 0) return "balance " + std::to_string(p.balance) + " < 0";
  return "";
}

TilingTraffic tiling_traffic(const TilingProblem& p, const std::vector<int>& rank_of) {
  return tiling_node_traffic(p, rank_of, 1);
}

TilingTraffic tiling_node_traffic(const TilingProblem& p, const std::vector<int>& rank_of, int g) {
  TrafficState state(p, g);
  for (size_t t = 0; t < p.tiles.size(); ++t) state.add(p.tiles[t], rank_of[t]);
  return TilingTraffic{state.send(), state.recv()};
}

std::vector<double> tiling_load(const TilingProblem& p, const std::vector<int>& rank_of) {
  std::vector<double> load(static_cast<size_t>(p.ranks), 0.0);
  for (size_t t = 0; t < p.tiles.size(); ++t) load[static_cast<size_t>(rank_of[t])] += p.tiles[t].work;
  return load;
}

TilingSolution solve_greedy(const TilingProblem& p) {
  const std::string err = tiling_problem_error(p);
  if (!err.empty()) throw std::invalid_argument("tiling problem: " + err);
  const auto start = std::chrono::steady_clock::now();
  TilingSolution sol;
  // The better of two heuristics: the one within the cap, then the lower objective.
  const double cap = p.load_cap() * (1 + 1e-12);
  for (const std::vector<int>& cand : {largest_first(p), owner_then_rebalance(p)}) {
    const double obj = tiling_traffic(p, cand).max();
    const bool fits = max_load(p, cand) <= cap;
    const bool had_fit = !sol.rank_of.empty() && max_load(p, sol.rank_of) <= cap;
    if (sol.rank_of.empty() || (fits && !had_fit) || (fits == had_fit && obj < sol.objective)) {
      sol.rank_of = cand;
      sol.objective = obj;
    }
  }
  sol.gap = sol.objective > 0 ? 1 : 0;
  sol.solve_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sol.solver = "greedy";
  sol.status = "heuristic";
  return sol;
}

}  // namespace cpb
