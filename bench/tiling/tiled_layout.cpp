#include "bench/tiling/tiled_layout.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bench/tiling/tiling_bound.hpp"
#include "bench/tiling/tiling_cache.hpp"
#include "bench/tiling/tiling_candidates.hpp"
#include "bench/tiling/tiling_milp.hpp"
#include "bench/tiling/tiling_search.hpp"

namespace cpb {
namespace {

// The most blocks a layout may have: P = 64 with 2 blocks per rank plans in 3-13 s on the
// 2-core development VM (the grids' repair to the load cap most of it), P = 128 (256
// blocks) took 24 s under the causal mask with the greedy alone.
constexpr int64_t kMaxBlocks = 128;
// The MILP's limits: the size up to which it is tried, at most 8 ranks (the MILP on worlds
// of 16 ranks with 2 blocks each ran over 3 minutes per point on the 2-core development
// VM, the full mask's 16384 binaries and sparse masks' fewer alike) and 8192 binaries
// (P = 8 with 4 blocks per rank has at most 32 x 32 x 8), and the branch-and-bound nodes
// it may explore, which end the search at the same point on every rank and machine, by
// the model's binaries (kMilpNodeTiers). No wall-clock limit: a solve it cut short on some
// ranks only would give them another assignment, and the job would not match up.
constexpr int kMilpMaxRanks = 8;
constexpr int64_t kMilpMaxBinaries = 8192;
// Branch-and-bound nodes by the model's size: the most each size gets while every point
// of results/sim/2026-12-05_tiling_bytes_milp2 (P <= 8, S = 512K, 2 blocks per rank)
// solves in under 10 s on the 2-core VM (that README has the times).
struct MilpNodeTier {
  int64_t max_binaries, nodes;
};
constexpr MilpNodeTier kMilpNodeTiers[] = {{256, 1500}, {512, 200}, {kMilpMaxBinaries, 1}};
// The MILP is not run when the pull bound already proves the start optimal (to the MILP's
// relative gap, 1e-4) or, where it would get the root node alone, within this fraction of
// the optimum (issue 19's target gap), which the root node alone would only confirm.
constexpr double kMilpSkipGap = 0.10;
constexpr double kMilpTimeLimitS = std::numeric_limits<double>::infinity();
// The moves and swaps the local search (tiling_search.hpp) may evaluate per assignment it
// improves: a count, not a time, so every rank ends at the same assignment.
constexpr int64_t kMaxMovesTried = 4000000;
// The grids (tiling_candidates.hpp) improved beside the greedy for the MILP's warm start.
constexpr int kGridsKept = 4;

// Tiles of every (query block, key block) pair, cut at their query block's segments.
std::vector<TiledTile> make_tiles(const Problem& p, const TiledLayout& l) {
  const std::vector<MaskRegion> regions = mask_regions(p);
  std::vector<TiledTile> out;
  for (int i = 0; i < l.blocks(); ++i) {
    std::vector<std::vector<MaskRegion>> row(static_cast<size_t>(l.blocks()));
    std::vector<MaskRegion> all;
    for (int j = 0; j < l.blocks(); ++j) {
      row[static_cast<size_t>(j)] = clip_regions(regions, l.tokens(i), l.tokens(j));
      all.insert(all.end(), row[static_cast<size_t>(j)].begin(), row[static_cast<size_t>(j)].end());
    }
    const std::vector<int64_t> cuts = row_cuts(all);
    for (int j = 0; j < l.blocks(); ++j) {
      if (row[static_cast<size_t>(j)].empty()) continue;
      TiledTile t;
      t.q_block = i;
      t.k_block = j;
      t.pieces = cut_rows(row[static_cast<size_t>(j)], cuts);
      for (const MaskRegion& r : t.pieces) t.pairs += region_pairs(r);
      out.push_back(std::move(t));
    }
  }
  return out;
}

TilingProblem make_problem(const Problem& p, const TiledLayout& l) {
  TilingProblem tp;
  tp.ranks = l.ranks;
  const double act = dtype_bytes(p.dtype), rows = static_cast<double>(p.B) * static_cast<double>(l.c);
  for (int b = 0; b < l.blocks(); ++b) {
    tp.owner.push_back(l.owner(b));
    tp.q_bytes.push_back(rows * p.H * p.D * act);
    tp.kv_bytes.push_back(2 * rows * p.Hkv * p.D * act);
    tp.o_bytes.push_back(rows * p.H * p.D * act + rows * p.H * 4.0);
  }
  for (const TiledTile& t : l.tiles) tp.tiles.push_back(TilingTile{t.q_block, t.k_block, t.pairs});
  tp.balance = p.tile_balance / 100.0;
  return tp;
}

bool within_cap(const TilingProblem& tp, const std::vector<int>& rank_of) {
  const std::vector<double> load = tiling_load(tp, rank_of);
  return *std::max_element(load.begin(), load.end()) <= tp.load_cap() * (1 + 1e-12);
}

// `s` improved by the local search when it is within the load cap (objective, gap and
// solve time updated; bound, solver and status kept).
void improve(const TilingProblem& tp, TilingSolution* s) {
  const auto start = std::chrono::steady_clock::now();
  if (!within_cap(tp, s->rank_of)) return;
  s->rank_of = improve_by_moves_and_swaps(tp, std::move(s->rank_of), kMaxMovesTried);
  s->objective = tiling_traffic(tp, s->rank_of).max();
  s->bound = std::min(s->bound, s->objective);
  s->gap = s->objective > 0 ? (s->objective - s->bound) / s->objective : 0;
  s->solve_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The assignment. The greedy's and the grids' assignments, improved by the local search,
// give the start (solve_structured). The MILP, warm-started from it, runs only where it is
// small enough, and its answer is used only when it ends the same way on every rank
// (optimal, or its node limit), since every rank of a job solves on its own: otherwise
// the start is kept, with the MILP's bound or, where the MILP is not tried, the pull bound
// (tiling_bound.hpp). Either is then improved by the local search.
TilingSolution solve(const TilingProblem& tp, TileSolver solver) {
  if (solver == TileSolver::Greedy) return solve_greedy(tp);
  TilingSolution start = solve_structured(tp, kGridsKept, kMaxMovesTried);
  const double binaries = static_cast<double>(tp.tiles.size()) * tp.ranks;
  if (tp.ranks > kMilpMaxRanks || binaries > kMilpMaxBinaries) {
    start.status = "heuristic (the MILP has " + std::to_string(tp.ranks) + " ranks and " +
                   std::to_string(static_cast<int64_t>(binaries)) + " binaries; it is tried up to " +
                   std::to_string(kMilpMaxRanks) + " ranks and " + std::to_string(kMilpMaxBinaries) + ")";
    const double pull = within_cap(tp, start.rank_of) ? tiling_lower_bound(tp, tp.load_cap()) : 0;
    start.bound = std::isfinite(pull) ? pull : 0;
    improve(tp, &start);
    return start;
  }
  int64_t nodes = 1;  // the first tier that holds the model (the last holds every one tried)
  for (const MilpNodeTier& t : kMilpNodeTiers)
    if (binaries <= static_cast<double>(t.max_binaries)) {
      nodes = t.nodes;
      break;
    }
  const bool many_nodes = nodes > 1;
  if (within_cap(tp, start.rank_of)) {
    const double pull = tiling_lower_bound(tp, tp.load_cap());
    const double gap = start.objective > 0 ? (start.objective - pull) / start.objective : 0;
    if (std::isfinite(pull) && (gap <= 1e-4 || (!many_nodes && gap <= kMilpSkipGap))) {
      start.bound = pull;
      start.status = gap <= 1e-4 ? "optimal (the pull bound)"
                                 : "heuristic (within " + std::to_string(static_cast<int>(100 * kMilpSkipGap)) +
                                       " % of the pull bound: the MILP is not run)";
      improve(tp, &start);
      return start;
    }
  }
  TilingSolution milp = solve_milp(tp, MilpOptions{kMilpTimeLimitS, 1, nodes}, start);
  if (milp.status == "optimal" || milp.status == "node limit") {
    milp.solve_s += start.solve_s;
    improve(tp, &milp);
    return milp;
  }
  start.bound = milp.bound;
  start.gap = start.objective > 0 ? (start.objective - milp.bound) / start.objective : 0;
  start.solve_s += milp.solve_s;
  start.status = "heuristic (MILP: " + milp.status + ")";
  improve(tp, &start);
  return start;
}

// How solve() answers: the solver and every limit that can change its answer.
std::string solve_method(TileSolver solver) {
  if (solver == TileSolver::Greedy) return "greedy";
  std::string tiers;
  for (const MilpNodeTier& t : kMilpNodeTiers)
    tiers += " " + std::to_string(t.nodes) + "@<=" + std::to_string(t.max_binaries);
  return "milp " + milp_solver_version() + " ranks<=" + std::to_string(kMilpMaxRanks) +
         " binaries<=" + std::to_string(kMilpMaxBinaries) + " nodes" + tiers +
         " skip_gap=" + std::to_string(kMilpSkipGap) + " moves<=" + std::to_string(kMaxMovesTried) +
         " grids=" + std::to_string(kGridsKept) + " swaps";
}

// solve(), through the cache (tiling_cache.hpp) when it is on.
TilingSolution solve_cached(const TilingProblem& tp, TileSolver solver, TilingCacheUse* use) {
  const TilingCacheSettings& cache = tiling_cache();
  if (cache.dir.empty()) {
    use->status = "off: " + cache.off_reason;
    return solve(tp, solver);
  }
  const auto start = std::chrono::steady_clock::now();
  const nlohmann::json key = tiling_cache_key(tp, solve_method(solver), cache.code);
  use->file = tiling_cache_file(cache.dir, key);
  TilingSolution s;
  std::string why;
  if (load_cached_tiling(use->file, key, tp, &s, &why)) {
    use->status = "hit";
    use->load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return s;
  }
  if (why != "absent") use->note = "ignored the cache file: " + why;
  s = solve(tp, solver);
  const std::string error = store_cached_tiling(use->file, key, s);
  use->status = error.empty() ? "stored" : "not stored: " + error;
  return s;
}

// The balance of the node level: b with (1 + b)^2 = 1 + balance, so a node's ranks have
// at least b of room under the ranks' cap, (1 + balance) times the mean, even in the
// fullest node.
double node_balance(double balance) { return std::sqrt(1 + balance) - 1; }

// The tiling problem at node granularity: nodes of g consecutive ranks; a block's owner
// is its owner's node.
TilingProblem nodes_problem(const TilingProblem& tp, int g) {
  TilingProblem np = tp;
  np.ranks = tp.ranks / g;
  for (int& o : np.owner) o /= g;
  np.balance = node_balance(tp.balance);
  return np;
}

// The tiling problem of node n's tiles `mine` over its g ranks. A block of the node is
// owned by its owner's index in the node; a block of another node by the rank with its
// owner's index, through which it enters the node on clusters where rank k of every node
// shares a switch (rail-optimised), so its bytes are charged there. Its balance makes its
// load cap the whole problem's, (1 + balance) times the mean over all ranks, where it can.
TilingProblem ranks_problem(const TilingProblem& tp, int g, const std::vector<int>& mine) {
  TilingProblem rp = tp;
  rp.ranks = g;
  for (int& o : rp.owner) o %= g;
  rp.tiles.clear();
  for (const int t : mine) rp.tiles.push_back(tp.tiles[static_cast<size_t>(t)]);
  // (0 when the node's own mean is over that cap: the node level could not pack its tiles.)
  rp.balance = std::max(0.0, (1 + tp.balance) * (tp.total_work() / tp.ranks) / (rp.total_work() / g) - 1);
  return rp;
}

// Node-level tiling (issue 19, item (b)): the tiles to nodes of g ranks (solved as the
// device-level problem is, at node granularity), then each node's tiles to its ranks.
// The device-level objective of the result is reported; no bound is known for it (gap 1).
TilingSolution solve_two_levels(const TilingProblem& tp, int g, TileSolver solver, TilingCacheUse* use,
                                TilingSolution* by_node) {
  *by_node = solve_cached(nodes_problem(tp, g), solver, use);
  TilingSolution out;
  out.rank_of.assign(tp.tiles.size(), 0);
  out.solve_s = by_node->solve_s;
  std::string last = "optimal";  // the last status of a node's solve that is not "optimal"
  int hits = 0;
  for (int n = 0; n < tp.ranks / g; ++n) {
    std::vector<int> mine;
    for (size_t t = 0; t < tp.tiles.size(); ++t)
      if (by_node->rank_of[t] == n) mine.push_back(static_cast<int>(t));
    if (mine.empty()) continue;
    TilingCacheUse sub_use;
    const TilingSolution s = solve_cached(ranks_problem(tp, g, mine), solver, &sub_use);
    for (size_t i = 0; i < mine.size(); ++i) out.rank_of[static_cast<size_t>(mine[i])] = n * g + s.rank_of[i];
    out.solve_s += s.solve_s;
    hits += sub_use.status == "hit";
    if (sub_use.status.rfind("not stored", 0) == 0) use->note += (use->note.empty() ? "" : "; ") + sub_use.status;
    if (s.status.rfind("optimal", 0) != 0) last = s.status;
    if (out.solver.empty()) out.solver = s.solver;
  }
  out.objective = tiling_traffic(tp, out.rank_of).max();
  out.bound = 0;
  out.gap = 1;
  out.solver = "nodes: " + by_node->solver + ", ranks: " + out.solver;
  out.status = "two levels (nodes: " + by_node->status + "; ranks: " + last + ")";
  use->note += std::string(use->note.empty() ? "" : "; ") + "the nodes' rank assignments: " + std::to_string(hits) +
               " of " + std::to_string(tp.ranks / g) + " from the cache";
  return out;
}

// The node size of two-level tiling: tile_node when it splits the ranks into 2 or more
// nodes, else 1 (device-level only).
int node_size(const Problem& p) { return p.tile_node > 1 && p.tile_node < p.P ? p.tile_node : 1; }

}  // namespace

std::shared_ptr<const TiledLayout> build_tiled_layout(const Problem& p) {
  auto l = std::make_shared<TiledLayout>();
  l->ranks = p.P;
  l->per_rank = p.tile_blocks;
  l->c = p.S / (static_cast<int64_t>(p.P) * p.tile_blocks);
  l->tiles = make_tiles(p, *l);
  l->problem = make_problem(p, *l);
  l->node = node_size(p);
  l->solution = l->node > 1 ? solve_two_levels(l->problem, l->node, p.tile_solver, &l->cache, &l->by_node)
                            : solve_cached(l->problem, p.tile_solver, &l->cache);
  if (l->node > 1) {
    // Two levels can fail to pack the ranks under the cap where one level packs them: then
    // the device-level assignment is used, and the status says why.
    const std::vector<double> load = tiling_load(l->problem, l->solution.rank_of);
    const double worst = *std::max_element(load.begin(), load.end());
    if (worst > l->problem.load_cap() * (1 + 1e-12)) {
      TilingCacheUse use;
      TilingSolution device = solve_cached(l->problem, p.tile_solver, &use);
      const std::vector<double> device_load = tiling_load(l->problem, device.rank_of);
      if (*std::max_element(device_load.begin(), device_load.end()) < worst) {
        device.status += " (device level: node-level tiling left a rank at " +
                         std::to_string(worst / (l->problem.total_work() / l->ranks)) + " of the mean work, over " +
                         std::to_string(1 + p.tile_balance / 100.0) + ")";
        l->solution = std::move(device);
        l->cache = std::move(use);
        l->node = 1;
      }
    }
  }
  for (size_t t = 0; t < l->tiles.size(); ++t) l->tiles[t].rank = l->solution.rank_of[t];
  l->index_ranks();
  return l;
}

void TiledLayout::index_ranks() {
  segments_.assign(static_cast<size_t>(ranks) * static_cast<size_t>(blocks()), {});
  needs_kv_.assign(segments_.size(), 0);
  for (const TiledTile& t : tiles) {
    needs_kv_[at(t.rank, t.k_block)] = 1;
    std::vector<Range>& segs = segments_[at(t.rank, t.q_block)];
    for (const MaskRegion& r : t.pieces) segs.push_back(Range{r.q.begin - tokens(t.q_block).begin, r.q.size});
  }
  for (std::vector<Range>& segs : segments_) {
    std::sort(segs.begin(), segs.end(), [](Range a, Range b) { return a.begin < b.begin; });
    segs.erase(std::unique(segs.begin(), segs.end(), [](Range a, Range b) { return a.begin == b.begin; }), segs.end());
  }
}

nlohmann::json tiling_json(const TiledLayout& l) {
  const TilingSolution& s = l.solution;
  const std::vector<double> load = tiling_load(l.problem, s.rank_of);
  const double mean = l.problem.total_work() / l.ranks;
  nlohmann::json j = {{"solver", s.solver},
                      {"status", s.status},
                      {"objective_bytes", s.objective},
                      {"bound_bytes", s.bound},
                      {"gap", s.gap},
                      {"solve_s", s.solve_s},
                      {"tiles", l.tiles.size()},
                      {"load_max_over_mean", mean > 0 ? *std::max_element(load.begin(), load.end()) / mean : 0.0},
                      {"cache", l.cache.status},
                      {"cache_file", l.cache.file},
                      {"cache_load_s", l.cache.load_s},
                      {"cache_note", l.cache.note}};
  if (l.node > 1) {
    j["node_ranks"] = l.node;
    j["node_cross_bytes"] = tiling_node_traffic(l.problem, s.rank_of, l.node).max();
    j["node_objective_bytes"] = l.by_node.objective;
    j["node_bound_bytes"] = l.by_node.bound;
    j["node_gap"] = l.by_node.gap;
  }
  return j;
}

Reason tiled_layout_error(const Problem& p) {
  const int64_t blocks = static_cast<int64_t>(p.P) * p.tile_blocks;
  if (blocks > kMaxBlocks)
    return "P tile_blocks = " + std::to_string(blocks) + " blocks; the tiled schedule plans at most " +
           std::to_string(kMaxBlocks) + " (its greedy grows with blocks^2 P^2)";
  if (p.S % blocks != 0)
    return "S=" + std::to_string(p.S) + " is not divisible by P tile_blocks = " + std::to_string(blocks) + " (tiled)";
  return std::nullopt;
}

const TiledLayout& tiled_layout(const Problem& p) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TiledLayout>> cache;
  const std::string key =
      shape_json(p).dump() + " m=" + std::to_string(p.tile_blocks) + " balance=" + std::to_string(p.tile_balance) +
      " solver=" + std::to_string(static_cast<int>(p.tile_solver)) + " node=" + std::to_string(node_size(p));
  const std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<const TiledLayout>& l = cache[key];
  if (!l) l = build_tiled_layout(p);
  return *l;
}

}  // namespace cpb
