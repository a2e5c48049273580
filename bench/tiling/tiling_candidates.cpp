// The grid assignments and the structured starting point of tiling_candidates.hpp.
#include "bench/tiling/tiling_candidates.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <string>
#include <utility>

#include "bench/tiling/tiling_search.hpp"

namespace cpb {
namespace {

// One layout of the ranks on an a x b array: cell[u * b + v] is the rank at (u, v). The
// assignment gives tile t the rank at (row of q's owner, column of k's owner).
std::vector<int> grid_of(const TilingProblem& p, int b, const std::vector<int>& cell) {
  std::vector<int> row(static_cast<size_t>(p.ranks)), col(row);
  for (size_t c = 0; c < cell.size(); ++c) {
    row[static_cast<size_t>(cell[c])] = static_cast<int>(c) / b;
    col[static_cast<size_t>(cell[c])] = static_cast<int>(c) % b;
  }
  std::vector<int> rank_of;
  for (const TilingTile& t : p.tiles) {
    const int u = row[static_cast<size_t>(p.owner[static_cast<size_t>(t.q_block)])];
    const int v = col[static_cast<size_t>(p.owner[static_cast<size_t>(t.k_block)])];
    rank_of.push_back(cell[static_cast<size_t>(u * b + v)]);
  }
  return rank_of;
}

// Whether `cell` is the one layout of its grid that the enumeration keeps: permuting the
// array's rows or columns gives the same groups, so the first row is ascending (fixing the
// columns' order) and the rows' least ranks are ascending (fixing the rows' order).
bool canonical(const std::vector<int>& cell, int a, int b) {
  auto at = [&](int u, int v) { return cell[static_cast<size_t>(u * b + v)]; };
  for (int v = 1; v < b; ++v)
    if (at(0, v) < at(0, v - 1)) return false;
  int previous_least = -1;
  for (int u = 0; u < a; ++u) {
    int least = at(u, 0);
    for (int v = 1; v < b; ++v) least = std::min(least, at(u, v));
    if (least < previous_least) return false;
    previous_least = least;
  }
  return true;
}

// The order of candidates: within the load cap first, then the lower objective.
struct Rank {
  bool fits = false;
  double objective = 0;
  bool better_than(const Rank& o) const { return fits != o.fits ? fits : objective < o.objective; }
};

Rank rank_of_candidate(const TilingProblem& p, const std::vector<int>& rank_of) {
  const std::vector<double> load = tiling_load(p, rank_of);
  return {*std::max_element(load.begin(), load.end()) <= p.load_cap() * (1 + 1e-12), tiling_traffic(p, rank_of).max()};
}

}  // namespace

std::vector<GridAssignment> grid_assignments(const TilingProblem& p) {
  std::vector<GridAssignment> out;
  const int n = p.ranks;
  for (int a = 1; a <= n; ++a) {
    if (n % a != 0) continue;
    const int b = n / a;
    std::vector<int> cell(static_cast<size_t>(n));
    std::iota(cell.begin(), cell.end(), 0);
    if (n <= kGridEnumerateRanks) {
      do {
        if (canonical(cell, a, b)) out.push_back({a, b, grid_of(p, b, cell)});
      } while (std::next_permutation(cell.begin(), cell.end()));
      continue;
    }
    out.push_back({a, b, grid_of(p, b, cell)});  // rank r at (r / b, r % b)
    for (int r = 0; r < n; ++r) cell[static_cast<size_t>((r % a) * b + r / a)] = r;
    out.push_back({a, b, grid_of(p, b, cell)});  // rank r at (r % a, r / a)
  }
  return out;
}

TilingSolution solve_structured(const TilingProblem& p, int keep, int64_t max_tried) {
  const auto start = std::chrono::steady_clock::now();
  const TilingSolution greedy = solve_greedy(p);  // checks p
  // The grids repaired to the cap, the `keep` best (stable: the earlier on a tie).
  std::vector<GridAssignment> grids = grid_assignments(p);
  std::vector<std::pair<Rank, size_t>> ranked;
  for (size_t g = 0; g < grids.size(); ++g) {
    grids[g].rank_of = rebalance_to_cap(p, std::move(grids[g].rank_of));
    ranked.emplace_back(rank_of_candidate(p, grids[g].rank_of), g);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& x, const auto& y) { return x.first.better_than(y.first); });
  ranked.resize(std::min(ranked.size(), static_cast<size_t>(std::max(keep, 0))));
  TilingSolution best = greedy;
  best.rank_of = improve_by_moves_and_swaps(p, greedy.rank_of, max_tried);
  Rank best_rank = rank_of_candidate(p, best.rank_of);
  for (const auto& entry : ranked) {
    const size_t g = entry.second;
    std::vector<int> improved = improve_by_moves_and_swaps(p, grids[g].rank_of, max_tried);
    const Rank r = rank_of_candidate(p, improved);
    if (!r.better_than(best_rank)) continue;
    best_rank = r;
    best.rank_of = std::move(improved);
    best.solver = "grid " + std::to_string(grids[g].a) + " x " + std::to_string(grids[g].b);
  }
  best.objective = tiling_traffic(p, best.rank_of).max();
  best.bound = 0;
  best.gap = best.objective > 0 ? 1 : 0;
  best.status = "heuristic";
  best.solve_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return best;
}

}  // namespace cpb
